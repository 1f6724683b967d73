/**
 * The register names the assembler knows, with their encoding numbers.
 *
 * `num` is the 4-bit register number (bit 3 goes to REX.R/X/B). Byte
 * registers: %spl/%bpl/%sil/%dil need a REX prefix to be told apart from
 * %ah/%ch/%dh/%bh, which share numbers 4..7 and forbid any REX prefix.
 */
export type RegClass = 'gpr' | 'seg' | 'cr' | 'dr' | 'xmm' | 'rip';

export interface Reg {
  readonly name: string;
  readonly cls: RegClass;
  /** Width in bytes: 1, 2, 4, 8 for GPRs; 2 for segments; 8 for control/debug/rip; 16 for xmm. */
  readonly size: number;
  readonly num: number;
  /** %spl, %bpl, %sil, %dil: encodable only with a REX prefix. */
  readonly needsRex: boolean;
  /** %ah, %ch, %dh, %bh: not encodable with a REX prefix. */
  readonly high8: boolean;
}

const REGS = new Map<string, Reg>();

function add(name: string, cls: RegClass, size: number, num: number, needsRex = false, high8 = false): void {
  REGS.set(name, { name, cls, size, num, needsRex, high8 });
}

const LEGACY = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
LEGACY.forEach((r, i) => {
  add('r' + r, 'gpr', 8, i);
  add('e' + r, 'gpr', 4, i);
  add(r, 'gpr', 2, i);
});
['al', 'cl', 'dl', 'bl'].forEach((r, i) => add(r, 'gpr', 1, i));
['ah', 'ch', 'dh', 'bh'].forEach((r, i) => add(r, 'gpr', 1, i + 4, false, true));
['spl', 'bpl', 'sil', 'dil'].forEach((r, i) => add(r, 'gpr', 1, i + 4, true));
for (let i = 8; i < 16; i++) {
  add(`r${i}`, 'gpr', 8, i);
  add(`r${i}d`, 'gpr', 4, i);
  add(`r${i}w`, 'gpr', 2, i);
  add(`r${i}b`, 'gpr', 1, i);
  add(`r${i}l`, 'gpr', 1, i);
}
['es', 'cs', 'ss', 'ds', 'fs', 'gs'].forEach((r, i) => add(r, 'seg', 2, i));
for (const i of [0, 2, 3, 4, 8]) add(`cr${i}`, 'cr', 8, i);
for (const i of [0, 1, 2, 3, 6, 7]) {
  add(`db${i}`, 'dr', 8, i);
  add(`dr${i}`, 'dr', 8, i);
}
for (let i = 0; i < 16; i++) add(`xmm${i}`, 'xmm', 16, i);
add('rip', 'rip', 8, 0);

/** The register named `name` (without `%`, any case), or undefined. */
export function lookupRegister(name: string): Reg | undefined {
  return REGS.get(name.toLowerCase());
}

/** Segment override prefix bytes, by segment register number (es cs ss ds fs gs). */
export const SEGMENT_PREFIX: readonly number[] = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
