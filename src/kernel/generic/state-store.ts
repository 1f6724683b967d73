/**
 * Where one entry's generic state (the `exit_rcu` / `lockdep` flags) lives.
 * Generic entry code reads and writes it only through an `EntryStateStore`,
 * which the arch layer creates per entry from the design's slots
 * (DESIGN.md §2), so the same generic code serves every design:
 *
 * | design root      | C API                                    | store backed by                   |
 * |------------------|------------------------------------------|-----------------------------------|
 * | `irqentry_state` | `state = irqentry_enter(regs)` (value)    | the handler's C-frame local       |
 * |                  | `irqentry_enter(regs, &state)` (reference)| the same local, through a pointer |
 * | `extension`      | `irqentry_enter(regs)`, returns nothing    | container_of(regs) below pt_regs  |
 *
 * By value or by reference makes no difference to what generic code does
 * here (nothing between enter and exit rewrites the state); the difference
 * the project studies is who else can find it, which `rootAddress` exposes
 * to the arch hooks (e.g. the state-ref design saves PKRS into the same
 * irqentry_state_t).
 */
import type { Design, StateSlot } from '../../design/build.js';
import type { SlotRoot } from '../../design/spec.js';
import { InternalError } from '../../lib/errors.js';

export interface EntryStateStore {
  /** The root holding exit_rcu (and lockdep) in this design. */
  readonly root: SlotRoot;
  /**
   * Guest address of a state root for this entry: `irqentry_state` the
   * handler's local irqentry_state_t, `extension` container_of(regs),
   * `pt_regs` the regs themselves; null when the design has no such root
   * or the store is not in guest memory.
   */
  rootAddress(root: SlotRoot): number | null;
  getExitRcu(): boolean;
  setExitRcu(value: boolean): void;
  getLockdep(): boolean;
  setLockdep(value: boolean): void;
}

/** Byte access to guest memory (supervisor, through the MMU). */
export interface ByteMemory {
  read8(address: number): number;
  write8(address: number, value: number): void;
}

/** Guest addresses of the roots one entry has. */
export type StateRoots = Partial<Record<SlotRoot, number>>;

/**
 * The roots of one entry under `design`: pt_regs at `regsAddress`, the
 * extension at container_of(regs) (`regsAddress - belowPtRegs`), and
 * irqentry_state_t at `stateAddress` (the caller's local; null when the
 * design has none or it is not placed in guest memory).
 */
export function entryStateRoots(design: Design, regsAddress: number, stateAddress: number | null): StateRoots {
  const roots: StateRoots = { pt_regs: regsAddress };
  if (design.extension) roots.extension = regsAddress - design.extension.belowPtRegs;
  if (design.irqentryState && stateAddress !== null) roots.irqentry_state = stateAddress;
  return roots;
}

function slotAddress(slot: StateSlot, roots: StateRoots): number {
  const base = roots[slot.root];
  if (base === undefined) throw new InternalError(`state slot ${slot.ref}: this entry has no ${slot.root}`);
  return base + slot.offset;
}

/**
 * A store over guest memory at the design's `exitRcu` / `lockdep` slots.
 * Where both slots share a byte (the C union), they alias, as in C.
 */
export function createSlotStateStore(
  slots: Pick<Design['slots'], 'exitRcu' | 'lockdep'>,
  roots: StateRoots,
  mem: ByteMemory,
): EntryStateStore {
  const exitRcuAt = slotAddress(slots.exitRcu, roots);
  const lockdepAt = slotAddress(slots.lockdep, roots);
  return {
    root: slots.exitRcu.root,
    rootAddress: (root) => roots[root] ?? null,
    getExitRcu: () => mem.read8(exitRcuAt) !== 0,
    setExitRcu: (v) => mem.write8(exitRcuAt, v ? 1 : 0),
    getLockdep: () => mem.read8(lockdepAt) !== 0,
    setLockdep: (v) => mem.write8(lockdepAt, v ? 1 : 0),
  };
}

/**
 * A host-only store (no guest memory): for tests and for callers that do
 * not lay out the C frame. exit_rcu and lockdep share one bool, as the C
 * union does.
 */
export function createLocalStateStore(root: SlotRoot = 'irqentry_state'): EntryStateStore {
  let flag = false;
  return {
    root,
    rootAddress: () => null,
    getExitRcu: () => flag,
    setExitRcu: (v) => { flag = v; },
    getLockdep: () => flag,
    setLockdep: (v) => { flag = v; },
  };
}
