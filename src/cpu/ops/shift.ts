/**
 * Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR (by 1, imm8,
 * CL) and SHLD/SHRD. The count is masked to 5 bits (6 for 64-bit
 * operands); a masked count of 0 changes no flags. Flags are computed
 * eagerly. OF is architecturally defined only for 1-bit shifts and AF is
 * undefined; kentry computes OF with the 1-bit formula for every count and
 * clears AF (the host-CPU tests mask both, see tests/x86).
 * @see Intel SDM Vol. 2B "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD"
 */
import { RCX } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CF, OF, PF, SF, STATUS_FLAGS, ZF } from '../flags.js';

const ROL = 0;
const ROR = 1;
const RCL = 2;
const RCR = 3;
const SHL = 4;
const SHR = 5;
const SAL = 6;
const SAR = 7;

/** Operand value as a bigint of `size` bytes (shifts are not on the hottest path; clarity first). */
function toBig(lo: number, hi: number, size: number): bigint {
  if (size === 8) return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return BigInt((size === 4 ? lo >>> 0 : size === 2 ? lo & 0xffff : lo & 0xff));
}

function parity(v: bigint): number {
  let b = Number(v & 0xffn);
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  return (b & 1) === 0 ? PF : 0;
}

/**
 * Computes a group-2 operation (`op` = ModRM.reg) on `v` (`bits` wide) by
 * `count` (already masked, non-zero). Returns the result and the new status flags.
 */
function shift(op: number, v: bigint, bits: number, count: number, oldFlags: number): [bigint, number] {
  const n = BigInt(bits);
  const mask = (1n << n) - 1n;
  const msb = (x: bigint): number => Number((x >> (n - 1n)) & 1n);
  const c = BigInt(count);
  let r: bigint;
  let cf: number;
  let of: number;
  let flags = oldFlags & STATUS_FLAGS;
  switch (op) {
    case ROL: {
      const k = c % n;
      r = ((v << k) | (v >> ((n - k) % n))) & mask;
      cf = Number(r & 1n);
      of = msb(r) ^ cf;
      return [r, (flags & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0)];
    }
    case ROR: {
      const k = c % n;
      r = ((v >> k) | (v << ((n - k) % n))) & mask;
      cf = msb(r);
      of = msb(r) ^ Number((r >> (n - 2n)) & 1n);
      return [r, (flags & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0)];
    }
    case RCL:
    case RCR: {
      // Rotate the (bits + 1)-bit value CF:v.
      const k = c % (n + 1n);
      const wide = ((BigInt(oldFlags & CF) << n) | v) & ((1n << (n + 1n)) - 1n);
      const w = n + 1n;
      const rot = op === RCL
        ? ((wide << k) | (wide >> ((w - k) % w))) & ((1n << w) - 1n)
        : ((wide >> k) | (wide << ((w - k) % w))) & ((1n << w) - 1n);
      r = rot & mask;
      cf = Number(rot >> n);
      of = op === RCL ? msb(r) ^ cf : msb(r) ^ Number((r >> (n - 2n)) & 1n);
      return [r, (flags & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0)];
    }
    case SHL:
    case SAL:
      r = (v << c) & mask;
      cf = c <= n ? Number((v >> (n - c)) & 1n) : 0;
      of = msb(r) ^ cf;
      break;
    case SHR:
      r = v >> c;
      cf = Number((v >> (c - 1n)) & 1n);
      of = msb(v);
      break;
    default: {
      // SAR: shift in copies of the sign bit.
      const signed = msb(v) ? v - (1n << n) : v;
      r = (signed >> c) & mask;
      cf = Number((signed >> (c - 1n)) & 1n);
      of = 0;
    }
  }
  flags = (cf ? CF : 0) | (of ? OF : 0) | (r === 0n ? ZF : 0) | (msb(r) ? SF : 0) | parity(r);
  return [r, flags];
}

function countOf(insn: DecodedInsn, cpu: Cpu, kind: 'one' | 'imm' | 'cl'): number {
  const raw = kind === 'one' ? 1 : kind === 'imm' ? insn.immLo : cpu.lo[RCX]!;
  return raw & (insn.opSize === 8 ? 0x3f : 0x1f);
}

function group2(cpu: Cpu, insn: DecodedInsn, kind: 'one' | 'imm' | 'cl'): void {
  const count = countOf(insn, cpu, kind);
  const size = insn.opSize;
  const inReg = insn.mod === 3;
  const hb = (insn.highByte & 2) !== 0;
  const la = inReg ? 0 : cpu.effectiveAddress(insn);
  const lo = inReg ? cpu.getReg(insn.rm, size, hb) : cpu.read(la, size);
  const hi = size === 8 ? (inReg ? cpu.hi[insn.rm]! : cpu.readHi) : 0;
  if (count === 0) {
    // No flags change; a 32-bit register operand is still written (zero-extending).
    if (inReg && size === 4) cpu.setReg(insn.rm, 4, lo);
    return;
  }
  const old = cpu.flags.get();
  const [r, flags] = shift(insn.regOp, toBig(lo, hi, size), size * 8, count, old);
  const rLo = Number(r & 0xffff_ffffn) | 0;
  const rHi = Number(r >> 32n) | 0;
  if (inReg) cpu.setReg(insn.rm, size, rLo, rHi, hb);
  else cpu.write(la, size, rLo, rHi);
  cpu.flags.set((old & ~STATUS_FLAGS) | flags);
}

/** D0/D1 /digit: by 1. */
export function opShiftE1(cpu: Cpu, insn: DecodedInsn): void {
  group2(cpu, insn, 'one');
}

/** C0/C1 /digit: by imm8. */
export function opShiftEI(cpu: Cpu, insn: DecodedInsn): void {
  group2(cpu, insn, 'imm');
}

/** D2/D3 /digit: by CL. */
export function opShiftECl(cpu: Cpu, insn: DecodedInsn): void {
  group2(cpu, insn, 'cl');
}

/**
 * SHLD/SHRD r/m, reg, imm8|CL (0F A4/A5/AC/AD): shift the destination,
 * filling from the register. A count larger than the operand size (16-bit
 * only) leaves an undefined result; kentry shifts through the 32-bit
 * concatenation as the SDM's pseudo-code does.
 */
function doubleShift(cpu: Cpu, insn: DecodedInsn, left: boolean, byCl: boolean): void {
  const size = insn.opSize;
  const bits = size * 8;
  const count = (byCl ? cpu.lo[RCX]! : insn.immLo) & (size === 8 ? 0x3f : 0x1f);
  const inReg = insn.mod === 3;
  const la = inReg ? 0 : cpu.effectiveAddress(insn);
  const lo = inReg ? cpu.getReg(insn.rm, size) : cpu.read(la, size);
  const hi = size === 8 ? (inReg ? cpu.hi[insn.rm]! : cpu.readHi) : 0;
  if (count === 0) {
    if (inReg && size === 4) cpu.setReg(insn.rm, 4, lo);
    return;
  }
  const n = BigInt(bits);
  const mask = (1n << n) - 1n;
  const d = toBig(lo, hi, size);
  const s = toBig(cpu.getReg(insn.reg, size), cpu.hi[insn.reg]!, size);
  const c = BigInt(count);
  let r: bigint;
  let cf: number;
  if (left) {
    const wide = (d << n) | s; // dest:src, shifted left
    r = ((wide << c) >> n) & mask;
    cf = Number((d >> (n - c)) & 1n);
  } else {
    const wide = (s << n) | d; // src:dest, shifted right
    r = (wide >> c) & mask;
    cf = Number((d >> (c - 1n)) & 1n);
  }
  const msb = (x: bigint): number => Number((x >> (n - 1n)) & 1n);
  const of = msb(r) ^ msb(d);
  const old = cpu.flags.get();
  const flags = (cf ? CF : 0) | (of ? OF : 0) | (r === 0n ? ZF : 0) | (msb(r) ? SF : 0) | parity(r);
  const rLo = Number(r & 0xffff_ffffn) | 0;
  const rHi = Number(r >> 32n) | 0;
  if (inReg) cpu.setReg(insn.rm, size, rLo, rHi);
  else cpu.write(la, size, rLo, rHi);
  cpu.flags.set((old & ~STATUS_FLAGS) | flags);
}

export const opShldI = (cpu: Cpu, insn: DecodedInsn): void => doubleShift(cpu, insn, true, false);
export const opShldCl = (cpu: Cpu, insn: DecodedInsn): void => doubleShift(cpu, insn, true, true);
export const opShrdI = (cpu: Cpu, insn: DecodedInsn): void => doubleShift(cpu, insn, false, false);
export const opShrdCl = (cpu: Cpu, insn: DecodedInsn): void => doubleShift(cpu, insn, false, true);
