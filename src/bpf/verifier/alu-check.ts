/**
 * check_alu_op(): what an ALU instruction does to register states. Scalars
 * with known values are computed exactly (the same aluOp the interpreter
 * runs); pointers may only move by a known constant with 64-bit add/sub.
 * @kernel kernel/bpf/verifier.c check_alu_op, adjust_reg_min_max_vals,
 *         adjust_ptr_min_max_vals
 */
import { aluOp, sext } from '../alu.js';
import { BpfVerifyError } from '../errors.js';
import type { BpfInsn } from '../insn.js';
import { BPF_ADD, BPF_ALU64, BPF_END, BPF_MOV, BPF_NEG, BPF_SUB, BPF_X, bpfClass, bpfOp, bpfSrc } from '../opcodes.js';
import { UNKNOWN, isPointer, known, readReg, regTypeStr, type RegState, type VerifierState } from './state.js';

const OP_NAMES: Readonly<Record<number, string>> = {
  0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=',
  0x80: 'neg', 0x90: '%=', 0xa0: '^=', 0xb0: '=', 0xc0: 's>>=', 0xd0: 'endian',
};

export function checkAluInsn(s: VerifierState, i: BpfInsn, pc: number): void {
  const is64 = bpfClass(i.opcode) === BPF_ALU64;
  const op = bpfOp(i.opcode);
  const isX = bpfSrc(i.opcode) === BPF_X;
  const src: RegState = isX ? readReg(s, i.src, pc) : known(is64 ? sext(BigInt(i.imm), 32) : BigInt(i.imm >>> 0));

  if (op === BPF_MOV) {
    s.regs[i.dst] = mov(src, is64, i, pc);
    return;
  }
  const dst = readReg(s, i.dst, pc);
  if (op === BPF_NEG || op === BPF_END) {
    if (isPointer(dst)) throw new BpfVerifyError(`R${i.dst} pointer arithmetic with ${OP_NAMES[op]} operator prohibited`, pc);
    s.regs[i.dst] = scalarOp(op, is64, dst, known(BigInt(i.imm)), i);
    return;
  }
  if (!isPointer(dst) && !isPointer(src)) {
    s.regs[i.dst] = scalarOp(op, is64, dst, src, i);
    return;
  }
  s.regs[i.dst] = pointerArith(op, is64, dst, src, i, pc);
}

function mov(src: RegState, is64: boolean, i: BpfInsn, pc: number): RegState {
  if (!isPointer(src)) {
    if (src.type !== 'scalar' || src.value === null) return UNKNOWN;
    return known(aluOp(BPF_MOV, is64, 0n, src.value, i.off, 0));
  }
  if (i.off !== 0) throw new BpfVerifyError(`R${i.src} sign-extension part of pointer`, pc);
  // A 32-bit move of a pointer keeps only a number (privileged mode: "partial copy of pointer").
  return is64 ? src : UNKNOWN;
}

function scalarOp(op: number, is64: boolean, dst: RegState, src: RegState, i: BpfInsn): RegState {
  if (dst.type !== 'scalar' || src.type !== 'scalar' || dst.value === null || src.value === null) return UNKNOWN;
  return known(aluOp(op, is64, dst.value, src.value, i.off, bpfSrc(i.opcode)));
}

function pointerArith(op: number, is64: boolean, dst: RegState, src: RegState, i: BpfInsn, pc: number): RegState {
  const ptrReg = isPointer(dst) ? i.dst : i.src;
  const ptr = isPointer(dst) ? dst : src;
  if (!is64) throw new BpfVerifyError(`R${i.dst} 32-bit pointer arithmetic prohibited`, pc);
  if (ptr.type === 'map_value_or_null') {
    throw new BpfVerifyError(`R${ptrReg} pointer arithmetic on map_value_or_null prohibited, null-check it first`, pc);
  }
  if (ptr.type === 'map_ptr') throw new BpfVerifyError(`R${ptrReg} pointer arithmetic on map_ptr prohibited`, pc);
  if (isPointer(dst) && isPointer(src)) {
    // ptr - ptr of the same kind is a number (the kernel allows it when privileged).
    if (op === BPF_SUB && dst.type === src.type) return UNKNOWN;
    throw new BpfVerifyError(`R${i.dst} pointer ${OP_NAMES[op]} pointer prohibited`, pc);
  }
  if (op !== BPF_ADD && !(op === BPF_SUB && isPointer(dst))) {
    throw new BpfVerifyError(`R${i.dst} pointer arithmetic with ${OP_NAMES[op]} operator prohibited`, pc);
  }
  const scalar = isPointer(dst) ? src : dst;
  if (scalar.type !== 'scalar' || scalar.value === null) {
    throw new BpfVerifyError(
      `R${i.dst} math between ${regTypeStr(ptr)} pointer and register with unbounded min value is not allowed`, pc,
    );
  }
  const delta = Number(BigInt.asIntN(64, scalar.value));
  const move = op === BPF_SUB ? -delta : delta;
  if (!Number.isSafeInteger(move) || Math.abs(move) >= 1 << 29) {
    throw new BpfVerifyError(`value ${move} makes ${regTypeStr(ptr)} pointer be out of bounds`, pc);
  }
  switch (ptr.type) {
    case 'ctx':
    case 'fp':
    case 'map_value':
      return { ...ptr, off: ptr.off + move };
    default:
      throw new BpfVerifyError(`R${ptrReg} invalid pointer arithmetic`, pc);
  }
}
