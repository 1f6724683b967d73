/**
 * x87 floating-point arithmetic on the 80-bit double-extended format, pure
 * (no CPU state): unpacking the register format and the memory formats
 * (binary32, binary64, 80-bit, two's complement integers), exact add, sub,
 * mul, div, sqrt and compare, and one rounding function that every result
 * goes through — to the precision control's 24/53/64 bits with the 15-bit
 * exponent range (register results), or to binary32/binary64 (stores).
 *
 * Every finite value is carried exactly as (-1)^sign × mant × 2^exp with a
 * BigInt `mant`; division and square root add a sticky bit. Nothing uses JS
 * doubles, which round to nearest only and hide inexactness.
 *
 * The 80-bit format (SDM Vol. 1 §4.2.2, Table 4-3 and §8.2.2 Table 8-3):
 *
 *   79  78 ............ 64  63  62 ....................... 0
 *   +--+------------------+---+----------------------------+
 *   |S | exponent (15)    | J | fraction (63)              |
 *   +--+------------------+---+----------------------------+
 *
 *   exponent 0,      J 0   zero (fraction 0) or denormal
 *   exponent 0,      J 1   pseudo-denormal (read as a denormal, DE)
 *   exponent 1-7FFE, J 1   normal;   J 0: unnormal (unsupported, IE)
 *   exponent 7FFF,   J 1   infinity (fraction 0), NaN (bit 62 = quiet);
 *                    J 0   pseudo-infinity / pseudo-NaN (unsupported, IE)
 *
 * Exception bits use the FSW layout (IE DE ZE OE UE PE = bits 0-5).
 * Rules (SDM Vol. 1): §4.8.3.5 Table 4-7 NaN results (x87: an SNaN is
 * quieted; of two NaNs the larger significand, QNaN over SNaN); §8.5.1.2
 * the QNaN floating-point indefinite (sign 1, quiet bit only) and the
 * integer indefinite; §4.9.1.4 overflow results per rounding mode; §4.9.1.5
 * underflow (tininess after rounding; masked UE only when also inexact);
 * §8.1.5.2 precision control; §4.9.2 exception priority; §8.5.4/§8.5.5 the
 * unmasked overflow/underflow response (exponent biased by ∓24576).
 */

export const FE_IE = 1 << 0;
export const FE_DE = 1 << 1;
export const FE_ZE = 1 << 2;
export const FE_OE = 1 << 3;
export const FE_UE = 1 << 4;
export const FE_PE = 1 << 5;

/** Rounding control (FCW bits 11:10). */
export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_ZERO = 3;

/** Operand classes. */
export const C_ZERO = 0;
export const C_FINITE = 1;
export const C_INF = 2;
export const C_QNAN = 3;
export const C_SNAN = 4;
/** Unnormals, pseudo-NaNs, pseudo-infinities (IE as an operand). */
export const C_UNSUPPORTED = 5;

export const EXT_BIAS = 16383;
const J_BIT = 1n << 63n;
const QUIET_BIT = 1n << 62n;
const MASK64 = (1n << 64n) - 1n;

/** An 80-bit value as stored: `se` = sign << 15 | exponent, `sig` = bits 63:0. */
export interface Ext80 {
  se: number;
  sig: bigint;
}

/** The QNaN floating-point indefinite. */
export const INDEFINITE: Readonly<Ext80> = { se: 0xffff, sig: 0xc000_0000_0000_0000n };

/** An unpacked operand: for C_FINITE, value = (-1)^sign × mant × 2^exp (mant > 0). */
export interface Unpacked {
  cls: number;
  sign: number;
  mant: bigint;
  exp: number;
  /** A denormal (or pseudo-denormal) source: DE when used in arithmetic. */
  denormal: boolean;
  /** The 80-bit image (NaN payloads, quieting). */
  raw: Ext80;
}

export function unpackExt(se: number, sig: bigint): Unpacked {
  const sign = (se >> 15) & 1;
  const e = se & 0x7fff;
  const raw = { se, sig };
  const j = (sig & J_BIT) !== 0n;
  if (e === 0x7fff) {
    if (!j) return { cls: C_UNSUPPORTED, sign, mant: 0n, exp: 0, denormal: false, raw };
    if ((sig & ~J_BIT) === 0n) return { cls: C_INF, sign, mant: 0n, exp: 0, denormal: false, raw };
    return { cls: (sig & QUIET_BIT) !== 0n ? C_QNAN : C_SNAN, sign, mant: 0n, exp: 0, denormal: false, raw };
  }
  if (e === 0) {
    if (sig === 0n) return { cls: C_ZERO, sign, mant: 0n, exp: 0, denormal: false, raw };
    return { cls: C_FINITE, sign, mant: sig, exp: 1 - EXT_BIAS - 63, denormal: true, raw };
  }
  if (!j) return { cls: C_UNSUPPORTED, sign, mant: 0n, exp: 0, denormal: false, raw };
  return { cls: C_FINITE, sign, mant: sig, exp: e - EXT_BIAS - 63, denormal: false, raw };
}

/** An IEEE binary format in memory. */
export interface MemFormat {
  readonly bits: number;
  /** Stored fraction bits (23, 52). */
  readonly frac: number;
  readonly bias: number;
}
export const M32: MemFormat = { bits: 32, frac: 23, bias: 127 };
export const M64: MemFormat = { bits: 64, frac: 52, bias: 1023 };

/** A binary32/binary64 bit pattern as an exact 80-bit value (FLD m32fp/m64fp); `denormal` for DE. */
export function unpackMem(f: MemFormat, bits: bigint): Unpacked {
  const sign = Number((bits >> BigInt(f.bits - 1)) & 1n);
  const emax = (1 << (f.bits - 1 - f.frac)) - 1;
  const e = Number((bits >> BigInt(f.frac)) & BigInt(emax));
  const frac = bits & ((1n << BigInt(f.frac)) - 1n);
  const s15 = sign << 15;
  if (e === emax) {
    const sig = J_BIT | (frac << BigInt(63 - f.frac));
    const raw = { se: s15 | 0x7fff, sig };
    if (frac === 0n) return { cls: C_INF, sign, mant: 0n, exp: 0, denormal: false, raw };
    return { cls: (sig & QUIET_BIT) !== 0n ? C_QNAN : C_SNAN, sign, mant: 0n, exp: 0, denormal: false, raw };
  }
  if (e === 0 && frac === 0n) return { cls: C_ZERO, sign, mant: 0n, exp: 0, denormal: false, raw: { se: s15, sig: 0n } };
  const mant = e === 0 ? frac : frac | (1n << BigInt(f.frac));
  const exp = (e === 0 ? 1 : e) - f.bias - f.frac;
  const u: Unpacked = { cls: C_FINITE, sign, mant, exp, denormal: e === 0, raw: { se: 0, sig: 0n } };
  u.raw = exactExt(sign, mant, exp);
  return u;
}

/** A signed integer as an unpacked value (FILD; exact). */
export function unpackInt(v: bigint): Unpacked {
  if (v === 0n) return { cls: C_ZERO, sign: 0, mant: 0n, exp: 0, denormal: false, raw: { se: 0, sig: 0n } };
  const sign = v < 0n ? 1 : 0;
  const mant = sign ? -v : v;
  return { cls: C_FINITE, sign, mant, exp: 0, denormal: false, raw: exactExt(sign, mant, 0) };
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The 80-bit image of an exactly representable normal value (mant × 2^exp, mant ≤ 64 bits). */
function exactExt(sign: number, mant: bigint, exp: number): Ext80 {
  const n = bitLength(mant);
  const lead = exp + n - 1;
  return { se: (sign << 15) | (lead + EXT_BIAS), sig: (mant << BigInt(64 - n)) & MASK64 };
}

/** Quiets a NaN's 80-bit image. */
export function quiet(u: Unpacked): Ext80 {
  return { se: u.raw.se, sig: u.raw.sig | QUIET_BIT };
}

/**
 * The NaN result of a two-operand operation with a NaN operand (Table 4-7,
 * x87 column): one NaN → it, quieted; two → the larger significand (the QNaN
 * if one is an SNaN and the other a QNaN), sign positive on a tie.
 */
export function nanResult(a: Unpacked, b: Unpacked): Ext80 {
  const an = a.cls === C_QNAN || a.cls === C_SNAN;
  const bn = b.cls === C_QNAN || b.cls === C_SNAN;
  if (an && !bn) return quiet(a);
  if (bn && !an) return quiet(b);
  if (a.cls === C_QNAN && b.cls === C_SNAN) return quiet(a);
  if (b.cls === C_QNAN && a.cls === C_SNAN) return quiet(b);
  const sa = a.raw.sig & ~QUIET_BIT;
  const sb = b.raw.sig & ~QUIET_BIT;
  if (sa > sb) return quiet(a);
  if (sb > sa) return quiet(b);
  return a.sign === 0 ? quiet(a) : quiet(b);
}

// ---------------------------------------------------------------------------
// Rounding

/** A target: significand precision and unbiased exponent range of normals. */
export interface Target {
  readonly p: number;
  readonly emin: number;
  readonly emax: number;
}
export const T_EXT64: Target = { p: 64, emin: -16382, emax: 16383 };
export const T_EXT53: Target = { p: 53, emin: -16382, emax: 16383 };
export const T_EXT24: Target = { p: 24, emin: -16382, emax: 16383 };
export const T_F32: Target = { p: 24, emin: -126, emax: 127 };
export const T_F64: Target = { p: 53, emin: -1022, emax: 1023 };

/** A rounded result: cls C_ZERO, C_FINITE (value = q × 2^lsb) or C_INF; exception bits; C1 (rounded up). */
export interface Rounded {
  cls: number;
  sign: number;
  q: bigint;
  lsb: number;
  flags: number;
  up: boolean;
  /**
   * With an unmasked OE or UE: the result rounded with an unbounded
   * exponent (q × 2^lsb), for the bias-adjusted register result.
   */
  wrapped: boolean;
}

function roundAt(sign: number, mant: bigint, exp: number, sticky: boolean, lsb: number, rc: number): { q: bigint; inexact: boolean; up: boolean } {
  const shift = lsb - exp;
  if (shift <= 0) return { q: mant << BigInt(-shift), inexact: sticky, up: false };
  const sh = BigInt(shift);
  let q = mant >> sh;
  const rem = mant & ((1n << sh) - 1n);
  const half = 1n << (sh - 1n);
  const inexact = rem !== 0n || sticky;
  let up = false;
  if (inexact) {
    switch (rc) {
      case RC_NEAREST: up = rem > half || (rem === half && (sticky || (q & 1n) === 1n)); break;
      case RC_DOWN: up = sign === 1; break;
      case RC_UP: up = sign === 0; break;
      default: up = false;
    }
  }
  if (up) q += 1n;
  return { q, inexact, up };
}

/**
 * Rounds (-1)^sign × (mant × 2^exp + sticky) (mant > 0; a sticky remainder
 * is below mant's last bit) to `t` in rounding mode `rc`. `maskedOU` tells
 * whether OE and UE are masked (the masked response) or not (then an
 * overflow/underflow keeps the unbounded result, `wrapped`).
 */
export function round(sign: number, mant: bigint, exp: number, sticky: boolean, t: Target, rc: number, oeMasked: boolean, ueMasked: boolean): Rounded {
  const n = bitLength(mant);
  const lead = exp + n - 1;
  const lsbUnbounded = lead - (t.p - 1);
  const lsbDenorm = t.emin - (t.p - 1);
  // Unbounded-exponent rounding: decides tininess (after rounding) and the wrapped results.
  const u = roundAt(sign, mant, exp, sticky, lsbUnbounded, rc);
  const leadU = lsbUnbounded + bitLength(u.q) - 1;
  if (leadU > t.emax) {
    if (!oeMasked) return { cls: C_FINITE, sign, q: u.q, lsb: lsbUnbounded, flags: FE_OE | (u.inexact ? FE_PE : 0), up: u.up, wrapped: true };
    const toInf = rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign === 1);
    if (toInf) return { cls: C_INF, sign, q: 0n, lsb: 0, flags: FE_OE | FE_PE, up: true, wrapped: false };
    return { cls: C_FINITE, sign, q: (1n << BigInt(t.p)) - 1n, lsb: t.emax - (t.p - 1), flags: FE_OE | FE_PE, up: false, wrapped: false };
  }
  const tiny = leadU < t.emin;
  if (tiny && !ueMasked) {
    return { cls: C_FINITE, sign, q: u.q, lsb: lsbUnbounded, flags: FE_UE | (u.inexact ? FE_PE : 0), up: u.up, wrapped: true };
  }
  if (lsbUnbounded >= lsbDenorm) {
    return { cls: C_FINITE, sign, q: u.q, lsb: lsbUnbounded, flags: u.inexact ? FE_PE : 0, up: u.up, wrapped: false };
  }
  const d = roundAt(sign, mant, exp, sticky, lsbDenorm, rc);
  const flags = d.inexact ? FE_PE | (tiny ? FE_UE : 0) : 0;
  return { cls: d.q === 0n ? C_ZERO : C_FINITE, sign, q: d.q, lsb: lsbDenorm, flags, up: d.up, wrapped: false };
}

/** The 80-bit image of a rounded register result (`bias` added to the exponent of a wrapped one). */
export function packExt(r: Rounded, bias = 0): Ext80 {
  const s15 = r.sign << 15;
  if (r.cls === C_ZERO) return { se: s15, sig: 0n };
  if (r.cls === C_INF) return { se: s15 | 0x7fff, sig: J_BIT };
  const n = bitLength(r.q);
  const lead = r.lsb + n - 1;
  if (lead >= -16382 || r.wrapped) {
    const sig = n <= 64 ? r.q << BigInt(64 - n) : r.q >> BigInt(n - 64);
    return { se: s15 | ((lead + EXT_BIAS + bias) & 0x7fff), sig };
  }
  // Denormal: the significand at scale 2^-16445.
  return { se: s15, sig: r.q << BigInt(r.lsb + 16445) };
}

/** The bit pattern of a rounded binary32/binary64 result. */
export function packMem(f: MemFormat, r: Rounded): bigint {
  const s = BigInt(r.sign) << BigInt(f.bits - 1);
  const emax = (1 << (f.bits - 1 - f.frac)) - 1;
  if (r.cls === C_ZERO) return s;
  if (r.cls === C_INF) return s | (BigInt(emax) << BigInt(f.frac));
  const n = bitLength(r.q);
  const lead = r.lsb + n - 1;
  const emin = 1 - f.bias;
  if (lead >= emin) {
    const mant = n <= f.frac + 1 ? r.q << BigInt(f.frac + 1 - n) : r.q >> BigInt(n - f.frac - 1);
    return s | (BigInt(lead + f.bias) << BigInt(f.frac)) | (mant & ((1n << BigInt(f.frac)) - 1n));
  }
  return s | (r.q << BigInt(r.lsb - (emin - f.frac)));
}

/** A binary32/binary64 NaN from an 80-bit NaN (payload truncated, quieted). */
export function nanToMem(f: MemFormat, u: Unpacked): bigint {
  const s = BigInt(u.sign) << BigInt(f.bits - 1);
  const emax = (1 << (f.bits - 1 - f.frac)) - 1;
  const frac = ((u.raw.sig | QUIET_BIT) >> BigInt(63 - f.frac)) & ((1n << BigInt(f.frac)) - 1n);
  return s | (BigInt(emax) << BigInt(f.frac)) | frac;
}

/** The QNaN indefinite of a memory format. */
export function indefiniteMem(f: MemFormat): bigint {
  const emax = (1 << (f.bits - 1 - f.frac)) - 1;
  return (1n << BigInt(f.bits - 1)) | (BigInt(emax) << BigInt(f.frac)) | (1n << BigInt(f.frac - 1));
}

// ---------------------------------------------------------------------------
// Arithmetic

export const OP_ADD = 0;
export const OP_SUB = 1;
export const OP_MUL = 2;
export const OP_DIV = 3;

/** An arithmetic outcome before rounding: a special result, or an exact value to round. */
export interface Exact {
  /** C_ZERO / C_INF (with sign), C_QNAN (result in `nan`), C_FINITE (mant × 2^exp + sticky). */
  cls: number;
  sign: number;
  mant: bigint;
  exp: number;
  sticky: boolean;
  nan: Ext80;
  /** Exceptions detected before rounding (IE, DE, ZE). */
  flags: number;
}

function special(cls: number, sign: number, flags: number, nan: Ext80 = INDEFINITE): Exact {
  return { cls, sign, mant: 0n, exp: 0, sticky: false, nan, flags };
}

/**
 * a op b exactly (op: OP_ADD, OP_SUB = a − b, OP_MUL, OP_DIV = a / b);
 * `rc` only decides the sign of an exact zero sum.
 */
export function arith(op: number, a: Unpacked, b: Unpacked, rc: number): Exact {
  // Priority 1: SNaN and unsupported operands; 2: QNaN operands.
  if (a.cls === C_UNSUPPORTED || b.cls === C_UNSUPPORTED) return special(C_QNAN, 1, FE_IE);
  if (a.cls >= C_QNAN || b.cls >= C_QNAN) {
    return special(C_QNAN, 0, a.cls === C_SNAN || b.cls === C_SNAN ? FE_IE : 0, nanResult(a, b));
  }
  const de = a.denormal || b.denormal ? FE_DE : 0;
  const bsign = op === OP_SUB ? b.sign ^ 1 : b.sign;
  if (op === OP_ADD || op === OP_SUB) {
    if (a.cls === C_INF || b.cls === C_INF) {
      if (a.cls === C_INF && b.cls === C_INF && a.sign !== bsign) return special(C_QNAN, 1, FE_IE);
      return special(C_INF, a.cls === C_INF ? a.sign : bsign, de);
    }
    if (a.cls === C_ZERO && b.cls === C_ZERO) {
      return special(C_ZERO, a.sign === bsign ? a.sign : rc === RC_DOWN ? 1 : 0, de);
    }
    if (b.cls === C_ZERO) return finite(a.sign, a.mant, a.exp, false, de);
    if (a.cls === C_ZERO) return finite(bsign, b.mant, b.exp, false, de);
    return addFinite(a.sign, a.mant, a.exp, bsign, b.mant, b.exp, rc, de);
  }
  const sign = a.sign ^ b.sign;
  if (op === OP_MUL) {
    if ((a.cls === C_INF && b.cls === C_ZERO) || (a.cls === C_ZERO && b.cls === C_INF)) return special(C_QNAN, 1, FE_IE);
    if (a.cls === C_INF || b.cls === C_INF) return special(C_INF, sign, de);
    if (a.cls === C_ZERO || b.cls === C_ZERO) return special(C_ZERO, sign, de);
    return finite(sign, a.mant * b.mant, a.exp + b.exp, false, de);
  }
  // OP_DIV
  if ((a.cls === C_INF && b.cls === C_INF) || (a.cls === C_ZERO && b.cls === C_ZERO)) return special(C_QNAN, 1, FE_IE);
  if (a.cls === C_INF) return special(C_INF, sign, de);
  if (b.cls === C_INF) return special(C_ZERO, sign, de);
  if (b.cls === C_ZERO) return special(C_INF, sign, FE_ZE); // ZE outranks DE (§4.9.2)
  if (a.cls === C_ZERO) return special(C_ZERO, sign, de);
  const k = 130;
  const num = a.mant << BigInt(k);
  const q = num / b.mant;
  return finite(sign, q, a.exp - b.exp - k, q * b.mant !== num, de);
}

function finite(sign: number, mant: bigint, exp: number, sticky: boolean, flags: number): Exact {
  return { cls: C_FINITE, sign, mant, exp, sticky, nan: INDEFINITE, flags };
}

function addFinite(sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, rc: number, flags: number): Exact {
  // A far smaller operand only breaks ties: replace it by a tiny one (see round()).
  const la = ea + bitLength(ma);
  const lb = eb + bitLength(mb);
  if (la - lb > 72) {
    mb = 1n;
    eb = la - 100;
  } else if (lb - la > 72) {
    ma = 1n;
    ea = lb - 100;
  }
  const e = Math.min(ea, eb);
  const va = (ma << BigInt(ea - e)) * (sa ? -1n : 1n);
  const vb = (mb << BigInt(eb - e)) * (sb ? -1n : 1n);
  const s = va + vb;
  if (s === 0n) return special(C_ZERO, rc === RC_DOWN ? 1 : 0, flags);
  return s < 0n ? finite(1, -s, e, false, flags) : finite(0, s, e, false, flags);
}

/** √b exactly (mant with a sticky bit); negative nonzero → IE. */
export function sqrtExact(b: Unpacked): Exact {
  if (b.cls === C_UNSUPPORTED) return special(C_QNAN, 1, FE_IE);
  if (b.cls === C_SNAN) return special(C_QNAN, 0, FE_IE, quiet(b));
  if (b.cls === C_QNAN) return special(C_QNAN, 0, 0, quiet(b));
  if (b.cls === C_ZERO) return special(C_ZERO, b.sign, 0);
  if (b.sign === 1) return special(C_QNAN, 1, FE_IE);
  if (b.cls === C_INF) return special(C_INF, 0, 0);
  let m = b.mant;
  let e = b.exp;
  // At least 140 bits under the root, an even exponent.
  const shift = 140 - bitLength(m) + ((e - (140 - bitLength(m))) & 1);
  m <<= BigInt(shift);
  e -= shift;
  const r = isqrt(m);
  return finite(0, r, e / 2, r * r !== m, b.denormal ? FE_DE : 0);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Compares two non-NaN operands: -1 (a < b), 0, 1. */
export function compare(a: Unpacked, b: Unpacked): number {
  const va = order(a);
  const vb = order(b);
  if (va.inf !== vb.inf) return va.inf < vb.inf ? -1 : 1;
  if (va.inf !== 0) return 0;
  const e = Math.min(va.exp, vb.exp);
  const x = va.v << BigInt(va.exp - e);
  const y = vb.v << BigInt(vb.exp - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

function order(u: Unpacked): { inf: number; v: bigint; exp: number } {
  if (u.cls === C_INF) return { inf: u.sign ? -1 : 1, v: 0n, exp: 0 };
  if (u.cls === C_ZERO) return { inf: 0, v: 0n, exp: 0 };
  return { inf: 0, v: u.sign ? -u.mant : u.mant, exp: u.exp };
}

/**
 * An operand rounded to an integer in mode `rc` (FIST, FISTTP with
 * RC_ZERO, FRNDINT): the signed integer, whether inexact and whether the
 * magnitude went up. Finite operands only.
 */
export function toInteger(u: Unpacked, rc: number): { v: bigint; inexact: boolean; up: boolean } {
  if (u.cls === C_ZERO) return { v: 0n, inexact: false, up: false };
  const r = roundAt(u.sign, u.mant, u.exp, false, 0, rc);
  return { v: u.sign ? -r.q : r.q, inexact: r.inexact, up: r.up };
}
