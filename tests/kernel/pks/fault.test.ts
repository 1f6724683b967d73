/**
 * The PKS fault path (reference §3.5): a supervisor access refused by PKRS
 * raises #PF with PK; pks_handle_key_fault() finds the key in init_mm's
 * tables and runs the key's callback, which may call pks_update_exception()
 * so the retried access succeeds after the exception exit.
 */
import { describe, expect, it } from 'vitest';
import { PageFault } from '../../../src/cpu/faults.js';
import {
  PKEY_DISABLE_WRITE, PKEY_READ_WRITE, PKS_INIT_VALUE, pksHandleKeyFault, pksLookupKey, pksRegisterFaultCallback,
  pksRestorePtRegs, pksSavePtRegs, pksSetup, pksUpdateException, pksUpdateProtection, type PksKernel,
} from '../../../src/kernel/arch/x86/pks.js';
import { KEY1_PAGE, KEY2_LARGE, STACK_PAGE, UNMAPPED, pksMachine } from './machine.js';

const REGS = STACK_PAGE + 0x800;
const STATE = STACK_PAGE + 0x600;

function faultOf(f: () => unknown): PageFault {
  try {
    f();
  } catch (e) {
    if (e instanceof PageFault) return e;
    throw e;
  }
  throw new Error('no fault');
}

describe('PKS key faults', () => {
  it('a read of a key-1 page with AD1 set faults #PF with P|PK (0x21)', () => {
    const { pks } = pksMachine('aux');
    pksSetup(pks);
    const f = faultOf(() => pks.memory.readBytes(KEY1_PAGE + 0x10, 8));
    expect(f.errorCode).toBe(0x21);
    expect(f.address).toBe(KEY1_PAGE + 0x10);
  });

  it('a write with WD1 set (CR0.WP = 1) faults with P|W|PK (0x23)', () => {
    const { pks } = pksMachine('aux');
    pksSetup(pks);
    pksUpdateProtection(pks, 1, PKEY_DISABLE_WRITE);
    expect(pks.memory.readBytes(KEY1_PAGE, 4)).toEqual(new Uint8Array(4)); // reads allowed
    const f = faultOf(() => pks.memory.writeBytes(KEY1_PAGE, new Uint8Array([1])));
    expect(f.errorCode).toBe(0x23);
  });
});

describe('pksLookupKey (init_mm walk)', () => {
  it('finds the key in a PTE, a 2-MiB PDE, and stops at a non-present entry', () => {
    const { pks } = pksMachine('aux');
    expect(pksLookupKey(pks.initMm, KEY1_PAGE + 0x123)).toBe(1);
    expect(pksLookupKey(pks.initMm, STACK_PAGE)).toBe(0);
    expect(pksLookupKey(pks.initMm, KEY2_LARGE + 0x1f_f000)).toBe(2);
    // Another PML4 slot entirely (0xffff888000000000): the pgd entry is not present.
    expect(pksLookupKey(pks.initMm, -0x7780_0000_0000)).toBeNull();
    // Same PD as the mappings, PDE not present (a 4-KiB PTE would be read only below a present PDE).
    expect(pksLookupKey(pks.initMm, UNMAPPED)).toBeNull();
    // A present PT whose PTE is not present: V9 reads the key without a present check (key 0 here).
    expect(pksLookupKey(pks.initMm, KEY1_PAGE + 0x1000)).toBe(0);
  });
});

describe('pks_handle_key_fault', () => {
  it('calls the callback of the faulting key with write = error & X86_PF_WRITE', () => {
    const { pks } = pksMachine('aux');
    pksSetup(pks);
    const calls: [number, number, boolean][] = [];
    pksRegisterFaultCallback(pks, 1, (_p, regs, address, write) => {
      calls.push([regs, address, write]);
      return true;
    });
    expect(pksHandleKeyFault(pks, REGS, 0x21, KEY1_PAGE + 8)).toEqual({ handled: true, key: 1, callbackCalled: true });
    expect(pksHandleKeyFault(pks, REGS, 0x23, KEY1_PAGE + 8)).toEqual({ handled: true, key: 1, callbackCalled: true });
    expect(calls).toEqual([
      [REGS, KEY1_PAGE + 8, false],
      [REGS, KEY1_PAGE + 8, true],
    ]);
  });

  it('is not handled without a callback for the key, for an unmapped address, or without PKS', () => {
    const { pks } = pksMachine('aux');
    pksSetup(pks);
    pksRegisterFaultCallback(pks, 1, () => true);
    expect(pksHandleKeyFault(pks, REGS, 0x21, KEY2_LARGE)).toEqual({ handled: false, key: 2, callbackCalled: false });
    expect(pksHandleKeyFault(pks, REGS, 0x21, UNMAPPED)).toEqual({ handled: false, key: null, callbackCalled: false });
    const off = pksMachine('aux', false).pks;
    pksRegisterFaultCallback(off, 1, () => true);
    expect(pksHandleKeyFault(off, REGS, 0x21, KEY1_PAGE)).toEqual({ handled: false, key: null, callbackCalled: false });
  });

  it('a callback returning false leaves the fault unhandled', () => {
    const { pks } = pksMachine('aux');
    pksRegisterFaultCallback(pks, 2, () => false);
    pksSetup(pks);
    expect(pksHandleKeyFault(pks, REGS, 0x21, KEY2_LARGE)).toEqual({ handled: false, key: 2, callbackCalled: true });
  });
});

/**
 * The whole exception: the thread (PKS_INIT_VALUE) reads a key-1 page,
 * #PF, entry save, the key-1 callback relaxes key 1 with
 * pks_update_exception(regs, 1, RW), exit restore, retry.
 */
function faultAndRetry(pks: PksKernel): { retried: boolean; pkrsAfter: number } {
  pksRegisterFaultCallback(pks, 1, (p, regs) => {
    pksUpdateException(p, regs, 1, PKEY_READ_WRITE);
    return true;
  });
  const f = faultOf(() => pks.memory.readBytes(KEY1_PAGE, 4));
  const frame = { regs: REGS, state: STATE };
  pksSavePtRegs(pks, frame);
  expect(pksHandleKeyFault(pks, REGS, f.errorCode, f.address).handled).toBe(true);
  pksRestorePtRegs(pks, frame);
  let retried = true;
  try {
    pks.memory.readBytes(KEY1_PAGE, 4);
  } catch (e) {
    if (!(e instanceof PageFault)) throw e;
    retried = false;
  }
  return { retried, pkrsAfter: pks.cpu.pkrsCache };
}

describe('fault callback + pks_update_exception, end to end', () => {
  for (const design of ['extended', 'aux', 'pks-in-pt_regs']) {
    it(`${design}: the retried access succeeds with key 1 open in the thread`, () => {
      const { pks } = pksMachine(design);
      pksSetup(pks);
      expect(faultAndRetry(pks)).toEqual({ retried: true, pkrsAfter: 0x5555_5550 });
    });
  }

  it('state-ref: the saved copy is not reachable from regs, so the retry faults again', () => {
    const { pks } = pksMachine('state-ref');
    pksSetup(pks);
    expect(faultAndRetry(pks)).toEqual({ retried: false, pkrsAfter: PKS_INIT_VALUE });
  });

  it('upstream: nothing was saved; the change to the running context is the thread\'s own', () => {
    const { pks } = pksMachine('upstream');
    pksSetup(pks);
    expect(faultAndRetry(pks)).toEqual({ retried: true, pkrsAfter: 0x5555_5550 });
  });
});
