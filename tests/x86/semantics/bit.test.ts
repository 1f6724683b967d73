/**
 * Bit instructions vs the host CPU: BT/BTS/BTR/BTC with register and
 * immediate offsets into registers and memory (register offsets into
 * memory address a bit string: negative and multi-word offsets, LOCK),
 * BSF/BSR/TZCNT/LZCNT/POPCNT of 16/32/64 bits with zero sources.
 * @see Intel SDM Vol. 2A "BT", "BTS", "BTR", "BTC", "BSF", "BSR"; Vol. 2B "LZCNT", "POPCNT", "TZCNT"
 */
import { describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE } from '../host/native.js';
import {
  MEM_ADDR, OPERAND_REGS, Prng, SUFFIX, drawCases, familySeed, forms, memData, reg, runCases, summarize,
  type Gprs, type OperandBits, type SemForm,
} from './family.js';
import { undefFor } from './undefined-flags.js';

const W = [16, 32, 64] as const;

interface BitText {
  readonly text: string;
  readonly mnemonic: string;
  readonly bits: OperandBits;
  readonly mem: boolean;
  /** Register holding a bit offset into memory: drawn to stay inside the data area. */
  readonly offsetReg?: number;
}

const NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

function two(rng: Prng): [number, number] {
  const a = rng.pick(OPERAND_REGS);
  let b = rng.pick(OPERAND_REGS);
  while (b === a) b = rng.pick(OPERAND_REGS);
  return [a, b];
}

function btTexts(rng: Prng, rounds: number): BitText[] {
  const out: BitText[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const op of ['bt', 'bts', 'btr', 'btc']) {
      for (const bits of W) {
        const s = SUFFIX[bits];
        const [a, b] = two(rng);
        const m = `${rng.pick([0, 8, -8, 2])}(%rbx)`;
        const lock = op !== 'bt' && rng.bool(0.3) ? 'lock ' : '';
        const imm = rng.bool(0.7) ? rng.below(bits) : rng.below(256);
        out.push(
          { text: `${op}${s} ${reg(a, bits)}, ${reg(b, bits)}`, mnemonic: op, bits, mem: false },
          { text: `${op}${s} $${imm}, ${reg(b, bits)}`, mnemonic: op, bits, mem: false },
          { text: `${lock}${op}${s} ${reg(a, bits)}, ${m}`, mnemonic: op, bits, mem: true, offsetReg: a },
          { text: `${lock}${op}${s} $${imm}, ${m}`, mnemonic: op, bits, mem: true },
        );
      }
    }
  }
  return out;
}

function scanTexts(rng: Prng, rounds: number): BitText[] {
  const out: BitText[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const op of ['bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt']) {
      for (const bits of W) {
        const s = SUFFIX[bits];
        const [a, b] = two(rng);
        const m = `${rng.pick([0, 8, -8])}(%rbx)`;
        out.push(
          { text: `${op}${s} ${reg(a, bits)}, ${reg(b, bits)}`, mnemonic: op, bits, mem: false },
          { text: `${op}${s} ${m}, ${reg(b, bits)}`, mnemonic: op, bits, mem: true },
        );
      }
    }
  }
  return out;
}

/** A bit offset (register value) that keeps the addressed word inside the data area around MEM_ADDR. */
function bitOffset(rng: Prng, bits: OperandBits): bigint {
  const k = rng.below(4);
  if (k === 0) return BigInt(rng.below(bits));
  if (k === 1) return BigInt(rng.range(-bits * 4, bits * 4));
  return BigInt(rng.range(-0x7f00, 0x7f00)); // up to ±0xfe0 bytes, still inside the data area
}

function build(list: readonly BitText[], repeat: number, zeroBias: boolean): SemForm[] {
  return forms(list.map((t) => t.text), (_s, i) => {
    const t = list[i]!;
    const regs = (rng: Prng): Partial<Gprs> => {
      const out: Partial<Gprs> = t.mem ? { rbx: MEM_ADDR } : {};
      if (t.offsetReg !== undefined) {
        const off = bitOffset(rng, t.bits);
        // 16-bit offsets are sign-extended from the low word; 32-bit from the low dword: random garbage above.
        const garbage = t.bits === 64 ? 0n : rng.u64() & ~((1n << BigInt(t.bits)) - 1n);
        out[NAMES[t.offsetReg]!] = garbage | BigInt.asUintN(t.bits, off);
      }
      if (zeroBias && rng.bool(0.3)) {
        // A zero source (BSF/BSR leave the destination; TZCNT/LZCNT give the size).
        for (const n of NAMES) if (n !== 'rsp' && n !== 'rbx' && rng.bool(0.5)) out[n] = rng.bool() ? 0n : 0xffff_ffff_0000_0000n;
      }
      return out;
    };
    const mem = memData(t.bits);
    return {
      bits: t.bits,
      repeat,
      undef: undefFor(t.mnemonic, t.bits),
      regs,
      ...(t.mem
        ? {
            data: (rng: Prng) => [
              ...(t.offsetReg !== undefined ? [{ offset: 0, bytes: rng.bytes(0x2000) }] : []),
              ...mem(rng),
            ],
          }
        : {}),
    };
  });
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: bit instructions', () => {
  it('BT BTS BTR BTC, register and immediate offsets, register and memory (bit strings)', () => {
    const seed = familySeed(0xb17b);
    const rng = new Prng(seed);
    const report = runCases(seed, drawCases(build(btTexts(rng, 14), 1, false), rng));
    expect(report.cases).toBeGreaterThanOrEqual(650);
    expect(summarize(report)).toBe('');
  });

  it('BSF BSR TZCNT LZCNT POPCNT', () => {
    const seed = familySeed(0xb17c);
    const rng = new Prng(seed);
    const report = runCases(seed, drawCases(build(scanTexts(rng, 12), 2, true), rng));
    expect(report.cases).toBeGreaterThanOrEqual(700);
    expect(summarize(report)).toBe('');
  });
});
