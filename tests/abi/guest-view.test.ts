/**
 * Struct views over guest memory through the MMU: the kernel writes a
 * design's extended pt_regs on a supervisor page protected by a PKS key,
 * reads it back with container_of, and is refused (#PF with PK) once PKRS
 * disables the key — the situation the PKS series' entry code handles.
 */
import { describe, expect, it } from 'vitest';
import { containerOf } from '../../src/abi/layout.js';
import { StructView } from '../../src/abi/view.js';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PKS, EFER_LMA, EFER_LME, EFER_NXE } from '../../src/cpu/arch.js';
import { PageFault } from '../../src/cpu/faults.js';
import { linearStore } from '../../src/cpu/linear-store.js';
import { MODE_SUPERVISOR, Mmu } from '../../src/cpu/mmu.js';
import { PageTableBuilder } from '../../src/cpu/page-table-builder.js';
import { PhysMemory } from '../../src/cpu/phys-memory.js';
import { builtinDesign, designStruct } from '../../src/design/registry.js';

const STACK_PAGE = -0x3700_0000_0000; // a kernel (upper-half) address: 0xffffc90000000000
const KEY = 3;

function kernel(): Mmu {
  const phys = new PhysMemory();
  const b = new PageTableBuilder(phys, { tableBase: 0x10_0000 });
  b.map4k(STACK_PAGE, 0x80_0000, { writable: true, user: false, key: KEY });
  const mmu = new Mmu(phys);
  mmu.setEfer(EFER_LME | EFER_LMA | EFER_NXE);
  mmu.setCr0(CR0_PE | CR0_PG | CR0_WP);
  mmu.setCr4(CR4_PAE | CR4_PKS);
  mmu.setCr3(b.root);
  return mmu;
}

describe('struct views over guest memory', () => {
  it('write extended_pt_regs, find it again from a pt_regs pointer with container_of', () => {
    const mmu = kernel();
    const d = builtinDesign('extended');
    const ext = designStruct(d, 'extended_pt_regs');
    const store = linearStore(mmu, MODE_SUPERVISOR);
    const base = STACK_PAGE + 0x1000 - ext.size - 8;
    const outer = new StructView(ext, store, base);
    outer.set('arch.pks', 0x55555554);
    outer.set('regs.ip', 0x401000);
    const regsPtr = base + 16;
    expect(new StructView(d.ptRegs, store, regsPtr).get('ip')).toBe(0x401000n);
    const back = new StructView(ext, store, Number(containerOf(ext, 'regs', BigInt(regsPtr))));
    expect(back.get('arch.pks')).toBe(0x55555554n);
    // The bytes landed in physical memory at the page offset (reference §1.1: ip at 128 in pt_regs).
    expect(mmu.phys.read32(0x80_0000 + (regsPtr - STACK_PAGE) + 128)).toBe(0x401000);
  });

  it('a read through the view faults with PK once PKRS sets AD for the page key', () => {
    const mmu = kernel();
    const d = builtinDesign('aux');
    const view = new StructView(d.ptRegs, linearStore(mmu, MODE_SUPERVISOR), STACK_PAGE + 0x100);
    view.set('sp', 1);
    mmu.setPkrs(1 << (2 * KEY)); // AD for key 3
    let fault: unknown;
    try {
      view.get('sp');
    } catch (e) {
      fault = e;
    }
    expect(fault).toBeInstanceOf(PageFault);
    // SDM Vol. 3A §4.7: P (protection) | PK, a supervisor read: 0x21.
    expect((fault as PageFault).errorCode).toBe(0x21);
    expect((fault as PageFault).address).toBe(STACK_PAGE + 0x100 + 152);
  });
});
