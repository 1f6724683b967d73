/**
 * Copy-on-write frame accounting (src/kernel/mm.ts over
 * arch/x86/address-space.ts): dup_mmap shares every page and copies none;
 * a write to a shared private page faults (the PTE is read-only, SDM Vol. 3A
 * §4.6) and do_wp_page gives the writer its own frame (wp_page_copy) or,
 * when no other mm holds the page any more, makes it writable in place
 * (wp_page_reuse); exit_mmap puts every frame and free_pgtables/pgd_free
 * return the page-table frames — so after fork, writes and both exits,
 * AddressSpace.framesLeft() and the paging-structure frames in use are
 * what they were before the first mm existed.
 */
import { describe, expect, it } from 'vitest';
import { PageFault } from '../../src/cpu/faults.js';
import { MODE_USER } from '../../src/cpu/mmu.js';
import { builtinDesign } from '../../src/design/registry.js';
import { bootKernel } from '../../src/kernel/boot.js';
import { PROT_READ, PROT_WRITE, UserMm } from '../../src/kernel/mm.js';

const P = 0x1000;
const BASE = 0x10_0000;
const PAGES = 16;

function setup() {
  const k = bootKernel(builtinDesign('upstream'));
  const space = k.platform.space;
  const mmu = k.platform.cpu.mmu;
  const counts = (): { frames: number; tables: number } => ({ frames: space.framesLeft(), tables: space.tables.inUse() });
  /** A user-mode byte write in `mm`: a copy-on-write fault is handed to handleFault and the write retried, as the #PF path does. */
  const write = (mm: UserMm, a: number, v: number): 'plain' | 'cow' => {
    mmu.setCr3(mm.root);
    try {
      mmu.write8(a, v, MODE_USER);
      return 'plain';
    } catch (e) {
      if (!(e instanceof PageFault)) throw e;
      expect(mm.handleFault(e.address, e.errorCode)).toBe(true);
      mmu.write8(a, v, MODE_USER);
      return 'cow';
    }
  };
  const read = (mm: UserMm, a: number): number => {
    mmu.setCr3(mm.root);
    return mmu.read8(a, MODE_USER);
  };
  const leave = (): void => mmu.setCr3(space.root); // exit_mm: off the dying tables before they are freed
  return { space, mmu, counts, write, read, leave };
}

describe('UserMm copy-on-write frame accounting', () => {
  it('fork, the child writes every page, both exit: no data or page-table frame leaks', () => {
    const { space, mmu, counts, write, read, leave } = setup();
    const before = counts();
    const parent = new UserMm(space, mmu);
    parent.map(BASE, BASE + PAGES * P, PROT_READ | PROT_WRITE, '');
    for (let i = 0; i < PAGES; i++) expect(write(parent, BASE + i * P, i)).toBe('plain');
    const mapped = counts();
    expect(before.frames - mapped.frames).toBe(PAGES);
    expect(mapped.tables).toBeGreaterThan(before.tables);

    // dup_mmap: new page tables, no new data frame; both sides now fault on the first write.
    const child = parent.dup();
    const forked = counts();
    expect(forked.frames).toBe(mapped.frames);
    expect(forked.tables).toBeGreaterThan(mapped.tables);

    // The child writes every page: one fresh frame each (wp_page_copy); the parent still reads its own bytes.
    for (let i = 0; i < PAGES; i++) expect(write(child, BASE + i * P, 0x80 + i)).toBe('cow');
    expect(counts().frames).toBe(mapped.frames - PAGES);
    for (let i = 0; i < PAGES; i++) {
      expect(read(parent, BASE + i * P)).toBe(i);
      expect(read(child, BASE + i * P)).toBe(0x80 + i);
    }
    // The parent is the last holder of its old frames: its write faults once and reuses the page in place (wp_page_reuse).
    expect(write(parent, BASE, 0x40)).toBe('cow');
    expect(write(parent, BASE, 0x41)).toBe('plain');
    expect(counts().frames).toBe(mapped.frames - PAGES);
    expect(read(child, BASE)).toBe(0x80);

    leave();
    child.release();
    expect(counts().frames).toBe(mapped.frames);
    expect(counts().tables).toBe(mapped.tables);
    parent.release();
    expect(counts()).toEqual(before);
  });

  it('three generations share a page; exits in any order free each frame exactly once', () => {
    const { space, mmu, counts, write, read, leave } = setup();
    const before = counts();
    const a = new UserMm(space, mmu);
    a.map(BASE, BASE + 4 * P, PROT_READ | PROT_WRITE, '');
    a.map(BASE + 8 * P, BASE + 9 * P, PROT_READ | PROT_WRITE, 'shared', 0, 0, true);
    write(a, BASE, 1);
    const b = a.dup();
    const c = b.dup();
    // A MAP_SHARED page stays writable and common to all three; a private one is copied for the one writer.
    expect(write(c, BASE + 8 * P, 7)).toBe('plain');
    expect(read(a, BASE + 8 * P)).toBe(7);
    expect(write(b, BASE, 2)).toBe('cow');
    expect([read(a, BASE), read(b, BASE), read(c, BASE)]).toEqual([1, 2, 1]);
    // munmap in one mm drops only its own references.
    b.unmap(BASE, BASE + 4 * P);
    expect(read(c, BASE + 3 * P)).toBe(0);
    leave();
    a.release();
    expect([read(c, BASE), read(c, BASE + 8 * P)]).toEqual([1, 7]);
    leave();
    c.release();
    b.release();
    expect(counts()).toEqual(before);
  });

  it('a forced write (ptrace POKE) breaks the sharing like a fault does', () => {
    const { space, mmu, counts, read, leave } = setup();
    const before = counts();
    const parent = new UserMm(space, mmu);
    parent.map(BASE, BASE + P, PROT_READ, '');
    const child = parent.dup();
    const shared = counts().frames;
    child.accessForce(BASE + 5, 1, new Uint8Array([9]));
    expect(counts().frames).toBe(shared - 1);
    expect([read(parent, BASE + 5), read(child, BASE + 5)]).toEqual([0, 9]);
    // The page is still read-only: a user write faults, and handleFault has no copy-on-write to resolve.
    mmu.setCr3(child.root);
    const fault = (() => {
      try {
        mmu.write8(BASE, 1, MODE_USER);
        return null;
      } catch (e) {
        return e instanceof PageFault ? e : null;
      }
    })();
    expect(fault).not.toBeNull();
    expect(child.handleFault(fault!.address, fault!.errorCode)).toBe(false);
    leave();
    parent.release();
    child.release();
    expect(counts()).toEqual(before);
  });
});
