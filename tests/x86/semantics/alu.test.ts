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
  MEM_ADDR, OPERAND_REGS, Prng, SIZES, SUFFIX, drawCases, familySeed, forms, immText, memData, reg, regPair, runCases, summarize,
  type OperandBits, type SemForm,
} from './family.js';
import { undefFor } from './undefined-flags.js';

const ALU_OPS = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const UNARY = ['inc', 'dec', 'neg', 'not'];

interface AluText {
  readonly text: string;
  readonly mnemonic: string;
  readonly bits: OperandBits;
  readonly mem: boolean;
  readonly unchecked?: boolean;
}

function aluTexts(rng: Prng): AluText[] {
  const out: AluText[] = [];
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

function unaryTexts(rng: Prng): AluText[] {
  const out: AluText[] = [];
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
  // Encoding corners: TEST's /1 aliases (F6 /1, F7 /1), 82 (#UD in 64-bit mode), D6 (SALC, #UD),
  // multi-byte NOPs whose memory operand is never accessed.
  for (let i = 0; i < 6; i++) {
    const r = rng.below(8);
    out.push(
      { text: `.byte 0xf6, ${0xc8 + r}, ${rng.below(256)}`, mnemonic: 'test', bits: 8, mem: false },
      { text: `.byte 0x48, 0xf7, ${0xc8 + r}, ${rng.below(256)}, 0, 0, 0x80`, mnemonic: 'test', bits: 64, mem: false },
      { text: `.byte 0x66, 0xf7, ${0xc8 + r}, ${rng.below(256)}, ${rng.below(256)}`, mnemonic: 'test', bits: 16, mem: false },
      { text: `.byte 0x82, ${0xc0 + r}, 1`, mnemonic: 'add', bits: 8, mem: false, unchecked: true }, // iced-x86 cannot decode it either
      { text: '.byte 0xd6', mnemonic: 'add', bits: 8, mem: false, unchecked: true },
      { text: `nopw 0x1234(%rax,${reg(rng.pick(OPERAND_REGS), 64)},8)`, mnemonic: 'add', bits: 64, mem: false },
      { text: 'nopl (%rax)', mnemonic: 'add', bits: 64, mem: false },
    );
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

function build(texts: AluText[], repeat: number): SemForm[] {
  return forms(texts.map((t) => t.text), (_text, i) => {
    const t = texts[i]!;
    return {
      bits: t.bits,
      repeat,
      undef: undefFor(t.mnemonic, t.bits),
      ...(t.mem ? { regs: () => ({ rbx: MEM_ADDR }), data: memData(t.bits) } : {}),
      ...(t.unchecked ? { unchecked: true } : {}),
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
