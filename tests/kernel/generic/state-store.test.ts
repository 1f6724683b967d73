/**
 * The same generic entry code under every built-in design: where exit_rcu
 * and lockdep land in guest memory, and a fake arch PKS hook that finds the
 * design's PKRS slot through the store (the arch layer's job, modelled here
 * only to show that the hooks get what they need).
 */
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../../src/design/registry.js';
import type { Design } from '../../../src/design/build.js';
import {
  complete,
  createSlotStateStore, entryStateRoots, irqentryEnter, irqentryExit, irqentryNmiEnter, irqentryNmiExit,
  type ByteMemory, type EntryStateStore,
} from '../../../src/kernel/generic/index.js';
import { harness, regs } from './harness.js';

const REGS = 0x7000_1000;
const STATE = 0x7000_0e00;

class FakeMemory implements ByteMemory {
  readonly bytes = new Map<number, number>();
  read8(a: number): number { return this.bytes.get(a) ?? 0; }
  write8(a: number, v: number): void { this.bytes.set(a, v & 0xff); }
  read32(a: number): number { return (this.read8(a) | (this.read8(a + 1) << 8) | (this.read8(a + 2) << 16) | (this.read8(a + 3) << 24)) >>> 0; }
  write32(a: number, v: number): void { for (let i = 0; i < 4; i++) this.write8(a + i, v >>> (8 * i)); }
}

function storeFor(design: Design, mem: FakeMemory): EntryStateStore {
  return createSlotStateStore(design.slots, entryStateRoots(design, REGS, design.irqentryState ? STATE : null), mem);
}

/** exit_rcu's guest address, from the layouts pinned in tests/design (hand-computed). */
const EXIT_RCU_AT: Record<string, number> = {
  upstream: STATE + 0,
  'state-ref': STATE + 8,
  extended: REGS - 16 + 0,
  aux: STATE + 0,
  'pks-in-pt_regs': STATE + 0,
};

describe('EntryStateStore over guest memory, per design', () => {
  it.each(Object.entries(EXIT_RCU_AT))('%s: irqentry_enter on the idle path writes exit_rcu=1 at its slot', (name, at) => {
    const design = builtinDesign(name);
    const mem = new FakeMemory();
    const st = storeFor(design, mem);
    const h = harness({ context: 'idle', task: { isIdle: true } });
    const r = regs({ user: false, ifSet: true, address: REGS });
    irqentryEnter(h.d, r, st);
    expect(mem.read8(at)).toBe(1);
    expect([...mem.bytes.entries()].filter(([, v]) => v !== 0)).toEqual([[at, 1]]);
    complete(irqentryExit(h.d, r, st));
    expect(h.d.cpu.ct.check()).toEqual([]);
  });

  it('extended: exit_rcu and lockdep are separate bytes of the extension; container_of(regs) is the root', () => {
    const design = builtinDesign('extended');
    const mem = new FakeMemory();
    const st = storeFor(design, mem);
    expect(st.root).toBe('extension');
    expect(st.rootAddress('extension')).toBe(REGS - 16);
    expect(st.rootAddress('irqentry_state')).toBeNull();
    const h = harness({ context: 'kernel', hardirqsEnabled: true });
    irqentryNmiEnter(h.d, regs({ user: false, ifSet: true, address: REGS }), st);
    expect([mem.read8(REGS - 16), mem.read8(REGS - 15)]).toEqual([0, 1]);
    irqentryNmiExit(h.d, regs({ user: false, ifSet: true, address: REGS }), st);
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(true);
  });

  it('by-value designs: exit_rcu and lockdep alias (one union byte), as in C', () => {
    const st = storeFor(builtinDesign('upstream'), new FakeMemory());
    st.setLockdep(true);
    expect(st.getExitRcu()).toBe(true);
  });
});

describe('arch aux hooks reach the design PKRS slot through the store', () => {
  const DEFAULT_PKRS = 0x5555_5554;
  const THREAD_PKRS = 0x0000_000c;
  /** Where each design keeps the interrupted PKRS (DESIGN.md §2, tests/design offsets). */
  const PKRS_AT: Record<string, number | null> = {
    upstream: null,
    'state-ref': STATE + 0,
    extended: REGS - 16 + 8,
    aux: REGS - 8 + 0,
    'pks-in-pt_regs': REGS + 0,
  };

  it.each(Object.entries(PKRS_AT))('%s', (name, at) => {
    const design = builtinDesign(name);
    const mem = new FakeMemory();
    let pkrs = THREAD_PKRS;
    let handlerPkrs = -1;
    const slot = design.slots.pkrs;
    const h = harness({
      context: 'kernel',
      hardirqsEnabled: true,
      hooks: {
        archSaveAuxPtRegs: (_r, st) => {
          if (!slot) return;
          mem.write32((st.rootAddress(slot.root) ?? NaN) + slot.offset, pkrs);
          pkrs = DEFAULT_PKRS;
        },
        archRestoreAuxPtRegs: (_r, st) => {
          if (slot) pkrs = mem.read32((st.rootAddress(slot.root) ?? NaN) + slot.offset);
        },
      },
    });
    const st = storeFor(design, mem);
    const r = regs({ user: false, ifSet: true, address: REGS });
    irqentryEnter(h.d, r, st);
    handlerPkrs = pkrs;
    complete(irqentryExit(h.d, r, st));
    expect(pkrs).toBe(THREAD_PKRS);
    if (at === null) {
      expect(handlerPkrs).toBe(THREAD_PKRS); // upstream: the handler inherits the thread's key rights
    } else {
      expect(handlerPkrs).toBe(DEFAULT_PKRS);
      expect(mem.read32(at)).toBe(THREAD_PKRS);
    }
  });
});
