/**
 * Bit instructions: BT/BTS/BTR/BTC (register and immediate offsets, with
 * bit-string addressing for a register offset into memory), BSF/BSR,
 * TZCNT/LZCNT, POPCNT; and the exchanges CMPXCHG, CMPXCHG8B/16B, XADD.
 * Undefined flags (OF SF AF PF for BTx; all but ZF for BSF/BSR; ...) are
 * left unchanged here and masked by the host-CPU tests.
 * @see Intel SDM Vol. 2A "BT", "BTS", "BSF", "BSR", "CMPXCHG", "CMPXCHG8B/16B",
 *      Vol. 2B "LZCNT", "POPCNT", "TZCNT", "XADD"
 */
import { RAX, RBX, RCX, RDX, VEC_GP } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CpuFault } from '../faults.js';
import { CF, OF, PF, SF, ZF, AF } from '../flags.js';
import { ALU_ADD, ALU_CMP, aluFlagsOnly, lastResultHi } from './alu.js';

const BT = 4;
const BTS = 5;
const BTR = 6;
const BTC = 7;

function setCf(cpu: Cpu, on: boolean): void {
  cpu.flags.update(on ? CF : 0, on ? 0 : CF);
}

/** Applies a BTx `op` to bit `bit` (0..63) of (lo, hi); returns the new halves in `out`. */
function applyBit(op: number, lo: number, hi: number, bit: number, out: Int32Array): boolean {
  const inHi = bit >= 32;
  const mask = 1 << (bit & 31);
  const word = inHi ? hi : lo;
  const was = (word & mask) !== 0;
  let w = word;
  if (op === BTS) w |= mask;
  else if (op === BTR) w &= ~mask;
  else if (op === BTC) w ^= mask;
  out[0] = inHi ? lo : w;
  out[1] = inHi ? w : hi;
  return was;
}

const scratch = new Int32Array(2);

function bitOp(cpu: Cpu, insn: DecodedInsn, op: number, offsetLo: number, offsetHi: number, fromRegister: boolean): void {
  const size = insn.opSize;
  const bits = size * 8;
  if (insn.mod === 3) {
    const bit = offsetLo & (bits - 1);
    const was = applyBit(op, cpu.getReg(insn.rm, size), cpu.hi[insn.rm]!, bit, scratch);
    if (op !== BT) cpu.setReg(insn.rm, size, scratch[0]!, scratch[1]!);
    setCf(cpu, was);
    return;
  }
  let la = cpu.effectiveAddress(insn);
  let bit: number;
  if (fromRegister) {
    // Bit-string addressing: the signed offset selects an operand-sized unit relative to the address.
    const off = size === 8 ? offsetHi * 4294967296 + (offsetLo >>> 0) : size === 4 ? offsetLo | 0 : (offsetLo << 16) >> 16;
    const unit = Math.floor(off / bits);
    la += unit * size;
    bit = off - unit * bits;
  } else {
    bit = offsetLo & (bits - 1);
  }
  const lo = op === BT ? cpu.read(la, size) : cpu.readForWrite(la, size);
  const hi = size === 8 ? cpu.readHi : 0;
  const was = applyBit(op, lo, hi, bit, scratch);
  if (op !== BT) cpu.write(la, size, scratch[0]!, scratch[1]!);
  setCf(cpu, was);
}

/** BT/BTS/BTR/BTC r/m, reg (0F A3/AB/B3/BB): the operation is opcode bits 4:3 + 4. */
export function opBtEG(cpu: Cpu, insn: DecodedInsn): void {
  const op = BT + (((insn.opcode & 0xff) >> 3) & 3);
  bitOp(cpu, insn, op, cpu.lo[insn.reg]!, cpu.hi[insn.reg]!, true);
}

/** BT/BTS/BTR/BTC r/m, imm8 (0F BA /4-/7). */
export function opBtEI(cpu: Cpu, insn: DecodedInsn): void {
  bitOp(cpu, insn, insn.regOp, insn.immLo & 0xff, 0, false);
}

function source(cpu: Cpu, insn: DecodedInsn): [number, number] {
  const size = insn.opSize;
  const lo = cpu.readRm(insn, size);
  return [lo, size === 8 ? cpu.readHi : 0];
}

function clz32(v: number): number {
  return Math.clz32(v);
}

function ctz32(v: number): number {
  return v === 0 ? 32 : 31 - Math.clz32(v & -v);
}

/** Trailing zero count of (lo, hi) at `size`; `size * 8` when zero. */
function ctz(lo: number, hi: number, size: number): number {
  const bits = size * 8;
  const l = size === 1 ? lo & 0xff : size === 2 ? lo & 0xffff : lo;
  if (size === 8) return l !== 0 ? ctz32(l) : hi !== 0 ? 32 + ctz32(hi) : 64;
  return l === 0 ? bits : ctz32(l);
}

function clz(lo: number, hi: number, size: number): number {
  if (size === 8) return hi !== 0 ? clz32(hi) : 32 + clz32(lo);
  const l = size === 1 ? lo & 0xff : size === 2 ? lo & 0xffff : lo;
  return clz32(l) - (32 - size * 8);
}

/** BSF (0F BC): ZF = (source == 0); the destination is left unchanged then. */
export function opBsf(cpu: Cpu, insn: DecodedInsn): void {
  const [lo, hi] = source(cpu, insn);
  const size = insn.opSize;
  const zero = ctz(lo, hi, size) === size * 8;
  if (!zero) cpu.setReg(insn.reg, size, ctz(lo, hi, size), 0);
  cpu.flags.update(zero ? ZF : 0, zero ? 0 : ZF);
}

/** BSR (0F BD). */
export function opBsr(cpu: Cpu, insn: DecodedInsn): void {
  const [lo, hi] = source(cpu, insn);
  const size = insn.opSize;
  const lz = clz(lo, hi, size);
  const zero = lz === size * 8;
  if (!zero) cpu.setReg(insn.reg, size, size * 8 - 1 - lz, 0);
  cpu.flags.update(zero ? ZF : 0, zero ? 0 : ZF);
}

/** TZCNT (F3 0F BC): CF = (source == 0), ZF = (result == 0). */
export function opTzcnt(cpu: Cpu, insn: DecodedInsn): void {
  const [lo, hi] = source(cpu, insn);
  const n = ctz(lo, hi, insn.opSize);
  cpu.setReg(insn.reg, insn.opSize, n, 0);
  countFlags(cpu, n === insn.opSize * 8, n === 0);
}

/** LZCNT (F3 0F BD). */
export function opLzcnt(cpu: Cpu, insn: DecodedInsn): void {
  const [lo, hi] = source(cpu, insn);
  const n = clz(lo, hi, insn.opSize);
  cpu.setReg(insn.reg, insn.opSize, n, 0);
  countFlags(cpu, n === insn.opSize * 8, n === 0);
}

function countFlags(cpu: Cpu, cf: boolean, zf: boolean): void {
  cpu.flags.update((cf ? CF : 0) | (zf ? ZF : 0), (cf ? 0 : CF) | (zf ? 0 : ZF));
}

function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** POPCNT (F3 0F B8): ZF = (source == 0); CF OF SF AF PF cleared. */
export function opPopcnt(cpu: Cpu, insn: DecodedInsn): void {
  const [lo, hi] = source(cpu, insn);
  const size = insn.opSize;
  const l = size === 2 ? lo & 0xffff : lo;
  const n = popcount32(l) + (size === 8 ? popcount32(hi) : 0);
  cpu.setReg(insn.reg, size, n, 0);
  cpu.flags.update(n === 0 ? ZF : 0, CF | OF | SF | AF | PF | (n === 0 ? 0 : ZF));
}

/**
 * CMPXCHG r/m, reg (0F B0/B1): compare the accumulator with the
 * destination (flags as CMP); equal: destination = reg; else accumulator =
 * destination. A memory destination is always written (the locked cycle).
 */
export function opCmpxchg(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const inReg = insn.mod === 3;
  const la = inReg ? 0 : cpu.effectiveAddress(insn);
  const hbRm = (insn.highByte & 2) !== 0;
  const dst = inReg ? cpu.getReg(insn.rm, size, hbRm) : cpu.readForWrite(la, size);
  const dstHi = size === 8 ? (inReg ? cpu.hi[insn.rm]! : cpu.readHi) : 0;
  const acc = cpu.getReg(RAX, size);
  const accHi = cpu.hi[RAX]!;
  aluFlagsOnly(cpu, ALU_CMP, size, acc, accHi, dst, dstHi);
  if (cpu.flags.zf()) {
    const src = cpu.regOperand(insn, size);
    const srcHi = cpu.hi[insn.reg]!;
    if (inReg) cpu.setReg(insn.rm, size, src, srcHi, hbRm);
    else cpu.write(la, size, src, srcHi);
  } else {
    if (!inReg) cpu.write(la, size, dst, dstHi);
    cpu.setReg(RAX, size, dst, dstHi);
  }
}

/**
 * CMPXCHG8B / CMPXCHG16B m (0F C7 /1): compare EDX:EAX (RDX:RAX) with the
 * memory operand; equal: store ECX:EBX (RCX:RBX), ZF = 1; else load it,
 * ZF = 0. CMPXCHG16B needs a 16-byte-aligned operand (#GP(0)).
 */
export function opCmpxchg8b16b(cpu: Cpu, insn: DecodedInsn): void {
  const la = cpu.effectiveAddress(insn);
  if (insn.opSize === 8) {
    if (la % 16 !== 0) throw new CpuFault(VEC_GP, 0, '#GP(0) (CMPXCHG16B alignment)');
    const m0 = cpu.readForWrite(la, 8);
    const m0h = cpu.readHi;
    const m1 = cpu.readForWrite(la + 8, 8);
    const m1h = cpu.readHi;
    const equal = m0 === cpu.lo[RAX] && m0h === cpu.hi[RAX] && m1 === cpu.lo[RDX] && m1h === cpu.hi[RDX];
    if (equal) {
      cpu.write(la, 8, cpu.lo[RBX]!, cpu.hi[RBX]!);
      cpu.write(la + 8, 8, cpu.lo[RCX]!, cpu.hi[RCX]!);
    } else {
      cpu.write(la, 8, m0, m0h);
      cpu.write(la + 8, 8, m1, m1h);
      cpu.setReg(RAX, 8, m0, m0h);
      cpu.setReg(RDX, 8, m1, m1h);
    }
    cpu.flags.update(equal ? ZF : 0, equal ? 0 : ZF);
    return;
  }
  const lo = cpu.readForWrite(la, 8);
  const hi = cpu.readHi;
  const equal = lo === cpu.lo[RAX] && hi === cpu.lo[RDX];
  if (equal) cpu.write(la, 8, cpu.lo[RBX]!, cpu.lo[RCX]!);
  else {
    cpu.write(la, 8, lo, hi);
    cpu.setReg(RAX, 4, lo);
    cpu.setReg(RDX, 4, hi);
  }
  cpu.flags.update(equal ? ZF : 0, equal ? 0 : ZF);
}

/** XADD r/m, reg (0F C0/C1): temp = dst + src; src = dst; dst = temp (flags as ADD). */
export function opXadd(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const inReg = insn.mod === 3;
  const la = inReg ? 0 : cpu.effectiveAddress(insn);
  const hbRm = (insn.highByte & 2) !== 0;
  const hbReg = (insn.highByte & 1) !== 0;
  const dst = inReg ? cpu.getReg(insn.rm, size, hbRm) : cpu.readForWrite(la, size);
  const dstHi = size === 8 ? (inReg ? cpu.hi[insn.rm]! : cpu.readHi) : 0;
  const src = cpu.regOperand(insn, size);
  const srcHi = cpu.hi[insn.reg]!;
  const sum = aluFlagsOnly(cpu, ALU_ADD, size, dst, dstHi, src, srcHi);
  const sumHi = lastResultHi();
  if (inReg) {
    cpu.setReg(insn.reg, size, dst, dstHi, hbReg);
    cpu.setReg(insn.rm, size, sum, sumHi, hbRm);
  } else {
    cpu.write(la, size, sum, sumHi);
    cpu.setReg(insn.reg, size, dst, dstHi, hbReg);
  }
}
