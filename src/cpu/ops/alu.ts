/**
 * The eight ALU operations (ADD OR ADC SBB AND SUB XOR CMP, numbered as
 * opcode bits 5:3 and ModRM.reg of the 80/81/83 group), TEST, INC, DEC,
 * NEG, NOT, in every operand size and form. Flags are recorded lazily
 * (flags.ts). Memory operands are read-modify-write at one computed
 * address; LOCK needs nothing more in a single-CPU model.
 * @see Intel SDM Vol. 2A "ADD", "ADC", "AND", "CMP", ...; Vol. 1 §7.3.2
 */
import { RAX } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { LAZY_ADD, LAZY_DEC, LAZY_INC, LAZY_LOGIC, LAZY_SUB } from '../flags.js';

export const ALU_ADD = 0;
export const ALU_OR = 1;
export const ALU_ADC = 2;
export const ALU_SBB = 3;
export const ALU_AND = 4;
export const ALU_SUB = 5;
export const ALU_XOR = 6;
export const ALU_CMP = 7;

/** Result bits 63:32 of the last `alu` call. */
let resultHi = 0;

/**
 * Computes `dst op src` at `size`, records the flags, returns bits 31:0
 * (bits 63:32 in `resultHi`).
 */
function alu(cpu: Cpu, op: number, size: number, dst: number, dstHi: number, src: number, srcHi: number): number {
  const f = cpu.flags;
  let lo: number;
  let hi = 0;
  switch (op) {
    case ALU_ADD:
    case ALU_ADC: {
      const cin = op === ALU_ADC && f.cf() ? 1 : 0;
      if (size === 8) {
        const l = (dst >>> 0) + (src >>> 0) + cin;
        lo = l | 0;
        hi = (dstHi + srcHi + (l > 0xffff_ffff ? 1 : 0)) | 0;
      } else {
        lo = truncate(dst + src + cin, size);
      }
      f.setLazy(LAZY_ADD, size, dst, dstHi, src, srcHi, lo, hi, cin);
      break;
    }
    case ALU_SUB:
    case ALU_SBB:
    case ALU_CMP: {
      const bin = op === ALU_SBB && f.cf() ? 1 : 0;
      if (size === 8) {
        const l = (dst >>> 0) - (src >>> 0) - bin;
        lo = l | 0;
        hi = (dstHi - srcHi - (l < 0 ? 1 : 0)) | 0;
      } else {
        lo = truncate(dst - src - bin, size);
      }
      f.setLazy(LAZY_SUB, size, dst, dstHi, src, srcHi, lo, hi, bin);
      break;
    }
    default: {
      // AND / OR / XOR: CF = OF = 0.
      if (op === ALU_AND) { lo = dst & src; hi = dstHi & srcHi; }
      else if (op === ALU_OR) { lo = dst | src; hi = dstHi | srcHi; }
      else { lo = dst ^ src; hi = dstHi ^ srcHi; }
      lo = truncate(lo, size);
      if (size !== 8) hi = 0;
      f.setLazy(LAZY_LOGIC, size, dst, dstHi, src, srcHi, lo, hi);
    }
  }
  resultHi = hi;
  return lo;
}

/** Keeps the low `size` bytes (zero-extended, as an int32 bit pattern). */
function truncate(v: number, size: number): number {
  return size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v | 0;
}

/** op of a primary-map ALU opcode (00-3D): bits 5:3. */
function primaryOp(insn: DecodedInsn): number {
  return (insn.opcode >> 3) & 7;
}

/** r/m ← r/m op reg (00 01 08 09 ... 38 39). */
export function opAluEG(cpu: Cpu, insn: DecodedInsn): void {
  aluRmSrc(cpu, insn, primaryOp(insn), cpu.regOperand(insn, insn.opSize), cpu.hi[insn.reg]!);
}

/** reg ← reg op r/m (02 03 0A 0B ... 3A 3B). */
export function opAluGE(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const op = primaryOp(insn);
  const src = cpu.readRm(insn, size);
  const srcHi = size === 8 ? cpu.readHi : 0;
  const dst = cpu.regOperand(insn, size);
  const r = alu(cpu, op, size, dst, cpu.hi[insn.reg]!, src, srcHi);
  if (op !== ALU_CMP) cpu.setReg(insn.reg, size, r, resultHi, (insn.highByte & 1) !== 0);
}

/**
 * The size of an accumulator-immediate form (04/05 ... 3C/3D, A8/A9): the
 * opcode's w bit (bit 0) selects AL/imm8 when clear (SDM Vol. 2D §B.1.4.3
 * "Operand Size (w) Bit"). Taken from the opcode rather than `opSize`
 * because the opcode table sizes the 'AL,Ib' rows as 'v'.
 */
function accImmSize(insn: DecodedInsn): number {
  return (insn.opcode & 1) === 0 ? 1 : insn.opSize;
}

/** AL/AX/EAX/RAX ← acc op imm (04 05 0C 0D ... 3C 3D). */
export function opAluAccImm(cpu: Cpu, insn: DecodedInsn): void {
  const size = accImmSize(insn);
  const op = primaryOp(insn);
  const r = alu(cpu, op, size, cpu.getReg(RAX, size), cpu.hi[RAX]!, insn.immLo, insn.immHi);
  if (op !== ALU_CMP) cpu.setReg(RAX, size, r, resultHi);
}

/** r/m ← r/m op imm (80, 81, 83 /digit). */
export function opAluEI(cpu: Cpu, insn: DecodedInsn): void {
  aluRmSrc(cpu, insn, insn.regOp, insn.immLo, insn.immHi);
}

function aluRmSrc(cpu: Cpu, insn: DecodedInsn, op: number, src: number, srcHi: number): void {
  const size = insn.opSize;
  if (insn.mod === 3) {
    const hb = (insn.highByte & 2) !== 0;
    const r = alu(cpu, op, size, cpu.getReg(insn.rm, size, hb), cpu.hi[insn.rm]!, src, srcHi);
    if (op !== ALU_CMP) cpu.setReg(insn.rm, size, r, resultHi, hb);
    return;
  }
  const la = cpu.effectiveAddress(insn);
  const dst = op === ALU_CMP ? cpu.read(la, size) : cpu.readForWrite(la, size);
  const r = alu(cpu, op, size, dst, size === 8 ? cpu.readHi : 0, src, srcHi);
  if (op !== ALU_CMP) cpu.write(la, size, r, resultHi);
}

/** TEST r/m, reg (84, 85) and TEST r/m, imm (F6/F7 /0 /1) and TEST acc, imm (A8, A9). */
export function opTestEG(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const a = cpu.readRm(insn, size);
  alu(cpu, ALU_AND, size, a, size === 8 ? cpu.readHi : 0, cpu.regOperand(insn, size), cpu.hi[insn.reg]!);
}

export function opTestEI(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const a = cpu.readRm(insn, size);
  alu(cpu, ALU_AND, size, a, size === 8 ? cpu.readHi : 0, insn.immLo, insn.immHi);
}

export function opTestAccImm(cpu: Cpu, insn: DecodedInsn): void {
  const size = accImmSize(insn);
  alu(cpu, ALU_AND, size, cpu.getReg(RAX, size), cpu.hi[RAX]!, insn.immLo, insn.immHi);
}

/** Applies `f` to the r/m operand in place (INC, DEC, NEG, NOT). */
function unaryRm(cpu: Cpu, insn: DecodedInsn, f: (cpu: Cpu, size: number, v: number, vHi: number) => number): void {
  const size = insn.opSize;
  if (insn.mod === 3) {
    const hb = (insn.highByte & 2) !== 0;
    const r = f(cpu, size, cpu.getReg(insn.rm, size, hb), cpu.hi[insn.rm]!);
    cpu.setReg(insn.rm, size, r, resultHi, hb);
    return;
  }
  const la = cpu.effectiveAddress(insn);
  const v = cpu.readForWrite(la, size);
  const r = f(cpu, size, v, size === 8 ? cpu.readHi : 0);
  cpu.write(la, size, r, resultHi);
}

function inc(cpu: Cpu, size: number, v: number, vHi: number): number {
  let lo: number;
  let hi = 0;
  if (size === 8) {
    lo = (v + 1) | 0;
    hi = (vHi + (lo === 0 ? 1 : 0)) | 0;
  } else lo = truncate(v + 1, size);
  cpu.flags.setLazy(LAZY_INC, size, v, vHi, 1, 0, lo, hi);
  resultHi = hi;
  return lo;
}

function dec(cpu: Cpu, size: number, v: number, vHi: number): number {
  let lo: number;
  let hi = 0;
  if (size === 8) {
    lo = (v - 1) | 0;
    hi = (vHi - (v === 0 ? 1 : 0)) | 0;
  } else lo = truncate(v - 1, size);
  cpu.flags.setLazy(LAZY_DEC, size, v, vHi, 1, 0, lo, hi);
  resultHi = hi;
  return lo;
}

/** NEG: 0 - v with SUB flags (CF = v != 0). */
function neg(cpu: Cpu, size: number, v: number, vHi: number): number {
  return alu(cpu, ALU_SUB, size, 0, 0, v, vHi);
}

/** NOT: no flags. */
function not(_cpu: Cpu, size: number, v: number, vHi: number): number {
  resultHi = ~vHi;
  return truncate(~v, size);
}

export function opIncE(cpu: Cpu, insn: DecodedInsn): void {
  unaryRm(cpu, insn, inc);
}

export function opDecE(cpu: Cpu, insn: DecodedInsn): void {
  unaryRm(cpu, insn, dec);
}

export function opNegE(cpu: Cpu, insn: DecodedInsn): void {
  unaryRm(cpu, insn, neg);
}

export function opNotE(cpu: Cpu, insn: DecodedInsn): void {
  unaryRm(cpu, insn, not);
}

/** Exposed for other groups (CMPXCHG compares like CMP; XADD adds like ADD). */
export function aluFlagsOnly(cpu: Cpu, op: number, size: number, dst: number, dstHi: number, src: number, srcHi: number): number {
  return alu(cpu, op, size, dst, dstHi, src, srcHi);
}

export function lastResultHi(): number {
  return resultHi;
}
