/**
 * The mnemonic table: every instruction the assembler knows, merged from the
 * group files, and the lookup that splits an AT&T size suffix off a
 * mnemonic. An exact name always wins (`movsb` is the string move, `setb`
 * is "set if below", `shl` is not "sh" + l), then `base + suffix` is tried.
 */
import { aluTable } from './insn-alu.js';
import { type InsnDef, type Size, SUFFIX_SIZE } from './insn-common.js';
import { controlTable } from './insn-control.js';
import { movTable } from './insn-mov.js';
import { sseTable } from './insn-sse.js';
import { systemTable } from './insn-system.js';

const TABLE: ReadonlyMap<string, InsnDef> = new Map([...aluTable(), ...movTable(), ...controlTable(), ...systemTable(), ...sseTable()]);

/** Prefixes written as separate words before a mnemonic (or alone on a line). */
export const PREFIXES: ReadonlyMap<string, number> = new Map([
  ['lock', 0xf0],
  ['rep', 0xf3],
  ['repe', 0xf3],
  ['repz', 0xf3],
  ['repne', 0xf2],
  ['repnz', 0xf2],
]);

export interface Lookup {
  readonly def: InsnDef;
  readonly suffix: Size | null;
}

export function lookupMnemonic(name: string): Lookup | undefined {
  const exact = TABLE.get(name);
  if (exact) return { def: exact, suffix: null };
  const last = name.slice(-1);
  const base = TABLE.get(name.slice(0, -1));
  const size = SUFFIX_SIZE[last];
  if (base && size !== undefined && base.suffixes.includes(last)) return { def: base, suffix: size };
  return undefined;
}

/** Every mnemonic known exactly (without suffix variants), for tests and listings. */
export function knownMnemonics(): string[] {
  return [...TABLE.keys()].sort();
}
