/** First end-to-end checks of the interpreter against the host CPU. */
import { describe, expect, it } from 'vitest';
import { compareResults } from '../host/cases.js';
import { assemble } from '../host/gas.js';
import { SKIP_HOST_ORACLE, runNative, type NativeCase } from '../host/native.js';
import { runModel } from '../model.js';

const SNIPPETS = [
  'add %rbx, %rax',
  'sub $5, %ecx; adc %edx, %ecx',
  'push %rax; pop %rbx',
  'imul %rcx, %rdx',
  'shl $3, %rax; sar %cl, %rbx',
  'xor %eax, %eax; inc %eax; dec %rbx',
  'mov $0x20000010, %rdi; movq %rax, (%rdi); mov 4(%rdi), %esi',
  'ud2',
  'int3',
  'hlt',
  'mov (%rax), %rbx',
  'div %rcx',
  'cmp %rax, %rbx; setl %cl; cmovg %rdx, %rsi',
  'lea 8(%rax,%rbx,4), %rcx',
  'bsf %rax, %rcx; popcnt %rbx, %rdx',
];

describe.skipIf(SKIP_HOST_ORACLE)('interpreter vs host CPU: smoke', () => {
  const codes = assemble(SNIPPETS);
  const cases: NativeCase[] = codes.map((code) => ({
    code,
    regs: { rax: 0x7fff_ffff_ffff_ffffn, rbx: 3n, rcx: 0x0000_0000_ffff_fff1n, rdx: 0x1234_5678_9abc_def0n },
  }));
  const native = runNative(cases);
  it.each(SNIPPETS.map((s, i) => [s, i] as const))('%s', (_s, i) => {
    const diffs = compareResults(native[i]!, runModel(cases[i]!), { faultDetails: true });
    expect(diffs).toEqual([]);
  });
});
