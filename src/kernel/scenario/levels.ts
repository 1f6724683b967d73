/**
 * The deepest-point view of the demo: for each kernel entry running now
 * (outermost first), where its pt_regs and extension are and where the
 * interrupted context's PKRS copy is found — and how (DESIGN.md §2).
 */
import { pksSlotLocation } from '../arch/x86/pks.js';
import type { EntryKind, EntryRecord } from '../arch/x86/kernel-c.js';
import type { Kernel } from '../boot.js';

/** How the saved PKRS of a level was found. */
export type PkrsFoundVia =
  | 'container_of'
  | 'pt_regs member'
  /** The irqentry_state_t local at %rbp + N (N < 0): only knowing the compiled frame finds it. */
  | `C-frame offset ${number} (compiler-chosen)`
  | 'not reachable'
  | 'not saved';

export interface ScenarioLevel {
  readonly kind: EntryKind;
  readonly cFunction: string;
  readonly vector: number | null;
  /** struct pt_regs * of this entry. */
  readonly ptRegs: number;
  /** container_of(regs) for extension designs. */
  readonly extension: number | null;
  /** The PKRS saved for the context this entry interrupted, or null. */
  readonly savedPkrs: number | null;
  readonly foundVia: PkrsFoundVia;
  /** Whether code holding only this entry's `struct pt_regs *` can reach the copy (a #PF callback, an unwinder). */
  readonly reachableFromPtRegs: boolean;
}

/** One level as seen now (reads guest memory under the current PKRS; the slots are on key-0 stacks). */
export function levelOf(k: Kernel, r: EntryRecord): ScenarioLevel {
  const base = { kind: r.kind, cFunction: r.cFunction, vector: r.vector, ptRegs: r.regs, extension: r.extension };
  const slot = k.design.slots.pkrs;
  // The syscall entry never runs irqentry_enter, so nothing is saved for it (PKS is supervisor-only).
  if (!slot || r.kind === 'syscall') return { ...base, savedPkrs: null, foundVia: 'not saved', reachableFromPtRegs: false };
  const loc = pksSlotLocation(k.pks, { regs: r.regs, ...(r.stateLocal === null ? {} : { state: r.stateLocal }) });
  if (loc.kind !== 'slot') return { ...base, savedPkrs: null, foundVia: loc.kind === 'not-saved' ? 'not saved' : 'not reachable', reachableFromPtRegs: false };
  const savedPkrs = Number(loc.view.get(loc.path) & 0xffff_ffffn);
  switch (slot.root) {
    case 'extension':
      return { ...base, savedPkrs, foundVia: 'container_of', reachableFromPtRegs: true };
    case 'pt_regs':
      return { ...base, savedPkrs, foundVia: 'pt_regs member', reachableFromPtRegs: true };
    case 'irqentry_state': {
      const layout = k.cFrames.get(r.cFunction);
      const fromRbp = (r.stateOffset ?? 0) + slot.offset - (layout?.locals ?? 0);
      return { ...base, savedPkrs, foundVia: `C-frame offset ${fromRbp} (compiler-chosen)`, reachableFromPtRegs: false };
    }
  }
}

/** Every running entry, outermost first. */
export function levelsNow(k: Kernel): ScenarioLevel[] {
  return k.log.active.map((r) => levelOf(k, r));
}
