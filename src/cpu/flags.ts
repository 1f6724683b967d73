/**
 * RFLAGS with lazily computed arithmetic flags.
 *
 * Most instructions that set flags are followed by one that reads at most
 * one or two of them (cmp; jcc), so the ALU records its operands and result
 * and the flags are worked out only when read — the classic emulator trick
 * (Bochs' lazy flags, v86's `flags_changed`). Everything not computed
 * lazily (IF, DF, TF, AC, ... and the arithmetic flags after a non-lazy
 * producer) lives in `raw`.
 *
 *   31      22 21 20  19  18 17 16 15 14 13:12 11 10  9  8  7  6  5  4  3  2  1  0
 *  +---------+--+---+---+--+--+--+--+--+-----+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |    0    |ID|VIP|VIF|AC|VM|RF| 0|NT| IOPL|OF|DF|IF|TF|SF|ZF| 0|AF| 0|PF| 1|CF|
 *  +---------+--+---+---+--+--+--+--+--+-----+--+--+--+--+--+--+--+--+--+--+--+--+
 * @see Intel SDM Vol. 1 §3.4.3 "EFLAGS Register"; Vol. 3A §2.3
 *
 * Values are 32-bit halves held in JS numbers (int32 bit patterns); a
 * 64-bit operand keeps its high half in the `*Hi` fields.
 */

export const CF = 1 << 0;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const IOPL = 3 << 12;
export const NT = 1 << 14;
export const RF = 1 << 16;
export const VM = 1 << 17;
export const AC = 1 << 18;
export const VIF = 1 << 19;
export const VIP = 1 << 20;
export const ID = 1 << 21;
/** Bit 1 always reads as 1. */
export const RFLAGS_FIXED = 1 << 1;

/** The six arithmetic status flags. */
export const STATUS_FLAGS = CF | PF | AF | ZF | SF | OF;

/** Kinds of lazy flag producer. */
export const LAZY_NONE = 0;
/** add/adc (`carryIn` 1 for adc with CF set). */
export const LAZY_ADD = 1;
/** sub/sbb/cmp/neg (neg as 0 - src). */
export const LAZY_SUB = 2;
/** and/or/xor/test: CF = OF = 0, AF = 0 (AF is undefined; hardware clears it). */
export const LAZY_LOGIC = 3;
/** inc: as add of 1, CF unchanged (kept in `raw`). */
export const LAZY_INC = 4;
/** dec: as sub of 1, CF unchanged (kept in `raw`). */
export const LAZY_DEC = 5;

/** PF of a byte: set when it has an even number of 1 bits. Shared by every flag producer. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i;
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  PARITY[i] = (b & 1) === 0 ? PF : 0;
}

/** Mask of a size's value bits in a 32-bit half (size 8 uses the full half twice). */
function lowMask(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
}

function signBitOf(size: number): number {
  return size === 1 ? 0x80 : size === 2 ? 0x8000 : 0x8000_0000;
}

export class Rflags {
  /** Flags not computed lazily, plus all of them when `kind` is LAZY_NONE. Bit 1 is kept set. */
  raw = RFLAGS_FIXED;
  kind = LAZY_NONE;
  size = 4;
  carryIn = 0;
  dst = 0;
  dstHi = 0;
  src = 0;
  srcHi = 0;
  res = 0;
  resHi = 0;

  /**
   * Records an ALU result; flags are computed when read. For sizes below 8
   * the `*Hi` arguments are ignored.
   */
  setLazy(kind: number, size: number, dst: number, dstHi: number, src: number, srcHi: number, res: number, resHi: number, carryIn = 0): void {
    if (kind === LAZY_INC || kind === LAZY_DEC) {
      // CF survives inc/dec: fold the current CF into raw before it is lost.
      this.raw = (this.raw & ~CF) | (this.cf() ? CF : 0);
    }
    this.kind = kind;
    this.size = size;
    this.dst = dst;
    this.dstHi = dstHi;
    this.src = src;
    this.srcHi = srcHi;
    this.res = res;
    this.resHi = resHi;
    this.carryIn = carryIn;
  }

  /**
   * Records the result of AND/OR/XOR/TEST (`setLazy(LAZY_LOGIC, ...)`
   * without the operands, which no flag of a logic result reads).
   */
  setLogic(size: number, res: number, resHi: number): void {
    this.kind = LAZY_LOGIC;
    this.size = size;
    this.res = res;
    this.resHi = resHi;
  }

  cf(): boolean {
    switch (this.kind) {
      case LAZY_NONE:
      case LAZY_INC:
      case LAZY_DEC:
        return (this.raw & CF) !== 0;
      case LAZY_LOGIC:
        return false;
      case LAZY_ADD:
        return this.carryIn !== 0 ? ult(this.res, this.resHi, this.dst, this.dstHi, this.size, true) : ult(this.res, this.resHi, this.dst, this.dstHi, this.size, false);
      default: // LAZY_SUB: borrow
        return this.carryIn !== 0 ? ult(this.dst, this.dstHi, this.src, this.srcHi, this.size, true) : ult(this.dst, this.dstHi, this.src, this.srcHi, this.size, false);
    }
  }

  zf(): boolean {
    if (this.kind === LAZY_NONE) return (this.raw & ZF) !== 0;
    if (this.size === 8) return (this.res | this.resHi) === 0;
    return (this.res & lowMask(this.size)) === 0;
  }

  sf(): boolean {
    if (this.kind === LAZY_NONE) return (this.raw & SF) !== 0;
    return this.size === 8 ? this.resHi < 0 : (this.res & signBitOf(this.size)) !== 0;
  }

  of(): boolean {
    const k = this.kind;
    if (k === LAZY_NONE) return (this.raw & OF) !== 0;
    if (k === LAZY_LOGIC) return false;
    const sb = signBitOf(this.size);
    const d = this.size === 8 ? this.dstHi : this.dst;
    const s = this.size === 8 ? this.srcHi : this.src;
    const r = this.size === 8 ? this.resHi : this.res;
    if (k === LAZY_ADD || k === LAZY_INC) return ((d ^ r) & (s ^ r) & sb) !== 0;
    return ((d ^ s) & (d ^ r) & sb) !== 0;
  }

  pf(): boolean {
    if (this.kind === LAZY_NONE) return (this.raw & PF) !== 0;
    return PARITY[this.res & 0xff] !== 0;
  }

  af(): boolean {
    const k = this.kind;
    if (k === LAZY_NONE) return (this.raw & AF) !== 0;
    if (k === LAZY_LOGIC) return false;
    return ((this.dst ^ this.src ^ this.res) & 0x10) !== 0;
  }

  /** The full RFLAGS value (bits 31:0; bits 63:32 are reserved as 0). */
  get(): number {
    if (this.kind === LAZY_NONE) return this.raw;
    return (
      (this.raw & ~STATUS_FLAGS) |
      (this.cf() ? CF : 0) |
      (this.pf() ? PF : 0) |
      (this.af() ? AF : 0) |
      (this.zf() ? ZF : 0) |
      (this.sf() ? SF : 0) |
      (this.of() ? OF : 0)
    );
  }

  /** Loads RFLAGS as is (callers apply the masks the instruction defines). */
  set(value: number): void {
    this.raw = (value | RFLAGS_FIXED) & ~((1 << 3) | (1 << 5) | (1 << 15) | ~0x3f_ffff);
    this.kind = LAZY_NONE;
  }

  /** Materialises the lazy flags into `raw` and sets/clears `bits` there. */
  update(set: number, clear: number): void {
    this.raw = (this.get() | set) & ~clear;
    this.kind = LAZY_NONE;
  }

  /**
   * The condition of Jcc/SETcc/CMOVcc encoding `cc` (low 4 bits of the
   * opcode). @see Intel SDM Vol. 1 Appendix B "EFLAGS Condition Codes"
   */
  cond(cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0: r = this.of(); break; // O
      case 1: r = this.cf(); break; // B/C
      case 2: r = this.zf(); break; // E/Z
      case 3: r = this.cf() || this.zf(); break; // BE
      case 4: r = this.sf(); break; // S
      case 5: r = this.pf(); break; // P
      case 6: r = this.sf() !== this.of(); break; // L
      default: r = this.zf() || this.sf() !== this.of(); break; // LE
    }
    return (cc & 1) === 0 ? r : !r;
  }
}

/**
 * Unsigned a < b (or a <= b when `orEqual`) at `size`; for size 8 the
 * high halves decide first.
 */
function ult(a: number, aHi: number, b: number, bHi: number, size: number, orEqual: boolean): boolean {
  if (size === 8) {
    const ah = aHi >>> 0;
    const bh = bHi >>> 0;
    if (ah !== bh) return ah < bh;
  }
  const m = size === 8 || size === 4 ? 0xffff_ffff : lowMask(size);
  const al = (a & m) >>> 0;
  const bl = (b & m) >>> 0;
  return orEqual ? al <= bl : al < bl;
}
