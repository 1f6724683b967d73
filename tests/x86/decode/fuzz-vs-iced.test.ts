/**
 * The decoder against iced-x86 on > 100,000 byte strings (issue M2 item 7a):
 * random bytes, prefix/opcode-structured strings, encodings generated from
 * every optable row, and mutations of those (prefixes and REX moved, bytes
 * replaced, inserted, deleted), plus every truncation of supported ones.
 *
 *   kentry decodes   -> iced decodes it too, same length, same description
 *                       (iced-compare.ts)
 *   iced invalid     -> kentry says #UD or too long
 *   iced valid, kentry #UD -> allowed (not modelled); counted and printed
 *
 * Seeded (KENTRY_DECODE_SEED overrides); failures print the seed and bytes.
 * KENTRY_DECODE_DEBUG=1 also prints iced-valid strings kentry rejects whose
 * mnemonic kentry knows (to spot a row whose conditions are too strict).
 */
import { Decoder, DecoderError, DecoderOptions, Instruction, Mnemonic } from 'iced-x86';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeInsn } from '../../../src/cpu/decode/decoder.js';
import { newDecodedInsn, OP_TOO_LONG, OP_TRUNCATED, OP_UD } from '../../../src/cpu/decode/insn.js';
import { MODES_64, OPTABLE, type OpRow } from '../../../src/cpu/optable.js';
import { describeIced, describeKentry, unsupportedCategory } from './iced-compare.js';
import { mulberry32 } from '../../../src/lib/prng.js';
import { rowEncoding } from './row-encoding.js';

const SEED = Number(process.env['KENTRY_DECODE_SEED'] ?? 0x6b656e74) >>> 0;
const SLOT = 16;

const prng = mulberry32;

const rnd = prng(SEED);
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
const LEGACY = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65] as const;

type Source = 'random' | 'structured' | 'rows' | 'mutated';
interface Case { bytes: number[]; source: Source }

function fill(bytes: number[]): number[] {
  while (bytes.length < SLOT) bytes.push(int(256));
  return bytes.slice(0, SLOT);
}

function randomCase(): number[] {
  return fill([]);
}

function structuredCase(): number[] {
  const b: number[] = [];
  const n = int(4);
  for (let k = 0; k < n; k++) b.push(pick(LEGACY));
  if (rnd() < 0.5) b.push(0x40 | int(16));
  const m = int(4);
  if (m === 1) b.push(0x0f);
  else if (m === 2) b.push(0x0f, 0x38);
  else if (m === 3) b.push(0x0f, 0x3a);
  b.push(int(256));
  return fill(b);
}

/** A (probably) valid encoding of `row` with random operands and prefixes. */
function rowCase(row: OpRow): number[] {
  return fill(rowEncoding(row, { rnd }, { addrSize: 0.3, segment: 0.2, secondSegment: 0, opSize: 0.3, rep: 0.15, addressingDetail: false }));
}

function mutate(src: number[]): number[] {
  const b = src.slice(0, 12);
  const at = int(Math.min(b.length, 6) + 1);
  switch (int(6)) {
    case 0: b.splice(at, 0, pick(LEGACY)); break; // a legacy prefix anywhere, also after REX
    case 1: b.splice(at, 0, 0x40 | int(16)); break; // REX in a random position
    case 2: b[at] = int(256); break;
    case 3: b.splice(at, 1); break;
    case 4: b.splice(0, 0, pick([0x66, 0xf2, 0xf3]), pick([0x66, 0xf2, 0xf3])); break;
    default: b.splice(0, 0, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66); break; // near 15 bytes
  }
  return fill(b);
}

function buildCases(): Case[] {
  const cases: Case[] = [];
  for (let k = 0; k < 100_000; k++) cases.push({ bytes: randomCase(), source: 'random' });
  for (let k = 0; k < 80_000; k++) cases.push({ bytes: structuredCase(), source: 'structured' });
  const rowBytes: number[][] = [];
  for (let rep = 0; rep < 200; rep++) for (const row of ROWS_64) rowBytes.push(rowCase(row));
  for (const bytes of rowBytes) cases.push({ bytes, source: 'rows' });
  for (let k = 0; k < 100_000; k++) cases.push({ bytes: mutate(pick(rowBytes)), source: 'mutated' });
  return cases;
}

const hexs = (b: ArrayLike<number>): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

interface Stats {
  total: number;
  icedValid: number;
  supported: number;
  unsupportedByCategory: Map<string, number>;
  unsupportedByMnemonic: Map<string, number>;
}
const newStats = (): Stats => ({ total: 0, icedValid: 0, supported: 0, unsupportedByCategory: new Map(), unsupportedByMnemonic: new Map() });
const bump = (m: Map<string, number>, k: string): void => { m.set(k, (m.get(k) ?? 0) + 1); };
const stats: Record<Source, Stats> = { random: newStats(), structured: newStats(), rows: newStats(), mutated: newStats() };
const summary: string[] = [];
/** The rows of 64-bit mode (compatibility-only rows are checked in compat-decode.test.ts). */
const ROWS_64 = OPTABLE.filter((r) => (r.modes & MODES_64) !== 0);
const KNOWN = new Set(OPTABLE.flatMap((r) => [r.mnemonic, ...(r.sizeMnemonics ?? [])]));
const debugSeen = new Map<string, number>();

describe(`decoder vs iced-x86 (seed ${SEED}, KENTRY_DECODE_SEED to change)`, () => {
  const cases = buildCases();
  const buf = new Uint8Array(cases.length * SLOT);
  cases.forEach((c, k) => buf.set(c.bytes, k * SLOT));
  const addrs = cases.map(() => (int(0x10000) * 0x1_0000_0000) + int(0x1_0000_0000)); // < 2^48
  const rowHits = new Uint32Array(OPTABLE.length);
  const supportedIdx: number[] = [];

  it(`${cases.length} byte strings: same length and instruction for every supported one, #UD for the rest`, () => {
    const dec = new Decoder(64, buf, DecoderOptions.None);
    const ins = new Instruction();
    const rec = newDecodedInsn();
    const failures: string[] = [];
    const fail = (k: number, why: string): void => {
      if (failures.length < 25) {
        failures.push(`seed ${SEED} case ${k} (${cases[k]?.source}) bytes [${hexs(buf.subarray(k * SLOT, k * SLOT + SLOT))}] address 0x${(addrs[k] ?? 0).toString(16)}: ${why}`);
      }
    };
    for (let k = 0; k < cases.length; k++) {
      const off = k * SLOT;
      const addr = addrs[k] ?? 0;
      const st = stats[cases[k]?.source ?? 'random'];
      st.total++;
      decodeInsn(rec, buf, off, off + SLOT, addr);
      dec.position = off;
      dec.ip = BigInt(addr);
      dec.decodeOut(ins);
      const valid = !ins.isInvalid;
      if (valid) st.icedValid++;
      if (rec.op >= 0) {
        rowHits[rec.op] = (rowHits[rec.op] ?? 0) + 1;
        if (!valid) {
          fail(k, `kentry decodes ${rec.mnemonic} (${OPTABLE[rec.op]?.name}, ${rec.length} bytes), iced says invalid (error ${DecoderError[dec.lastError]})`);
          continue;
        }
        st.supported++;
        if (k % 7 === 0) supportedIdx.push(k);
        if (ins.length !== rec.length) {
          fail(k, `length: kentry ${rec.length} (${OPTABLE[rec.op]?.name}), iced ${ins.length} (${Mnemonic[ins.mnemonic]})`);
          continue;
        }
        if (rec.bytes.length !== rec.length || rec.bytes.some((x, j) => x !== buf[off + j])) {
          fail(k, `bytes: kentry copied [${hexs(rec.bytes)}]`);
        }
        const kd = describeKentry(rec);
        const id = describeIced(ins, kd);
        const ks = `${kd.mnemonic} ${kd.operands.join(', ')} [${kd.prefixes}]`;
        const is = `${id.mnemonic} ${id.operands.join(', ')} [${id.prefixes}]`;
        if (ks !== is) fail(k, `instruction (${OPTABLE[rec.op]?.name}):\n  kentry ${ks}\n  iced   ${is}`);
      } else {
        if (rec.op !== OP_UD && rec.op !== OP_TOO_LONG) fail(k, `unexpected op ${rec.op} with a 16-byte window`);
        if (valid) {
          if (rec.op === OP_TOO_LONG) fail(k, `kentry says longer than 15 bytes, iced decodes ${Mnemonic[ins.mnemonic]} (${ins.length} bytes)`);
          bump(st.unsupportedByCategory, unsupportedCategory(ins));
          if (process.env['KENTRY_DECODE_DEBUG'] && KNOWN.has(Mnemonic[ins.mnemonic].toLowerCase()) && (debugSeen.get(Mnemonic[ins.mnemonic]) ?? 0) < 3) {
            debugSeen.set(Mnemonic[ins.mnemonic], (debugSeen.get(Mnemonic[ins.mnemonic]) ?? 0) + 1);
            console.log(`unsupported known mnemonic: ${hexs(buf.subarray(off, off + ins.length))} ${Mnemonic[ins.mnemonic]} ${describeIced(ins, null).operands.join(', ')}`);
          }
          bump(st.unsupportedByMnemonic, Mnemonic[ins.mnemonic].toLowerCase());
        }
      }
    }
    dec.free();
    ins.free();
    expect(failures).toEqual([]);
  });

  it('every optable row was decoded at least once', () => {
    const missing = OPTABLE.filter((r, i) => rowHits[i] === 0 && (r.modes & MODES_64) !== 0).map((r) => r.name);
    expect(missing).toEqual([]);
  });

  it('every truncation of a supported instruction is OP_TRUNCATED (and iced runs out of bytes too)', () => {
    const rec = newDecodedInsn();
    const failures: string[] = [];
    let checked = 0;
    for (const k of supportedIdx) {
      const off = k * SLOT;
      decodeInsn(rec, buf, off, off + SLOT, 0);
      const len = rec.length;
      for (let n = 0; n < len; n++) {
        decodeInsn(rec, buf, off, off + n, 0);
        if (rec.op !== OP_TRUNCATED || rec.length !== n) {
          if (failures.length < 20) failures.push(`seed ${SEED} bytes [${hexs(buf.subarray(off, off + len))}] cut to ${n}: op ${rec.op} length ${rec.length}`);
        }
        if (checked++ % 40 === 0) {
          const d = new Decoder(64, buf.slice(off, off + n), DecoderOptions.None);
          const i = d.decode();
          if (!i.isInvalid || d.lastError !== DecoderError.NoMoreBytes) {
            if (failures.length < 20) failures.push(`iced on [${hexs(buf.subarray(off, off + n))}]: ${DecoderError[d.lastError]}`);
          }
          i.free();
          d.free();
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
    expect(failures).toEqual([]);
  });

  afterAll(() => {
    const pct = (a: number, b: number): string => `${((100 * a) / Math.max(b, 1)).toFixed(1)}%`;
    for (const [src, st] of Object.entries(stats)) {
      const uns = st.icedValid - st.supported;
      const cats = [...st.unsupportedByCategory].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${pct(n, st.icedValid)}`).join(', ');
      const mns = [...st.unsupportedByMnemonic].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([m, n]) => `${m} ${n}`).join(', ');
      summary.push(`${src}: ${st.total} strings, iced-valid ${st.icedValid}, kentry supports ${pct(st.supported, st.icedValid)}; unsupported by kentry: ${pct(uns, st.icedValid)} (${cats})\n    top unsupported: ${mns}`);
    }
    console.log(`decoder vs iced-x86, seed ${SEED}\n  ${summary.join('\n  ')}`);
  });
});
