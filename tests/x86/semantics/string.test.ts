/**
 * String instructions vs the host CPU: MOVS CMPS SCAS LODS STOS of every
 * element size, without prefix, with REP/REPE and REPNE (F2 on
 * MOVS/LODS/STOS acts as REP), DF = 0 and 1, small counts (0..9) in RCX,
 * and under 67 (ESI/EDI/ECX with garbage above bit 31, results
 * zero-extended). Memory holds few distinct values, so REPE/REPNE stop
 * early as often as they run out.
 * @see Intel SDM Vol. 2B "MOVS", "CMPS", "SCAS", "LODS", "STOS", "REP/REPE/REPZ/REPNE/REPNZ"
 */
import { describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE } from '../host/native.js';
import { DATA_BASE, Prng, SIZES, drawCases, familySeed, forms, runCases, summarize, type Gprs, type OperandBits, type SemForm } from './family.js';

const SUF: Readonly<Record<OperandBits, string>> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };
const SRC = DATA_BASE + 0x800n;
const DST = DATA_BASE + 0x2000n;

interface StrText {
  readonly text: string;
  readonly bits: OperandBits;
  readonly a32: boolean;
}

function texts(): StrText[] {
  const out: StrText[] = [];
  for (const bits of SIZES) {
    const s = SUF[bits];
    for (const a32 of [false, true]) {
      const p = a32 ? 'addr32 ' : '';
      for (const op of ['movs', 'lods', 'stos']) {
        out.push(
          { text: `${p}${op}${s}`, bits, a32 },
          { text: `rep ${p}${op}${s}`, bits, a32 },
          { text: `.byte 0xf2\n${p}${op}${s}`, bits, a32 },
        );
      }
      for (const op of ['cmps', 'scas']) {
        out.push(
          { text: `${p}${op}${s}`, bits, a32 },
          { text: `repe ${p}${op}${s}`, bits, a32 },
          { text: `repne ${p}${op}${s}`, bits, a32 },
        );
      }
    }
  }
  return out;
}

/** Bytes from a small alphabet (so elements often compare equal). */
function smallBytes(rng: Prng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const alphabet = rng.pick([[0], [0, 1], [0, 0, 0, 0xff], [0x41, 0x42]]);
  for (let i = 0; i < n; i++) out[i] = rng.pick(alphabet);
  return out;
}

function build(list: readonly StrText[], repeat: number): SemForm[] {
  return forms(list.map((t) => t.text), (_s, i) => {
    const t = list[i]!;
    const garbage = (rng: Prng): bigint => (t.a32 ? rng.u64() & 0xffff_ffff_0000_0000n : 0n);
    return {
      bits: t.bits,
      repeat,
      regs: (rng: Prng): Partial<Gprs> => ({
        rsi: garbage(rng) | (SRC + BigInt(rng.below(0x80))),
        rdi: garbage(rng) | (DST + BigInt(rng.below(0x80))),
        rcx: garbage(rng) | BigInt(rng.pick([0, 1, 2, 3, 5, 9])),
        rax: rng.bool() ? BigInt(rng.pick([0, 0x41, 0x4141_4141, 0x0101])) : rng.u64(),
      }),
      rflags: (rng) => rng.rflags({ df: true }),
      data: (rng) => {
        const shared = smallBytes(rng, 0x180);
        return [
          { offset: Number(SRC - DATA_BASE) - 0x80, bytes: shared },
          { offset: Number(DST - DATA_BASE) - 0x80, bytes: rng.bool(0.7) ? shared : smallBytes(rng, 0x180) },
        ];
      },
    };
  });
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: string instructions', () => {
  it('MOVS CMPS SCAS LODS STOS with REP/REPE/REPNE, DF 0/1, 64- and 32-bit addressing', () => {
    const seed = familySeed(0x57e1);
    const report = runCases(seed, drawCases(build(texts(), 6), new Prng(seed)));
    expect(report.cases).toBeGreaterThanOrEqual(700);
    expect(summarize(report)).toBe('');
  });
});
