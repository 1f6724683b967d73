/**
 * What one kernel entry leaves on the stack under a design, as offsets from
 * the start of struct pt_regs (DESIGN.md §2 diagram). The demo and the
 * visualizer draw it; it is derived from the layouts only.
 */
import type { Design } from './build.js';

export type StackRowOwner = 'cpu' | 'error-code' | 'stub' | 'extension';

export interface StackRow {
  /** Lowest offset of the row from the start of pt_regs (negative: below it). */
  readonly offset: number;
  readonly size: number;
  /** Members in the row, highest address first. */
  readonly members: readonly string[];
  readonly owner: StackRowOwner;
}

/** pt_regs members the CPU pushes (SDM Vol. 3A §6.14.2). */
const HARDWARE_FRAME = new Set(['ss', 'sp', 'flags', 'cs', 'ip']);

function ownerOf(member: string): StackRowOwner {
  if (HARDWARE_FRAME.has(member)) return 'cpu';
  // The CPU's error-code slot; the stub stores -1, the error code or the syscall nr (reference §1.3).
  return member === 'orig_ax' ? 'error-code' : 'stub';
}

/**
 * Rows from the highest address down: pt_regs members merged into runs of
 * one owner, then each 8-byte slot of the extension below pt_regs.
 */
export function entryStackRows(design: Design): StackRow[] {
  const rows: StackRow[] = [];
  for (const m of [...design.ptRegs.members].reverse()) {
    const owner = ownerOf(m.name);
    const prev = rows[rows.length - 1];
    if (prev && prev.owner === owner) {
      rows[rows.length - 1] = { offset: m.offset, size: prev.size + m.size, members: [...prev.members, m.name], owner };
    } else {
      rows.push({ offset: m.offset, size: m.size, members: [m.name], owner });
    }
  }
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
      rows.push({ offset: off, size: 8, members: slots.get(off) ?? ['(padding)'], owner: 'extension' });
    }
  }
  return rows;
}
