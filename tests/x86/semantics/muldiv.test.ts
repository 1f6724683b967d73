/**
 * MUL, IMUL (one-, two- and three-operand, imm8 and imm32), DIV and IDIV
 * vs the host CPU: every size, register (incl. AH..BH) and memory sources,
 * dividends drawn both to fit (no #DE) and to overflow or divide by zero
 * (#DE, vector 0, RIP at the instruction).
 * @see Intel SDM Vol. 2A "MUL", "IMUL", "DIV", "IDIV"
 */
import { describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE } from '../host/native.js';
import {
  MEM_ADDR, OPERAND_REGS, Prng, SIZES, SUFFIX, drawCases, familySeed, forms, immText, memData, reg, regPair, runCases,
  summarize, type Gprs, type OperandBits, type SemForm,
} from './family.js';
import { undefFor } from './undefined-flags.js';

interface MulText {
  readonly text: string;
  readonly mnemonic: string;
  readonly bits: OperandBits;
  readonly mem: boolean;
  /** The divisor register (for drawing a dividend that fits), or undefined. */
  readonly divisor?: number;
}

/** A source register for one-operand forms: not RAX/RDX (the implicit operands) unless picked on purpose. */
function src(rng: Prng, bits: OperandBits): { text: string; r: number } {
  if (bits === 8 && rng.bool(0.25)) {
    const h = rng.pick(['ah', 'ch', 'dh', 'bh']);
    return { text: `%${h}`, r: -1 };
  }
  const r = rng.bool(0.1) ? rng.pick([0, 2]) : rng.pick(OPERAND_REGS.filter((x) => x !== 0 && x !== 2));
  return { text: reg(r, bits), r };
}

function texts(rng: Prng, rounds: number): MulText[] {
  const out: MulText[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const bits of SIZES) {
      const s = SUFFIX[bits];
      const m = `${rng.pick([0, 8, -8])}(%rbx)`;
      for (const op of ['mul', 'imul', 'div', 'idiv']) {
        const a = src(rng, bits);
        const isDiv = op.endsWith('div');
        out.push({ text: `${op}${s} ${a.text}`, mnemonic: op, bits, mem: false, ...(isDiv && a.r >= 0 ? { divisor: a.r } : {}) });
        out.push({ text: `${op}${s} ${m}`, mnemonic: op, bits, mem: true });
      }
      if (bits !== 8) {
        const [x, y] = regPair(rng, bits);
        out.push(
          { text: `imul${s} ${x}, ${y}`, mnemonic: 'imul', bits, mem: false },
          { text: `imul${s} ${m}, ${y}`, mnemonic: 'imul', bits, mem: true },
          { text: `imul${s} ${immText(rng, bits)}, ${x}, ${y}`, mnemonic: 'imul', bits, mem: false },
          { text: `imul${s} $${rng.range(-128, 127)}, ${x}, ${y}`, mnemonic: 'imul', bits, mem: false },
          { text: `imul${s} ${immText(rng, bits)}, ${m}, ${y}`, mnemonic: 'imul', bits, mem: true },
        );
      }
    }
  }
  return out;
}

/**
 * For a register DIV/IDIV: half the time a dividend whose high part is
 * small against the divisor, so the quotient fits (no #DE); otherwise the
 * random registers decide (mostly #DE).
 */
function dividendRegs(t: MulText): (rng: Prng) => Partial<Gprs> {
  return (rng) => {
    const out: Partial<Gprs> = t.mem ? { rbx: MEM_ADDR } : {};
    if (t.divisor === undefined || rng.bool(0.4)) return out;
    const bits = BigInt(t.bits);
    const m = (1n << bits) - 1n;
    let d = rng.interesting(t.bits) | 1n; // non-zero
    if (t.mnemonic === 'idiv' && rng.bool()) d = (-d) & m;
    const dv = rng.interestingReg(t.bits) & ~m | d;
    out[(['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const)[t.divisor]!] = dv;
    const ud = BigInt.asIntN(t.bits, d) < 0n ? -BigInt.asIntN(t.bits, d) : d;
    // high part < |divisor| / 2 (signed: also small positive), low part random.
    const high = rng.u64() % (ud / 2n + 1n);
    const low = rng.bits(t.bits);
    const neg = t.mnemonic === 'idiv' && rng.bool();
    const wide = neg ? -((high << bits) | low) : (high << bits) | low;
    const w = BigInt.asUintN(t.bits * 2, wide);
    if (t.bits === 8) {
      if (t.divisor === 0) return out; // AL is the divisor's register too
      out.rax = (rng.u64() & ~0xffffn) | w;
    } else {
      if (t.divisor === 2) return out;
      out.rax = (rng.u64() & ~m) | (w & m);
      out.rdx = (rng.u64() & ~m) | (w >> bits);
    }
    return out;
  };
}

function build(list: readonly MulText[], repeat: number): SemForm[] {
  return forms(list.map((t) => t.text), (_s, i) => {
    const t = list[i]!;
    return {
      bits: t.bits,
      repeat,
      undef: undefFor(t.mnemonic, t.bits),
      regs: dividendRegs(t),
      ...(t.mem ? { data: memData(t.bits) } : {}),
    };
  });
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: multiply and divide', () => {
  it('MUL IMUL DIV IDIV, every form and size, with #DE', () => {
    const seed = familySeed(0x3d1f);
    const rng = new Prng(seed);
    const report = runCases(seed, drawCases(build(texts(rng, 16), 2), rng));
    expect(report.cases).toBeGreaterThanOrEqual(1400);
    const de = report.native.filter((r) => r.signal?.trapno === 0).length;
    expect(de).toBeGreaterThan(50); // #DE is exercised
    expect(de).toBeLessThan(report.cases / 2); // and so are quotients that fit
    expect(summarize(report)).toBe('');
  });
});
