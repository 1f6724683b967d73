/**
 * Seeded randomness for instruction case generators: a small fast PRNG
 * (sfc32: reproducible from a 32-bit seed, no dependency) and helpers that
 * favour the values where flag logic breaks: 0, 1, -1, the sign boundaries
 * 0x7f/0x80, 0x7fff/0x8000, 0x7fffffff/0x80000000, 2^63-1/2^63, their
 * neighbours, single bits, small numbers, and fully random values.
 */
import { ARITH_FLAGS, FLAG, GPR_NAMES, RFLAGS_FIXED, type Gprs } from './native.js';

export type OperandBits = 8 | 16 | 32 | 64;
export const OPERAND_SIZES: readonly OperandBits[] = [8, 16, 32, 64];

export function mask(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32. */
  below(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  bool(pTrue = 0.5): boolean {
    return this.u32() / 0x1_0000_0000 < pTrue;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.below(items.length)] as T;
  }

  /** Uniform unsigned value of `bits` bits (any multiple of 1 up to 128). */
  bits(bits: number): bigint {
    let v = 0n;
    for (let got = 0; got < bits; got += 32) v = (v << 32n) | BigInt(this.u32());
    return v & mask(bits);
  }

  u64(): bigint {
    return this.bits(64);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /**
   * An "interesting" unsigned value of `bits` bits: about half the time one of
   * the boundary values of that size (0, 1, 2, -1, -2, max signed, min signed
   * and their neighbours, the 8/16/32-bit boundaries inside wider sizes, a
   * single bit, all-but-one bit), otherwise a small number, a small negative
   * one, or a fully random value.
   */
  interesting(bits: number): bigint {
    const m = mask(bits);
    const half = 1n << BigInt(bits - 1);
    const k = this.below(16);
    if (k < 8) {
      const narrower = OPERAND_SIZES.filter((s) => s <= bits);
      const nb = BigInt(this.pick(narrower));
      const candidates = [
        0n, 1n, 2n, m, m - 1n, half - 1n, half, half + 1n, half - 2n,
        (1n << (nb - 1n)) - 1n, 1n << (nb - 1n), (1n << nb) - 1n, 1n << nb,
      ];
      return this.pick(candidates) & m;
    }
    if (k < 10) return (1n << BigInt(this.below(bits))) & m; // one bit
    if (k < 11) return m ^ (1n << BigInt(this.below(bits))); // all bits but one
    if (k < 13) return BigInt(this.below(256)) & m; // small
    if (k < 14) return (-BigInt(this.range(1, 256))) & m; // small negative
    return this.bits(bits); // random
  }

  /**
   * A 64-bit register value whose low `bits` bits are interesting and whose
   * upper bits are random garbage (or zero / all ones), so narrow operations
   * show whether they preserve, zero or sign-fill the rest of the register.
   */
  interestingReg(bits: OperandBits): bigint {
    const low = this.interesting(bits);
    if (bits === 64) return low;
    const k = this.below(4);
    const upper = k === 0 ? 0n : k === 1 ? mask(64 - bits) : this.bits(64 - bits);
    return (upper << BigInt(bits)) | low;
  }

  /** RFLAGS with a random subset of the arithmetic flags (and DF if asked), plus bit 1 and IF. */
  rflags(options: { df?: boolean } = {}): bigint {
    let f = RFLAGS_FIXED;
    for (const bit of [FLAG.CF, FLAG.PF, FLAG.AF, FLAG.ZF, FLAG.SF, FLAG.OF]) if (this.bool()) f |= bit;
    if (options.df && this.bool()) f |= FLAG.DF;
    return f & (ARITH_FLAGS | FLAG.DF | RFLAGS_FIXED);
  }

  /**
   * All 16 GPRs interesting (64-bit) except those listed in `keep`, which are
   * copied (typically rsp: keep it at the stack so push/pop work).
   */
  gprs(keep: Partial<Gprs> = {}): Gprs {
    const out = {} as Gprs;
    for (const name of GPR_NAMES) out[name] = keep[name] ?? this.interestingReg(this.pick(OPERAND_SIZES));
    return out;
  }

  /** XMM value (128 bits) built from interesting lanes of a random lane size. */
  xmm(): bigint {
    const lane = this.pick(OPERAND_SIZES);
    let v = 0n;
    for (let i = 0; i < 128 / lane; i++) v = (v << BigInt(lane)) | this.interesting(lane);
    return v;
  }
}

/** Sign-extends the low `bits` bits of `v` to a bigint in [-2^(bits-1), 2^(bits-1)). */
export function signed(v: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, v);
}

/** Parity flag value of the low byte (1 when the number of set bits is even). */
export function parityEven(v: bigint): boolean {
  let x = Number(v & 0xffn);
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return (x & 1) === 0;
}
