/**
 * IEEE 754 binary32/binary64 arithmetic as SSE performs it, exact in every
 * MXCSR rounding mode, with the MXCSR exception flags, DAZ and FTZ: each
 * operation computes the exact result as sig × 2^exp (BigInt significand,
 * plus a sticky bit for division and square root) and rounds it once.
 * JS doubles are not used for the arithmetic because they round to nearest
 * only and do not report inexactness.
 *
 * Rules followed (SDM Vol. 1):
 *   §4.8.3.5 / Table 4-7  NaN results: SSE returns the first source operand
 *                         (the destination) when it is a NaN, else the second,
 *                         quieted; SNaN operands raise IE
 *   §4.8.3.7              the default NaN ("QNaN floating-point indefinite")
 *                         for invalid operations: sign 1, quiet bit only
 *   §4.9.1.5              underflow: tininess detected after rounding (with an
 *                         unbounded exponent); with UE masked the flag is set
 *                         only if the result is also inexact; with UE unmasked
 *                         on tininess alone, with PE when rounding to the
 *                         format's precision with an unbounded exponent is
 *                         inexact (likewise for an unmasked overflow)
 *   §4.9.1.4              overflow result per rounding mode
 *   §10.2.3.3, §10.2.3.4  FTZ (tiny results become ±0 with UE and PE, UE
 *                         masked) and DAZ (denormal sources read as ±0, no DE)
 *   §4.9.2                exception priority: SNaN IE, then QNaN operands,
 *                         then other IE and ZE, then DE, then OE/UE, then PE
 *
 * Results are returned in `out.lo`/`out.hi`; flags accumulate in `out.flags`.
 */
import { MX_DE, MX_FZ, MX_IE, MX_OE, MX_PE, MX_RC_SHIFT, MX_UE, MX_ZE, RC_DOWN, RC_NEAREST, RC_UP } from './sse-common.js';

export interface Format {
  /** Stored significand bits (23, 52). */
  readonly mant: number;
  readonly bias: number;
  /** All-ones biased exponent (255, 2047). */
  readonly expMax: number;
}
export const F32: Format = { mant: 23, bias: 127, expMax: 255 };
export const F64: Format = { mant: 52, bias: 1023, expMax: 2047 };

/** Operand classes. */
export const ZERO = 0;
export const FINITE = 1;
export const INF = 2;
export const QNAN = 3;
export const SNAN = 4;

/** An unpacked operand: value = (-1)^sign × sig × 2^exp for FINITE. */
export interface Unpacked {
  cls: number;
  sign: number;
  sig: bigint;
  exp: number;
  /** A denormal source (reported as DE unless DAZ turned it into a zero). */
  denormal: boolean;
  /** Raw stored significand bits (for NaN payloads), as a number (< 2^52). */
  frac: number;
}

export function newUnpacked(): Unpacked {
  return { cls: ZERO, sign: 0, sig: 0n, exp: 0, denormal: false, frac: 0 };
}

const TWO_32 = 4294967296;

/** Unpacks `lo`/`hi` (hi ignored for F32) into `u`; with `daz`, denormals become zeros. */
export function unpack(u: Unpacked, f: Format, lo: number, hi: number, daz: boolean): Unpacked {
  let e: number;
  let frac: number;
  if (f === F32) {
    u.sign = lo >>> 31;
    e = (lo >>> 23) & 0xff;
    frac = lo & 0x7f_ffff;
  } else {
    u.sign = hi >>> 31;
    e = (hi >>> 20) & 0x7ff;
    frac = (hi & 0xf_ffff) * TWO_32 + (lo >>> 0);
  }
  u.frac = frac;
  u.denormal = false;
  const quietBit = 2 ** (f.mant - 1);
  if (e === f.expMax) {
    u.cls = frac === 0 ? INF : frac >= quietBit ? QNAN : SNAN;
    return u;
  }
  if (e === 0) {
    if (frac === 0 || daz) {
      u.cls = ZERO;
      u.sig = 0n;
      return u;
    }
    u.denormal = true;
    u.cls = FINITE;
    u.sig = BigInt(frac);
    u.exp = 1 - f.bias - f.mant;
    return u;
  }
  u.cls = FINITE;
  u.sig = BigInt(frac + 2 ** f.mant);
  u.exp = e - f.bias - f.mant;
  return u;
}

export interface Packed {
  lo: number;
  hi: number;
  flags: number;
}

export function newPacked(): Packed {
  return { lo: 0, hi: 0, flags: 0 };
}

/** Stores sign / biased exponent / fraction (a number < 2^52) as bits. */
export function packBits(out: Packed, f: Format, sign: number, be: number, frac: number): void {
  if (f === F32) {
    out.lo = ((sign << 31) | (be << 23) | frac) | 0;
    out.hi = 0;
  } else {
    const fhi = Math.floor(frac / TWO_32);
    out.lo = (frac - fhi * TWO_32) | 0;
    out.hi = ((sign << 31) | (be << 20) | fhi) | 0;
  }
}

/** The NaN result for NaN operand `u`: the same sign and payload with the quiet bit set. */
export function quietNaN(out: Packed, f: Format, u: Unpacked): void {
  const q = 2 ** (f.mant - 1);
  packBits(out, f, u.sign, f.expMax, u.frac >= q ? u.frac : u.frac + q);
}

/** QNaN floating-point indefinite. */
export function defaultNaN(out: Packed, f: Format): void {
  packBits(out, f, 1, f.expMax, 2 ** (f.mant - 1));
}

export function packZero(out: Packed, f: Format, sign: number): void {
  packBits(out, f, sign, 0, 0);
}

export function packInf(out: Packed, f: Format, sign: number): void {
  packBits(out, f, sign, f.expMax, 0);
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Result of `roundAt`. */
let rq = 0n;
let rInexact = false;

/** Rounds sig × 2^exp (+ sticky below) to a multiple of 2^lsb by `rc`, for sign `sign`. */
function roundAt(sig: bigint, exp: number, sticky: boolean, lsb: number, rc: number, sign: number): void {
  const shift = lsb - exp;
  let q: bigint;
  let cmp: number; // remainder against half an ulp: -1 below, 0 equal, 1 above; -2 exact
  if (shift <= 0) {
    q = sig << BigInt(-shift);
    cmp = sticky ? -1 : -2;
  } else {
    const s = BigInt(shift);
    q = sig >> s;
    const rem = sig & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    if (rem === 0n) cmp = sticky ? -1 : -2;
    else if (rem < half) cmp = -1;
    else if (rem > half) cmp = 1;
    else cmp = sticky ? 1 : 0;
  }
  const inexact = cmp !== -2;
  let up = false;
  if (inexact) {
    switch (rc) {
      case RC_NEAREST: up = cmp > 0 || (cmp === 0 && (q & 1n) === 1n); break;
      case RC_DOWN: up = sign === 1; break;
      case RC_UP: up = sign === 0; break;
      default: up = false; // RC_ZERO
    }
  }
  rq = up ? q + 1n : q;
  rInexact = inexact;
}

/**
 * Rounds (-1)^sign × (sig + sticky) × 2^exp to format `f` under `mxcsr`
 * (RC, FTZ, the UE mask), writing the bits and adding OE/UE/PE to out.flags.
 * `sig` must be non-zero.
 */
export function roundPack(out: Packed, f: Format, sign: number, sig: bigint, exp: number, sticky: boolean, mxcsr: number): void {
  const rc = (mxcsr >>> MX_RC_SHIFT) & 3;
  const P = f.mant + 1;
  const emin = 1 - f.bias;
  const E = exp + bitLength(sig) - 1;
  let lsb = E - f.mant;
  let tiny = false;
  let inexactUnbounded = false;
  if (E < emin) {
    // Tininess after rounding to P bits with an unbounded exponent.
    roundAt(sig, exp, sticky, lsb, rc, sign);
    inexactUnbounded = rInexact;
    tiny = !(rq >> BigInt(P) !== 0n && E + 1 >= emin);
    lsb = emin - f.mant;
  }
  roundAt(sig, exp, sticky, lsb, rc, sign);
  let q = rq;
  const inexact = rInexact;
  if (q >> BigInt(P) !== 0n) {
    q >>= 1n; // carry out of the significand (the dropped bit is 0)
    lsb += 1;
  }
  const ueUnmasked = (mxcsr & (MX_UE << 7)) === 0;
  if (tiny) {
    if (ueUnmasked) {
      // No result is delivered; PE reflects rounding with an unbounded exponent (host-checked).
      out.flags |= MX_UE | (inexactUnbounded ? MX_PE : 0);
      return;
    } else if ((mxcsr & MX_FZ) !== 0) {
      out.flags |= MX_UE | MX_PE;
      packZero(out, f, sign);
      return;
    } else if (inexact) {
      out.flags |= MX_UE | MX_PE;
    }
  } else if (inexact) {
    out.flags |= MX_PE;
  }
  if (q === 0n) {
    packZero(out, f, sign);
    return;
  }
  const normal = q >> BigInt(f.mant) !== 0n;
  const be = normal ? lsb + f.mant + f.bias : 0;
  if (be >= f.expMax) {
    if ((mxcsr & (MX_OE << 7)) === 0) {
      out.flags |= MX_OE | (inexact ? MX_PE : 0); // unmasked: no result; PE if rounding was inexact
      return;
    }
    out.flags |= MX_OE | MX_PE;
    const toInf = rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign === 1);
    if (toInf) packInf(out, f, sign);
    else packBits(out, f, sign, f.expMax - 1, 2 ** f.mant - 1);
    return;
  }
  const frac = Number(normal ? q - (1n << BigInt(f.mant)) : q);
  packBits(out, f, sign, be, frac);
}

// ---------------------------------------------------------------------------
// Operations. Each writes `out` (lo/hi/flags); the caller signals the flags
// and writes the destination only if no unmasked exception results.
// `pre` is the flag set of pre-computation exceptions (IE, DE, ZE): when any
// of them is unmasked the caller faults before using the result.

export const OP_ADD = 0;
export const OP_SUB = 1;
export const OP_MUL = 2;
export const OP_DIV = 3;

function rcOf(mxcsr: number): number {
  return (mxcsr >>> MX_RC_SHIFT) & 3;
}

/** Handles NaN operands of a binary op; true when the result is decided. */
function binaryNaN(out: Packed, f: Format, a: Unpacked, b: Unpacked): boolean {
  const aNaN = a.cls >= QNAN;
  const bNaN = b.cls >= QNAN;
  if (!aNaN && !bNaN) return false;
  if (a.cls === SNAN || b.cls === SNAN) out.flags |= MX_IE;
  quietNaN(out, f, aNaN ? a : b);
  return true;
}

/**
 * a op b (ADDSS/ADDSD, SUB, MUL, DIV). out.flags holds the pre-computation
 * flags (IE, DE, ZE) together with the post-computation ones (OE, UE, PE);
 * the caller reports only the former when one of them is unmasked.
 */
export function arith(out: Packed, f: Format, op: number, a: Unpacked, b: Unpacked, mxcsr: number): void {
  out.flags = 0;
  if (binaryNaN(out, f, a, b)) return;
  // A denormal operand is reported whatever else happens (host-checked: -inf + denormal sets DE).
  if (a.denormal || b.denormal) out.flags |= MX_DE;
  const rc = rcOf(mxcsr);
  let bSign = b.sign;
  if (op === OP_SUB) bSign ^= 1;
  const sign = op === OP_MUL || op === OP_DIV ? a.sign ^ b.sign : a.sign;
  // Invalid operations and infinities.
  if (op === OP_ADD || op === OP_SUB) {
    if (a.cls === INF || b.cls === INF) {
      if (a.cls === INF && b.cls === INF && a.sign !== bSign) {
        out.flags |= MX_IE;
        defaultNaN(out, f);
      } else {
        packInf(out, f, a.cls === INF ? a.sign : bSign);
      }
      return;
    }
  } else if (op === OP_MUL) {
    if (a.cls === INF || b.cls === INF) {
      if (a.cls === ZERO || b.cls === ZERO) {
        out.flags |= MX_IE;
        defaultNaN(out, f);
      } else {
        packInf(out, f, sign);
      }
      return;
    }
  } else {
    if ((a.cls === INF && b.cls === INF) || (a.cls === ZERO && b.cls === ZERO)) {
      out.flags |= MX_IE;
      defaultNaN(out, f);
      return;
    }
    if (a.cls === INF) {
      packInf(out, f, sign);
      return;
    }
    if (b.cls === ZERO) {
      out.flags |= MX_ZE;
      packInf(out, f, sign);
      return;
    }
    if (b.cls === INF) {
      packZero(out, f, sign);
      return;
    }
  }
  if (op === OP_ADD || op === OP_SUB) {
    const e = Math.min(a.cls === ZERO ? Infinity : a.exp, b.cls === ZERO ? Infinity : b.exp);
    if (e === Infinity) {
      packZero(out, f, a.sign === bSign ? a.sign : rc === RC_DOWN ? 1 : 0);
      return;
    }
    const sa = a.cls === ZERO ? 0n : a.sig << BigInt(a.exp - e);
    const sb = b.cls === ZERO ? 0n : b.sig << BigInt(b.exp - e);
    const sum = (a.sign ? -sa : sa) + (bSign ? -sb : sb);
    if (sum === 0n) {
      packZero(out, f, a.sign === bSign ? a.sign : rc === RC_DOWN ? 1 : 0);
      return;
    }
    roundPack(out, f, sum < 0n ? 1 : 0, sum < 0n ? -sum : sum, e, false, mxcsr);
    return;
  }
  if (a.cls === ZERO || b.cls === ZERO) {
    packZero(out, f, sign);
    return;
  }
  if (op === OP_MUL) {
    roundPack(out, f, sign, a.sig * b.sig, a.exp + b.exp, false, mxcsr);
    return;
  }
  // Division: enough quotient bits for rounding, the remainder as sticky.
  const k = Math.max(0, f.mant + 3 + bitLength(b.sig) - bitLength(a.sig));
  const num = a.sig << BigInt(k);
  const q = num / b.sig;
  roundPack(out, f, sign, q, a.exp - b.exp - k, num % b.sig !== 0n, mxcsr);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** SQRTSS/SQRTSD of b. */
export function sqrt(out: Packed, f: Format, b: Unpacked, mxcsr: number): void {
  out.flags = 0;
  if (b.cls >= QNAN) {
    if (b.cls === SNAN) out.flags |= MX_IE;
    quietNaN(out, f, b);
    return;
  }
  if (b.cls === ZERO) {
    packZero(out, f, b.sign);
    return;
  }
  if (b.sign === 1) {
    out.flags |= MX_IE;
    defaultNaN(out, f);
    return;
  }
  if (b.cls === INF) {
    packInf(out, f, 0);
    return;
  }
  if (b.denormal) out.flags |= MX_DE;
  let sig = b.sig;
  let exp = b.exp;
  if ((exp & 1) !== 0) {
    sig <<= 1n;
    exp -= 1;
  }
  const want = 2 * (f.mant + 3);
  const k = Math.max(0, Math.ceil((want - bitLength(sig)) / 2));
  const n = sig << BigInt(2 * k);
  const r = isqrt(n);
  roundPack(out, f, 0, r, (exp - 2 * k) / 2, r * r !== n, mxcsr);
}

/** Converts an unpacked value of another format to `f` (CVTSS2SD, CVTSD2SS). */
export function convert(out: Packed, from: Format, f: Format, u: Unpacked, mxcsr: number): void {
  out.flags = 0;
  if (u.cls >= QNAN) {
    if (u.cls === SNAN) out.flags |= MX_IE;
    const q = 2 ** (from.mant - 1);
    const frac = u.frac >= q ? u.frac : u.frac + q;
    const shift = f.mant - from.mant;
    packBits(out, f, u.sign, f.expMax, shift >= 0 ? frac * 2 ** shift : Math.floor(frac / 2 ** -shift));
    return;
  }
  if (u.cls === ZERO) return packZero(out, f, u.sign);
  if (u.cls === INF) return packInf(out, f, u.sign);
  if (u.denormal) out.flags |= MX_DE;
  roundPack(out, f, u.sign, u.sig, u.exp, false, mxcsr);
}

/** Converts a signed integer (lo/hi halves; `bits` 32 or 64) to `f` (CVTSI2SS/SD). */
export function fromInt(out: Packed, f: Format, lo: number, hi: number, bits: number, mxcsr: number): void {
  out.flags = 0;
  let v = bits === 64 ? (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0) : BigInt(lo | 0);
  if (v === 0n) return packZero(out, f, 0);
  const sign = v < 0n ? 1 : 0;
  if (sign) v = -v;
  roundPack(out, f, sign, v, 0, false, mxcsr);
}

/**
 * Truncating conversion to a signed `bits`-bit integer (CVTTSS2SI,
 * CVTTSD2SI): NaN or out of range gives the integer indefinite
 * (0x80000000 / 0x8000000000000000) with IE; a dropped fraction sets PE.
 * Result in out.lo / out.hi.
 */
export function toIntTrunc(out: Packed, u: Unpacked, bits: number): void {
  out.flags = 0;
  out.lo = 0;
  out.hi = 0;
  if (u.cls >= INF) {
    out.flags |= MX_IE;
    indefinite(out, bits);
    return;
  }
  if (u.cls === ZERO) return;
  let mag: bigint;
  if (u.exp >= 0) {
    mag = u.sig << BigInt(u.exp);
  } else {
    const s = BigInt(-u.exp);
    mag = u.sig >> s;
    if ((u.sig & ((1n << s) - 1n)) !== 0n) out.flags |= MX_PE;
  }
  const limit = 1n << BigInt(bits - 1);
  if (u.sign ? mag > limit : mag >= limit) {
    out.flags = MX_IE;
    indefinite(out, bits);
    return;
  }
  const v = BigInt.asUintN(64, u.sign ? -mag : mag);
  out.lo = Number(v & 0xffff_ffffn) | 0;
  out.hi = bits === 64 ? Number(v >> 32n) | 0 : 0;
}

function indefinite(out: Packed, bits: number): void {
  if (bits === 64) {
    out.lo = 0;
    out.hi = 0x8000_0000 | 0;
  } else {
    out.lo = 0x8000_0000 | 0;
    out.hi = 0;
  }
}

/**
 * Ordered comparison of two non-NaN values: -1, 0, 1 (zeros of either sign
 * are equal).
 */
export function compare(a: Unpacked, b: Unpacked): number {
  const sa = a.cls === ZERO ? 0 : a.sign ? -1 : 1;
  const sb = b.cls === ZERO ? 0 : b.sign ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  let c: number;
  if (a.cls === INF || b.cls === INF) {
    c = a.cls === b.cls ? 0 : a.cls === INF ? 1 : -1;
  } else {
    const e = Math.min(a.exp, b.exp);
    const ma = a.sig << BigInt(a.exp - e);
    const mb = b.sig << BigInt(b.exp - e);
    c = ma === mb ? 0 : ma < mb ? -1 : 1;
  }
  return sa < 0 ? -c : c;
}
