/**
 * eBPF opcode fields, composed as class | source | operation (ALU/JMP) or
 * class | size | mode (loads and stores), as iovisor/ubpf's ebpf.h and the
 * kernel's include/uapi/linux/bpf_common.h + bpf.h spell them.
 * @see Documentation/bpf/standardization/instruction-set.rst (RFC 9669) §3, §4
 *
 *   opcode (8 bits), arithmetic and jump classes:
 *     +----------+------+-------+
 *     | op (4)   | s(1) | class |     s = BPF_K (imm) / BPF_X (src reg)
 *     +----------+------+-------+
 *   opcode, load and store classes:
 *     +---------+--------+-------+
 *     | mode(3) | size(2)| class |
 *     +---------+--------+-------+
 */

// Instruction classes (RFC 9669 §3.3).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

export const CLASS_NAMES: readonly string[] = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];

// Source operand (RFC 9669 §4.1).
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** For BPF_END: BPF_TO_LE shares BPF_K's bit, BPF_TO_BE BPF_X's. */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// Arithmetic operations (RFC 9669 §4.1), the high nibble.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30; // offset 1: SDIV
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90; // offset 1: SMOD
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0; // offset 8/16/32: MOVSX
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations (RFC 9669 §4.3), the high nibble.
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

// Load/store sizes (RFC 9669 §5).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Load/store modes (RFC 9669 §5).
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// Atomic operations in imm (RFC 9669 §5.3).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

// Pseudo source registers (RFC 9669 §5.4, §4.3.1; include/uapi/linux/bpf.h).
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;
/** call src=1: a BPF-to-BPF call (local function), src=2: a kfunc. */
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** Bytes per instruction slot; LD_IMM64 takes two. */
export const INSN_SIZE = 8;
/** Registers r0..r10; r10 is the read-only frame pointer. */
export const MAX_BPF_REG = 11;
export const BPF_REG_FP = 10;
/** MAX_BPF_STACK (include/linux/filter.h). */
export const MAX_BPF_STACK = 512;

export function bpfClass(opcode: number): number {
  return opcode & 0x07;
}
export function bpfOp(opcode: number): number {
  return opcode & 0xf0;
}
export function bpfSrc(opcode: number): number {
  return opcode & 0x08;
}
export function bpfSize(opcode: number): number {
  return opcode & 0x18;
}
export function bpfMode(opcode: number): number {
  return opcode & 0xe0;
}
/** Bytes a BPF_W/H/B/DW size field stands for. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case BPF_B:
      return 1;
    case BPF_H:
      return 2;
    case BPF_W:
      return 4;
    default:
      return 8;
  }
}
