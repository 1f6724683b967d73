/** First end-to-end checks of the interpreter against the host CPU (undefined flags masked per undefined-flags.ts). */
import { describe, expect, it } from 'vitest';
import { compareResults } from '../host/cases.js';
import { assemble } from '../host/gas.js';
import { SKIP_HOST_ORACLE, runNative, type NativeCase } from '../host/native.js';
import { runModel } from '../model.js';
import { undefinedFlags } from './undefined-flags.js';

/** Each snippet with the RFLAGS bits its last flag-writing instruction leaves undefined. */
const SNIPPETS: readonly [string, bigint][] = [
  ['add %rbx, %rax', 0n],
  ['sub $5, %ecx; adc %edx, %ecx', 0n],
  ['push %rax; pop %rbx', 0n],
  ['imul %rcx, %rdx', undefinedFlags('imul', { bits: 64 })],
  // sar by CL = 0xf1 & 0x3f = 49
  ['shl $3, %rax; sar %cl, %rbx', undefinedFlags('sar', { bits: 64, count: 49 })],
  ['xor %eax, %eax; inc %eax; dec %rbx', 0n],
  ['mov $0x20000010, %rdi; movq %rax, (%rdi); mov 4(%rdi), %esi', 0n],
  ['ud2', 0n],
  ['int3', 0n],
  ['hlt', 0n],
  ['mov (%rax), %rbx', 0n],
  ['div %rcx', undefinedFlags('div', { bits: 64 })],
  ['cmp %rax, %rbx; setl %cl; cmovg %rdx, %rsi', 0n],
  ['lea 8(%rax,%rbx,4), %rcx', 0n],
  ['bsf %rax, %rcx; popcnt %rbx, %rdx', 0n],
];

describe.skipIf(SKIP_HOST_ORACLE)('interpreter vs host CPU: smoke', () => {
  const codes = assemble(SNIPPETS.map(([s]) => s));
  const cases: NativeCase[] = codes.map((code) => ({
    code,
    regs: { rax: 0x7fff_ffff_ffff_ffffn, rbx: 3n, rcx: 0x0000_0000_ffff_fff1n, rdx: 0x1234_5678_9abc_def0n },
  }));
  const native = runNative(cases);
  it.each(SNIPPETS.map(([s], i) => [s, i] as const))('%s', (_s, i) => {
    const diffs = compareResults(native[i]!, runModel(cases[i]!), { faultDetails: true, flagsMask: ~SNIPPETS[i]![1] });
    expect(diffs).toEqual([]);
  });
});
