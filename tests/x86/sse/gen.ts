/**
 * Inputs for the SSE host-oracle tests: XMM values built from special
 * floating-point lanes (±0, ±inf, QNaN/SNaN with payloads, denormals,
 * extremes, integers and halves, values that overflow or underflow when
 * combined), MXCSR values (rounding modes, FTZ/DAZ, unmasked exceptions,
 * sticky flags), and a runner that compares host and model case by case.
 */
import { compareResults, type CompareOptions } from '../host/cases.js';
import { assemble } from '../host/gas.js';
import { DATA_BASE, runNative, type DataPatch, type Gprs, type NativeCase } from '../host/native.js';
import { Prng } from '../host/random.js';
import { runModel } from '../model.js';

const f64buf = new Float64Array(1);
const u64 = new BigUint64Array(f64buf.buffer);
const f32buf = new Float32Array(1);
const u32 = new Uint32Array(f32buf.buffer);

function bitsOf64(x: number): bigint {
  f64buf[0] = x;
  return u64[0]!;
}

function bitsOf32(x: number): bigint {
  f32buf[0] = x;
  return BigInt(u32[0]!);
}

/** A special or random binary64 bit pattern. */
export function f64Lane(rng: Prng): bigint {
  const sign = rng.bool() ? 1n << 63n : 0n;
  const frac = (): bigint => rng.bits(52);
  switch (rng.below(22)) {
    case 0: return sign;
    case 1: return sign | (0x7ffn << 52n);
    case 2: return sign | (0x7ffn << 52n) | (1n << 51n) | (rng.bool() ? 0n : rng.bits(51));
    case 3: return sign | (0x7ffn << 52n) | (rng.bits(51) | 1n); // SNaN
    case 4: return sign | (rng.bool() ? 1n : frac() | 1n); // denormal
    case 5: return sign | ((1n << 52n) - 1n);
    case 6: return sign | (1n << 52n) | (rng.bool() ? 0n : rng.bits(3)); // min normal (+ a bit)
    case 7: return sign | (0x7fen << 52n) | frac(); // near overflow
    case 8: return sign | (BigInt(rng.range(1, 60)) << 52n) | frac(); // near underflow
    case 9: return sign | (BigInt(rng.range(0x3c0, 0x440)) << 52n) | frac(); // ordinary
    case 10: return bitsOf64(Number(rng.bits(rng.range(1, 64))) * (sign ? -1 : 1)); // integer-valued
    case 11: return bitsOf64((rng.range(-5000, 5000) + 0.5) * 2 ** rng.range(-3, 0));
    case 12: return bitsOf64(rng.pick([2 ** 31, 2 ** 31 - 1, 2 ** 31 - 0.5, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 31) - 0.5,
      2 ** 63, -(2 ** 63), 2 ** 63 - 1024, -(2 ** 63) - 2048, 2 ** 32, 2 ** 64, 1.5, -0.5, 0.49999999999999994]));
    case 13: return sign | (0x3ffn << 52n) | (rng.bool() ? 0n : rng.bits(rng.range(1, 52))); // 1.x
    case 14: return sign | (BigInt(rng.range(0x380, 0x47f)) << 52n) | frac(); // float32 range
    case 15: return sign | (BigInt(rng.range(0x368, 0x381)) << 52n) | frac(); // float32 underflow
    case 16: return sign | (0x47en << 52n) | frac(); // float32 overflow edge
    default: return sign | (BigInt(rng.range(1, 0x7fe)) << 52n) | frac();
  }
}

/** A special or random binary32 bit pattern. */
export function f32Lane(rng: Prng): bigint {
  const sign = rng.bool() ? 1n << 31n : 0n;
  const frac = (): bigint => rng.bits(23);
  switch (rng.below(20)) {
    case 0: return sign;
    case 1: return sign | (0xffn << 23n);
    case 2: return sign | (0xffn << 23n) | (1n << 22n) | (rng.bool() ? 0n : rng.bits(22));
    case 3: return sign | (0xffn << 23n) | (rng.bits(22) | 1n);
    case 4: return sign | (rng.bool() ? 1n : frac() | 1n);
    case 5: return sign | ((1n << 23n) - 1n);
    case 6: return sign | (1n << 23n) | (rng.bool() ? 0n : rng.bits(3));
    case 7: return sign | (0xfen << 23n) | frac();
    case 8: return sign | (BigInt(rng.range(1, 30)) << 23n) | frac();
    case 9: return sign | (BigInt(rng.range(0x60, 0xa0)) << 23n) | frac();
    case 10: return bitsOf32(Number(rng.bits(rng.range(1, 64))) * (sign ? -1 : 1));
    case 11: return bitsOf32((rng.range(-5000, 5000) + 0.5) * 2 ** rng.range(-3, 0));
    case 12: return bitsOf32(rng.pick([2 ** 31, -(2 ** 31), 2 ** 63, -(2 ** 63), 2 ** 32, 1.5, -0.5, 2147483520, -2147483904]));
    case 13: return sign | (0x7fn << 23n) | (rng.bool() ? 0n : rng.bits(rng.range(1, 23)));
    default: return sign | (BigInt(rng.range(1, 0xfe)) << 23n) | frac();
  }
}

export type Lanes = 'f32' | 'f64' | 'int';

/** A 128-bit XMM value with lanes of the given kind. */
export function xmmOf(rng: Prng, lanes: Lanes): bigint {
  if (lanes === 'int') return rng.xmm();
  let v = 0n;
  if (lanes === 'f64') for (let i = 0; i < 2; i++) v |= (rng.bool(0.85) ? f64Lane(rng) : rng.bits(64)) << BigInt(64 * i);
  else for (let i = 0; i < 4; i++) v |= (rng.bool(0.85) ? f32Lane(rng) : rng.bits(32)) << BigInt(32 * i);
  return v;
}

/** A value near `v`'s low lane (same exponent, a few low bits changed; maybe the other sign). */
export function nearLane(rng: Prng, v: bigint, lanes: Lanes): bigint {
  const width = lanes === 'f64' ? 64n : 32n;
  const m = (1n << width) - 1n;
  let lane = v & m;
  lane ^= rng.bits(rng.range(1, 8));
  if (rng.bool()) lane ^= 1n << (width - 1n);
  return (v & ~m) | lane;
}

/** MXCSR with a random rounding mode and sometimes FTZ, DAZ, unmasked exceptions, sticky flags. */
export function mxcsrOf(rng: Prng): number {
  let m = 0x1f80 | (rng.below(4) << 13);
  if (rng.bool(0.15)) m |= 1 << 15;
  if (rng.bool(0.15)) m |= 1 << 6;
  if (rng.bool(0.2)) m &= ~(rng.range(1, 63) << 7);
  if (rng.bool(0.2)) m |= rng.range(0, 63);
  return m;
}

/** Where memory operands live: `(%rdi)`; 16-byte aligned. */
export const MEM = DATA_BASE + 0x200n;
export const MEM_OFFSET = 0x200;

export interface SseForm {
  readonly name: string;
  /** AT&T text; `%xmm1` is the destination, `%xmm2` or `(%rdi)` the source by convention. */
  readonly asm: string;
  readonly lanes: Lanes;
  /** Cases to run. */
  readonly count: number;
  /** Fixed GPRs (rdi defaults to MEM). */
  readonly regs?: (rng: Prng) => Partial<Gprs>;
  /** Compare options (e.g. mask undefined flags). */
  readonly compare?: CompareOptions;
  /** Keep MXCSR at 0x1f80 (integer forms: rounding does not matter). */
  readonly plainMxcsr?: boolean;
  /** XMM1 and XMM2 (low lanes) from this instead of the lane generator. */
  readonly pair?: (rng: Prng) => [bigint, bigint];
  /** Data at MEM: 32 bytes of lanes (default), or what this returns. */
  readonly data?: (rng: Prng) => DataPatch[];
}

export interface FormResult {
  readonly form: SseForm;
  readonly cases: number;
  readonly failures: string[];
  /** Host outcomes: trap number → cases (-1 = completed), to show what the inputs reached. */
  readonly outcomes: Map<number, number>;
}

function lanesBytes(rng: Prng, lanes: Lanes): Uint8Array {
  const out = new Uint8Array(32);
  for (let h = 0; h < 2; h++) {
    let v = xmmOf(rng, lanes);
    for (let i = 0; i < 16; i++) {
      out[h * 16 + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  return out;
}

/** Generates, runs on host and model, and compares every case of every form (one native batch). */
export function runForms(forms: readonly SseForm[], seed: number): FormResult[] {
  const codes = assemble(forms.map((f) => f.asm));
  const rng = new Prng(seed);
  const all: { form: number; c: NativeCase }[] = [];
  forms.forEach((form, fi) => {
    for (let k = 0; k < form.count; k++) {
      const xmm = Array.from({ length: 16 }, () => xmmOf(rng, form.lanes));
      if (form.lanes !== 'int' && rng.bool(0.3)) xmm[2] = nearLane(rng, xmm[1]!, form.lanes);
      if (form.pair) [xmm[1], xmm[2]] = form.pair(rng);
      const regs: Partial<Gprs> = {
        rax: rng.interestingReg(rng.pick([32, 64] as const)),
        rcx: rng.interestingReg(64),
        rdi: MEM,
        ...form.regs?.(rng),
      };
      const data = form.data ? form.data(rng) : [{ offset: MEM_OFFSET, bytes: lanesBytes(rng, form.lanes) }];
      if (form.lanes !== 'int' && !form.data && rng.bool(0.3)) {
        // The memory source near the destination's low lane, as for xmm2.
        const near = nearLane(rng, xmm[1]!, form.lanes);
        const b = data[0]!.bytes;
        let v = near;
        for (let i = 0; i < 8; i++) {
          b[i] = Number(v & 0xffn);
          v >>= 8n;
        }
      }
      all.push({
        form: fi,
        c: { code: codes[fi]!, regs, xmm, mxcsr: form.plainMxcsr ? 0x1f80 : mxcsrOf(rng), data },
      });
    }
  });
  const native = runNative(all.map((x) => x.c));
  const results: FormResult[] = forms.map((form) => ({ form, cases: 0, failures: [], outcomes: new Map<number, number>() }));
  all.forEach(({ form, c }, i) => {
    const r = results[form]!;
    (r as { cases: number }).cases++;
    const t = native[i]!.signal?.trapno ?? -1;
    r.outcomes.set(t, (r.outcomes.get(t) ?? 0) + 1);
    const diffs = compareResults(native[i]!, runModel(c), forms[form]!.compare ?? {});
    if (diffs.length > 0 && r.failures.length < 5) {
      const x = (n: number): string => `0x${(c.xmm?.[n] ?? 0n).toString(16)}`;
      r.failures.push(`mxcsr=0x${(c.mxcsr ?? 0).toString(16)} xmm1=${x(1)} xmm2=${x(2)} rax=0x${(c.regs?.rax ?? 0n).toString(16)} ` +
        `mem=${Buffer.from(c.data?.[0]?.bytes ?? []).toString('hex').slice(0, 32)}: ${diffs.join('; ')}`);
    }
  });
  return results;
}
