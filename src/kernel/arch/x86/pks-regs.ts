/**
 * Saving and restoring the interrupted PKRS on kernel entry and exit, and
 * changing the saved copy from a fault callback — at the place the design
 * says (`design.slots.pkrs`, DESIGN.md §2):
 *
 *   root 'extension'       container_of(regs) + slot offset  (extended, aux)
 *   root 'pt_regs'         regs + slot offset                (pks-in-pt_regs)
 *   root 'irqentry_state'  the irqentry_state_t local whose address the
 *                          caller passes                     (state-ref)
 *   null                   no copy                           (upstream)
 *
 * The slot is read and written through `pks.memory` (supervisor accesses
 * under the current PKRS), so a page or key fault there is a real one.
 *
 * @see [PATCH V9 27/45] "x86/pkeys: Preserve PKRS MSR across exceptions",
 *      Message-ID 20220310172019.850939-28-ira.weiny@intel.com;
 *      V9 "mm/pkeys: Introduce pks_update_exception()" (reference §3.5);
 *      V3 06/10, Message-ID 20201106232908.364581-7-ira.weiny@intel.com
 */
import { containerOf, type RecordLayout } from '../../../abi/layout.js';
import { StructView } from '../../../abi/view.js';
import { InternalError } from '../../../lib/errors.js';
import { pksUpdateCurrent, pksWritePkrs, type PksKernel } from './pks-core.js';
import { PKS_INIT_VALUE, pkeyUpdatePkval, pksKeyValid, type PkeyProt } from './pks-keys.js';

/** The entry whose PKRS is saved or restored. */
export interface PksEntryFrame {
  /** Address of this entry's struct pt_regs (%rdi of the stub's C call). */
  readonly regs: number;
  /**
   * Address of the handler's `irqentry_state_t` local. Required when the
   * design keeps PKRS there (state-ref: `irqentry_enter(regs, &state)`).
   */
  readonly state?: number;
}

/** Where an entry's PKRS copy is, or why there is none. */
export type PksSlotLocation =
  | {
      readonly kind: 'slot';
      /** The design's slot reference, e.g. `extension.aux.pkrs`. */
      readonly ref: string;
      /** Linear address of the slot. */
      readonly address: number;
      readonly size: number;
      readonly view: StructView;
      readonly path: string;
    }
  | { readonly kind: 'not-saved' }
  | { readonly kind: 'not-reachable'; readonly reason: string };

/** Why a `pt_regs *` does not lead to a state-ref copy (reference §3.3). */
export const STATE_REF_UNREACHABLE =
  'the PKRS copy is in irqentry_state_t, a local in the handler\'s C frame: pt_regs * does not lead to it ' +
  '(PKS V3 had to pass &irq_state down to do_kern_addr_fault)';

const containerOffsets = new WeakMap<RecordLayout, Map<string, number>>();

/** offsetof(type, member): what container_of subtracts (computed once per layout; this runs on every entry). */
function containerOffset(layout: RecordLayout, member: string): number {
  let m = containerOffsets.get(layout);
  if (!m) containerOffsets.set(layout, (m = new Map()));
  let off = m.get(member);
  if (off === undefined) m.set(member, (off = Number(-containerOf(layout, member, 0n))));
  return off;
}

/**
 * Resolves the design's PKRS slot for one entry. Pure address arithmetic:
 * no memory is touched.
 */
export function pksSlotLocation(pks: PksKernel, frame: PksEntryFrame): PksSlotLocation {
  const d = pks.design;
  const slot = d.slots.pkrs;
  if (!slot) return { kind: 'not-saved' };
  let view: StructView;
  switch (slot.root) {
    case 'extension': {
      const ext = d.extension;
      if (!ext) throw new InternalError(`design ${d.name}: PKRS slot in an extension the design lacks`);
      // to_extended_pt_regs(regs) = container_of(regs, struct pt_regs_extended, pt_regs)
      const base = frame.regs - containerOffset(ext.layout, ext.regsMember);
      view = new StructView(ext.layout, pks.memory, base);
      break;
    }
    case 'pt_regs':
      view = new StructView(d.ptRegs, pks.memory, frame.regs);
      break;
    case 'irqentry_state': {
      const st = d.irqentryState;
      if (!st) throw new InternalError(`design ${d.name}: PKRS slot in an irqentry_state_t the design lacks`);
      if (frame.state === undefined) return { kind: 'not-reachable', reason: STATE_REF_UNREACHABLE };
      view = new StructView(st, pks.memory, frame.state);
      break;
    }
  }
  return { kind: 'slot', ref: slot.ref, address: view.address + slot.offset, size: slot.size, view, path: slot.path };
}

export type PksSaveResult =
  | { readonly kind: 'saved'; readonly address: number; readonly value: number }
  | { readonly kind: 'not-saved' }
  | { readonly kind: 'pks-off' };

export type PksRestoreResult =
  | { readonly kind: 'restored'; readonly address: number; readonly value: number }
  | { readonly kind: 'not-saved' }
  | { readonly kind: 'pks-off' };

function slotFor(pks: PksKernel, frame: PksEntryFrame, who: string): Exclude<PksSlotLocation, { kind: 'not-reachable' }> {
  const loc = pksSlotLocation(pks, frame);
  if (loc.kind === 'not-reachable') {
    throw new InternalError(`${who}: design ${pks.design.name} keeps PKRS in irqentry_state_t; pass its address`);
  }
  return loc;
}

/**
 * `pks_save_pt_regs(regs)` (V9 27/45), reached through
 * `arch_save_aux_pt_regs()` at the end of every irqentry_enter() path and
 * in irqentry_nmi_enter() (V9 25/45); for state-ref, V3's
 * `irq_save_set_pkrs(&state, INIT_PKRS_VALUE)` at the same points.
 *
 * 1. slot = current->thread.pkrs (the interrupted context's value);
 * 2. pks_write_pkrs(PKS_INIT_VALUE): the handler runs with the default.
 *
 * `current->thread.pkrs` is left unchanged, as in V9. Upstream: nothing is
 * saved and PKRS is not touched — the handler inherits the interrupted
 * rights (the hazard). Throws PageFault if the slot is not writable under
 * the interrupted PKRS.
 */
export function pksSavePtRegs(pks: PksKernel, frame: PksEntryFrame): PksSaveResult {
  if (!pks.featurePresent) return { kind: 'pks-off' };
  const loc = slotFor(pks, frame, 'pksSavePtRegs');
  if (loc.kind !== 'slot') return loc;
  const value = pks.current.pkrs >>> 0;
  loc.view.set(loc.path, value);
  pksWritePkrs(pks.cpu, PKS_INIT_VALUE);
  return { kind: 'saved', address: loc.address, value };
}

/**
 * `pks_restore_pt_regs(regs)` (V9 27/45), reached through
 * `arch_restore_aux_pt_regs()` at the start of irqentry_exit() and
 * irqentry_nmi_exit(); for state-ref, V3's `irq_restore_pkrs(&state)`.
 *
 * 1. current->thread.pkrs = slot;
 * 2. pks_write_pkrs(current->thread.pkrs).
 *
 * The slot is read under the handler's PKRS (a PageFault propagates).
 */
export function pksRestorePtRegs(pks: PksKernel, frame: PksEntryFrame): PksRestoreResult {
  if (!pks.featurePresent) return { kind: 'pks-off' };
  const loc = slotFor(pks, frame, 'pksRestorePtRegs');
  if (loc.kind !== 'slot') return loc;
  const value = Number(loc.view.get(loc.path) & 0xffff_ffffn);
  pks.current.pkrs = value;
  pksWritePkrs(pks.cpu, value);
  return { kind: 'restored', address: loc.address, value };
}

export type PksUpdateExceptionResult =
  /** Current context and the saved interrupted value both changed. */
  | { readonly kind: 'updated'; readonly address: number; readonly old: number; readonly value: number }
  /** Current context changed; the design keeps no interrupted copy (upstream). */
  | { readonly kind: 'not-saved' }
  /** Current context changed; the copy exists but `regs` does not lead to it (state-ref). */
  | { readonly kind: 'not-reachable'; readonly reason: string }
  | { readonly kind: 'invalid-key' }
  | { readonly kind: 'pks-off' };

/**
 * `pks_update_exception(regs, pkey, prot)`: a fault callback relaxes (or
 * tightens) `pkey` both for the running exception context
 * (`__pks_update_protection`) and for the interrupted context, by editing
 * its saved copy with `pkey_update_pkval`, so the restore on exception exit
 * loads the new value.
 *
 * Takes `regs` only, as the kernel function does: for a design that keeps
 * the copy in irqentry_state_t (state-ref) it reports 'not-reachable'
 * rather than locating the C frame.
 */
export function pksUpdateException(pks: PksKernel, regs: number, pkey: number, prot: PkeyProt): PksUpdateExceptionResult {
  if (!pks.featurePresent) return { kind: 'pks-off' };
  if (!pksKeyValid(pkey)) return { kind: 'invalid-key' };
  pksUpdateCurrent(pks, pkey, prot);
  const loc = pksSlotLocation(pks, { regs });
  if (loc.kind !== 'slot') return loc;
  const old = Number(loc.view.get(loc.path) & 0xffff_ffffn);
  const value = pkeyUpdatePkval(old, pkey, prot);
  loc.view.set(loc.path, value);
  return { kind: 'updated', address: loc.address, old, value };
}
