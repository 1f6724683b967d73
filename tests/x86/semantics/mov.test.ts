/**
 * Data movement vs the host CPU: MOV in every form (register, memory,
 * immediate, MOVABS imm64, moffs with and without 67), MOVZX/MOVSX/MOVSXD,
 * LEA (SIB, 32/16-bit destinations, 67-prefixed, RIP- and EIP-relative),
 * XCHG (incl. 87 C0 and 90+r with REX.B), CMPXCHG, CMPXCHG8B/16B (incl.
 * the 16B alignment #GP), XADD, BSWAP, CBW..CQO, and the condition users
 * SETcc, CMOVcc and Jcc (rel8 and rel32, forward) for all 16 conditions.
 * @see Intel SDM Vol. 2A/2B entries of each; Vol. 1 Appendix B (conditions)
 */
import { describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE } from '../host/native.js';
import {
  DATA_BASE, HIGH8, MEM_ADDR, OPERAND_REGS, Prng, SIZES, SUFFIX, dataAt, drawCases, familySeed, forms, immText, memData,
  reg, regPair, runCases, summarize, type Gprs, type OperandBits, type SemForm,
} from './family.js';

const NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

interface MovText {
  readonly text: string;
  readonly bits: OperandBits;
  readonly mem: boolean;
  readonly regs?: (rng: Prng) => Partial<Gprs>;
  readonly data?: SemForm['data'];
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function movTexts(rng: Prng): MovText[] {
  const out: MovText[] = [];
  for (let round = 0; round < 10; round++) {
    for (const bits of SIZES) {
      const s = SUFFIX[bits];
      const [a, b] = regPair(rng, bits);
      const m = `${rng.pick([0, 8, -8, 1, 3])}(%rbx)`;
      out.push(
        { text: `{store} mov${s} ${a}, ${b}`, bits, mem: false },
        { text: `{load} mov${s} ${a}, ${b}`, bits, mem: false },
        { text: `mov${s} ${immText(rng, bits)}, ${b}`, bits, mem: false },
        { text: `mov${s} ${a}, ${m}`, bits, mem: true },
        { text: `mov${s} ${m}, ${a}`, bits, mem: true },
        { text: `mov${s} ${immText(rng, bits)}, ${m}`, bits, mem: true },
        // moffs: absolute 64-bit address (A0-A3), and the 67-prefixed 32-bit one.
        { text: `movabs ${hex(MEM_ADDR + BigInt(rng.below(16)))}, ${reg(0, bits)}`, bits, mem: true },
        { text: `movabs ${reg(0, bits)}, ${hex(MEM_ADDR + BigInt(rng.below(16)))}`, bits, mem: true },
        { text: `addr32 mov${s} ${hex(MEM_ADDR + BigInt(rng.below(16)))}, ${reg(0, bits)}`, bits, mem: true },
      );
    }
    out.push(
      { text: `movabs $${hex(rng.interesting(64))}, ${reg(rng.pick(OPERAND_REGS), 64)}`, bits: 64, mem: false },
      { text: `movq $${BigInt.asIntN(32, rng.interesting(32))}, ${reg(rng.pick(OPERAND_REGS), 64)}`, bits: 64, mem: false },
    );
  }
  return out;
}

function extendTexts(rng: Prng): MovText[] {
  const out: MovText[] = [];
  const pairs: [string, OperandBits, OperandBits][] = [
    ['movzbw', 8, 16], ['movzbl', 8, 32], ['movzbq', 8, 64], ['movzwl', 16, 32], ['movzwq', 16, 64],
    ['movsbw', 8, 16], ['movsbl', 8, 32], ['movsbq', 8, 64], ['movswl', 16, 32], ['movswq', 16, 64], ['movslq', 32, 64],
  ];
  for (let round = 0; round < 6; round++) {
    for (const [op, from, to] of pairs) {
      const src = from === 8 && to !== 64 && rng.bool(0.3) ? `%${rng.pick(HIGH8)}` : reg(rng.pick(OPERAND_REGS), from);
      const dst = src.endsWith('h') && src.length === 3 ? reg(rng.pick([0, 1, 2, 5, 6, 7]), to) : reg(rng.pick(OPERAND_REGS), to);
      out.push({ text: `${op} ${src}, ${dst}`, bits: from, mem: false });
      out.push({ text: `${op} ${rng.pick([0, 8, -8, 5])}(%rbx), ${dst}`, bits: from, mem: true });
    }
    // MOVSXD without REX.W (a 32-bit move) and with 66 (16-bit).
    const r = rng.pick([0, 1, 2, 5, 6, 7]);
    const x = rng.pick([0, 1, 2, 5, 6, 7]);
    out.push(
      { text: `.byte 0x63, ${0xc0 | (r << 3) | x}`, bits: 32, mem: false },
      { text: `.byte 0x66, 0x63, ${0xc0 | (r << 3) | x}`, bits: 16, mem: false },
    );
  }
  return out;
}

function leaTexts(rng: Prng): MovText[] {
  const out: MovText[] = [];
  for (let i = 0; i < 50; i++) {
    const base = reg(rng.pick(OPERAND_REGS), 64);
    const index = reg(rng.pick(OPERAND_REGS), 64);
    const disp = rng.pick([0, 1, -1, 0x7f, -0x80, 0x7fff_ffff, -0x8000_0000, rng.range(-100000, 100000)]);
    const scale = rng.pick([1, 2, 4, 8]);
    const d = rng.pick(SIZES.filter((s) => s !== 8));
    const dst = reg(rng.pick(OPERAND_REGS), d);
    const s = SUFFIX[d];
    out.push(
      { text: `lea${s} ${disp}(${base},${index},${scale}), ${dst}`, bits: 64, mem: false },
      { text: `lea${s} ${disp}(${base}), ${dst}`, bits: 64, mem: false },
      { text: `lea${s} ${disp}(,${index},${scale}), ${dst}`, bits: 64, mem: false },
      { text: `lea${s} ${disp}(${base.replace('%r', '%e').replace(/^%e(\d+)$/, '%r$1d')},${index.replace('%r', '%e').replace(/^%e(\d+)$/, '%r$1d')},${scale}), ${dst}`, bits: 32, mem: false },
      { text: `lea${s} ${disp}(%rip), ${dst}`, bits: 64, mem: false },
      { text: `lea${s} ${disp}(%eip), ${dst}`, bits: 64, mem: false },
    );
  }
  return out;
}

/** Registers for CMPXCHG: half the time the accumulator equals the destination (the exchange happens). */
function cmpxchgTexts(rng: Prng): MovText[] {
  const out: MovText[] = [];
  for (let round = 0; round < 14; round++) {
    for (const bits of SIZES) {
      const s = SUFFIX[bits];
      const d = rng.pick([1, 2, 5, 6, 7, 8, 9, 12, 15]);
      const sr = rng.pick([1, 2, 5, 6, 7, 8, 9, 12, 15, 0]);
      const m = bits === 8 ? 0 : rng.pick([0, 8]);
      const lock = rng.bool(0.5) ? 'lock ' : '';
      const mask = (1n << BigInt(bits)) - 1n;
      out.push({
        text: `cmpxchg${s} ${reg(sr, bits)}, ${reg(d, bits)}`, bits, mem: false,
        regs: (g) => {
          if (!g.bool()) return {};
          const v = g.interestingReg(bits);
          return { rax: (g.u64() & ~mask) | (v & mask), [NAMES[d]!]: v };
        },
      });
      out.push({
        text: `${lock}cmpxchg${s} ${reg(sr, bits)}, ${m}(%rbx)`, bits, mem: true,
        regs: (g) => ({ rbx: MEM_ADDR, ...(g.bool() ? { rax: 0x1111_2222_3333_4444n } : {}) }),
        data: (g) => [{ offset: Number(MEM_ADDR - DATA_BASE), bytes: g.bytes(16) }, ...(g.bool() ? [dataAt(MEM_ADDR + BigInt(m), 0x1111_2222_3333_4444n & mask, (bits / 8) as 1 | 2 | 4 | 8)] : [])],
      });
      const [a, b] = regPair(rng, bits);
      out.push(
        { text: `xadd${s} ${a}, ${b}`, bits, mem: false },
        { text: `${lock}xadd${s} ${a}, ${m}(%rbx)`, bits, mem: true },
        { text: `xchg${s} ${a}, ${b}`, bits, mem: false },
        { text: `xchg${s} ${a}, ${m}(%rbx)`, bits, mem: true },
      );
    }
    const r = rng.below(8);
    out.push(
      { text: `.byte 0x87, 0xc0`, bits: 32, mem: false }, // xchg %eax, %eax: zero-extends (not a NOP)
      { text: `.byte 0x41, ${0x90 + r}`, bits: 32, mem: false }, // xchg %r8d+r, %eax
      { text: `.byte 0x49, ${0x90 + r}`, bits: 64, mem: false },
      { text: `.byte 0x66, ${0x91 + (r % 7)}`, bits: 16, mem: false },
      { text: `bswap ${reg(rng.pick(OPERAND_REGS), 32)}`, bits: 32, mem: false },
      { text: `bswap ${reg(rng.pick(OPERAND_REGS), 64)}`, bits: 64, mem: false },
    );
    // Random memory: mostly unequal (load into EDX:EAX / RDX:RAX); 16B at +8 is misaligned (#GP).
    for (const [op, off] of [['cmpxchg8b', 0], ['cmpxchg16b', 0], ['cmpxchg8b', 4], ['cmpxchg16b', 8]] as const) {
      out.push({
        text: `${rng.bool() ? 'lock ' : ''}${op} ${off}(%rbx)`, bits: 64, mem: true,
        data: (g) => [{ offset: Number(MEM_ADDR - DATA_BASE), bytes: g.bytes(32) }],
      });
    }
  }
  return out;
}

/** CMPXCHG8B/16B where the comparison succeeds: memory holds fixed values and RDX:RAX equal them. */
function cmpxchgEqualTexts(rng: Prng): MovText[] {
  const out: MovText[] = [];
  for (let i = 0; i < 12; i++) {
    const op = rng.pick(['cmpxchg8b', 'cmpxchg16b']);
    out.push({
      text: `${op} (%rbx)`, bits: 64, mem: true,
      regs: () => ({ rbx: MEM_ADDR, rax: 0x1111_2222_3333_4444n, rdx: 0x5555_6666_7777_8888n }),
      data: () => [
        dataAt(MEM_ADDR, op === 'cmpxchg8b' ? 0x7777_8888_3333_4444n : 0x1111_2222_3333_4444n, 8),
        dataAt(MEM_ADDR + 8n, 0x5555_6666_7777_8888n, 8),
      ],
    });
  }
  return out;
}

function convertTexts(): MovText[] {
  const out: MovText[] = [];
  for (const op of ['cbtw', 'cwtl', 'cltq', 'cwtd', 'cltd', 'cqto']) {
    for (const bits of SIZES) for (let k = 0; k < 4; k++) out.push({ text: op, bits, mem: false });
  }
  return out;
}

function conditionTexts(rng: Prng): MovText[] {
  const out: MovText[] = [];
  for (let round = 0; round < 4; round++) {
    for (const cc of CC) {
      const b8 = rng.bool(0.3) ? `%${rng.pick(HIGH8)}` : reg(rng.pick(OPERAND_REGS), 8);
      out.push(
        { text: `set${cc} ${b8}`, bits: 8, mem: false },
        { text: `set${cc} ${rng.pick([0, 1, -1])}(%rbx)`, bits: 8, mem: true },
      );
      for (const bits of [16, 32, 64] as const) {
        const s = SUFFIX[bits];
        const [a, b] = regPair(rng, bits);
        out.push(
          { text: `cmov${cc}${s} ${a}, ${b}`, bits, mem: false },
          { text: `cmov${cc}${s} ${rng.pick([0, 8, 3])}(%rbx), ${b}`, bits, mem: true },
        );
      }
      out.push(
        { text: `j${cc} 1f\nmov $1, %eax\n1: nop`, bits: 32, mem: false },
        { text: `{disp32} j${cc} 1f\nmov $1, %eax\n1:`, bits: 32, mem: false },
        { text: `j${cc} 1f\nmov $1, %eax\njmp 2f\n1: mov $2, %eax\n2:`, bits: 32, mem: false },
      );
    }
  }
  return out;
}

function build(list: readonly MovText[], repeat: number): SemForm[] {
  return forms(list.map((t) => t.text), (_s, i) => {
    const t = list[i]!;
    const md = memData(t.bits);
    return {
      bits: t.bits,
      repeat,
      regs: (rng: Prng) => ({ ...(t.mem ? { rbx: MEM_ADDR } : {}), ...(t.regs?.(rng) ?? {}) }),
      ...(t.data !== undefined ? { data: t.data } : t.mem ? { data: md } : {}),
    };
  });
}

function run(seed: number, list: readonly MovText[], repeat: number, min: number): void {
  const rng = new Prng(seed);
  const report = runCases(seed, drawCases(build(list, repeat), rng));
  expect(report.cases).toBeGreaterThanOrEqual(min);
  expect(summarize(report)).toBe('');
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: data movement and conditions', () => {
  it('MOV: register, memory, immediate, MOVABS, moffs (64- and 32-bit addresses)', () => {
    const seed = familySeed(0x30a1);
    run(seed, movTexts(new Prng(seed ^ 1)), 2, 700);
  });

  it('MOVZX MOVSX MOVSXD', () => {
    const seed = familySeed(0x30a2);
    run(seed, extendTexts(new Prng(seed ^ 1)), 2, 250);
  });

  it('LEA: SIB, sizes, 67, RIP/EIP-relative', () => {
    const seed = familySeed(0x30a3);
    run(seed, leaTexts(new Prng(seed ^ 1)), 1, 300);
  });

  it('CMPXCHG CMPXCHG8B/16B XADD XCHG BSWAP', () => {
    const seed = familySeed(0x30a4);
    const rng = new Prng(seed ^ 1);
    run(seed, [...cmpxchgTexts(rng), ...cmpxchgEqualTexts(rng)], 2, 700);
  });

  it('CBW CWDE CDQE CWD CDQ CQO', () => {
    const seed = familySeed(0x30a5);
    run(seed, convertTexts(), 2, 190);
  });

  it('SETcc CMOVcc Jcc, all 16 conditions', () => {
    const seed = familySeed(0x30a6);
    run(seed, conditionTexts(new Prng(seed ^ 1)), 2, 1000);
  });
});
