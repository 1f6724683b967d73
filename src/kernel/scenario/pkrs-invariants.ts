/**
 * The PKRS invariants of the demo scenario (DESIGN.md §4, 2 and 3), with
 * the reason for a failure where the run shows it: a failed check names the
 * values seen, and further lines (the demo indents them) say why.
 */
import type { Design } from '../../design/build.js';
import { LOCAL_TIMER_VECTOR } from '../arch/x86/entry/symbols.js';
import type { EntryKind } from '../arch/x86/kernel-c.js';
import { PKS_INIT_VALUE, type PksUpdateExceptionResult } from '../arch/x86/pks.js';
import type { ScenarioLevel } from './levels.js';

export interface InvariantResult {
  readonly ok: boolean;
  /** What was seen; for some failures further lines say why (the demo indents them). */
  readonly detail: string;
}

/** The invariants of DESIGN.md §4 this scenario checks. */
export type ScenarioInvariant =
  | 'user-registers-restored' // 1, for the syscall
  | 'pkrs-restored' // 2
  | 'handlers-default-pkrs' // 3
  | 'unwinder-finds-pt-regs' // 4
  | 'entry-state-balanced' // 5
  | 'stacks-in-bounds'; // 7

/** One finished entry, in order of return. */
export interface ScenarioEntry {
  readonly kind: EntryKind;
  readonly cFunction: string;
  readonly vector: number | null;
  /** struct pt_regs * of the entry (matches its level at the deepest point). */
  readonly regs: number;
  readonly pkrsAtEntry: number;
  readonly pkrsAtHandler: number | null;
  readonly pkrsOnReturn: number | null;
  /** PKRS the invariant expects on return: at entry, with reached pks_update_exception changes applied. */
  readonly pkrsExpected: number;
}

/** What the PKRS checks look at, after the run. */
export interface PkrsCheck {
  readonly design: Design;
  readonly entries: readonly ScenarioEntry[];
  /** The levels at the deepest point, outermost first (their saved PKRS copies). */
  readonly levels: readonly ScenarioLevel[];
  /** What key `pkey`'s fault callback got from pks_update_exception, or null (never called). */
  readonly update: PksUpdateExceptionResult['kind'] | null;
  /** The key the scenario's syscall opens. */
  readonly pkey: number;
  readonly oops: string | null;
}

const hex = (v: number | null): string => (v === null ? 'null' : `0x${(v >>> 0).toString(16)}`);

/** Invariant 2: every entry returned with the PKRS it interrupted, or what pks_update_exception made of it. */
export function pkrsRestored(c: PkrsCheck): InvariantResult {
  const { entries, oops } = c;
  if (oops) return { ok: false, detail: `oops: ${oops}` };
  const bad = entries.filter((e) => e.pkrsOnReturn !== e.pkrsExpected);
  const all = entries.map((e) => `${e.kind}: ${hex(e.pkrsAtEntry)} -> ${hex(e.pkrsOnReturn)}`).join('; ');
  if (bad.length === 0) {
    return { ok: true, detail: `every entry returned with the PKRS it interrupted (or the pks_update_exception result): ${all}` };
  }
  const seen = bad.map((e) => `${e.kind} returned with ${hex(e.pkrsOnReturn)}, expected ${hex(e.pkrsExpected)} (interrupted ${hex(e.pkrsAtEntry)})`);
  const why = bad.flatMap((e) => threadPkrsLeak(c, e));
  return { ok: false, detail: [seen.join('; '), ...why].join('\n') };
}

/**
 * Why an entry returned with the wrong PKRS when its saved copy is the
 * thread's: PKS V3 06/10 (irq_save_set_pkrs) and V9 27/45
 * (pks_save_pt_regs) both save current->thread's PKRS at entry, not the
 * value the interrupted code ran with, and write it back at exit. When the
 * interrupted code is itself a handler (running with PKS_INIT_VALUE), it
 * continues with the task's rights. V9 designs pass here only because the
 * fault callback's pks_update_exception makes the expected value equal to
 * that; where the callback cannot reach the copy from pt_regs (state-ref),
 * the leak is no deliberate update. Two lines, or none when the copy does
 * not explain the value.
 */
function threadPkrsLeak({ design, levels, update, pkey }: PkrsCheck, e: ScenarioEntry): string[] {
  const i = levels.findIndex((l) => l.ptRegs === e.regs && l.kind === e.kind);
  const level = levels[i];
  if (!level || level.savedPkrs === null || level.savedPkrs !== e.pkrsOnReturn || level.savedPkrs === e.pkrsAtEntry) return [];
  const outer = levels[i - 1];
  const interrupted = !outer ? 'the interrupted code'
    : outer.vector === LOCAL_TIMER_VECTOR ? `the timer handler (${outer.cFunction})` : outer.cFunction;
  const enter = e.kind === 'nmi' ? 'irqentry_nmi_enter' : 'irqentry_enter';
  const exit = e.kind === 'nmi' ? 'irqentry_nmi_exit' : 'irqentry_exit';
  const slot = design.slots.pkrs;
  const copy = slot?.root === 'irqentry_state' ? `${slot.ref} in ${e.cFunction}'s C frame` : (slot?.ref ?? 'the copy');
  const deliberate = update === 'updated'
    ? 'pks_update_exception did change the copy, but not to this value'
    : `no deliberate update: from pt_regs, the fault callback's pks_update_exception(regs, ${pkey}, RW) cannot reach ${copy} (${update ?? 'not called'})`;
  return [
    `why: ${enter} saved current->thread's PKRS ${hex(level.savedPkrs)} (the task's own: its syscall opened key ${pkey}), ` +
      `not the ${hex(e.pkrsAtEntry)} ${interrupted} ran with; ${exit} wrote that back.`,
    `So ${interrupted} continues with the task's key-${pkey} rights, and its retried read succeeds only because of this leak; ${deliberate}.`,
  ];
}

/** Invariant 3: every handler ran with PKS_INIT_VALUE. */
export function defaultPkrs({ design, entries, pkey, oops }: PkrsCheck): InvariantResult {
  const bad = entries.filter((e) => e.pkrsAtHandler !== PKS_INIT_VALUE);
  const prefix = oops ? `oops: ${oops}; ` : '';
  if (bad.length === 0 && !oops) return { ok: true, detail: `${entries.length} handlers started with PKS_INIT_VALUE ${hex(PKS_INIT_VALUE)}` };
  const seen = prefix + bad.map((e) => `${e.kind} handler started with ${hex(e.pkrsAtHandler)}, not ${hex(PKS_INIT_VALUE)}`).join('; ');
  // With no PKRS slot the entry code neither saves nor resets PKRS: the handler inherits the interrupted rights.
  const why = design.slots.pkrs === null && bad.length > 0
    ? [`why: the design saves no PKRS on entry and never loads PKS_INIT_VALUE, so handlers inherit the interrupted task's key-${pkey} rights (no #PF: the hazard the PKS series fixes)`]
    : [];
  return { ok: false, detail: [seen, ...why].join('\n') };
}
