/**
 * pks_save_pt_regs / pks_restore_pt_regs / pks_update_exception per design.
 * Expected slot positions come from the reference, not from the design
 * code: extended → extended_pt_regs.arch.pks (unsigned long) right below
 * pt_regs, at regs - 8 (generic bools padded to 8, then pks, then regs:
 * Lutomirski, CALCETrUHwZPic89oExMMe-WyDY8-O3W68NcZvse3=PGW+iW5=w@mail.gmail.com);
 * aux → pt_regs_auxiliary.pkrs (u32) at regs - 8 (PTREGS_AUX_SIZE 8, V9 23/45);
 * pks-in-pt_regs → a new first pt_regs member at regs + 0 (8 bytes, pushed);
 * state-ref → irqentry_state_t.pkrs (u32) at the local's +0 (V3 struct
 * { u32 pkrs; u32 thread_pkrs; ... }); upstream → nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  PKEY_DISABLE_ACCESS, PKEY_READ_WRITE, PKS_INIT_VALUE, STATE_REF_UNREACHABLE, pksRestorePtRegs, pksSavePtRegs,
  pksSetReadwrite, pksSetup, pksSlotLocation, pksUpdateException,
} from '../../../src/kernel/arch/x86/pks.js';
import { STACK_PAGE, STACK_PHYS, pksMachine } from './machine.js';

const REGS_OFF = 0x800; // pt_regs at 0xffffc90000000800
const REGS = STACK_PAGE + REGS_OFF;
const STATE_OFF = 0x600; // the handler's irqentry_state_t local (state-ref)
const STATE = STACK_PAGE + STATE_OFF;
/** PKS_INIT_VALUE with key 1 read/write: bit 2 cleared. */
const T = 0x5555_5550;

interface Expect {
  readonly design: string;
  /** Page offset of the slot, or null when nothing is saved. */
  readonly at: number | null;
  readonly size: number;
}
const DESIGNS: readonly Expect[] = [
  { design: 'extended', at: REGS_OFF - 8, size: 8 },
  { design: 'aux', at: REGS_OFF - 8, size: 4 },
  { design: 'pks-in-pt_regs', at: REGS_OFF + 0, size: 8 },
  { design: 'state-ref', at: STATE_OFF + 0, size: 4 },
  { design: 'upstream', at: null, size: 0 },
];

function u32At(phys: { read32(pa: number): number }, pageOff: number): number {
  return phys.read32(STACK_PHYS + pageOff) >>> 0;
}

describe('pks_save_pt_regs / pks_restore_pt_regs', () => {
  for (const e of DESIGNS) {
    it(`${e.design}: round trip through ${e.at === null ? 'no slot' : `page offset 0x${e.at.toString(16)}`}`, () => {
      const { mmu, phys, pks } = pksMachine(e.design);
      pksSetup(pks);
      pksSetReadwrite(pks, 1); // the interrupted thread has key 1 open
      const frame = { regs: REGS, state: STATE };
      const before = phys.frameOf(STACK_PHYS).slice();

      const saved = pksSavePtRegs(pks, frame);
      if (e.at === null) {
        expect(saved).toEqual({ kind: 'not-saved' });
        expect(phys.frameOf(STACK_PHYS)).toEqual(before); // not one byte written
        expect(mmu.pkrs).toBe(T); // the handler inherits the thread's rights: the hazard
        expect(pksRestorePtRegs(pks, frame)).toEqual({ kind: 'not-saved' });
        expect(mmu.pkrs).toBe(T);
        return;
      }
      expect(saved).toEqual({ kind: 'saved', address: STACK_PAGE + e.at, value: T });
      expect(u32At(phys, e.at)).toBe(T);
      if (e.size === 8) expect(u32At(phys, e.at + 4)).toBe(0);
      // Only the slot changed on the page.
      const after = phys.frameOf(STACK_PHYS);
      for (let i = 0; i < 4096; i++) if (i < e.at || i >= e.at + e.size) expect(after[i], `byte ${i}`).toBe(before[i]);
      expect(mmu.pkrs).toBe(PKS_INIT_VALUE); // invariant 3
      expect(pks.current.pkrs).toBe(T); // V9 leaves thread.pkrs alone

      // The restore loads what is in the slot now.
      phys.write32(STACK_PHYS + e.at, 0x5555_5540); // key 1 and key 2 open
      expect(pksRestorePtRegs(pks, frame)).toEqual({ kind: 'restored', address: STACK_PAGE + e.at, value: 0x5555_5540 });
      expect(pks.current.pkrs).toBe(0x5555_5540);
      expect(mmu.pkrs).toBe(0x5555_5540);
    });
  }

  it('state-ref without the irqentry_state_t address is a caller bug', () => {
    const { pks } = pksMachine('state-ref');
    pksSetup(pks);
    expect(() => pksSavePtRegs(pks, { regs: REGS })).toThrow(/irqentry_state_t/);
    expect(pksSlotLocation(pks, { regs: REGS })).toEqual({ kind: 'not-reachable', reason: STATE_REF_UNREACHABLE });
  });

  it('does nothing without X86_FEATURE_PKS', () => {
    const { pks, writes } = pksMachine('aux', false);
    expect(pksSavePtRegs(pks, { regs: REGS })).toEqual({ kind: 'pks-off' });
    expect(pksRestorePtRegs(pks, { regs: REGS })).toEqual({ kind: 'pks-off' });
    expect(writes).toEqual([]);
  });

  it('V9 as posted: a nested entry returns to the outer handler with the thread\'s PKRS, not PKS_INIT_VALUE', () => {
    // pks_save_pt_regs saves current->thread.pkrs, which an exception does not change,
    // so the nested copy is the thread's value (reference §3.4), not the outer handler's MSR.
    const { mmu, phys, pks } = pksMachine('aux');
    pksSetup(pks);
    pksSetReadwrite(pks, 1);
    pksSavePtRegs(pks, { regs: REGS }); // #PF from the thread
    expect(mmu.pkrs).toBe(PKS_INIT_VALUE);
    const inner = REGS - 0x200; // an IRQ on top of the #PF handler
    pksSavePtRegs(pks, { regs: inner });
    expect(u32At(phys, REGS_OFF - 0x200 - 8)).toBe(T);
    pksRestorePtRegs(pks, { regs: inner });
    expect(mmu.pkrs).toBe(T); // the #PF handler now runs with key 1 open
    pksRestorePtRegs(pks, { regs: REGS });
    expect(mmu.pkrs).toBe(T); // the thread gets its own value back
  });
});

describe('pks_update_exception', () => {
  const expectations: Record<string, 'updated' | 'not-reachable' | 'not-saved'> = {
    extended: 'updated',
    aux: 'updated',
    'pks-in-pt_regs': 'updated',
    'state-ref': 'not-reachable',
    upstream: 'not-saved',
  };
  for (const e of DESIGNS) {
    it(`${e.design}: ${expectations[e.design]}`, () => {
      const { mmu, phys, pks } = pksMachine(e.design);
      pksSetup(pks);
      // The thread runs with PKS_INIT_VALUE (key 1 access-disabled) and faults.
      pksSavePtRegs(pks, { regs: REGS, state: STATE });
      const r = pksUpdateException(pks, REGS, 1, PKEY_READ_WRITE);
      // The running context always changes: key 1 opened from thread.pkrs (INIT).
      expect(pks.current.pkrs).toBe(T);
      expect(mmu.pkrs).toBe(T);
      switch (expectations[e.design]) {
        case 'updated':
          expect(r).toEqual({ kind: 'updated', address: STACK_PAGE + e.at!, old: PKS_INIT_VALUE, value: T });
          expect(u32At(phys, e.at!)).toBe(T);
          pksRestorePtRegs(pks, { regs: REGS, state: STATE });
          expect(mmu.pkrs).toBe(T); // the interrupted context resumes with key 1 open
          break;
        case 'not-reachable':
          expect(r).toEqual({ kind: 'not-reachable', reason: STATE_REF_UNREACHABLE });
          expect(u32At(phys, e.at!)).toBe(PKS_INIT_VALUE); // the copy in the C frame is untouched
          pksRestorePtRegs(pks, { regs: REGS, state: STATE });
          expect(mmu.pkrs).toBe(PKS_INIT_VALUE); // the relaxation is lost on return
          break;
        case 'not-saved':
          expect(r).toEqual({ kind: 'not-saved' });
          break;
      }
    });
  }

  it('tightening works too: the saved copy gets AD for the key', () => {
    const { phys, pks } = pksMachine('aux');
    pksSetup(pks);
    pksSetReadwrite(pks, 1);
    pksSavePtRegs(pks, { regs: REGS });
    const r = pksUpdateException(pks, REGS, 1, PKEY_DISABLE_ACCESS);
    expect(r).toEqual({ kind: 'updated', address: REGS - 8, old: T, value: PKS_INIT_VALUE });
    expect(u32At(phys, REGS_OFF - 8)).toBe(PKS_INIT_VALUE);
  });

  it('rejects an invalid key before touching anything', () => {
    const { pks, writes } = pksMachine('aux');
    pksSetup(pks);
    writes.length = 0;
    expect(pksUpdateException(pks, REGS, 16, 0)).toEqual({ kind: 'invalid-key' });
    expect(writes).toEqual([]);
  });
});
