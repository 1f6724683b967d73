/**
 * The user address space (src/kernel/mm.ts): VMAs split as munmap and
 * mprotect split them (mm/mmap.c split_vma), and the page tables agree —
 * checked through the MMU with user-mode accesses (a write to a read-only
 * page and any access to an unmapped one fault, SDM Vol. 3A §4.6).
 */
import { describe, expect, it } from 'vitest';
import { MODE_USER } from '../../src/cpu/mmu.js';
import { builtinDesign } from '../../src/design/registry.js';
import { bootKernel } from '../../src/kernel/boot.js';
import { MMAP_BASE, PROT_READ, PROT_WRITE, UserMm } from '../../src/kernel/mm.js';

const P = 0x1000;

function setup(): { mm: UserMm; canRead: (a: number) => boolean; canWrite: (a: number) => boolean } {
  const k = bootKernel(builtinDesign('upstream'));
  const mmu = k.platform.cpu.mmu;
  const mm = new UserMm(k.platform.space, mmu);
  mmu.setCr3(mm.root); // the mm's own tables, as switch_mm would load them
  const attempt = (f: () => void): boolean => {
    try {
      f();
      return true;
    } catch {
      return false;
    }
  };
  return {
    mm,
    canRead: (a) => attempt(() => mmu.read8(a, MODE_USER)),
    canWrite: (a) => attempt(() => mmu.write8(a, 1, MODE_USER)),
  };
}

describe('UserMm', () => {
  it('munmap in the middle splits the VMA and unmaps exactly those pages', () => {
    const { mm, canRead } = setup();
    mm.map(0x10_0000, 0x10_0000 + 8 * P, PROT_READ | PROT_WRITE, 'x');
    mm.unmap(0x10_0000 + 2 * P, 0x10_0000 + 5 * P);
    expect(mm.vmas.map((v) => [v.start, v.end])).toEqual([[0x10_0000, 0x10_2000], [0x10_5000, 0x10_8000]]);
    expect([0, 1, 2, 3, 4, 5, 7].map((i) => canRead(0x10_0000 + i * P))).toEqual([true, true, false, false, false, true, true]);
  });

  it('mprotect read-only in the middle: three VMAs, writes fault only there', () => {
    const { mm, canRead, canWrite } = setup();
    mm.map(0x20_0000, 0x20_0000 + 6 * P, PROT_READ | PROT_WRITE, 'y');
    expect(mm.protect(0x20_0000 + 2 * P, 0x20_0000 + 4 * P, PROT_READ)).toBe(true);
    expect(mm.vmas.map((v) => [v.start - 0x20_0000, v.end - 0x20_0000, v.prot])).toEqual([
      [0, 2 * P, 3], [2 * P, 4 * P, 1], [4 * P, 6 * P, 3],
    ]);
    expect([1, 2, 3, 4].map((i) => canWrite(0x20_0000 + i * P))).toEqual([true, false, false, true]);
    expect(canRead(0x20_0000 + 3 * P)).toBe(true);
    // Part of the range unmapped: ENOMEM and nothing changes.
    expect(mm.protect(0x20_0000 + 5 * P, 0x20_0000 + 7 * P, PROT_READ)).toBe(false);
    expect(canWrite(0x20_0000 + 5 * P)).toBe(true);
  });

  it('get_unmapped_area goes top-down from MMAP_BASE and skips what is mapped', () => {
    const { mm } = setup();
    const a = mm.unmappedArea(4 * P)!;
    expect(a).toBe(MMAP_BASE - 4 * P);
    mm.map(a, a + 4 * P, PROT_READ, '');
    expect(mm.unmappedArea(P)).toBe(a - P);
  });

  it('a mapping larger than free memory fails up front (ENOMEM) and maps nothing', () => {
    const { mm, canRead } = setup();
    expect(mm.map(0x4000_0000, 0x4000_0000 + 2 ** 31, PROT_READ, 'huge')).toBeNull();
    expect(mm.vmas).toEqual([]);
    expect(canRead(0x4000_0000)).toBe(false);
  });
});
