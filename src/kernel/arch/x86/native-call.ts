/**
 * The shapes of a native ("C") function and of one call to it: what a body
 * returns, the generator form of a body that might sleep, and the call
 * record — the frame and the argument registers as they were at the call.
 */
import { RCX, RDI, RDX, RSI, linearOf } from '../../../cpu/core.js';

/** Argument registers of the System V AMD64 ABI, in order. */
export const ARG_REGS = [RDI, RSI, RDX, RCX, 8, 9] as const;

/** What a body returns in RAX: a number (sign-extended), a bigint (64 bits), a boolean, or nothing. */
export type NativeResult = number | bigint | boolean | void;

export interface NativeCall {
  readonly fn: NativeFunctionInfo;
  /** RBP of this call's frame: saved RBP at [frame], return address at [frame + 8]. */
  readonly frame: number;
  /** Address of the locals (frame - fn.locals). */
  readonly locals: number;
  /** Argument `i` (0-based, RDI RSI RDX RCX R8 R9) as an unsigned 64-bit bigint. */
  arg(i: number): bigint;
  /** Argument `i` as an address (the canonical sign-extended number the CPU uses). */
  address(i: number): number;
  /** Bits 31:0 of argument `i` as a signed 32-bit number (a C `int` argument), without a BigInt. */
  argInt(i: number): number;
}

/** A body that might sleep: yields are context-switch requests (generic/sleep.ts). */
export type SleepingBody = Generator<unknown, NativeResult, undefined>;



/** What a call record knows of its function (the body lives with the runtime, native.ts). */
export interface NativeFunctionInfo {
  readonly name: string;
  readonly address: number;
  /** Bytes of locals below the saved RBP (a multiple of 8). */
  readonly locals: number;
}

/** A call's frame and its argument registers as they were at the call (the body may clobber the registers). */
export class CallRecord implements NativeCall {
  readonly locals: number;
  // RDI RSI RDX RCX R8 R9 at the call, as int32 halves (plain fields: one allocation per call).
  private readonly l0: number; private readonly h0: number;
  private readonly l1: number; private readonly h1: number;
  private readonly l2: number; private readonly h2: number;
  private readonly l3: number; private readonly h3: number;
  private readonly l4: number; private readonly h4: number;
  private readonly l5: number; private readonly h5: number;

  constructor(
    readonly fn: NativeFunctionInfo,
    readonly frame: number,
    lo: ArrayLike<number>,
    hi: ArrayLike<number>,
  ) {
    this.locals = frame - fn.locals;
    this.l0 = lo[RDI]!; this.h0 = hi[RDI]!;
    this.l1 = lo[RSI]!; this.h1 = hi[RSI]!;
    this.l2 = lo[RDX]!; this.h2 = hi[RDX]!;
    this.l3 = lo[RCX]!; this.h3 = hi[RCX]!;
    this.l4 = lo[8]!; this.h4 = hi[8]!;
    this.l5 = lo[9]!; this.h5 = hi[9]!;
  }

  private half(i: number): [number, number] {
    switch (i) {
      case 0: return [this.l0, this.h0];
      case 1: return [this.l1, this.h1];
      case 2: return [this.l2, this.h2];
      case 3: return [this.l3, this.h3];
      case 4: return [this.l4, this.h4];
      case 5: return [this.l5, this.h5];
      default: return [0, 0];
    }
  }

  arg(i: number): bigint {
    const [lo, hi] = this.half(i);
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  address(i: number): number {
    const [lo, hi] = this.half(i);
    return linearOf(hi, lo);
  }

  argInt(i: number): number {
    return this.half(i)[0] | 0;
  }
}

export function isSleeping(r: NativeResult | SleepingBody): r is SleepingBody {
  return typeof r === 'object' && r !== null;
}

export function toBig(r: NativeResult): bigint {
  if (r === undefined) return 0n;
  if (typeof r === 'boolean') return r ? 1n : 0n;
  return BigInt.asUintN(64, BigInt(r));
}
