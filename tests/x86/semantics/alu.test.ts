/**
 * The eight ALU operations, TEST, INC/DEC/NEG/NOT vs the host CPU: every
 * operand size; register forms in both directions (00/02 encodings through
 * {store}/{load}), accumulator-immediate, 80/81/83 immediates, memory as
 * destination and source (with LOCK), AH..BH and SPL..DIL/R8B.. byte registers.
 * @see Intel SDM Vol. 2A "ADD" ... "XOR", "TEST", "INC", "DEC", "NEG", "NOT"
 */
import { describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE } from '../host/native.js';
import {
  MEM_ADDR, Prng, SIZES, SUFFIX, drawCases, familySeed, forms, immText, memData, reg, regPair, runCases, summarize,
  type OperandBits, type SemForm,
} from './family.js';
import { undefFor } from './undefined-flags.js';

const ALU_OPS = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const UNARY = ['inc', 'dec', 'neg', 'not'];

function aluTexts(rng: Prng): { text: string; mnemonic: string; bits: OperandBits; mem: boolean }[] {
  const out: { text: string; mnemonic: string; bits: OperandBits; mem: boolean }[] = [];
  for (let round = 0; round < 5; round++) {
    for (const op of ALU_OPS) {
      for (const bits of SIZES) {
        const s = SUFFIX[bits];
        const [a, b] = regPair(rng, bits);
        const m = `${rng.pick([0, 8, -8, 3])}(%rbx)`;
        const acc = reg(0, bits);
        const lock = op !== 'cmp' && rng.bool(0.3) ? 'lock ' : '';
        out.push(
          { text: `{store} ${op}${s} ${a}, ${b}`, mnemonic: op, bits, mem: false },
          { text: `{load} ${op}${s} ${a}, ${b}`, mnemonic: op, bits, mem: false },
          { text: `${op}${s} ${immText(rng, bits)}, ${acc}`, mnemonic: op, bits, mem: false },
          { text: `${op}${s} ${immText(rng, bits)}, ${b}`, mnemonic: op, bits, mem: false },
          { text: `${lock}${op}${s} ${a}, ${m}`, mnemonic: op, bits, mem: true },
          { text: `${op}${s} ${m}, ${a}`, mnemonic: op, bits, mem: true },
          { text: `${lock}${op}${s} ${immText(rng, bits)}, ${m}`, mnemonic: op, bits, mem: true },
        );
      }
    }
  }
  return out;
}

function unaryTexts(rng: Prng): { text: string; mnemonic: string; bits: OperandBits; mem: boolean }[] {
  const out: { text: string; mnemonic: string; bits: OperandBits; mem: boolean }[] = [];
  for (let round = 0; round < 8; round++) {
    for (const bits of SIZES) {
      const s = SUFFIX[bits];
      const [a, b] = regPair(rng, bits);
      const m = `${rng.pick([0, 16, -16, 5])}(%rbx)`;
      for (const op of UNARY) {
        out.push({ text: `${op}${s} ${a}`, mnemonic: op, bits, mem: false });
        out.push({ text: `${rng.bool(0.3) ? 'lock ' : ''}${op}${s} ${m}`, mnemonic: op, bits, mem: true });
      }
      out.push(
        { text: `test${s} ${a}, ${b}`, mnemonic: 'test', bits, mem: false },
        { text: `test${s} ${immText(rng, bits)}, ${reg(0, bits)}`, mnemonic: 'test', bits, mem: false },
        { text: `test${s} ${immText(rng, bits)}, ${b}`, mnemonic: 'test', bits, mem: false },
        { text: `test${s} ${a}, ${m}`, mnemonic: 'test', bits, mem: true },
        { text: `test${s} ${immText(rng, bits)}, ${m}`, mnemonic: 'test', bits, mem: true },
      );
    }
  }
  // Sequences: flags from one ALU op feeding ADC/SBB and a condition.
  for (let i = 0; i < 40; i++) {
    const bits = rng.pick(SIZES);
    const s = SUFFIX[bits];
    const [a, b] = regPair(rng, bits);
    const op = rng.pick(ALU_OPS);
    out.push({ text: `${op}${s} ${a}, ${b}; ${rng.pick(['adc', 'sbb'])}${s} ${b}, ${a}`, mnemonic: 'add', bits, mem: false });
  }
  return out;
}

function build(texts: { text: string; mnemonic: string; bits: OperandBits; mem: boolean }[], repeat: number): SemForm[] {
  return forms(texts.map((t) => t.text), (_text, i) => {
    const t = texts[i]!;
    return {
      bits: t.bits,
      repeat,
      undef: undefFor(t.mnemonic, t.bits),
      ...(t.mem ? { regs: () => ({ rbx: MEM_ADDR }), data: memData(t.bits) } : {}),
    };
  });
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: ALU', () => {
  it('ADD OR ADC SBB AND SUB XOR CMP, every size and form', () => {
    const seed = familySeed(0xa1a1);
    const rng = new Prng(seed);
    const report = runCases(seed, drawCases(build(aluTexts(rng), 2), rng));
    expect(report.cases).toBeGreaterThanOrEqual(2200);
    expect(summarize(report)).toBe('');
  });

  it('TEST INC DEC NEG NOT, carry chains', () => {
    const seed = familySeed(0xa1a2);
    const rng = new Prng(seed);
    const report = runCases(seed, drawCases(build(unaryTexts(rng), 2), rng));
    expect(report.cases).toBeGreaterThanOrEqual(900);
    expect(summarize(report)).toBe('');
  });
});
