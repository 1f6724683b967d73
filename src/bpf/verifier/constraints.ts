/**
 * Per-opcode encoding constraints, checked once per instruction before any
 * path is explored: which opcodes exist, which fields must be zero, which
 * offsets and immediates are allowed. The table idea is ubpf's
 * ubpf_instruction_valid.c; the rules and messages are the kernel's
 * (kernel/bpf/verifier.c check_alu_op, do_check, check_atomic,
 * resolve_pseudo_ldimm64) and RFC 9669's encodings.
 */
import { isLdImm64, type BpfInsn } from '../insn.js';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG, BPF_DIV,
  BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_LSH,
  BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_REG_FP, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_W, BPF_X,
  BPF_XCHG, BPF_XOR, MAX_BPF_REG, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc,
} from '../opcodes.js';
import { CONDITIONAL_JUMPS } from '../jmp.js';

const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END];
const ATOMIC_OPS = [
  BPF_ADD, BPF_ADD | BPF_FETCH, BPF_OR, BPF_OR | BPF_FETCH, BPF_AND, BPF_AND | BPF_FETCH, BPF_XOR, BPF_XOR | BPF_FETCH,
  BPF_XCHG, BPF_CMPXCHG,
];
/** LD_IMM64 source forms this model resolves (BTF_ID and PSEUDO_FUNC are not modelled). */
export const LD_IMM64_SOURCES = [0, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE];

/** A register operand's check: "R%d is invalid" (check_reg_arg). */
function badReg(i: BpfInsn): string | null {
  if (i.dst >= MAX_BPF_REG) return `R${i.dst} is invalid`;
  if (i.src >= MAX_BPF_REG) return `R${i.src} is invalid`;
  return null;
}

function checkAlu(i: BpfInsn): string | null {
  const cls = bpfClass(i.opcode);
  const op = bpfOp(i.opcode);
  const isX = bpfSrc(i.opcode) === BPF_X;
  const bits = cls === BPF_ALU64 ? 64 : 32;
  if (!ALU_OPS.includes(op)) return `invalid BPF_ALU opcode ${op.toString(16)}`;
  if (op === BPF_NEG) {
    return isX || i.src !== 0 || i.off !== 0 || i.imm !== 0 ? 'BPF_NEG uses reserved fields' : null;
  }
  if (op === BPF_END) {
    if (i.src !== 0 || i.off !== 0 || ![16, 32, 64].includes(i.imm) || (cls === BPF_ALU64 && isX)) {
      return 'BPF_END uses reserved fields';
    }
    return null;
  }
  if (op === BPF_MOV) {
    if (isX) {
      const offs = cls === BPF_ALU64 ? [0, 8, 16, 32] : [0, 8, 16];
      return i.imm !== 0 || !offs.includes(i.off) ? 'BPF_MOV uses reserved fields' : null;
    }
    return i.src !== 0 || i.off !== 0 ? 'BPF_MOV uses reserved fields' : null;
  }
  const offs = op === BPF_DIV || op === BPF_MOD ? [0, 1] : [0];
  if (isX ? i.imm !== 0 || !offs.includes(i.off) : i.src !== 0 || !offs.includes(i.off)) {
    return 'BPF_ALU uses reserved fields';
  }
  if (!isX && (op === BPF_DIV || op === BPF_MOD) && i.imm === 0) return 'div by zero';
  if (!isX && (op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && (i.imm < 0 || i.imm >= bits)) {
    return `invalid shift ${i.imm}`;
  }
  return null;
}

function checkJmp(i: BpfInsn): string | null {
  const cls = bpfClass(i.opcode);
  const op = bpfOp(i.opcode);
  const isX = bpfSrc(i.opcode) === BPF_X;
  if (op === BPF_JA) {
    const bad = isX || i.src !== 0 || i.dst !== 0 || (cls === BPF_JMP ? i.imm !== 0 : i.off !== 0);
    return bad ? 'BPF_JA uses reserved fields' : null;
  }
  if (op === BPF_CALL) {
    if (cls === BPF_JMP32) return `invalid BPF_JMP/JMP32 opcode ${i.opcode.toString(16)}`;
    if (isX || i.off !== 0 || i.dst !== 0) return 'BPF_CALL uses reserved fields';
    if (i.src !== 0) return 'calls to BPF functions and kfuncs are not modelled (helpers only)';
    return null;
  }
  if (op === BPF_EXIT) {
    if (cls === BPF_JMP32) return `invalid BPF_JMP/JMP32 opcode ${i.opcode.toString(16)}`;
    return isX || i.imm !== 0 || i.src !== 0 || i.dst !== 0 || i.off !== 0 ? 'BPF_EXIT uses reserved fields' : null;
  }
  if (!CONDITIONAL_JUMPS.includes(op)) return `invalid BPF_JMP/JMP32 opcode ${i.opcode.toString(16)}`;
  return (isX ? i.imm !== 0 : i.src !== 0) ? 'BPF_JMP/JMP32 uses reserved fields' : null;
}

function checkLoadStore(i: BpfInsn, next: BpfInsn | undefined): string | null {
  const cls = bpfClass(i.opcode);
  const mode = bpfMode(i.opcode);
  const size = bpfSize(i.opcode);
  switch (cls) {
    case BPF_LD:
      if (mode === BPF_ABS || mode === BPF_IND) return 'BPF_LD_[ABS|IND] instructions not allowed for this program type';
      if (!isLdImm64(i) || i.off !== 0) return 'invalid BPF_LD_IMM insn';
      if (!next || next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) return 'invalid bpf_ld_imm64 insn';
      if (!LD_IMM64_SOURCES.includes(i.src)) return 'unrecognized bpf_ld_imm64 insn';
      return null;
    case BPF_LDX:
      if (mode === BPF_MEMSX && size === BPF_DW) return 'BPF_LDX uses reserved fields';
      return (mode !== BPF_MEM && mode !== BPF_MEMSX) || i.imm !== 0 ? 'BPF_LDX uses reserved fields' : null;
    case BPF_ST:
      return mode !== BPF_MEM || i.src !== 0 ? 'BPF_ST uses reserved fields' : null;
    default: // BPF_STX
      if (mode === BPF_ATOMIC) {
        if (size !== BPF_W && size !== BPF_DW) return 'invalid atomic operand size';
        if (!ATOMIC_OPS.includes(i.imm)) return `BPF_ATOMIC uses invalid atomic opcode ${(i.imm & 0xff).toString(16).padStart(2, '0')}`;
        return null;
      }
      return mode !== BPF_MEM || i.imm !== 0 ? 'BPF_STX uses reserved fields' : null;
  }
}

/** Registers an instruction writes (for "frame pointer is read only"). */
function writesFramePointer(i: BpfInsn): boolean {
  const cls = bpfClass(i.opcode);
  if (cls === BPF_ALU || cls === BPF_ALU64 || cls === BPF_LDX || cls === BPF_LD) return i.dst === BPF_REG_FP;
  if (cls === BPF_STX && bpfMode(i.opcode) === BPF_ATOMIC) {
    return (i.imm & BPF_FETCH) !== 0 && i.imm !== BPF_CMPXCHG && i.src === BPF_REG_FP;
  }
  return false;
}

/**
 * The encoding check of one instruction (`next` is the following slot, for
 * LD_IMM64): null when valid, else the kernel's log line.
 */
export function checkEncoding(i: BpfInsn, next: BpfInsn | undefined): string | null {
  const reg = badReg(i);
  if (reg) return reg;
  const cls = bpfClass(i.opcode);
  let err: string | null;
  if (cls === BPF_ALU || cls === BPF_ALU64) err = checkAlu(i);
  else if (cls === BPF_JMP || cls === BPF_JMP32) err = checkJmp(i);
  else err = checkLoadStore(i, next);
  if (err) return err;
  return writesFramePointer(i) ? 'frame pointer is read only' : null;
}
