/**
 * Shifts and rotates vs the host CPU: ROL ROR RCL RCR SHL SHR SAL SAR (and
 * the /6 alias of SHL) by 1, by imm8 and by CL, every size, register
 * (incl. AH..BH) and memory; counts 0, 1, size - 1, size, size + 1, 31, 32,
 * 33, 63, 64, 255 and random, so masking and the RCL/RCR modulo are hit.
 * SHLD/SHRD by imm8 and CL, 16/32/64-bit, register and memory.
 * @see Intel SDM Vol. 2B "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD"
 */
import { describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE, type NativeCase } from '../host/native.js';
import {
  MEM_ADDR, Prng, SIZES, SUFFIX, drawCases, familySeed, forms, memData, reg, regPair, runCases, summarize,
  type OperandBits, type SemForm,
} from './family.js';
import { undefinedFlags } from './undefined-flags.js';

const OPS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];

/** Counts worth trying for a `bits`-wide operand (before masking). */
function count(rng: Prng, bits: number): number {
  if (rng.bool(0.25)) return rng.below(256);
  return rng.pick([0, 1, 2, bits - 1, bits, bits + 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255]);
}

function masked(c: number, bits: number): number {
  return c & (bits === 64 ? 0x3f : 0x1f);
}

type Kind = 'one' | 'imm' | 'cl';

interface ShiftText {
  readonly text: string;
  readonly mnemonic: string;
  readonly bits: OperandBits;
  readonly mem: boolean;
  readonly kind: Kind;
  /** The imm8 (kind 'imm') or the CL value (kind 'cl'). */
  readonly n: number;
}

/** RCX = CL count with random upper bits; undefined flags from the masked count. */
function formOf(t: ShiftText, repeat: number): Omit<SemForm, 'name' | 'code'> {
  const undef = (c: NativeCase): bigint => {
    const raw = t.kind === 'one' ? 1 : t.kind === 'imm' ? t.n : Number((c.regs?.rcx ?? 0n) & 0xffn);
    return undefinedFlags(t.mnemonic, { bits: t.bits, count: masked(raw, t.bits) });
  };
  return {
    bits: t.bits,
    repeat,
    undef,
    regs: (rng) => ({
      ...(t.mem ? { rbx: MEM_ADDR } : {}),
      ...(t.kind === 'cl' ? { rcx: (rng.u64() & ~0xffn) | BigInt(t.n) } : {}),
    }),
    ...(t.mem ? { data: memData(t.bits) } : {}),
  };
}

/** A destination operand that is not RCX (so CL stays the count). */
function dest(rng: Prng, bits: OperandBits): string {
  for (;;) {
    const [a] = regPair(rng, bits);
    if (!/^%(r?cx|ecx|cl|ch)$/.test(a)) return a;
  }
}

function group2Texts(rng: Prng, rounds: number): ShiftText[] {
  const out: ShiftText[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const op of OPS) {
      for (const bits of SIZES) {
        const s = SUFFIX[bits];
        const mem = rng.bool(0.3);
        const d = mem ? `${rng.pick([0, 8, -8])}(%rbx)` : dest(rng, bits);
        const ci = count(rng, bits);
        const cc = count(rng, bits);
        out.push(
          { text: `${op}${s} ${d}`, mnemonic: op, bits, mem, kind: 'one', n: 1 },
          { text: `${op}${s} $${ci}, ${d}`, mnemonic: op, bits, mem, kind: 'imm', n: ci },
          { text: `${op}${s} %cl, ${d}`, mnemonic: op, bits, mem, kind: 'cl', n: cc },
        );
      }
    }
  }
  return out;
}

/** D0-D3 /6 and C0/C1 /6: the undocumented alias of SHL (AMD and Intel execute it as SHL). */
function sal6Texts(rng: Prng): ShiftText[] {
  const out: ShiftText[] = [];
  for (let i = 0; i < 8; i++) {
    const c = count(rng, 32);
    out.push(
      { text: '.byte 0xd1, 0xf0', mnemonic: 'shl', bits: 32, mem: false, kind: 'one', n: 1 },
      { text: '.byte 0x48, 0xd3, 0xf6', mnemonic: 'shl', bits: 64, mem: false, kind: 'cl', n: c },
      { text: `.byte 0xc0, 0xf2, ${c}`, mnemonic: 'shl', bits: 8, mem: false, kind: 'imm', n: c },
    );
  }
  return out;
}

function doubleTexts(rng: Prng, rounds: number): ShiftText[] {
  const out: ShiftText[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const op of ['shld', 'shrd']) {
      for (const bits of [16, 32, 64] as const) {
        const s = SUFFIX[bits];
        const mem = rng.bool(0.3);
        const d = mem ? `${rng.pick([0, 8, -8])}(%rbx)` : dest(rng, bits);
        const src = dest(rng, bits);
        const ci = count(rng, bits);
        const cc = count(rng, bits);
        out.push(
          { text: `${op}${s} $${ci}, ${src}, ${d}`, mnemonic: op, bits, mem, kind: 'imm', n: ci },
          { text: `${op}${s} %cl, ${src}, ${d}`, mnemonic: op, bits, mem, kind: 'cl', n: cc },
        );
      }
    }
  }
  return out;
}

function build(texts: readonly ShiftText[], repeat: number): SemForm[] {
  return forms(texts.map((t) => t.text), (_s, i) => formOf(texts[i]!, repeat));
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: shifts and rotates', () => {
  it('group 2 (ROL ROR RCL RCR SHL SHR SAL SAR, /6) by 1, imm8, CL', () => {
    const seed = familySeed(0x5a51);
    const rng = new Prng(seed);
    const report = runCases(seed, drawCases(build([...group2Texts(rng, 15), ...sal6Texts(rng)], 1), rng));
    expect(report.cases).toBeGreaterThanOrEqual(1400);
    expect(summarize(report)).toBe('');
  });

  it('SHLD SHRD by imm8 and CL', () => {
    const seed = familySeed(0x5a52);
    const rng = new Prng(seed);
    const report = runCases(seed, drawCases(build(doubleTexts(rng, 30), 1), rng));
    expect(report.cases).toBeGreaterThanOrEqual(360);
    expect(summarize(report)).toBe('');
  });
});
