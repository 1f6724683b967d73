/**
 * RFLAGS across instructions vs the host CPU. (1) Pairs of a flag producer
 * and an instruction that keeps, partly rewrites or reads the flags (INC/DEC
 * keep CF; rotates keep SF ZF AF PF; BT keeps ZF; CLC/STC/CMC/SAHF; SETcc,
 * CMOVcc, Jcc, ADC/SBB, PUSHF, LAHF read them) — the model computes flags
 * lazily, so this is where a stale or half-materialised record would show.
 * (2) Single-step: TF set on entry traps after the first instruction (after
 * each iteration of a REP string instruction), POPF setting or clearing TF.
 * Undefined flags: the producer's (undefined-flags.ts) stay masked unless
 * the second instruction rewrites them; producers with undefined flags are
 * never followed by a reader (that would leak them into registers).
 * @see Intel SDM Vol. 1 §3.4.3, Appendix A "EFLAGS Cross-Reference"; Vol. 3A "Single-Step Exception Condition"
 */
import { describe, expect, it } from 'vitest';
import { FLAG, SKIP_HOST_ORACLE } from '../host/native.js';
import {
  DATA_BASE, MEM_ADDR, Prng, SIZES, SUFFIX, drawCases, familySeed, forms, immText, memData, reg, regPair,
  runCases, summarize, type Gprs, type OperandBits, type SemForm,
} from './family.js';
import { undefinedFlags } from './undefined-flags.js';

const { CF, PF, AF, ZF, SF, OF } = FLAG;
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

interface Producer {
  readonly text: string;
  /** RFLAGS bits it leaves undefined. */
  readonly undef: bigint;
}

interface Consumer {
  readonly text: string;
  /** Status flags it writes (so the producer's undefined ones there are defined again). */
  readonly writes: bigint;
  /** Its own undefined flags. */
  readonly undef: bigint;
  /** Reads flags into registers or control flow: only after producers without undefined flags. */
  readonly reads: boolean;
}

function producers(rng: Prng): Producer[] {
  const out: Producer[] = [];
  for (const bits of SIZES) {
    const s = SUFFIX[bits];
    const [a, b] = regPair(rng, bits);
    for (const op of ['add', 'sub', 'adc', 'sbb', 'cmp']) out.push({ text: `${op}${s} ${a}, ${b}`, undef: 0n });
    out.push({ text: `${rng.pick(['add', 'sub', 'cmp'])}${s} ${immText(rng, bits)}, ${b}`, undef: 0n });
    for (const op of ['inc', 'dec', 'neg']) out.push({ text: `${op}${s} ${b}`, undef: 0n });
    for (const op of ['and', 'or', 'xor', 'test']) out.push({ text: `${op}${s} ${a}, ${b}`, undef: undefinedFlags(op, { bits }) });
    out.push({ text: `shl${s} ${b}`, undef: undefinedFlags('shl', { bits, count: 1 }) });
    out.push({ text: `sar${s} $3, ${b}`, undef: undefinedFlags('sar', { bits, count: 3 }) });
    if (bits !== 8) {
      out.push({ text: `imul${s} ${a}, ${b}`, undef: undefinedFlags('imul', { bits }) });
      out.push({ text: `bsf${s} ${a}, ${b}`, undef: undefinedFlags('bsf', { bits }) });
      out.push({ text: `popcnt${s} ${a}, ${b}`, undef: 0n });
    }
  }
  return out;
}

function consumers(rng: Prng): Consumer[] {
  const r = (bits: OperandBits): string => reg(rng.pick([1, 7, 9, 12]), bits); // RCX RDI R9 R12: not touched by producers' picks? (any is fine)
  const cc = rng.pick(CC);
  const bits = rng.pick(SIZES);
  const s = SUFFIX[bits];
  const all = CF | PF | AF | ZF | SF | OF;
  return [
    { text: `inc${s} ${r(bits)}`, writes: all & ~CF, undef: 0n, reads: false },
    { text: `dec${s} ${r(bits)}`, writes: all & ~CF, undef: 0n, reads: false },
    { text: `rol${s} ${r(bits)}`, writes: CF | OF, undef: 0n, reads: false },
    { text: `ror${s} $${rng.range(2, 9)}, ${r(bits)}`, writes: CF | OF, undef: OF, reads: false },
    { text: `rcl${s} ${r(bits)}`, writes: CF | OF, undef: 0n, reads: true }, // reads CF
    { text: `rcr${s} $${rng.range(2, 9)}, ${r(bits)}`, writes: CF | OF, undef: OF, reads: true },
    { text: `shl${s} $0, ${r(bits)}`, writes: 0n, undef: 0n, reads: false },
    { text: `bt${bits === 8 ? 'w' : s} $${rng.below(16)}, ${r(bits === 8 ? 16 : bits)}`, writes: CF, undef: OF | SF | AF | PF, reads: false },
    { text: 'clc', writes: CF, undef: 0n, reads: false },
    { text: 'stc', writes: CF, undef: 0n, reads: false },
    { text: 'cmc', writes: CF, undef: 0n, reads: true },
    { text: 'sahf', writes: CF | PF | AF | ZF | SF, undef: 0n, reads: false },
    { text: `set${cc} %cl`, writes: 0n, undef: 0n, reads: true },
    { text: `cmov${cc}${bits === 8 ? 'l' : s} ${r(bits === 8 ? 32 : bits)}, ${r(bits === 8 ? 32 : bits)}`, writes: 0n, undef: 0n, reads: true },
    { text: `j${cc} 1f\nmov $7, %cl\n1:`, writes: 0n, undef: 0n, reads: true },
    { text: `adc${s} ${r(bits)}, ${r(bits)}`, writes: all, undef: 0n, reads: true },
    { text: `sbb${s} $${rng.below(100)}, ${r(bits)}`, writes: all, undef: 0n, reads: true },
    { text: 'pushf\npop %rcx', writes: 0n, undef: 0n, reads: true },
    { text: 'lahf', writes: 0n, undef: 0n, reads: true },
  ];
}

function pairTexts(rng: Prng, rounds: number): { text: string; undef: bigint }[] {
  const out: { text: string; undef: bigint }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const p of producers(rng)) {
      const cs = consumers(rng).filter((c) => !c.reads || p.undef === 0n);
      const c = rng.pick(cs);
      out.push({ text: `${p.text}\n${c.text}`, undef: (p.undef & ~c.writes) | c.undef });
    }
  }
  return out;
}

/** TF on entry: a #DB trap after the first instruction, or after one iteration of a REP string instruction. */
function stepTexts(rng: Prng): { text: string; regs?: (g: Prng) => Partial<Gprs> }[] {
  const strRegs = (g: Prng): Partial<Gprs> => ({
    rsi: MEM_ADDR + BigInt(g.below(32)),
    rdi: MEM_ADDR + 0x100n + BigInt(g.below(32)),
    rcx: BigInt(g.pick([0, 1, 2, 3, 7])),
    rax: BigInt(g.pick([0, 0x41])),
  });
  const out: { text: string; regs?: (g: Prng) => Partial<Gprs> }[] = [];
  for (let i = 0; i < 3; i++) {
    const [a, b] = regPair(rng, 64);
    out.push(
      { text: `add ${a}, ${b}\nnop` },
      { text: `push ${a}\npop ${b}` },
      { text: `call 1f\n1: nop` },
      { text: `j${rng.pick(CC)} 1f\nnop\n1: nop` },
      { text: 'nop\nnop' },
      { text: 'pushf\npop %rax' },
      { text: 'divl (%rbx)', regs: () => ({ rbx: DATA_BASE }) }, // #DE (zero divisor) wins over the trap
      { text: 'movl (%rbx), %eax', regs: () => ({ rbx: DATA_BASE - 4n }) }, // #PF wins
      { text: 'push $0x202\npopf\nnop' }, // POPF clearing TF: the trap still follows the POPF
    );
    for (const op of ['movsb', 'stosq', 'lodsw', 'movsl']) out.push({ text: `rep ${op}\nnop`, regs: strRegs });
    for (const op of ['cmpsb', 'scasb']) {
      out.push({ text: `repe ${op}\nnop`, regs: strRegs }, { text: `repne ${op}\nnop`, regs: strRegs });
    }
  }
  return out;
}

/** POPF setting TF (TF clear on entry): the trap comes after the instruction that follows POPF. */
function popfTfTexts(): { text: string }[] {
  return [
    { text: 'push $0x302\npopf\nnop\nnop' },
    { text: 'push $0x302\npopf\nadd %eax, %ebx\nnop' },
    { text: 'pushw $0x302\npopfw\nnop\nnop' },
  ];
}

function run(seed: number, list: readonly SemForm[], min: number): void {
  const report = runCases(seed, drawCases(list, new Prng(seed)));
  expect(report.cases).toBeGreaterThanOrEqual(min);
  expect(summarize(report)).toBe('');
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: flags across instructions', () => {
  it('producer + keeper/reader pairs (lazy flags)', () => {
    const seed = familySeed(0xf1a6);
    const texts = pairTexts(new Prng(seed ^ 1), 12);
    const list = forms(texts.map((t) => t.text), (_s, i) => ({ repeat: 1, undef: () => texts[i]!.undef }));
    run(seed, list, 800);
  });

  it('single-step (TF): one instruction, one REP iteration, faults first, POPF and TF', () => {
    const seed = familySeed(0xf1a7);
    const texts = stepTexts(new Prng(seed ^ 1));
    const withTf = forms(texts.map((t) => t.text), (_s, i) => ({
      repeat: 3,
      regs: (g: Prng) => ({ rbx: MEM_ADDR, ...(texts[i]!.regs?.(g) ?? {}) }),
      data: memData(64),
      rflags: (g: Prng) => g.rflags({ df: true }) | FLAG.TF,
    }));
    const popf = forms(popfTfTexts().map((t) => t.text), () => ({ repeat: 3, rflags: (g: Prng) => g.rflags() }));
    run(seed, [...withTf, ...popf], 150);
  });
});


