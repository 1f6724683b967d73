/**
 * Protection keys reach the page tables: pkey_mprotect sets the VMA's key
 * and PTE bits 62:59, which the MMU checks against PKRU (SDM Vol. 3A §4.6.2);
 * mremap moves PTEs, so the bytes and the key go with the mapping;
 * PROT_NONE pages are not present. vmaPkey answers si_pkey's question.
 */
import { describe, expect, it } from 'vitest';
import { PF_PK, PTE_HI_PKEY_SHIFT } from '../../../src/cpu/arch.js';
import { CpuFault } from '../../../src/cpu/faults.js';
import { MODE_USER } from '../../../src/cpu/mmu.js';
import { PROT_READ, PROT_WRITE, vmaPkey } from '../../../src/kernel/mm.js';
import { sysMprotect, sysPkeyMprotect } from '../../../src/kernel/syscalls/mm.js';
import { sysMremap } from '../../../src/kernel/syscalls/mremap.js';
import { sysPkeyAlloc, sysPkeyFree } from '../../../src/kernel/syscalls/pkeys.js';
import { argRegs, testProcess } from './harness.js';

const P = 0x1000;
const RW = PROT_READ | PROT_WRITE;

function fault(f: () => void): number | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof CpuFault) return e.errorCode;
    throw e;
  }
}

describe('protection keys in VMAs and PTEs', () => {
  it('pkey_mprotect puts the key in the VMA and in PTE bits 62:59; an access-disabled key faults with PK', () => {
    const t = testProcess();
    const mmu = t.p.rt.cpu.mmu;
    t.p.mm.map(0x50_0000, 0x50_0000 + 3 * P, RW, '');
    const key = sysPkeyAlloc(t.p, argRegs(0, 0));
    expect(key).toBe(1);
    expect(sysPkeyMprotect(t.p, argRegs(0x50_0000 + P, P, RW, key))).toBe(0);
    expect(t.p.mm.vmas.filter((v) => v.start >= 0x50_0000).map((v) => [v.start - 0x50_0000, v.pkey ?? 0])).toEqual([[0, 0], [P, 1], [2 * P, 0]]);
    expect(vmaPkey(t.p.mm, 0x50_0000 + P + 5)).toBe(1);
    expect(vmaPkey(t.p.mm, 0x50_0000)).toBe(0);
    expect(vmaPkey(t.p.mm, 0x60_0000)).toBeNull();
    expect((t.pteHi(0x50_0000 + P) >>> PTE_HI_PKEY_SHIFT) & 0xf).toBe(1);
    mmu.setPkru(mmu.pkru | (1 << (2 * key))); // AD for the key
    expect(fault(() => mmu.read8(0x50_0000 + P, MODE_USER))! & PF_PK).toBe(PF_PK);
    expect(fault(() => mmu.read8(0x50_0000, MODE_USER))).toBeNull();
    // A plain mprotect keeps the key; freeing the key leaves the VMA's key alone.
    expect(sysMprotect(t.p, argRegs(0x50_0000 + P, P, PROT_READ))).toBe(0);
    expect(sysPkeyFree(t.p, argRegs(key))).toBe(0);
    expect(vmaPkey(t.p.mm, 0x50_0000 + P)).toBe(1);
    expect(fault(() => mmu.read8(0x50_0000 + P, MODE_USER))! & PF_PK).toBe(PF_PK);
  });

  it('pkey_alloc writes the init rights into PKRU for that key only', () => {
    const t = testProcess();
    const mmu = t.p.rt.cpu.mmu;
    mmu.setPkru(0x5555_5554);
    expect(sysPkeyAlloc(t.p, argRegs(0, 2))).toBe(1); // PKEY_DISABLE_WRITE
    expect(mmu.pkru).toBe(0x5555_5558);
    expect(sysPkeyAlloc(t.p, argRegs(0, 0))).toBe(2);
    expect(mmu.pkru).toBe(0x5555_5548);
  });

  it('mremap moves the pages with their contents and key; PROT_NONE pages are not present', () => {
    const t = testProcess();
    const mmu = t.p.rt.cpu.mmu;
    const a = 0x70_0000;
    t.p.mm.map(a, a + 2 * P, RW, '');
    t.p.mm.map(a + 2 * P, a + 3 * P, PROT_READ, ''); // a neighbour: no growth in place
    mmu.write8(a + P + 7, 0x5a, MODE_USER);
    const key = sysPkeyAlloc(t.p, argRegs(0, 0));
    expect(sysPkeyMprotect(t.p, argRegs(a, 2 * P, RW, key))).toBe(0);
    const to = sysMremap(t.p, argRegs(a, 2 * P, 4 * P, 1, 0));
    expect(to).not.toBe(a);
    expect(mmu.read8(to + P + 7, MODE_USER)).toBe(0x5a);
    expect(mmu.read8(to + 3 * P, MODE_USER)).toBe(0);
    expect(vmaPkey(t.p.mm, to + 3 * P)).toBe(key);
    expect(fault(() => mmu.read8(a, MODE_USER))).not.toBeNull();
    expect(sysMprotect(t.p, argRegs(to, P, 0))).toBe(0);
    expect(fault(() => mmu.read8(to, MODE_USER))! & 1).toBe(0); // P = 0
    expect(sysMprotect(t.p, argRegs(to, P, PROT_READ))).toBe(0);
    expect(mmu.read8(to + 7, MODE_USER)).toBe(0);
  });
});
