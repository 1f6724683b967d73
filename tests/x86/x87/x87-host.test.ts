/**
 * The x87 register stack and arithmetic against the host CPU (gen.ts):
 * loads, stores and conversions, the stack operations and stack faults,
 * arithmetic in every rounding mode and precision, comparisons (FSW and
 * EFLAGS forms), FXAM, and pending unmasked exceptions raising #MF.
 */
import { describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE } from '../host/native.js';
import type { Prng } from '../host/random.js';
import { fxImage, runX87Forms, type X87Form } from './gen.js';

const N = 60;
/** KENTRY_X87_SEED shifts every group's seed (to explore more inputs). */
const SEED = Number(process.env['KENTRY_X87_SEED'] ?? 0) >>> 0;
const b = (...bytes: number[]): string => `.byte ${bytes.map((x) => `0x${x.toString(16)}`).join(', ')}`;

const loadStore: X87Form[] = [
  { name: 'fldt/fstpt', asm: 'fstpt 0x50(%rdi)', setup: 'two', count: N },
  { name: 'flds', asm: 'flds 0x28(%rdi)', setup: 'none', count: N },
  { name: 'fldl', asm: 'fldl 0x20(%rdi)', setup: 'one', count: N },
  { name: 'flds overflow', asm: 'flds 0x28(%rdi)', setup: 'full', count: 10 },
  { name: 'fldl overflow unmasked', asm: 'fldl 0x20(%rdi)', setup: 'full', count: 10, unmask: true },
  { name: 'fldl unmasked', asm: 'fldl 0x20(%rdi)', setup: 'one', count: N, unmask: true },
  { name: 'filds', asm: 'filds 0x30(%rdi)', setup: 'one', count: 20 },
  { name: 'fildl', asm: 'fildl 0x30(%rdi)', setup: 'one', count: 20 },
  { name: 'fildll', asm: 'fildll 0x30(%rdi)', setup: 'one', count: 30 },
  { name: 'fsts', asm: 'fsts 0x50(%rdi)', setup: 'one', count: N * 2 },
  { name: 'fstl', asm: 'fstl 0x50(%rdi)', setup: 'one', count: N * 2 },
  { name: 'fstps', asm: 'fstps 0x50(%rdi)', setup: 'two', count: N },
  { name: 'fstpl', asm: 'fstpl 0x50(%rdi)', setup: 'two', count: N },
  { name: 'fstpl unmasked', asm: 'fstpl 0x50(%rdi)', setup: 'two', count: N, unmask: true },
  { name: 'fstps unmasked', asm: 'fstps 0x50(%rdi)', setup: 'two', count: N, unmask: true },
  { name: 'fstpl empty', asm: 'fstpl 0x50(%rdi)', setup: 'none', count: 8, unmask: true },
  { name: 'fstpt empty', asm: 'fstpt 0x50(%rdi)', setup: 'none', count: 8, unmask: true },
  { name: 'fists', asm: 'fists 0x50(%rdi)', setup: 'one', count: N },
  { name: 'fistl', asm: 'fistl 0x50(%rdi)', setup: 'one', count: N },
  { name: 'fistpll', asm: 'fistpll 0x50(%rdi)', setup: 'two', count: N },
  { name: 'fistpl unmasked', asm: 'fistpl 0x50(%rdi)', setup: 'two', count: N, unmask: true },
  { name: 'fisttps', asm: 'fisttps 0x50(%rdi)', setup: 'one', count: N },
  { name: 'fisttpl', asm: 'fisttpl 0x50(%rdi)', setup: 'one', count: N },
  { name: 'fisttpll', asm: 'fisttpll 0x50(%rdi)', setup: 'two', count: N },
  { name: 'fistp empty', asm: 'fistpl 0x50(%rdi)', setup: 'none', count: 6, unmask: true },
  ...['fld1', 'fldz', 'fldpi', 'fldl2t', 'fldl2e', 'fldlg2', 'fldln2'].map((m): X87Form => ({ name: m, asm: m, setup: 'one', count: 8 })),
  { name: 'fldpi overflow', asm: 'fldpi', setup: 'full', count: 4 },
];

const stack: X87Form[] = [
  { name: 'fld st(1)', asm: b(0xd9, 0xc1), setup: 'two', count: 10 },
  { name: 'fld st(0) x2', asm: `${b(0xd9, 0xc0)}; ${b(0xd9, 0xc0)}`, setup: 'one', count: 10 },
  { name: 'fld st(3) empty', asm: b(0xd9, 0xc3), setup: 'two', count: 6, unmask: true },
  { name: 'fld st(1) full', asm: b(0xd9, 0xc1), setup: 'full', count: 6, unmask: true },
  { name: 'fst st(1)', asm: b(0xdd, 0xd1), setup: 'two', count: 10 },
  { name: 'fstp st(1)', asm: b(0xdd, 0xd9), setup: 'two', count: 10 },
  { name: 'fstp st(0)', asm: b(0xdd, 0xd8), setup: 'two', count: 6 },
  { name: 'fst st(3) (empty dest)', asm: b(0xdd, 0xd3), setup: 'two', count: 6 },
  { name: 'fstp st(1) empty', asm: b(0xdd, 0xd9), setup: 'none', count: 6, unmask: true },
  { name: 'fxch', asm: b(0xd9, 0xc9), setup: 'two', count: 10 },
  { name: 'fxch empty', asm: b(0xd9, 0xca), setup: 'two', count: 10, unmask: true },
  { name: 'ffree st(1)', asm: b(0xdd, 0xc1), setup: 'two', count: 6 },
  { name: 'ffree st(0)', asm: b(0xdd, 0xc0), setup: 'two', count: 6 },
  { name: 'fincstp', asm: 'fincstp', setup: 'two', count: 6 },
  { name: 'fdecstp', asm: 'fdecstp; fdecstp', setup: 'two', count: 6 },
  { name: 'fchs', asm: 'fchs', setup: 'one', count: 20 },
  { name: 'fabs', asm: 'fabs', setup: 'one', count: 20 },
  { name: 'fchs empty', asm: 'fchs', setup: 'none', count: 6, unmask: true },
  { name: 'fnclex', asm: 'fdivs 0x28(%rdi); fnclex', setup: 'one', count: 20, unmask: true },
  { name: 'fnop', asm: 'fnop', setup: 'one', count: 3 },
  ...['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu', 'fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'].map((m): X87Form => ({
    name: m, asm: `${m} %st(1), %st`, setup: 'two', count: 8,
  })),
  { name: 'fcmovb empty', asm: 'fcmovb %st(2), %st', setup: 'two', count: 6, unmask: true },
];

/** Arithmetic: D8 reg /digit, DC reg, DE reg (+pop), m32fp, m64fp, m32int, m16int. */
const ARITH = ['fadd', 'fmul', '', '', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const arith: X87Form[] = ARITH.flatMap((m, d): X87Form[] => m === '' ? [] : [
  { name: `${m} st0,st1 (d8)`, asm: b(0xd8, 0xc1 | (d << 3)), setup: 'two', count: N * 2 },
  { name: `${m} st1,st0 (dc)`, asm: b(0xdc, 0xc1 | (d << 3)), setup: 'two', count: N },
  { name: `${m}p st1,st0 (de)`, asm: b(0xde, 0xc1 | (d << 3)), setup: 'two', count: N / 2 },
  { name: `${m} st0,st1 unmasked`, asm: b(0xd8, 0xc1 | (d << 3)), setup: 'two', count: N, unmask: true },
  { name: `${m}s m32`, asm: `${m}s 0x28(%rdi)`, setup: 'one', count: N / 2 },
  { name: `${m}l m64`, asm: `${m}l 0x20(%rdi)`, setup: 'one', count: N / 2 },
  { name: `fi${m.slice(1)}l m32int`, asm: `fi${m.slice(1)}l 0x30(%rdi)`, setup: 'one', count: N / 4 },
  { name: `fi${m.slice(1)}s m16int`, asm: `fi${m.slice(1)}s 0x30(%rdi)`, setup: 'one', count: N / 4 },
  { name: `${m} empty`, asm: b(0xd8, 0xc2 | (d << 3)), setup: 'two', count: 4, unmask: true },
]);
/** Operands at the ends of the exponent range: products and quotients overflow or underflow (masked and not). */
const extreme = (rng: Prng): bigint => {
  const sign = rng.bool() ? 1n << 79n : 0n;
  const e = rng.bool() ? rng.range(0x7ff0, 0x7ffe) : rng.range(0, 0x10);
  return sign | (BigInt(e) << 64n) | (e === 0 && rng.bool() ? rng.bits(63) : (1n << 63n) | rng.bits(63));
};
const middle = (rng: Prng): bigint => (BigInt(rng.range(0x3ff0, 0x400f)) << 64n) | (1n << 63n) | rng.bits(63) | (rng.bool() ? 1n << 79n : 0n);
for (const [m, d] of [['fmul', 1], ['fdiv', 6], ['fdivr', 7], ['fadd', 0]] as const) {
  arith.push(
    { name: `${m} extremes`, asm: b(0xd8, 0xc1 | (d << 3)), setup: 'two', count: N, a: extreme, b: extreme, unmask: true },
    { name: `${m} extreme × middle`, asm: b(0xd8, 0xc1 | (d << 3)), setup: 'two', count: N, a: extreme, b: middle, unmask: true },
  );
}
arith.push(
  { name: 'fsqrt', asm: 'fsqrt', setup: 'one', count: N * 2 },
  { name: 'fsqrt unmasked', asm: 'fsqrt', setup: 'one', count: N, unmask: true },
  { name: 'frndint', asm: 'frndint', setup: 'one', count: N * 2 },
  { name: 'fmul chain', asm: `${b(0xd8, 0xc9)}; ${b(0xd8, 0xc9)}; ${b(0xd8, 0xc9)}`, setup: 'two', count: N },
);

const compares: X87Form[] = [
  ...([
    ['fcom st1', 0xd8, 0xd1], ['fcomp st1', 0xd8, 0xd9], ['fcompp', 0xde, 0xd9], ['fucom st1', 0xdd, 0xe1],
    ['fucomp st1', 0xdd, 0xe9], ['fucompp', 0xda, 0xe9], ['fcomi st1', 0xdb, 0xf1], ['fucomi st1', 0xdb, 0xe9],
    ['fcomip st1', 0xdf, 0xf1], ['fucomip st1', 0xdf, 0xe9], ['fcom st2 (empty)', 0xd8, 0xd2], ['fcomi st2 (empty)', 0xdb, 0xf2],
  ] as const).flatMap(([name, o, m]): X87Form[] => [
    { name, asm: b(o, m), setup: 'two', count: N },
    { name: `${name} unmasked`, asm: b(o, m), setup: 'two', count: N / 3, unmask: true },
  ]),
  { name: 'fcoms', asm: 'fcoms 0x28(%rdi)', setup: 'one', count: N },
  { name: 'fcompl', asm: 'fcompl 0x20(%rdi)', setup: 'one', count: N },
  { name: 'ficoml', asm: 'ficoml 0x30(%rdi)', setup: 'one', count: N / 2 },
  { name: 'ficomps', asm: 'ficomps 0x30(%rdi)', setup: 'one', count: N / 2 },
  { name: 'ftst', asm: 'ftst', setup: 'one', count: N },
  { name: 'fxam', asm: 'fxam', setup: 'one', count: N * 2 },
  { name: 'fxam empty', asm: 'fxam', setup: 'none', count: 4 },
  { name: 'fxam empty st0 after ffree', asm: `${b(0xdd, 0xc0)}; fxam`, setup: 'one', count: 10 },
  { name: 'fnstsw ax', asm: 'fcom %st(1); fnstsw %ax', setup: 'two', count: 20 },
];

const pending: X87Form[] = [
  { name: '#MF at the next waiting instruction', asm: `${b(0xd8, 0xf1)}; fld1`, setup: 'two', count: N, unmask: true, bare: true },
  { name: '#MF at fwait', asm: `${b(0xd8, 0xf1)}; fwait`, setup: 'two', count: N / 2, unmask: true, bare: true },
  { name: 'fnstenv (FDS slot)', asm: 'fnstenv 0x60(%rdi); movq $0, 0x6c(%rdi); movq $0, 0x74(%rdi)', setup: 'two', count: 4 },
  { name: 'fnstenv m14 (66)', asm: 'data16 fnstenv 0x60(%rdi); movq $0, 0x66(%rdi)', setup: 'two', count: 4 },
  { name: 'fldenv m14 (66)', asm: 'data16 fnstenv 0x60(%rdi); fninit; data16 fldenv 0x60(%rdi); movq $0, 0x66(%rdi)', setup: 'two', count: 4 },
  { name: 'fnstenv/fldenv', asm: 'fnstenv 0x60(%rdi); movq $0, 0x6c(%rdi); movq $0, 0x74(%rdi); fldenv 0x60(%rdi)', setup: 'two', count: 20 },
];

/** After FXRSTOR of an image with any TOP and tags: the ST(i) ↔ physical mapping and the tags. */
const afterRestore: X87Form[] = ([
  ['fadd st0,st1', b(0xd8, 0xc1)], ['fxch st3', b(0xd9, 0xcb)], ['fstp st2', b(0xdd, 0xda)], ['fld st5', b(0xd9, 0xc5)],
  ['fincstp; fxam', 'fincstp; fxam'], ['ffree st4; fdecstp', `${b(0xdd, 0xc4)}; fdecstp`], ['fld1', 'fld1'],
  ['faddp st6', b(0xde, 0xc6)], ['fcomip st7', b(0xdf, 0xf7)], ['fstpt', 'fstpt 0x50(%rdi)'], ['fnstenv', 'fnstenv 0x60(%rdi); movq $0, 0x6c(%rdi); movq $0, 0x74(%rdi)'],
] as const).map(([name, asm]): X87Form => ({
  name: `fxrstor64; ${name}`, asm: `fxrstor64 0x300(%rdi); ${asm}`, setup: 'none', count: 30, data: fxImage,
}));

describe.skipIf(SKIP_HOST_ORACLE)('x87 vs host CPU', () => {
  const groups: [string, X87Form[], number][] = [
    ['loads, stores, conversions', loadStore, 0x87_0001],
    ['stack operations', stack, 0x87_0002],
    ['arithmetic', arith, 0x87_0003],
    ['comparisons and FXAM', compares, 0x87_0004],
    ['pending exceptions and the environment', pending, 0x87_0005],
    ['after FXRSTOR', afterRestore, 0x87_0007],
  ];
  for (const [title, forms, seed] of groups) {
    describe(title, () => {
      const results = runX87Forms(forms, (seed + SEED) >>> 0);
      it(`${results.reduce((n, r) => n + r.cases, 0)} cases agree`, () => {
        const failed = results.filter((r) => r.failures.length > 0).map((r) => `${r.form.name}:\n  ${r.failures.join('\n  ')}`);
        expect(failed).toEqual([]);
      });
    });
  }
  it('unmasked exceptions reach #MF', () => {
    const r = runX87Forms(pending.slice(0, 1), 0x87_0006);
    expect(r[0]!.outcomes.get(16) ?? 0).toBeGreaterThan(5);
  });
});
