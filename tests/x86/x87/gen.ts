/**
 * Inputs and a runner for the x87 host-oracle tests. Every case runs
 *
 *   fninit; fldz ×8; fninit        all eight physical registers +0 and empty
 *                                  (the host's are stale from earlier cases)
 *   fldcw 0x40(%rdi)               a random control word (RC, PC, masks)
 *   <setup>                        pushes B then A (80-bit, from 0x10/0x00)
 *   <the instruction(s)>
 *   fxsave64 0x200(%rdi)           the whole x87 state into the data area,
 *   FOP/FIP/FDP zeroed             (the model keeps none of them), and
 *   MXCSR_MASK too                 (the AMD host's has bit 17, MM)
 *
 * on the host and on the model, and the data area (with the FXSAVE image:
 * FCW, FSW with TOP and flags, abridged tags, ST0-7 in stack order), the
 * GPRs and RFLAGS must agree. Operands are rich in special encodings: ±0,
 * denormals, pseudo-denormals, unnormals, ±∞, QNaN/SNaN with payloads,
 * pseudo-NaNs, values at the exponent limits and rounding ties at the 24,
 * 53 and 64-bit boundaries.
 */
import { compareResults } from '../host/cases.js';
import { assemble } from '../host/gas.js';
import { DATA_BASE, dataAfter, runNative, type DataPatch, type NativeCase, type NativeResult } from '../host/native.js';
import { Prng } from '../host/random.js';
import { runModel } from '../model.js';

export const MEM = DATA_BASE + 0x200n;

/** Stack setup before the instruction. */
export type Setup = 'none' | 'one' | 'two' | 'full';

export interface X87Form {
  readonly name: string;
  /** AT&T text run after the setup. */
  readonly asm: string;
  readonly setup: Setup;
  readonly count: number;
  /** Control word: random masks too (default: all exceptions masked, random RC/PC). */
  readonly unmask?: boolean;
  /** Operand generator (default `ext80`). */
  readonly a?: (rng: Prng) => bigint;
  readonly b?: (rng: Prng) => bigint;
  /** Leave out the FXSAVE epilogue (forms that fault before it). */
  readonly bare?: boolean;
  /** More data (offsets from DATA_BASE; `%rdi` is DATA_BASE + 0x200). */
  readonly data?: (rng: Prng) => DataPatch[];
}

/**
 * An FXSAVE image at 0x300(%rdi) for FXRSTOR64: FCW 037F with a random RC,
 * FSW with a random TOP (and sometimes sticky flags), a random abridged
 * tag byte, eight random registers, MXCSR 1F80.
 */
export function fxImage(rng: Prng): DataPatch[] {
  const img = new Uint8Array(512);
  const v = new DataView(img.buffer);
  v.setUint16(0, 0x37f | (rng.below(4) << 10), true);
  v.setUint16(2, (rng.below(8) << 11) | (rng.bool(0.2) ? rng.below(0x40) : 0), true);
  img[4] = rng.bool(0.2) ? 0xff : rng.below(256);
  v.setUint32(24, 0x1f80, true);
  for (let k = 0; k < 8; k++) img.set(bytesLE(ext80(rng), 10), 32 + 16 * k);
  return [{ offset: 0x500, bytes: img }];
}

const PROLOGUE = 'fninit; fldz; fldz; fldz; fldz; fldz; fldz; fldz; fldz; fninit; fldcw 0x40(%rdi);';
const EPILOGUE = '; fxsave64 0x200(%rdi); movw $0, 0x206(%rdi); movq $0, 0x208(%rdi); movq $0, 0x210(%rdi); movl $0, 0x21c(%rdi)';
const SETUP: Record<Setup, string> = {
  none: '',
  one: 'fldt (%rdi);',
  two: 'fldt 0x10(%rdi); fldt (%rdi);',
  full: 'fldt 0x10(%rdi); '.repeat(7) + 'fldt (%rdi);',
};

export function snippet(f: X87Form): string {
  return `${PROLOGUE} ${SETUP[f.setup]} ${f.asm}${f.bare ? '' : EPILOGUE}`;
}

const EXP_BIAS = 16383n;

/** A random 80-bit pattern (sign << 79 | exponent << 64 | significand), mostly special. */
export function ext80(rng: Prng): bigint {
  const sign = rng.bool() ? 1n << 79n : 0n;
  const J = 1n << 63n;
  const frac = (): bigint => rng.bits(63);
  const tieFrac = (): bigint => {
    // Low bits shaped for ties and near-ties at the 24/53/64-bit rounding points.
    const at = rng.pick([40, 11, 0, 39, 10]);
    const base = rng.bits(63) & ~((1n << BigInt(at + 1)) - 1n);
    const tail = rng.pick([1n << BigInt(at), (1n << BigInt(at)) + 1n, (1n << BigInt(at)) - 1n, 0n]);
    return base | (at === 0 ? rng.bits(1) : tail);
  };
  const e = (x: bigint): bigint => x << 64n;
  switch (rng.below(24)) {
    case 0: return sign;
    case 1: return sign | e(0x7fffn) | J; // ∞
    case 2: return sign | e(0x7fffn) | J | (1n << 62n) | (rng.bool() ? 0n : rng.bits(62)); // QNaN
    case 3: return sign | e(0x7fffn) | J | (rng.bits(62) | 1n); // SNaN
    case 4: return sign | (rng.bool() ? 1n : frac()); // denormal
    case 5: return sign | J | (rng.bool() ? 0n : frac()); // pseudo-denormal
    case 6: return sign | e(BigInt(rng.range(1, 0x7ffe))) | frac(); // unnormal
    case 7: return sign | e(0x7fffn) | (rng.bool() ? 0n : frac()); // pseudo-∞ / pseudo-NaN
    case 8: return sign | e(0x7ffen - BigInt(rng.below(3))) | J | frac(); // near overflow
    case 9: return sign | e(BigInt(rng.range(1, 4))) | J | frac(); // near underflow
    case 10: case 11: case 12: return sign | e(EXP_BIAS + BigInt(rng.range(-70, 70))) | J | tieFrac();
    case 13: return sign | e(EXP_BIAS + BigInt(rng.range(0, 64))) | J | (rng.bits(63) & ~((1n << BigInt(rng.range(20, 63))) - 1n)); // integer-ish
    case 14: return sign | e(EXP_BIAS) | J | (rng.bool() ? 0n : rng.bits(rng.range(1, 63))); // 1.x
    case 15: return sign | e(EXP_BIAS - 1n) | J | (rng.bool() ? 0n : rng.bits(3)); // 0.5
    case 16: return sign | e(BigInt(rng.range(0x3c01 - 60, 0x3c01 + 4))) | J | tieFrac(); // binary64 underflow
    case 17: return sign | e(BigInt(rng.range(0x43fe - 2, 0x43fe + 2))) | J | tieFrac(); // binary64 overflow
    case 18: return sign | e(BigInt(rng.range(0x3f81 - 30, 0x3f81 + 3))) | J | tieFrac(); // binary32 underflow
    case 19: return sign | e(BigInt(rng.range(0x407e - 2, 0x407e + 2))) | J | tieFrac(); // binary32 overflow
    case 20: return sign | e(EXP_BIAS + BigInt(rng.range(14, 64))) | J | tieFrac(); // integer limits
    default: return sign | e(EXP_BIAS + BigInt(rng.range(-200, 200))) | J | frac();
  }
}

/** Near `a`: same exponent, a few low bits changed, maybe the other sign (for sums that cancel, ties in compares). */
export function near(rng: Prng, a: bigint): bigint {
  let v = a ^ rng.bits(rng.range(1, 12));
  if (rng.bool()) v ^= 1n << 79n;
  return v;
}

/** A control word: random RC and PC (PC = 01 rarely), masks all set unless `unmask`. */
export function controlWord(rng: Prng, unmask: boolean): number {
  const pc = rng.bool(0.05) ? 1 : rng.pick([0, 2, 3, 3]);
  let cw = 0x40 | (rng.below(4) << 10) | (pc << 8) | 0x3f;
  if (unmask && rng.bool(0.6)) cw &= ~rng.range(1, 63);
  return cw;
}

function bytesLE(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function f64Of(rng: Prng): bigint {
  const s = rng.bool() ? 1n << 63n : 0n;
  switch (rng.below(8)) {
    case 0: return s;
    case 1: return s | (0x7ffn << 52n) | (rng.bool() ? 0n : (rng.bits(51) | 1n) | (rng.bool() ? 1n << 51n : 0n));
    case 2: return s | rng.bits(52); // denormal
    default: return s | (BigInt(rng.range(1, 0x7fe)) << 52n) | rng.bits(52);
  }
}

function f32Of(rng: Prng): bigint {
  const s = rng.bool() ? 1n << 31n : 0n;
  switch (rng.below(8)) {
    case 0: return s;
    case 1: return s | (0xffn << 23n) | (rng.bool() ? 0n : (rng.bits(22) | 1n) | (rng.bool() ? 1n << 22n : 0n));
    case 2: return s | rng.bits(23);
    default: return s | (BigInt(rng.range(1, 0xfe)) << 23n) | rng.bits(23);
  }
}

function intOf(rng: Prng): bigint {
  return rng.pick([rng.bits(64), rng.bits(rng.range(1, 64)), -rng.bits(rng.range(1, 63)), 0n, -1n, 1n << 63n, (1n << 63n) - 1n,
    0x8000n, 0x7fffn, 0xffff8000n, 0x80000000n, 0x7fffffffn, 0xffffffff80000000n]);
}

export interface Result {
  readonly form: X87Form;
  readonly cases: number;
  readonly failures: string[];
  readonly outcomes: Map<number, number>;
}

/** Runs every case of every form on host and model (one native batch) and compares them. */
export function runX87Forms(forms: readonly X87Form[], seed: number): Result[] {
  const codes = assemble(forms.map(snippet));
  const rng = new Prng(seed);
  const all: { form: number; c: NativeCase; desc: string }[] = [];
  forms.forEach((form, fi) => {
    for (let k = 0; k < form.count; k++) {
      const a = (form.a ?? ext80)(rng);
      const b = form.b ? form.b(rng) : rng.bool(0.3) ? near(rng, a) : ext80(rng);
      const cw = controlWord(rng, form.unmask ?? false);
      const m64 = rng.bool(0.3) ? f64Near(a) : f64Of(rng);
      const m32 = rng.bool(0.3) ? f32Near(a) : f32Of(rng);
      const int = intOf(rng);
      const data: DataPatch[] = [
        { offset: 0x200, bytes: bytesLE(a, 10) },
        { offset: 0x210, bytes: bytesLE(b, 10) },
        { offset: 0x220, bytes: bytesLE(m64, 8) },
        { offset: 0x228, bytes: bytesLE(m32, 4) },
        { offset: 0x230, bytes: bytesLE(BigInt.asUintN(64, int), 8) },
        { offset: 0x240, bytes: bytesLE(BigInt(cw), 2) },
        ...(form.data?.(rng) ?? []),
      ];
      const desc = `cw=${cw.toString(16)} a=${a.toString(16)} b=${b.toString(16)} m64=${m64.toString(16)} m32=${m32.toString(16)} int=${int}`;
      all.push({ form: fi, c: { code: codes[fi]!, regs: { rdi: MEM }, rflags: rng.rflags(), data }, desc });
    }
  });
  const native = runNative(all.map((x) => x.c));
  const results: Result[] = forms.map((form) => ({ form, cases: 0, failures: [], outcomes: new Map<number, number>() }));
  all.forEach(({ form, c, desc }, i) => {
    const r = results[form]!;
    (r as { cases: number }).cases++;
    const t = native[i]!.signal?.trapno ?? -1;
    r.outcomes.set(t, (r.outcomes.get(t) ?? 0) + 1);
    const model = runModel(c);
    const diffs = compareResults(native[i]!, model, { faultDetails: false });
    if (diffs.length > 0 && r.failures.length < 4) r.failures.push(`${desc}: ${explain(c, native[i]!, model, diffs)}`);
  });
  return results;
}

/** The binary64 nearest-ish to an 80-bit pattern (for compares and arithmetic between close operands). */
function f64Near(a: bigint): bigint {
  const s = (a >> 79n) & 1n;
  const e = Number((a >> 64n) & 0x7fffn) - 16383 + 1023;
  if (e <= 0 || e >= 0x7ff) return s << 63n;
  return (s << 63n) | (BigInt(e) << 52n) | ((a >> 11n) & ((1n << 52n) - 1n));
}

function f32Near(a: bigint): bigint {
  const s = (a >> 79n) & 1n;
  const e = Number((a >> 64n) & 0x7fffn) - 16383 + 127;
  if (e <= 0 || e >= 0xff) return s << 31n;
  return (s << 31n) | (BigInt(e) << 23n) | ((a >> 40n) & ((1n << 23n) - 1n));
}

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).reverse().toString('hex');

/** The differences, with the FXSAVE image split into fields (host vs model). */
function explain(c: NativeCase, host: NativeResult, model: NativeResult, diffs: string[]): string {
  const out = diffs.filter((d) => !d.startsWith('data changes'));
  if (out.length === diffs.length) return out.join('; ');
  const h = dataAfter(c, host);
  const m = dataAfter(c, model);
  const fields: [string, number, number][] = [
    ['FCW', 0x400, 2], ['FSW', 0x402, 2], ['FTW', 0x404, 1], ['rest', 0x405, 27],
    ...Array.from({ length: 8 }, (_v, k): [string, number, number] => [`ST${k}`, 0x420 + 16 * k, 16]),
    ['store', 0x250, 16], ['env', 0x260, 28],
  ];
  for (const [name, off, n] of fields) {
    const a = hexOf(h.subarray(off, off + n));
    const b = hexOf(m.subarray(off, off + n));
    if (a !== b) out.push(`${name} ${a} vs ${b}`);
  }
  return out.join('; ');
}
