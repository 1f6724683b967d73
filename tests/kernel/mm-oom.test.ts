/**
 * Copy-on-write with no frame left for the copy: handle_mm_fault's
 * VM_FAULT_OOM ('oom'), which the #PF path turns into the OOM killer's
 * SIGKILL for the writer — never a host error. Reading stays possible, and
 * a page no other mm holds is still made writable in place (no frame needed).
 */
import { describe, expect, it } from 'vitest';
import { PageFault } from '../../src/cpu/faults.js';
import { MODE_USER } from '../../src/cpu/mmu.js';
import { builtinDesign } from '../../src/design/registry.js';
import { bootKernel } from '../../src/kernel/boot.js';
import { PROT_READ, PROT_WRITE, UserMm } from '../../src/kernel/mm.js';

const BASE = 0x10_0000;

describe('copy-on-write when memory is exhausted', () => {
  it('the fault reports oom; a sole owner is still reused; forced (ptrace) writes fail cleanly', () => {
    const k = bootKernel(builtinDesign('upstream'));
    const space = k.platform.space;
    const mmu = k.platform.cpu.mmu;
    const parent = new UserMm(space, mmu);
    parent.map(BASE, BASE + 2 * 0x1000, PROT_READ | PROT_WRITE, '');
    const child = parent.dup();
    // Use up every frame that is left.
    while (space.framesLeft() > 0) space.allocFrame();
    mmu.setCr3(child.root);
    let fault: PageFault | null = null;
    try {
      mmu.write8(BASE, 1, MODE_USER);
    } catch (e) {
      if (e instanceof PageFault) fault = e;
    }
    expect(fault).not.toBeNull();
    expect(child.handleFault(fault!.address, fault!.errorCode)).toBe('oom');
    expect(mmu.read8(BASE, MODE_USER)).toBe(0); // the shared page still reads
    expect(child.accessForce(BASE, 1, Uint8Array.of(7))).toBeNull();
    // Once the child's mm is gone the parent owns its pages alone: wp_page_reuse needs no frame.
    child.release();
    mmu.setCr3(parent.root);
    try {
      mmu.write8(BASE + 0x1000, 2, MODE_USER);
    } catch (e) {
      if (!(e instanceof PageFault)) throw e;
      expect(parent.handleFault(e.address, e.errorCode)).toBe(true);
      mmu.write8(BASE + 0x1000, 2, MODE_USER);
    }
    expect(mmu.read8(BASE + 0x1000, MODE_USER)).toBe(2);
  });
});
