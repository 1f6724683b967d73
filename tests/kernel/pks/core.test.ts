/**
 * Per-CPU pkrs_cache, pks_setup(), context switch and pks_set_*() (V9,
 * reference §3.2), counting every WRMSR(IA32_PKRS).
 */
import { describe, expect, it } from 'vitest';
import { CR4_PKS } from '../../../src/cpu/arch.js';
import {
  PKS_INIT_VALUE, pksNewThread, pksSetNoaccess, pksSetReadwrite, pksSetup, pksUpdateProtection, pksWritePkrs,
  x86PkrsLoad, PKEY_DISABLE_WRITE,
} from '../../../src/kernel/arch/x86/pks.js';
import { pksMachine } from './machine.js';

describe('pks_setup', () => {
  it('writes PKS_INIT_VALUE unconditionally, then once more syncing the zero cache, then sets CR4.PKS', () => {
    const { mmu, pks, writes } = pksMachine('aux');
    expect(pks.cpu.pkrsCache).toBe(0);
    pksSetup(pks);
    expect(writes).toEqual([PKS_INIT_VALUE, PKS_INIT_VALUE]);
    expect(pks.cpu.msrWrites).toBe(2);
    expect(pks.cpu.pkrsCache).toBe(PKS_INIT_VALUE);
    expect(mmu.pkrs).toBe(PKS_INIT_VALUE);
    expect(mmu.cr4 & CR4_PKS).toBe(CR4_PKS);
    expect(pks.current.pkrs).toBe(PKS_INIT_VALUE);
  });

  it('does nothing without X86_FEATURE_PKS, and pks_set_*() are no-ops', () => {
    const { mmu, pks, writes } = pksMachine('aux', false);
    pksSetup(pks);
    expect(pksSetReadwrite(pks, 1)).toBe(false);
    expect(writes).toEqual([]);
    expect(mmu.cr4 & CR4_PKS).toBe(0);
  });
});

describe('pks_write_pkrs and the per-CPU cache', () => {
  it('skips WRMSR when the value equals pkrs_cache', () => {
    const { mmu, pks, writes } = pksMachine('aux');
    pksSetup(pks);
    writes.length = 0;
    pksWritePkrs(pks.cpu, PKS_INIT_VALUE);
    expect(writes).toEqual([]);
    pksWritePkrs(pks.cpu, 0x5555_5550);
    pksWritePkrs(pks.cpu, 0x5555_5550);
    expect(writes).toEqual([0x5555_5550]);
    expect(mmu.pkrs).toBe(0x5555_5550);
  });

  it('pks_set_readwrite / pks_set_noaccess change current->thread.pkrs and the MSR', () => {
    const { mmu, pks, writes } = pksMachine('extended');
    pksSetup(pks);
    writes.length = 0;
    expect(pksSetReadwrite(pks, 1)).toBe(true);
    expect(pks.current.pkrs).toBe(0x5555_5550);
    expect(mmu.pkrs).toBe(0x5555_5550);
    expect(pksSetReadwrite(pks, 1)).toBe(true); // same value: no WRMSR
    expect(pksUpdateProtection(pks, 4, PKEY_DISABLE_WRITE)).toBe(true);
    // key 4: AD (bit 8) off, WD (bit 9) on: 0x55555550 - 0x100 + 0x200
    expect(pks.current.pkrs).toBe(0x5555_5650);
    expect(pksSetNoaccess(pks, 4)).toBe(true);
    expect(pksSetNoaccess(pks, 1)).toBe(true);
    expect(pks.current.pkrs).toBe(PKS_INIT_VALUE);
    expect(writes).toEqual([0x5555_5550, 0x5555_5650, 0x5555_5550, PKS_INIT_VALUE]);
  });

  it('rejects keys outside 0..15 without touching anything', () => {
    const { pks, writes } = pksMachine('aux');
    pksSetup(pks);
    writes.length = 0;
    expect(pksUpdateProtection(pks, 16, 0)).toBe(false);
    expect(pksUpdateProtection(pks, -1, 0)).toBe(false);
    expect(writes).toEqual([]);
  });
});

describe('x86_pkrs_load (context switch)', () => {
  it('loads the next thread\'s value, writing only when it differs', () => {
    const { mmu, pks, writes } = pksMachine('aux');
    pksSetup(pks);
    const a = pks.current;
    pksSetReadwrite(pks, 2); // a: key 2 RW -> 0x55555544
    const b = pksNewThread();
    expect(b.pkrs).toBe(PKS_INIT_VALUE);
    writes.length = 0;
    x86PkrsLoad(pks, b);
    pks.current = b;
    expect(mmu.pkrs).toBe(PKS_INIT_VALUE);
    x86PkrsLoad(pks, b); // already loaded
    x86PkrsLoad(pks, a);
    pks.current = a;
    expect(mmu.pkrs).toBe(0x5555_5544);
    expect(writes).toEqual([PKS_INIT_VALUE, 0x5555_5544]);
  });
});
