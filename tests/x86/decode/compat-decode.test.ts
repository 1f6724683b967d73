/**
 * The decoder in compatibility mode (32- and 16-bit code, SDM Vol. 3A
 * §5.2.1) against iced-x86 with bitness 32 and 16, on encodings generated
 * from every row kentry allows there (MODES_COMPAT), their mutations, and
 * prefix/opcode-structured random strings:
 *
 *   kentry decodes        -> iced decodes it too: same length, same operands
 *                            (registers at their size, 16/32-bit memory forms,
 *                            segment, immediates, branch targets wrapped to the
 *                            operand size)
 *   iced says invalid     -> kentry says #UD
 *   iced valid, kentry #UD -> allowed: not modelled in compatibility mode
 *
 * Plus the cases that must differ from 64-bit mode: 40-4F are INC/DEC,
 * 64-bit-only instructions are #UD.
 */
import { Decoder, DecoderOptions, Instruction, OpKind, Register } from 'iced-x86';
import { describe, expect, it } from 'vitest';
import { decodeInsn } from '../../../src/cpu/decode/decoder.js';
import { newDecodedInsn, OP_UD, SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, type DecodedInsn } from '../../../src/cpu/decode/insn.js';
import { MODES_COMPAT, OPTABLE, type OpRow } from '../../../src/cpu/optable.js';
import { mulberry32 } from '../../../src/lib/prng.js';
import { describeIced, describeKentry } from './iced-compare.js';

const SEED = Number(process.env['KENTRY_DECODE_SEED'] ?? 0x636f6d70) >>> 0;
const rnd = mulberry32(SEED);
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
const SLOT = 16;
const ADDRESS = 0x1000;
const COMPAT_ROWS = OPTABLE.filter((r) => (r.modes & MODES_COMPAT) !== 0);
const LEGACY = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65] as const;

function fill(b: number[]): number[] {
  while (b.length < SLOT) b.push(int(256));
  return b.slice(0, SLOT);
}

function rowCase(row: OpRow): number[] {
  const b: number[] = [];
  if (rnd() < 0.3) b.push(0x67);
  if (rnd() < 0.3) b.push(pick([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]));
  if (row.pfx === 'any' && rnd() < 0.3) b.push(0x66);
  if (row.lock && rnd() < 0.3) b.push(0xf0);
  if (row.pfx === '66') b.push(0x66);
  else if (row.pfx === 'F2') b.push(0xf2);
  else if (row.pfx === 'F3') b.push(0xf3);
  if (row.map !== 0) b.push(0x0f);
  if (row.map === 2) b.push(0x38);
  if (row.map === 3) b.push(0x3a);
  b.push(row.opcode + (row.plusR ? int(8) : 0));
  if (row.modrm !== 'none') {
    let digit = int(8);
    for (let k = 0; k < 16 && !((row.digits >> digit) & 1); k++) digit = int(8);
    const mod = row.modrm === 'reg' ? 3 : row.modrm === 'mem' ? int(3) : int(4);
    b.push(row.rmByte >= 0 ? row.rmByte : (mod << 6) | (digit << 3) | int(8));
  }
  return fill(b);
}

function structuredCase(): number[] {
  const b: number[] = [];
  for (let k = int(3); k > 0; k--) b.push(pick(LEGACY));
  if (rnd() < 0.3) b.push(0x0f);
  b.push(int(256));
  return fill(b);
}

function mutate(bytes: number[]): number[] {
  const b = bytes.slice();
  const k = int(6);
  if (k === 0) b.splice(int(4), 0, pick(LEGACY));
  else if (k === 1) b[int(6)] = int(256);
  else if (k === 2) b.splice(int(4), 1);
  else if (k === 3) b.splice(0, 0, 0x40 | int(16));
  return fill(b);
}

const SEG_NAME: Record<number, string> = { [SEG_ES]: 'es', [SEG_CS]: 'cs', [SEG_SS]: 'ss', [SEG_DS]: 'ds', [SEG_FS]: 'fs', [SEG_GS]: 'gs' };

/** kentry's description, with branch targets wrapped to the operand size and the memory segment added. */
function kentryText(insn: DecodedInsn): string {
  const row = OPTABLE[insn.op]!;
  const d = describeKentry(insn);
  const ops = d.operands.map((o, k) => {
    const t = row.operands[k];
    if (t === 'Jb' || t === 'Jz') {
      const mask = insn.opSize === 2 ? 0xffffn : 0xffff_ffffn;
      const disp = BigInt.asIntN(64, (BigInt(insn.immHi) << 32n) | BigInt(insn.immLo));
      return `rel:0x${((BigInt(insn.address + insn.length) + disp) & mask).toString(16)}`;
    }
    return o;
  });
  const mem = row.operands.some((t) => t.startsWith('M') || t.startsWith('O') || ((t.startsWith('E') || t === 'Ewv') && insn.mod !== 3));
  return `${d.mnemonic} ${ops.join(', ')} ${d.prefixes}${mem ? ` seg:${SEG_NAME[insn.segment]}` : ''}`;
}

function icedText(i: Instruction, k: DecodedInsn): string {
  const d = describeIced(i, describeKentry(k));
  const ops = d.operands.map((o, n) => {
    const kind = i.opKind(n);
    if (kind === OpKind.NearBranch16 || kind === OpKind.NearBranch32) return `rel:0x${i.nearBranchTarget.toString(16)}`;
    return o;
  });
  let mem = false;
  for (let n = 0; n < i.opCount; n++) if (i.opKind(n) === OpKind.Memory) mem = true;
  return `${d.mnemonic} ${ops.join(', ')} ${d.prefixes}${mem ? ` seg:${Register[i.memorySegment].toLowerCase()}` : ''}`;
}

for (const bits of [32, 16] as const) {
  describe(`compatibility-mode decoding, ${bits}-bit code, vs iced-x86 (seed ${SEED})`, () => {
    const cases: number[][] = [];
    const rows: number[][] = [];
    for (let rep = 0; rep < 100; rep++) for (const r of COMPAT_ROWS) rows.push(rowCase(r));
    cases.push(...rows);
    for (let k = 0; k < 20_000; k++) cases.push(mutate(pick(rows)));
    for (let k = 0; k < 20_000; k++) cases.push(structuredCase());

    it(`${cases.length} byte strings: same length and operands for every supported one, #UD where iced says invalid`, () => {
      const failures: string[] = [];
      const hits = new Set<number>();
      let supported = 0;
      for (const bytes of cases) {
        const w = Uint8Array.from(bytes);
        const k = decodeInsn(newDecodedInsn(), w, 0, w.length, ADDRESS, bits);
        const dec = new Decoder(bits, w, DecoderOptions.None);
        dec.ip = BigInt(ADDRESS);
        const i = new Instruction();
        dec.decodeOut(i);
        const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
        if (k.op >= 0) {
          supported++;
          hits.add(k.op);
          if (i.isInvalid) failures.push(`${hex}: kentry ${k.mnemonic}, iced invalid`);
          else if (i.length !== k.length) failures.push(`${hex}: length kentry ${k.length} iced ${i.length}`);
          else {
            const a = kentryText(k);
            const b = icedText(i, k);
            if (a !== b) failures.push(`${hex}:\n  kentry ${a}\n  iced   ${b}`);
          }
        } else if (i.isInvalid && k.op !== OP_UD && i.length !== 0) {
          failures.push(`${hex}: iced invalid, kentry op ${k.op}`);
        }
        i.free();
        dec.free();
        if (failures.length > 20) break;
      }
      expect(failures).toEqual([]);
      expect(supported).toBeGreaterThan(cases.length / 4);
      const missing = COMPAT_ROWS.filter((r) => !hits.has(OPTABLE.indexOf(r))).map((r) => r.name);
      expect(missing).toEqual([]);
    });
  });
}

describe('compatibility mode differs from 64-bit mode where the SDM says so', () => {
  const dec = (hex: string, bits: 16 | 32 | 64): DecodedInsn => {
    const w = Uint8Array.from((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));
    return decodeInsn(newDecodedInsn(), w, 0, w.length, 0, bits);
  };
  it('40-4F are INC/DEC r32 (r16 in 16-bit code), not REX', () => {
    for (let b = 0x40; b <= 0x4f; b++) {
      const i = dec(`${b.toString(16)}90`, 32);
      expect([i.mnemonic, i.length, i.rm, i.opSize]).toEqual([b < 0x48 ? 'inc' : 'dec', 1, b & 7, 4]);
      expect(dec(`${b.toString(16)}90`, 16).opSize).toBe(2);
    }
    expect(dec('4889c8', 64).mnemonic).toBe('mov'); // REX.W mov in 64-bit mode
  });
  it('64-bit-only instructions are #UD: MOVSXD (63 is ARPL), SYSCALL, SWAPGS, RDFSBASE, MOV CRn, PUSH FS', () => {
    for (const h of ['63c8', '0f05', '0f07', '0f01f8', 'f30faec0', '0f20c0', '0fa0', 'cf', 'a4']) expect(dec(h, 32).op).toBe(OP_UD);
  });
  it('mov %ss,%ecx and int3 (the selftest trampoline) in 32- and 16-bit code', () => {
    expect([dec('8cd1', 32).mnemonic, dec('8cd1', 32).opSize, dec('8cd1', 16).opSize]).toEqual(['mov', 4, 2]);
    expect(dec('cc', 16).mnemonic).toBe('int3');
  });
});
