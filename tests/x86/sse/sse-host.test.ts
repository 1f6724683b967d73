/**
 * Every modelled SSE/SSE2/SSSE3 instruction against the host CPU: seeded
 * random XMM inputs rich in special values, random MXCSR (rounding modes,
 * FTZ/DAZ, unmasked exceptions → #XM), register and memory forms, aligned
 * and misaligned memory operands (#GP). Registers, RFLAGS, XMM0-15, MXCSR,
 * the data area and fault vectors must all agree.
 */
import { describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE } from '../host/native.js';
import type { Prng } from '../host/random.js';
import { runForms, type SseForm } from './gen.js';

const N_INT = 24;
const N_FP = 70;

const INT_OPS = [
  'pxor', 'por', 'pand', 'pandn', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd',
  'pminub', 'pmaxub', 'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq',
  'punpcklbw', 'punpcklwd', 'punpckldq', 'punpcklqdq', 'punpckhbw', 'punpckhwd', 'punpckhdq', 'punpckhqdq',
  'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad', 'psllw', 'pslld', 'psllq', 'pshufb',
  'andps', 'andpd', 'andnps', 'andnpd', 'orps', 'orpd', 'xorps', 'xorpd', 'unpcklps', 'unpcklpd', 'unpckhps', 'unpckhpd',
];

/** Shift counts: small ones matter most (the random xmm2 is usually huge). */
function smallCount(n: number): NonNullable<SseForm['data']> {
  return (rng) => {
    const b = new Uint8Array(16);
    b[0] = rng.bool(0.8) ? rng.below(n) : rng.below(256);
    if (rng.bool(0.1)) b[rng.range(1, 7)] = 1;
    return [{ offset: 0x200, bytes: b }];
  };
}

const intForms: SseForm[] = INT_OPS.flatMap((m): SseForm[] => {
  const shift = /^ps[rl][la][wdq]$/.test(m);
  return [
    { name: `${m} %xmm2,%xmm1`, asm: `${m} %xmm2, %xmm1`, lanes: 'int', count: N_INT, plainMxcsr: true },
    { name: `${m} %xmm9,%xmm12`, asm: `${m} %xmm9, %xmm12`, lanes: 'int', count: N_INT / 2, plainMxcsr: true },
    {
      name: `${m} (%rdi),%xmm3`, asm: `${m} (%rdi), %xmm3`, lanes: 'int', count: N_INT, plainMxcsr: true,
      ...(shift ? { data: smallCount(70) } : {}),
    },
  ];
});

const immForms: SseForm[] = [
  ...['psrlw', 'psraw', 'psllw', 'psrld', 'psrad', 'pslld', 'psrlq', 'psllq', 'psrldq', 'pslldq'].flatMap((m) =>
    [0, 1, 7, 8, 15, 16, 31, 33, 63, 64, 200].map((imm): SseForm => ({
      name: `${m} $${imm},%xmm5`, asm: `${m} $${imm}, %xmm5`, lanes: 'int', count: 3, plainMxcsr: true,
    }))),
  ...['pshufd', 'pshuflw', 'pshufhw', 'shufps', 'shufpd', 'palignr'].flatMap((m) =>
    [0x1b, 0xe4, 0x4e, 0x00, 0xff, 0x93, 5, 17, 33].flatMap((imm): SseForm[] => [
      { name: `${m} $${imm},%xmm2,%xmm1`, asm: `${m} $${imm}, %xmm2, %xmm1`, lanes: 'int', count: 3, plainMxcsr: true },
      { name: `${m} $${imm},(%rdi),%xmm11`, asm: `${m} $${imm}, (%rdi), %xmm11`, lanes: 'int', count: 2, plainMxcsr: true },
    ])),
];

const moveForms: SseForm[] = [
  'movd %eax, %xmm1', 'movd %xmm1, %eax', 'movd (%rdi), %xmm1', 'movd %xmm1, 4(%rdi)',
  'movq %rax, %xmm1', 'movq %xmm1, %rax', 'movq %xmm2, %xmm1', 'movq (%rdi), %xmm1', 'movq %xmm1, 8(%rdi)',
  'movq %xmm13, %xmm7', '.byte 0x66, 0x0f, 0xd6, 0xca', // movq xmm1 -> xmm2 (66 0F D6, register form)
  'movdqa %xmm2, %xmm1', 'movdqa (%rdi), %xmm1', 'movdqa %xmm1, (%rdi)', 'movdqa 8(%rdi), %xmm1', 'movdqa %xmm1, 4(%rdi)',
  'movaps %xmm2, %xmm1', 'movaps (%rdi), %xmm1', 'movaps %xmm1, 16(%rdi)', 'movaps 1(%rdi), %xmm1',
  'movdqu %xmm2, %xmm1', 'movdqu 3(%rdi), %xmm1', 'movdqu %xmm1, 5(%rdi)',
  'movups %xmm2, %xmm1', 'movups 7(%rdi), %xmm1', 'movups %xmm1, 9(%rdi)',
  'movapd %xmm2, %xmm1', 'movapd (%rdi), %xmm1', 'movapd %xmm1, 16(%rdi)', 'movapd 8(%rdi), %xmm1',
  'movupd %xmm2, %xmm1', 'movupd 3(%rdi), %xmm1', 'movupd %xmm1, 5(%rdi)',
  'movss %xmm2, %xmm1', 'movss (%rdi), %xmm1', 'movss %xmm1, 2(%rdi)',
  'movsd %xmm2, %xmm1', 'movsd (%rdi), %xmm1', 'movsd %xmm1, 2(%rdi)',
  'movlps (%rdi), %xmm1', 'movlps %xmm1, 3(%rdi)', 'movhps (%rdi), %xmm1', 'movhps %xmm1, 3(%rdi)',
  'movlpd 8(%rdi), %xmm1', 'movlpd %xmm1, (%rdi)', 'movhpd 1(%rdi), %xmm1', 'movhpd %xmm1, (%rdi)',
  'movhlps %xmm2, %xmm1', 'movlhps %xmm2, %xmm1', 'pmovmskb %xmm2, %eax', 'pmovmskb %xmm10, %r9',
  '.byte 0x0f, 0x50, 0xc2', '.byte 0x66, 0x0f, 0x50, 0xc2', '.byte 0x66, 0x45, 0x0f, 0x50, 0xca', // movmskps/pd eax, xmm2; movmskpd r9d, xmm10
  'pand 8(%rdi), %xmm1', 'pshufb 4(%rdi), %xmm1', 'palignr $3, 1(%rdi), %xmm1', 'psrlw 8(%rdi), %xmm1',
  'movdqu 0x3df8(%rdi), %xmm1', 'movdqu %xmm1, 0x3df8(%rdi)', // crosses into the guard page: #PF, nothing written
  'stmxcsr (%rdi); ldmxcsr 4(%rdi)',
].map((s): SseForm => ({ name: s, asm: s, lanes: 'int', count: 8, plainMxcsr: true }));
moveForms.push({
  name: 'ldmxcsr valid', asm: 'ldmxcsr (%rdi); stmxcsr 8(%rdi)', lanes: 'int', count: 16,
  data: (rng) => [{ offset: 0x200, bytes: new Uint8Array(new Uint32Array([rng.below(0x10000)]).buffer) }],
});

const FP_OPS = ['add', 'sub', 'mul', 'div', 'min', 'max', 'sqrt'];
const fpForms: SseForm[] = [
  ...FP_OPS.flatMap((op) => (['ss', 'sd'] as const).flatMap((t): SseForm[] => [
    { name: `${op}${t} %xmm2,%xmm1`, asm: `${op}${t} %xmm2, %xmm1`, lanes: t === 'ss' ? 'f32' : 'f64', count: N_FP },
    { name: `${op}${t} (%rdi),%xmm1`, asm: `${op}${t} 4(%rdi), %xmm1`, lanes: t === 'ss' ? 'f32' : 'f64', count: N_FP / 5 },
  ])),
  { name: 'cvtss2sd', asm: 'cvtss2sd %xmm2, %xmm1', lanes: 'f32', count: N_FP },
  { name: 'cvtss2sd m32', asm: 'cvtss2sd (%rdi), %xmm1', lanes: 'f32', count: N_FP / 5 },
  { name: 'cvtsd2ss', asm: 'cvtsd2ss %xmm2, %xmm1', lanes: 'f64', count: N_FP * 2 },
  { name: 'cvtsd2ss m64', asm: 'cvtsd2ss 8(%rdi), %xmm1', lanes: 'f64', count: N_FP / 5 },
  { name: 'cvtsi2sd r32', asm: 'cvtsi2sd %eax, %xmm1', lanes: 'f64', count: N_FP / 2 },
  { name: 'cvtsi2sd r64', asm: 'cvtsi2sd %rax, %xmm1', lanes: 'f64', count: N_FP },
  { name: 'cvtsi2sdq m64', asm: 'cvtsi2sdq (%rdi), %xmm1', lanes: 'int', count: N_FP / 2 },
  { name: 'cvtsi2ss r32', asm: 'cvtsi2ss %eax, %xmm1', lanes: 'f32', count: N_FP },
  { name: 'cvtsi2ss r64', asm: 'cvtsi2ss %rax, %xmm1', lanes: 'f32', count: N_FP },
  { name: 'cvtsi2ssl m32', asm: 'cvtsi2ssl (%rdi), %xmm1', lanes: 'int', count: N_FP / 2 },
  { name: 'cvttsd2si r32', asm: 'cvttsd2si %xmm2, %eax', lanes: 'f64', count: N_FP },
  { name: 'cvttsd2si r64', asm: 'cvttsd2si %xmm2, %rax', lanes: 'f64', count: N_FP },
  { name: 'cvttsd2si m64', asm: 'cvttsd2si (%rdi), %r10', lanes: 'f64', count: N_FP / 5 },
  { name: 'cvttss2si r32', asm: 'cvttss2si %xmm2, %eax', lanes: 'f32', count: N_FP },
  { name: 'cvttss2si r64', asm: 'cvttss2si %xmm2, %rax', lanes: 'f32', count: N_FP },
  { name: 'cvttss2si m32', asm: 'cvttss2si (%rdi), %ecx', lanes: 'f32', count: N_FP / 5 },
  ...['ucomiss', 'comiss', 'ucomisd', 'comisd'].flatMap((m): SseForm[] => [
    { name: `${m} %xmm2,%xmm1`, asm: `${m} %xmm2, %xmm1`, lanes: m.endsWith('ss') ? 'f32' : 'f64', count: N_FP },
    { name: `${m} (%rdi),%xmm1`, asm: `${m} (%rdi), %xmm1`, lanes: m.endsWith('ss') ? 'f32' : 'f64', count: N_FP / 5 },
  ]),
];

/**
 * Results at the edges of the exponent range, where tininess (after
 * rounding), FTZ, overflow per rounding mode and the OE/UE + PE pairs are
 * decided: one factor near 1, the other near the smallest normal, the
 * largest finite, or the float32 limits (for CVTSD2SS).
 */
const EDGE64 = [0x0010000000000000n, 0x001fffffffffffffn, 0x0010000000000001n, 0x7fefffffffffffffn, 0x7fe0000000000000n, 0x000fffffffffffffn];
const EDGE32 = [0x00800000n, 0x00ffffffn, 0x00800001n, 0x7f7fffffn, 0x7f000000n, 0x007fffffn];
function edgePair(edges: readonly bigint[], one: bigint, top: bigint): (rng: Prng) => [bigint, bigint] {
  return (rng) => {
    const sign = rng.bool() ? top : 0n;
    const e = rng.pick(edges) ^ BigInt(rng.below(4));
    const near1 = (rng.bool() ? one - BigInt(rng.range(1, 3)) : one + BigInt(rng.range(0, 3))) | (rng.bool() ? top : 0n);
    return [e | sign, near1];
  };
}
const ONE64 = 0x3ff0000000000000n;
const ONE32 = 0x3f800000n;
const edgeForms: SseForm[] = [
  ...['mulsd', 'divsd', 'addsd', 'subsd'].map((m): SseForm => ({
    name: `${m} edge`, asm: `${m} %xmm2, %xmm1`, lanes: 'f64', count: 60, pair: edgePair(EDGE64, ONE64, 1n << 63n),
  })),
  ...['mulss', 'divss', 'addss'].map((m): SseForm => ({
    name: `${m} edge`, asm: `${m} %xmm2, %xmm1`, lanes: 'f32', count: 60, pair: edgePair(EDGE32, ONE32, 1n << 31n),
  })),
  {
    name: 'cvtsd2ss edge', asm: 'cvtsd2ss %xmm1, %xmm3', lanes: 'f64', count: 80,
    pair: (rng) => [(rng.pick([0x3810000000000000n, 0x380fffffffffffffn, 0x380ffffff0000000n, 0x380fffffe0000000n, 0x47efffffe0000000n,
      0x47effffff0000000n, 0x47efffffffffffffn, 0x36a0000000000000n, 0x369fffffffffffffn]) + BigInt(rng.range(-2, 2)))
      | (rng.bool() ? 1n << 63n : 0n), 0n],
  },
];

describe.skipIf(SKIP_HOST_ORACLE)('SSE vs host CPU', () => {
  /** Outcomes (host trap number, -1 = completed) each group must reach at least this often. */
  const groups: [string, SseForm[], number, Record<number, number>][] = [
    ['integer and logic', intForms, 0x55e0001, { [-1]: 2000 }],
    ['imm8 shifts and shuffles', immForms, 0x55e0002, { [-1]: 500 }],
    ['moves, alignment, faults', moveForms, 0x55e0003, { [-1]: 250, 13: 40, 14: 8 }],
    ['scalar floating point', fpForms, 0x55e0004, { [-1]: 1500, 19: 100 }],
    ['floating point at the range edges', edgeForms, 0x55e0005, { [-1]: 200, 19: 30 }],
  ];
  for (const [title, forms, seed, want] of groups) {
    describe(title, () => {
      const results = runForms(forms, seed);
      it(`${results.reduce((n, r) => n + r.cases, 0)} cases agree`, () => {
        const failed = results.filter((r) => r.failures.length > 0).map((r) => `${r.form.name}:\n  ${r.failures.join('\n  ')}`);
        expect(failed).toEqual([]);
      });
      it('the inputs reach completions and the expected faults', () => {
        const seen = new Map<number, number>();
        for (const r of results) for (const [t, n] of r.outcomes) seen.set(t, (seen.get(t) ?? 0) + n);
        for (const [t, n] of Object.entries(want)) expect(seen.get(Number(t)) ?? 0, `trap ${t}`).toBeGreaterThanOrEqual(n);
      });
    });
  }
});
