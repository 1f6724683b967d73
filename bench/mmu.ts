/**
 * MMU benchmarks: TLB-hit reads and writes with PKU and SMAP on (the common
 * case of a guest's data access), and full 4-level walks on TLB misses.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PKE, CR4_SMAP, EFER_LMA, EFER_LME, EFER_NXE } from '../src/cpu/arch.js';
import { MODE_USER, Mmu } from '../src/cpu/mmu.js';
import { PageTableBuilder } from '../src/cpu/page-table-builder.js';
import { PhysMemory } from '../src/cpu/phys-memory.js';
import type { Benchmark } from './harness.js';

const BATCH = 100_000;

function setup(pages: number, stride = 0x1000): Mmu {
  const phys = new PhysMemory();
  const b = new PageTableBuilder(phys, { tableBase: 0x10_0000 });
  for (let i = 0; i < pages; i++) b.map4k(0x40_0000 + i * stride, 0x100_0000 + i * 0x1000, { writable: true, user: true, key: 1 });
  const mmu = new Mmu(phys);
  mmu.setEfer(EFER_LME | EFER_LMA | EFER_NXE);
  mmu.setCr0(CR0_PE | CR0_PG | CR0_WP);
  mmu.setCr4(CR4_PAE | CR4_PKE | CR4_SMAP);
  mmu.setCr3(b.root);
  return mmu;
}

/** Results are folded in here so the loops cannot be optimised away. */
export let sink = 0;

export const MMU_BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'mmu read32, TLB hit (PKU+SMAP on)',
    unit: 'read',
    setup() {
      const mmu = setup(16);
      return () => {
        let acc = 0;
        for (let i = 0; i < BATCH; i++) acc = (acc + mmu.read32(0x40_0000 + ((i * 68) & 0xfffc), MODE_USER)) | 0;
        sink ^= acc;
        return BATCH;
      };
    },
  },
  {
    name: 'mmu write32, TLB hit (PKU+SMAP on)',
    unit: 'write',
    setup() {
      const mmu = setup(16);
      return () => {
        for (let i = 0; i < BATCH; i++) mmu.write32(0x40_0000 + ((i * 68) & 0xfffc), i, MODE_USER);
        return BATCH;
      };
    },
  },
  {
    name: 'mmu read8, TLB miss (4-level walk)',
    unit: 'walk',
    setup() {
      // Two pages 16 MiB apart share a slot of the 4096-entry direct-mapped TLB: every access misses.
      const stride = 4096 * 0x1000;
      const mmu = setup(2, stride);
      return () => {
        let acc = 0;
        for (let i = 0; i < BATCH / 10; i++) acc = (acc + mmu.read8(0x40_0000 + (i & 1) * stride, MODE_USER)) | 0;
        sink ^= acc;
        return BATCH / 10;
      };
    },
  },
];
