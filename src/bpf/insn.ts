/**
 * The 64-bit instruction encoding and its decoded record.
 * @see Documentation/bpf/standardization/instruction-set.rst (RFC 9669) §3.1
 *
 *   byte   0        1          2..3          4..7
 *        +--------+----+----+-------------+------------------+
 *        | opcode |dst |src | offset (s16)| imm (s32)        |   little-endian:
 *        +--------+----+----+-------------+------------------+   dst = low nibble
 *
 * LD_IMM64 (opcode 0x18) is "wide": a second slot with opcode, registers and
 * offset zero carries the upper 32 bits of the immediate in its imm.
 */
import { BpfLoadError } from './errors.js';
import { BPF_DW, BPF_IMM, BPF_LD, INSN_SIZE } from './opcodes.js';

export interface BpfInsn {
  readonly opcode: number;
  readonly dst: number;
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate. */
  readonly imm: number;
}

/** The LD_IMM64 opcode: BPF_LD | BPF_DW | BPF_IMM. */
export const LD_IMM64 = BPF_LD | BPF_DW | BPF_IMM;

export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn {
  return { opcode, dst, src, off: (off << 16) >> 16, imm: imm | 0 };
}

export function isLdImm64(i: BpfInsn | undefined): boolean {
  return i !== undefined && i.opcode === LD_IMM64;
}

/** The 64-bit immediate of an LD_IMM64 pair (low imm, high imm). */
export function imm64Of(first: BpfInsn, second: BpfInsn | undefined): bigint {
  const lo = BigInt(first.imm >>> 0);
  const hi = BigInt((second?.imm ?? 0) >>> 0);
  return (hi << 32n) | lo;
}

/** Decodes raw bytecode; the length must be a whole number of slots. */
export function decodeInsns(bytes: Uint8Array): BpfInsn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new BpfLoadError(`program size ${bytes.length} is not a multiple of ${INSN_SIZE}`, null);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInsn[] = [];
  for (let p = 0; p < bytes.length; p += INSN_SIZE) {
    const regs = view.getUint8(p + 1);
    out.push({
      opcode: view.getUint8(p),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(p + 2, true),
      imm: view.getInt32(p + 4, true),
    });
  }
  return out;
}

export function encodeInsns(insns: readonly BpfInsn[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(out.buffer);
  insns.forEach((i, n) => {
    const p = n * INSN_SIZE;
    view.setUint8(p, i.opcode);
    view.setUint8(p + 1, (i.dst & 0x0f) | ((i.src & 0x0f) << 4));
    view.setInt16(p + 2, i.off, true);
    view.setInt32(p + 4, i.imm, true);
  });
  return out;
}

/** An LD_IMM64 pair loading `value` (src 0) or a pseudo form (src = BPF_PSEUDO_*). */
export function ldImm64(dst: number, value: bigint, src = 0): [BpfInsn, BpfInsn] {
  const v = BigInt.asUintN(64, value);
  return [
    insn(LD_IMM64, dst, src, 0, Number(BigInt.asIntN(32, v & 0xffffffffn))),
    insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
  ];
}
