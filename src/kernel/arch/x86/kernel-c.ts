/**
 * What the C entry handlers (irq.ts, traps.ts, nmi.ts) share: the frame the
 * model's "compiler" gives a handler (where its irqentry_state_t local sits,
 * chosen per build from a seed — DESIGN.md §2: outer frames cannot know it),
 * the per-entry state store over guest memory, and a log of the entries
 * currently running, innermost last, with the PKRS each saw (for the
 * invariant checks of DESIGN.md §4 and the scenario's deepest-point report).
 */
import type { Cpu } from '../../../cpu/exec.js';
import type { Design } from '../../../design/build.js';
import { createSlotStateStore, entryStateRoots, type EntryDeps, type EntryStateStore } from '../../generic/index.js';
import type { Injector } from './inject.js';
import type { NativeCall, NativeRuntime } from './native.js';
import type { PksKernel } from './pks.js';
import { PtRegs } from './regs.js';
import type { Task } from './sched.js';
import type { EntryTraceSink } from './entry-trace.js';
import { mulberry32 } from '../../../lib/prng.js';

/** Bytes of other locals the "compiler" may put around irqentry_state_t. */
const SPILL_SLOTS = 3;

/** The frame layout of one C handler, as the seeded compiler chose it. */
export interface CFrameLayout {
  /** Bytes of locals below the saved RBP (a multiple of 8). */
  readonly locals: number;
  /** Offset of irqentry_state_t from the start of the locals (lowest address); null: the design has none. */
  readonly stateOffset: number | null;
}

const prng = mulberry32;

/**
 * Lays out each named handler's locals: irqentry_state_t (rounded up to 8
 * bytes) among SPILL_SLOTS 8-byte spill slots, at a position drawn from
 * `seed` and the function's name — one build, one layout; another seed,
 * another layout (as -O2 and a different compiler version would give).
 */
export function compileCFrames(design: Design, names: readonly string[], seed: number): Map<string, CFrameLayout> {
  const out = new Map<string, CFrameLayout>();
  const stateSize = design.irqentryState ? Math.ceil(design.irqentryState.size / 8) * 8 : 0;
  for (const name of names) {
    let h = seed >>> 0;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    const rand = prng(h);
    const locals = stateSize + SPILL_SLOTS * 8;
    const stateOffset = design.irqentryState ? Math.floor(rand() * (SPILL_SLOTS + 1)) * 8 : null;
    out.set(name, { locals, stateOffset });
  }
  return out;
}

/** The address of a handler's irqentry_state_t local in this call's frame, or null. */
export function stateLocalAddress(layout: CFrameLayout, call: NativeCall): number | null {
  return layout.stateOffset === null ? null : call.locals + layout.stateOffset;
}

/**
 * The store for one entry: the design's exit_rcu/lockdep slots over guest
 * memory reached through the native runtime (a fault there is real).
 */
export function entryStore(design: Design, rt: NativeRuntime, regs: number, stateLocal: number | null): EntryStateStore {
  return createSlotStateStore(design.slots, entryStateRoots(design, regs, stateLocal), {
    read8: (a) => rt.read8(a),
    write8: (a, v) => rt.write8(a, v),
  });
}

/** Kinds of kernel entry the model's handlers record. */
export type EntryKind = 'syscall' | 'irq' | 'page-fault' | 'nmi' | 'exception';

/** One kernel entry while (and after) its C handler runs. */
export interface EntryRecord {
  readonly kind: EntryKind;
  readonly cFunction: string;
  /** IDT vector (syscall: null). */
  readonly vector: number | null;
  /** struct pt_regs *. */
  readonly regs: number;
  /** container_of(regs) for extension designs, else null. */
  readonly extension: number | null;
  /** The handler's irqentry_state_t local, or null. */
  readonly stateLocal: number | null;
  /** Offset of that local inside the handler's locals (compiler-chosen), or null. */
  readonly stateOffset: number | null;
  /** PKRS (the MSR) when the C handler was reached: the interrupted context's, as the stubs leave it. */
  readonly pkrsAtEntry: number;
  /** PKRS once irqentry_enter returned (the handler proper starts); null before. */
  pkrsAtHandler: number | null;
  /** PKRS as the C handler returns to the stub (the IRET/SYSRET does not change it); null before. */
  pkrsOnReturn: number | null;
  /** pks_update_exception calls made for this entry's interrupted context, and whether they reached the copy. */
  readonly updates: { readonly pkey: number; readonly prot: number; readonly reached: boolean }[];
  /** The handler's state store (null for the syscall entry). */
  readonly store: EntryStateStore | null;
}

/** Finished entries kept in full (older ones are only counted), so a long run's memory stays bounded. */
export const FINISHED_KEPT = 1 << 12;

/** Running entries (innermost last), the latest finished ones in order of return, and counts of all. */
export class EntryLog {
  readonly active: EntryRecord[] = [];
  readonly finished: EntryRecord[] = [];
  /** Every finished entry, by kind (including those no longer kept in `finished`). */
  readonly finishedCount: Record<EntryKind, number> = { syscall: 0, irq: 0, 'page-fault': 0, nmi: 0, exception: 0 };

  push(r: EntryRecord): EntryRecord {
    this.active.push(r);
    return r;
  }

  pop(r: EntryRecord): void {
    if (this.active[this.active.length - 1] === r) this.active.pop();
    else {
      const i = this.active.lastIndexOf(r); // a task switched away from mid-entry finishes out of order
      if (i >= 0) this.active.splice(i, 1);
    }
    this.finished.push(r);
    this.finishedCount[r.kind]++;
    if (this.finished.length > FINISHED_KEPT) this.finished.splice(0, this.finished.length - FINISHED_KEPT / 2);
  }

  /** The innermost running entry of a kind. */
  innermost(kind?: EntryKind): EntryRecord | undefined {
    for (let i = this.active.length - 1; i >= 0; i--) {
      const r = this.active[i]!;
      if (!kind || r.kind === kind) return r;
    }
    return undefined;
  }
}

/** A device-interrupt handler: the body of the irq_desc's flow handler for `vector`. */
export type IrqHandler = (rt: NativeRuntime, regs: PtRegs, vector: number) => void;

/** An NMI handler (nmi_handle's registered NMI_LOCAL handlers). */
export type NmiHandler = (rt: NativeRuntime, regs: PtRegs) => void;

/** The kernel globals the C entry handlers use. */
export interface CEntryContext {
  readonly design: Design;
  readonly deps: EntryDeps;
  readonly pks: PksKernel;
  readonly cpu: Cpu;
  readonly log: EntryLog;
  readonly injector: Injector;
  /** The compiler's frame layout of each C handler. */
  readonly frames: ReadonlyMap<string, CFrameLayout>;
  /** vector_irq[]: handlers by vector. */
  readonly irqHandlers: Map<number, IrqHandler>;
  readonly nmiHandlers: NmiHandler[];
  /** The scheduler's timer tick (sched_tick: wake sleepers, resched_curr). */
  readonly tick: () => void;
  /** `current` as the arch knows it (signals are queued on it). */
  readonly currentTask: () => Task;
  /** Where entry events go (`kentry run --trace`); null: nowhere. */
  readonly trace: { sink: EntryTraceSink | null };
}

/** x86 exception mnemonics by vector (SDM Vol. 3A Table 6-1). */
const VECTOR_NAMES: Readonly<Record<number, string>> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF', 10: '#TS', 11: '#NP',
  12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM',
};

/** Emits the entry event of an exception, IRQ or NMI (when a sink listens). */
export function traceEntry(
  ctx: CEntryContext, kind: 'exception' | 'irq' | 'nmi', vector: number, regs: PtRegs, errorCode: number | null, address: number | null,
): void {
  const sink = ctx.trace.sink;
  if (!sink) return;
  const cs = Number(regs.get('cs') & 0xffffn);
  sink({
    kind, pid: ctx.currentTask().pid, vector, name: kind === 'irq' ? `IRQ 0x${vector.toString(16)}` : (VECTOR_NAMES[vector] ?? `vector ${vector}`),
    rip: Number(BigInt.asIntN(64, regs.get('ip'))), cpl: cs & 3, errorCode, address,
  });
}

/** The CPU's PKRS MSR now. */
export function currentPkrs(ctx: CEntryContext): number {
  return ctx.cpu.mmu.pkrs >>> 0;
}

/** An instruction boundary inside a C handler named `fn` (scheduled injections fire first). */
export function cBoundary(ctx: CEntryContext, rt: NativeRuntime, fn: string): boolean {
  ctx.injector.boundary(fn);
  return rt.boundary();
}

/**
 * The start of a C entry handler: records the entry (PKRS as the stub left
 * it: the interrupted context's), builds its state store, and exposes the
 * body's first instruction boundary to "at function start" injections.
 */
export function beginEntry(
  ctx: CEntryContext, rt: NativeRuntime, call: NativeCall, kind: EntryKind, cFunction: string, vector: number | null,
): EntryRecord {
  const regs = call.address(0);
  const layout = ctx.frames.get(cFunction);
  const stateLocal = kind === 'syscall' || !layout ? null : stateLocalAddress(layout, call);
  const ext = ctx.design.extension;
  const rec = ctx.log.push({
    kind, cFunction, vector, regs,
    extension: ext ? regs - ext.belowPtRegs : null,
    stateLocal,
    stateOffset: stateLocal === null ? null : (layout?.stateOffset ?? null),
    pkrsAtEntry: currentPkrs(ctx),
    pkrsAtHandler: null,
    pkrsOnReturn: null,
    updates: [],
    store: kind === 'syscall' ? null : entryStore(ctx.design, rt, regs, stateLocal),
  });
  if (ctx.injector.hasFunctionTriggers && ctx.injector.functionStart(cFunction)) rt.boundary();
  return rec;
}

/** What a C entry handler works with once irqentry_enter (or the NMI variant) has run. */
export interface HandlerEntry {
  readonly rec: EntryRecord;
  readonly regs: PtRegs;
  readonly store: EntryStateStore;
}

/**
 * The common start of the interrupt/exception C handlers: record the entry,
 * view its pt_regs, run the generic enter function (`irqentryEnter` or
 * `irqentryNmiEnter`) with the design's state store, note the PKRS the
 * handler proper starts with.
 */
export function startHandler(
  ctx: CEntryContext, rt: NativeRuntime, call: NativeCall, kind: Exclude<EntryKind, 'syscall'>, cFunction: string, vector: number,
  enter: (d: EntryDeps, regs: PtRegs, store: EntryStateStore) => void,
): HandlerEntry {
  const rec = beginEntry(ctx, rt, call, kind, cFunction, vector);
  const regs = new PtRegs(rt, ctx.design.ptRegs, rec.regs);
  const store = rec.store!;
  enter(ctx.deps, regs, store);
  rec.pkrsAtHandler = currentPkrs(ctx);
  return { rec, regs, store };
}

/** The end of a C entry handler: PKRS as it returns to the stub. */
export function endEntry(ctx: CEntryContext, rec: EntryRecord): void {
  rec.pkrsOnReturn = currentPkrs(ctx);
  ctx.log.pop(rec);
}
