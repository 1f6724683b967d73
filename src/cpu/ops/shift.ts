/**
 * Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR (by 1, imm8,
 * CL) and SHLD/SHRD. The count is masked to 5 bits (6 for 64-bit
 * operands); a masked count of 0 changes no flags. Flags are computed
 * eagerly. OF is architecturally defined only for 1-bit shifts and AF is
 * undefined; kentry computes OF with the 1-bit formula for every count and
 * clears AF (the host-CPU tests mask both, see tests/x86/semantics/undefined-flags.ts).
 *
 * SHL/SHR/SAR/ROL/ROR of every size and SHLD/SHRD of 32 bits run on int32
 * halves without allocation (the forms compilers emit); RCL/RCR and
 * SHLD/SHRD of 16 and 64 bits go through BigInt (rare).
 * @see Intel SDM Vol. 2B "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD"
 */
import { RCX } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CF, LAZY_NONE, OF, PARITY, PF, SF, STATUS_FLAGS, ZF } from '../flags.js';

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
  return PARITY[Number(v & 0xffn)]!;
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

/** Result bits 63:32 of the last `shift64` (bits 31:0 are returned). */
let resultHi = 0;
/** Status flags of the last `shiftSmall` / `shift64`. */
let resultFlags = 0;

/**
 * SHL/SAL/SHR/SAR/ROL/ROR of a 1-, 2- or 4-byte value `v` (zero-extended
 * int32 pattern) by a masked, non-zero `c` (1..31) on int32 arithmetic.
 * Same flags as `shift`: CF last bit out, OF by the 1-bit formula, SF ZF PF
 * from the result for shifts, AF cleared; rotates change only CF and OF
 * (`oldFlags` supplies the rest).
 */
function shiftSmall(op: number, v: number, bits: number, c: number, oldFlags: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const top = bits - 1;
  let r: number;
  let cf: number;
  let of: number;
  switch (op) {
    case ROL: {
      const k = c % bits;
      r = ((v << k) | (v >>> (bits - k))) & mask;
      cf = r & 1;
      of = ((r >>> top) & 1) ^ cf;
      resultFlags = (oldFlags & STATUS_FLAGS & ~(CF | OF)) | cf | (of ? OF : 0);
      return r;
    }
    case ROR: {
      const k = c % bits;
      r = ((v >>> k) | (v << (bits - k))) & mask;
      cf = (r >>> top) & 1;
      of = cf ^ ((r >>> (top - 1)) & 1);
      resultFlags = (oldFlags & STATUS_FLAGS & ~(CF | OF)) | cf | (of ? OF : 0);
      return r;
    }
    case SHL:
    case SAL:
      r = (v << c) & mask;
      cf = c <= bits ? (v >>> (bits - c)) & 1 : 0; // c = 32 only for bits = 32, never reached (c <= 31)
      of = ((r >>> top) & 1) ^ cf;
      break;
    case SHR:
      r = v >>> c;
      cf = (v >>> (c - 1)) & 1;
      of = (v >>> top) & 1;
      break;
    default: {
      // SAR: shift in copies of the sign bit.
      const sv = (v << (32 - bits)) >> (32 - bits);
      r = (sv >> c) & mask;
      cf = (sv >> (c - 1)) & 1;
      of = 0;
    }
  }
  resultFlags = cf | (of ? OF : 0) | (r === 0 ? ZF : 0) | ((r >>> top) & 1 ? SF : 0) | PARITY[r & 0xff]!;
  return r;
}

/**
 * The same on a 64-bit value in halves, by a masked, non-zero `c` (1..63).
 * Returns bits 31:0; bits 63:32 in `resultHi`.
 */
function shift64(op: number, lo: number, hi: number, c: number, oldFlags: number): number {
  let rLo: number;
  let rHi: number;
  let cf: number;
  let of: number;
  switch (op) {
    case ROL:
    case ROR: {
      // Rotate left by k (ROR by c = ROL by 64 - c): swap halves for 32, then the rest.
      let k = op === ROL ? c : 64 - c;
      let a = lo;
      let b = hi;
      if (k >= 32) {
        a = hi;
        b = lo;
        k -= 32;
      }
      if (k === 0) {
        rLo = a;
        rHi = b;
      } else {
        rLo = (a << k) | (b >>> (32 - k));
        rHi = (b << k) | (a >>> (32 - k));
      }
      if (op === ROL) {
        cf = rLo & 1;
        of = (rHi >>> 31) ^ cf;
      } else {
        cf = rHi >>> 31;
        of = cf ^ ((rHi >>> 30) & 1);
      }
      resultHi = rHi | 0;
      resultFlags = (oldFlags & STATUS_FLAGS & ~(CF | OF)) | cf | (of ? OF : 0);
      return rLo | 0;
    }
    case SHL:
    case SAL:
      if (c < 32) {
        rHi = (hi << c) | (lo >>> (32 - c));
        rLo = lo << c;
        cf = (hi >>> (32 - c)) & 1;
      } else {
        rHi = lo << (c - 32);
        rLo = 0;
        cf = c === 32 ? hi & 1 : (lo >>> (64 - c)) & 1;
      }
      of = (rHi >>> 31) ^ cf;
      break;
    case SHR:
      if (c < 32) {
        rLo = (lo >>> c) | (hi << (32 - c));
        rHi = hi >>> c;
        cf = (lo >>> (c - 1)) & 1;
      } else {
        rLo = hi >>> (c - 32);
        rHi = 0;
        cf = c === 32 ? lo >>> 31 : (hi >>> (c - 33)) & 1;
      }
      of = hi >>> 31;
      break;
    default: // SAR
      if (c < 32) {
        rLo = (lo >>> c) | (hi << (32 - c));
        rHi = hi >> c;
        cf = (lo >>> (c - 1)) & 1;
      } else {
        rLo = hi >> (c - 32);
        rHi = hi >> 31;
        cf = c === 32 ? lo >>> 31 : (hi >> (c - 33)) & 1;
      }
      of = 0;
  }
  resultHi = rHi | 0;
  resultFlags = cf | (of ? OF : 0) | ((rLo | rHi) === 0 ? ZF : 0) | (rHi < 0 ? SF : 0) | PARITY[rLo & 0xff]!;
  return rLo | 0;
}

/** Replaces the status flags (the non-status bits of `raw` are always current). */
function setStatus(cpu: Cpu, status: number): void {
  const f = cpu.flags;
  f.raw = (f.raw & ~STATUS_FLAGS) | status;
  f.kind = LAZY_NONE;
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
  const lo = inReg ? cpu.getReg(insn.rm, size, hb) : cpu.readForWrite(la, size);
  const hi = size === 8 ? (inReg ? cpu.hi[insn.rm]! : cpu.readHi) : 0;
  if (count === 0) {
    // No flags change; a 32-bit register operand is still written (zero-extending).
    if (inReg && size === 4) cpu.setReg(insn.rm, 4, lo);
    return;
  }
  const op = insn.regOp;
  if (op !== RCL && op !== RCR) {
    // Allocation-free paths. Rotates keep SF ZF AF PF: only they need the old flags.
    const old = op === ROL || op === ROR ? cpu.flags.get() : 0;
    let rLo: number;
    let rHi = 0;
    if (size === 8) {
      rLo = shift64(op, lo, hi, count, old);
      rHi = resultHi;
    } else {
      rLo = shiftSmall(op, lo, size * 8, count, old);
    }
    if (inReg) cpu.setReg(insn.rm, size, rLo, rHi, hb);
    else cpu.write(la, size, rLo, rHi);
    setStatus(cpu, resultFlags);
    return;
  }
  const old = cpu.flags.get();
  const [r, flags] = shift(op, toBig(lo, hi, size), size * 8, count, old);
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

/**
 * SHL/SHR/SAR (and SAL) of a 64- or 32-bit register by imm8 (C1) or by 1
 * (D1): what `group2` computes for that form, with the operand kind and
 * count fixed (ops/fast.ts picks these at decode time). Not for rotates.
 */
function shiftRegBy(cpu: Cpu, insn: DecodedInsn, raw: number): void {
  const r = insn.rm;
  const lo = cpu.lo[r]!;
  if (insn.opSize === 8) {
    const count = raw & 0x3f;
    if (count === 0) return;
    cpu.lo[r] = shift64(insn.regOp, lo, cpu.hi[r]!, count, 0);
    cpu.hi[r] = resultHi;
  } else {
    const count = raw & 0x1f;
    cpu.hi[r] = 0; // a 32-bit register operand is written (zero-extending) even when the count is 0
    if (count === 0) return;
    cpu.lo[r] = shiftSmall(insn.regOp, lo, 32, count, 0);
  }
  setStatus(cpu, resultFlags);
}

export function opShiftRegImm(cpu: Cpu, insn: DecodedInsn): void {
  shiftRegBy(cpu, insn, insn.immLo);
}

export function opShiftReg1(cpu: Cpu, insn: DecodedInsn): void {
  shiftRegBy(cpu, insn, 1);
}

/** Whether `opShiftRegImm` / `opShiftReg1` apply: a shift (not a rotate) of a 32/64-bit register. */
export function isPlainShiftOfReg(insn: DecodedInsn): boolean {
  const op = insn.regOp;
  return insn.mod === 3 && (insn.opSize === 8 || insn.opSize === 4) && (op === SHL || op === SHR || op === SAL || op === SAR);
}

/** D2/D3 /digit: by CL. */
export function opShiftECl(cpu: Cpu, insn: DecodedInsn): void {
  group2(cpu, insn, 'cl');
}

/**
 * SHLD/SHRD r/m, reg, imm8|CL (0F A4/A5/AC/AD): shift the destination,
 * filling from the register. A count larger than the operand size (16-bit
 * only) leaves an undefined result; kentry does what P6-and-later Intel
 * cores and AMD (the host-CPU tests' oracle) do: shift the 48-bit
 * concatenation dest:src:src (SHLD) or src:src:dest (SHRD), i.e. the
 * source fills again once the destination's bits are gone.
 */
function doubleShift(cpu: Cpu, insn: DecodedInsn, left: boolean, byCl: boolean): void {
  const size = insn.opSize;
  const bits = size * 8;
  const count = (byCl ? cpu.lo[RCX]! : insn.immLo) & (size === 8 ? 0x3f : 0x1f);
  const inReg = insn.mod === 3;
  const la = inReg ? 0 : cpu.effectiveAddress(insn);
  const lo = inReg ? cpu.getReg(insn.rm, size) : cpu.readForWrite(la, size);
  const hi = size === 8 ? (inReg ? cpu.hi[insn.rm]! : cpu.readHi) : 0;
  if (count === 0) {
    if (inReg && size === 4) cpu.setReg(insn.rm, 4, lo);
    return;
  }
  if (size === 4) {
    // 32-bit on int32 (count 1..31): no allocation.
    const s32 = cpu.lo[insn.reg]!;
    const r = left ? (lo << count) | (s32 >>> (32 - count)) : (lo >>> count) | (s32 << (32 - count));
    const cf = left ? (lo >>> (32 - count)) & 1 : (lo >>> (count - 1)) & 1;
    const of = ((r ^ lo) >>> 31) & 1;
    if (inReg) cpu.setReg(insn.rm, 4, r);
    else cpu.write(la, 4, r);
    setStatus(cpu, cf | (of ? OF : 0) | (r === 0 ? ZF : 0) | (r < 0 ? SF : 0) | PARITY[r & 0xff]!);
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
    const wide = (((d << n) | s) << n) | s; // dest:src:src, shifted left
    r = ((wide << c) >> (2n * n)) & mask;
    cf = Number((wide >> (3n * n - c)) & 1n);
  } else {
    const wide = (((s << n) | s) << n) | d; // src:src:dest, shifted right
    r = (wide >> c) & mask;
    cf = Number((wide >> (c - 1n)) & 1n);
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
