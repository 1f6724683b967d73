/**
 * MUL, IMUL (one-, two- and three-operand), DIV, IDIV in every size.
 * MUL/IMUL set CF = OF when the product does not fit the destination; SF,
 * ZF, AF, PF are undefined (kentry sets them from the low result like
 * recent Intel cores; the host-CPU tests mask them). DIV/IDIV raise #DE
 * for a zero divisor or a quotient that does not fit; their flags are
 * undefined and left unchanged here.
 *
 * Multiplications of 32 and 64 bits (the ones compiled code uses) run on
 * int32 halves without allocation: a 64 × 64 → 128-bit product from 16-bit
 * limbs (every partial sum exact in a double), the signed high half by the
 * usual correction (subtract the other operand for each negative one).
 * 8/16-bit forms and division use BigInt.
 * @see Intel SDM Vol. 2A "MUL", "IMUL", "DIV", "IDIV"
 */
import { RAX, RDX, VEC_DE } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CpuFault } from '../faults.js';
import { CF, LAZY_NONE, OF, PARITY, PF, SF, STATUS_FLAGS, ZF } from '../flags.js';

function big(lo: number, hi: number, size: number, signed: boolean): bigint {
  const bits = size * 8;
  const u = size === 8 ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) : BigInt(lo >>> 0) & ((1n << BigInt(bits)) - 1n);
  return signed ? BigInt.asIntN(bits, u) : u;
}

function loOf(v: bigint): number {
  return Number(BigInt.asUintN(32, v)) | 0;
}

function hiOf(v: bigint): number {
  return Number(BigInt.asUintN(32, v >> 32n)) | 0;
}

function setMulFlags(cpu: Cpu, overflow: boolean, low: bigint, size: number): void {
  const bits = BigInt(size * 8);
  const u = BigInt.asUintN(Number(bits), low);
  const flags =
    (overflow ? CF | OF : 0) | (u === 0n ? ZF : 0) | ((u >> (bits - 1n)) & 1n ? SF : 0) | PARITY[Number(u & 0xffn)]!;
  cpu.flags.set((cpu.flags.get() & ~STATUS_FLAGS) | flags);
}

/** The r/m operand as a bigint. */
function rmBig(cpu: Cpu, insn: DecodedInsn, size: number, signed: boolean): bigint {
  const lo = cpu.readRm(insn, size);
  return big(lo, size === 8 ? cpu.readHi : 0, size, signed);
}

/** Writes a `2 × size` product to AX, DX:AX, EDX:EAX or RDX:RAX. */
function writeWide(cpu: Cpu, size: number, product: bigint): void {
  const bits = BigInt(size * 8);
  const low = BigInt.asUintN(size * 8, product);
  const high = BigInt.asUintN(size * 8, product >> bits);
  if (size === 1) {
    cpu.setReg(RAX, 2, Number(BigInt.asUintN(16, product)));
    return;
  }
  cpu.setReg(RAX, size, loOf(low), hiOf(low));
  cpu.setReg(RDX, size, loOf(high), hiOf(high));
}

/** The dividend: AX, DX:AX, EDX:EAX or RDX:RAX. */
function dividend(cpu: Cpu, size: number, signed: boolean): bigint {
  if (size === 1) return big(cpu.lo[RAX]!, 0, 2, signed);
  const bits = BigInt(size * 8);
  const low = big(cpu.lo[RAX]!, cpu.hi[RAX]!, size, false);
  const high = big(cpu.lo[RDX]!, cpu.hi[RDX]!, size, false);
  const u = (high << bits) | low;
  return signed ? BigInt.asIntN(size * 16, u) : u;
}

// ---------------------------------------------------------------------------
// Allocation-free 32/64-bit products

const TWO_32 = 4294967296;


/** The 128-bit product of the last `mul64`, as four uint32 words (w0 lowest). */
let w0 = 0;
let w1 = 0;
let w2 = 0;
let w3 = 0;
/** The 64-bit product of the last `mulU32`. */
let pLo = 0;
let pHi = 0;

/** Unsigned 32 × 32 → 64 bits in (pLo, pHi), exact (16-bit limbs). */
function mulU32(a: number, b: number): void {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff); // < 3 × 2^16
  pLo = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  pHi = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * The 64 × 64 → 128-bit product of (aLo, aHi) and (bLo, bHi) into w0..w3,
 * unsigned, or signed when `signed` (two's complement high half).
 */
function mul64(aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean): void {
  const al = aLo >>> 0;
  const ah = aHi >>> 0;
  const bl = bLo >>> 0;
  const bh = bHi >>> 0;
  mulU32(al, bl);
  const ll0 = pLo;
  const ll1 = pHi;
  mulU32(al, bh);
  const lh0 = pLo;
  const lh1 = pHi;
  mulU32(ah, bl);
  const hl0 = pLo;
  const hl1 = pHi;
  mulU32(ah, bh);
  w0 = ll0;
  const s1 = ll1 + lh0 + hl0; // < 3 × 2^32: exact
  w1 = s1 >>> 0;
  const s2 = lh1 + hl1 + pLo + Math.floor(s1 / TWO_32);
  w2 = s2 >>> 0;
  w3 = (pHi + Math.floor(s2 / TWO_32)) >>> 0;
  if (signed) {
    // high(signed) = high(unsigned) - (a < 0 ? b : 0) - (b < 0 ? a : 0)  (mod 2^64)
    if (aHi < 0) sub64FromHigh(bl, bh);
    if (bHi < 0) sub64FromHigh(al, ah);
  }
}

function sub64FromHigh(lo: number, hi: number): void {
  const l = w2 - lo;
  w2 = l >>> 0;
  w3 = (w3 - hi - (l < 0 ? 1 : 0)) >>> 0;
}

/** Replaces the status flags: CF = OF = `overflow`, SF ZF PF from the low result (AF cleared). */
function setMulFlagsFast(cpu: Cpu, overflow: boolean, zero: boolean, negative: boolean, lowByte: number): void {
  const f = cpu.flags;
  f.raw = (f.raw & ~STATUS_FLAGS) | (overflow ? CF | OF : 0) | (zero ? ZF : 0) | (negative ? SF : 0) | PARITY[lowByte & 0xff]!;
  f.kind = LAZY_NONE;
}

/** MUL/IMUL r/m of 32 or 64 bits into EDX:EAX / RDX:RAX. */
function mulWideFast(cpu: Cpu, insn: DecodedInsn, signed: boolean): void {
  const size = insn.opSize;
  const bLo = cpu.readRm(insn, size);
  if (size === 8) {
    const bHi = cpu.readHi;
    mul64(cpu.lo[RAX]!, cpu.hi[RAX]!, bLo, bHi, signed);
    const overflow = signed ? w3 !== ((w1 | 0) < 0 ? 0xffff_ffff : 0) || w2 !== ((w1 | 0) < 0 ? 0xffff_ffff : 0) : (w2 | w3) !== 0;
    cpu.setReg(RAX, 8, w0 | 0, w1 | 0);
    cpu.setReg(RDX, 8, w2 | 0, w3 | 0);
    setMulFlagsFast(cpu, overflow, (w0 | w1) === 0, (w1 | 0) < 0, w0);
    return;
  }
  const a = cpu.lo[RAX]!;
  mulU32(a >>> 0, bLo >>> 0);
  let hi = pHi;
  if (signed) {
    if (a < 0) hi -= bLo >>> 0;
    if (bLo < 0) hi -= a >>> 0;
  }
  const lo = pLo | 0;
  hi |= 0;
  cpu.setReg(RAX, 4, lo);
  cpu.setReg(RDX, 4, hi);
  setMulFlagsFast(cpu, signed ? hi !== lo >> 31 : hi !== 0, lo === 0, lo < 0, lo);
}

/** IMUL reg, a, b truncated to 32 or 64 bits (2- and 3-operand forms). */
function imulTruncatedFast(cpu: Cpu, insn: DecodedInsn, aLo: number, aHi: number, bLo: number, bHi: number): void {
  if (insn.opSize === 4) {
    const r = Math.imul(aLo, bLo);
    // The double product is exact below 2^53 in magnitude; above, it cannot fit 32 bits anyway.
    const exact = (aLo | 0) * (bLo | 0);
    cpu.setReg(insn.reg, 4, r);
    setMulFlagsFast(cpu, r !== exact, r === 0, r < 0, r);
    return;
  }
  mul64(aLo, aHi, bLo, bHi, true);
  const fill = (w1 | 0) < 0 ? 0xffff_ffff : 0;
  cpu.setReg(insn.reg, 8, w0 | 0, w1 | 0);
  setMulFlagsFast(cpu, w2 !== fill || w3 !== fill, (w0 | w1) === 0, (w1 | 0) < 0, w0);
}

/** MUL r/m (F6/F7 /4). */
export function opMul(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  if (size >= 4) {
    mulWideFast(cpu, insn, false);
    return;
  }
  const acc = size === 1 ? BigInt(cpu.lo[RAX]! & 0xff) : big(cpu.lo[RAX]!, cpu.hi[RAX]!, size, false);
  const p = acc * rmBig(cpu, insn, size, false);
  writeWide(cpu, size, p);
  setMulFlags(cpu, p >> BigInt(size * 8) !== 0n, p, size);
}

/** IMUL r/m (F6/F7 /5): signed, double-width result. */
export function opImul1(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  if (size >= 4) {
    mulWideFast(cpu, insn, true);
    return;
  }
  const acc = big(cpu.lo[RAX]!, cpu.hi[RAX]!, size, true);
  const p = acc * rmBig(cpu, insn, size, true);
  writeWide(cpu, size, p);
  setMulFlags(cpu, BigInt.asIntN(size * 8, p) !== p, p, size);
}

function imulTruncated(cpu: Cpu, insn: DecodedInsn, a: bigint, b: bigint): void {
  const size = insn.opSize;
  const p = a * b;
  const r = BigInt.asIntN(size * 8, p);
  cpu.setReg(insn.reg, size, loOf(r), hiOf(r));
  setMulFlags(cpu, r !== p, p, size);
}

/** IMUL reg, r/m (0F AF). */
export function opImul2(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  if (size >= 4) {
    const bLo = cpu.readRm(insn, size);
    const bHi = size === 8 ? cpu.readHi : 0;
    imulTruncatedFast(cpu, insn, cpu.lo[insn.reg]!, cpu.hi[insn.reg]!, bLo, bHi);
    return;
  }
  const b = rmBig(cpu, insn, size, true);
  imulTruncated(cpu, insn, big(cpu.lo[insn.reg]!, cpu.hi[insn.reg]!, size, true), b);
}

/** IMUL reg, r/m, imm (69, 6B). */
export function opImul3(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  if (size >= 4) {
    const aLo = cpu.readRm(insn, size);
    const aHi = size === 8 ? cpu.readHi : 0;
    imulTruncatedFast(cpu, insn, aLo, aHi, insn.immLo | 0, insn.immHi | 0);
    return;
  }
  const a = rmBig(cpu, insn, size, true);
  imulTruncated(cpu, insn, a, big(insn.immLo, insn.immHi, size, true));
}

function divide(cpu: Cpu, insn: DecodedInsn, signed: boolean): void {
  const size = insn.opSize;
  const d = rmBig(cpu, insn, size, signed);
  if (d === 0n) throw new CpuFault(VEC_DE, 0, '#DE');
  const n = dividend(cpu, size, signed);
  const q = n / d; // BigInt division truncates toward zero, as IDIV does
  const r = n % d;
  const fits = signed ? BigInt.asIntN(size * 8, q) === q : q >> BigInt(size * 8) === 0n;
  if (!fits) throw new CpuFault(VEC_DE, 0, '#DE');
  if (size === 1) {
    cpu.setReg(RAX, 2, Number(BigInt.asUintN(8, q)) | (Number(BigInt.asUintN(8, r)) << 8));
    return;
  }
  cpu.setReg(RAX, size, loOf(q), hiOf(q));
  cpu.setReg(RDX, size, loOf(r), hiOf(r));
}

/** DIV r/m (F6/F7 /6). */
export function opDiv(cpu: Cpu, insn: DecodedInsn): void {
  divide(cpu, insn, false);
}

/** IDIV r/m (F6/F7 /7). */
export function opIdiv(cpu: Cpu, insn: DecodedInsn): void {
  divide(cpu, insn, true);
}
