/**
 * What one kernel entry leaves on the stack under a design, slot by slot,
 * as offsets from the start of struct pt_regs (DESIGN.md §2 diagram). The
 * demo and the visualizer draw it; it is derived from the layouts only.
 */
import type { Design } from './build.js';

export type StackRowOwner = 'cpu' | 'stub' | 'extension';

export interface StackRow {
  /** Offset of the 8-byte slot from the start of pt_regs (negative: below it). */
  readonly offset: number;
  /** Members sharing the slot, e.g. ["generic.exit_rcu", "generic.lockdep"]. */
  readonly members: readonly string[];
  readonly owner: StackRowOwner;
}

/** pt_regs members the CPU pushes (SDM Vol. 3A §6.14.2); orig_ax is the error-code slot. */
const HARDWARE_FRAME = new Set(['ss', 'sp', 'flags', 'cs', 'ip']);

/** Rows from the highest address down. */
export function entryStackRows(design: Design): StackRow[] {
  const rows: StackRow[] = design.ptRegs.members
    .map((m) => ({ offset: m.offset, members: [m.name], owner: HARDWARE_FRAME.has(m.name) ? ('cpu' as const) : ('stub' as const) }))
    .reverse();
  const ext = design.extension;
  if (ext) {
    const slots = new Map<number, string[]>();
    for (const f of ext.layout.flat) {
      if (f.path === ext.regsMember || f.path.startsWith(ext.regsMember + '.')) continue;
      const start = f.offset - ext.belowPtRegs;
      for (let slot = Math.floor(start / 8) * 8; slot < start + f.size; slot += 8) {
        slots.set(slot, [...(slots.get(slot) ?? []), f.path]);
      }
    }
    for (let off = -8; off >= -ext.belowPtRegs; off -= 8) {
      rows.push({ offset: off, members: slots.get(off) ?? ['(padding)'], owner: 'extension' });
    }
  }
  return rows;
}
