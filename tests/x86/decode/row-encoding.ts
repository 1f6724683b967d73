/**
 * A random encoding of one opcode-table row — legacy prefixes in random
 * order, the row's mandatory prefix, REX, the opcode map escape, the opcode
 * (with a +r register), and a ModRM byte with its SIB and displacement — for
 * the tests that hold the model's decoder and formatter against iced-x86.
 * Immediates and the rest are left to the caller (it pads with random bytes).
 */
import type { OpRow } from '../../../src/cpu/optable.js';

export interface Rng {
  /** Uniform in [0, 1). */
  rnd(): number;
}

/** How often each optional part appears (probabilities), and what the ModRM byte favours. */
export interface RowEncodingMix {
  readonly addrSize: number;
  readonly segment: number;
  /** A second, different segment prefix (the formatter cares which one comes last). */
  readonly secondSegment: number;
  readonly opSize: number;
  readonly rep: number;
  /** SIB (rm 4) and RIP-relative (rm 5) more often than chance, with SIB and small displacements filled in. */
  readonly addressingDetail: boolean;
}

export function rowEncoding(row: OpRow, rng: Rng, mix: RowEncodingMix): number[] {
  const rnd = (): number => rng.rnd();
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const b: number[] = [];
  const legacy: number[] = [];
  if (rnd() < mix.addrSize) legacy.push(0x67);
  if (rnd() < mix.segment) legacy.push(pick([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]));
  if (rnd() < mix.secondSegment) legacy.push(pick([0x2e, 0x3e, 0x64, 0x65]));
  if (row.pfx === 'any' && rnd() < mix.opSize) legacy.push(0x66);
  if (row.pfx === 'any' && rnd() < mix.rep) legacy.push(pick([0xf2, 0xf3]));
  if (row.lock && rnd() < 0.4) legacy.push(0xf0);
  for (let k = legacy.length - 1; k > 0; k--) {
    const j = int(k + 1);
    [legacy[k], legacy[j]] = [legacy[j] ?? 0, legacy[k] ?? 0];
  }
  b.push(...legacy);
  if (row.pfx === '66') b.push(0x66);
  else if (row.pfx === 'F2') b.push(0xf2);
  else if (row.pfx === 'F3') b.push(0xf3);
  const r = int(16);
  if (row.rex === 'W1') b.push(0x48 | (r & 7));
  else if (row.rex === 'W0') { if (rnd() < 0.5) b.push(0x40 | (r & 7)); }
  else if (row.rex === 'B0') { if (rnd() < 0.5) b.push(0x40 | (r & 0xe)); }
  else if (rnd() < 0.5) b.push(0x40 | r);
  if (row.map === 1) b.push(0x0f);
  else if (row.map === 2) b.push(0x0f, 0x38);
  else if (row.map === 3) b.push(0x0f, 0x3a);
  b.push(row.opcode + (row.plusR ? int(8) : 0));
  if (row.modrm === 'none') return b;
  if (row.rmByte >= 0) {
    b.push(row.rmByte);
    return b;
  }
  const digits = [0, 1, 2, 3, 4, 5, 6, 7].filter((d) => row.digits & (1 << d));
  const mod = row.modrm === 'reg' || row.modrm === 'forceReg' ? 3 : row.modrm === 'mem' ? int(3) : int(4);
  if (!mix.addressingDetail) {
    b.push((mod << 6) | (pick(digits) << 3) | int(8));
    return b;
  }
  const rm = rnd() < 0.3 ? 4 : rnd() < 0.15 ? 5 : int(8);
  b.push((mod << 6) | (pick(digits) << 3) | rm);
  if (mod !== 3 && rm === 4) {
    // SIB: sometimes no index (4), sometimes no base (5 with mod 0).
    const index = rnd() < 0.25 ? 4 : int(8);
    const base = rnd() < 0.2 ? 5 : int(8);
    b.push((int(4) << 6) | (index << 3) | base);
  }
  // Small displacements too, so 0..9 (printed in decimal) and zero occur.
  if (rnd() < 0.3) b.push(pick([0, 1, 9, 10, 0xff, 0xf0, 0x80]), pick([0, 0xff]), pick([0, 0xff]), pick([0, 0xff]));
  return b;
}
