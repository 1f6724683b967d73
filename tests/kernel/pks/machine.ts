/**
 * A minimal kernel address space for the PKS tests: IA-32e paging with an
 * entry-stack page (key 0), a 4-KiB data page with key 1 and a 2-MiB page
 * with key 2, all supervisor pages; CR4.PKS is set by pksSetup().
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, EFER_LMA, EFER_LME, EFER_NXE } from '../../../src/cpu/arch.js';
import { linearStore } from '../../../src/cpu/linear-store.js';
import { MODE_SUPERVISOR, Mmu } from '../../../src/cpu/mmu.js';
import { PageTableBuilder } from '../../../src/cpu/page-table-builder.js';
import { PhysMemory } from '../../../src/cpu/phys-memory.js';
import { builtinDesign } from '../../../src/design/registry.js';
import { createPksKernel, mmuPksHardware, type PksKernel } from '../../../src/kernel/arch/x86/pks.js';

/** 0xffffc90000000000 as a sign-extended number. */
export const STACK_PAGE = -0x3700_0000_0000;
export const STACK_PHYS = 0x80_0000;
/** 0xffffc90000010000: a 4-KiB page with key 1. */
export const KEY1_PAGE = STACK_PAGE + 0x1_0000;
export const KEY1_PHYS = 0x90_0000;
/** 0xffffc90000200000: a 2-MiB page with key 2. */
export const KEY2_LARGE = STACK_PAGE + 0x20_0000;
export const KEY2_PHYS = 0x20_0000 * 8;
/** 0xffffc90000400000: nothing mapped. */
export const UNMAPPED = STACK_PAGE + 0x40_0000;

export interface PksMachine {
  readonly mmu: Mmu;
  readonly phys: PhysMemory;
  readonly pks: PksKernel;
  /** Every WRMSR(IA32_PKRS) value, in order. */
  readonly writes: number[];
}

export function pksMachine(designName: string, featurePresent = true): PksMachine {
  const phys = new PhysMemory();
  const b = new PageTableBuilder(phys, { tableBase: 0x10_0000 });
  b.map4k(STACK_PAGE, STACK_PHYS, { writable: true, key: 0 });
  b.map4k(KEY1_PAGE, KEY1_PHYS, { writable: true, key: 1 });
  b.map2m(KEY2_LARGE, KEY2_PHYS, { writable: true, key: 2 });
  const mmu = new Mmu(phys);
  mmu.setEfer(EFER_LME | EFER_LMA | EFER_NXE);
  mmu.setCr0(CR0_PE | CR0_PG | CR0_WP);
  mmu.setCr4(CR4_PAE);
  mmu.setCr3(b.root);
  const writes: number[] = [];
  const hw = mmuPksHardware(mmu);
  const pks = createPksKernel({
    design: builtinDesign(designName),
    featurePresent,
    hw: {
      wrmsr(index, lo, hi) {
        writes.push(lo >>> 0);
        hw.wrmsr(index, lo, hi);
      },
      cr4SetBits: (m) => hw.cr4SetBits(m),
    },
    memory: linearStore(mmu, MODE_SUPERVISOR),
    initMm: { phys, pgd: b.root },
  });
  return { mmu, phys, pks, writes };
}
