/**
 * A user address space (mm_struct) for one process: its VMAs, the brk
 * heap and the mmap area, over the kernel's page tables. Pages are mapped
 * when a mapping is made (no demand paging yet), so a user #PF is always a
 * bad access.
 * @kernel mm/mmap.c do_mmap, do_brk_flags, mm/mprotect.c mprotect_fixup, mm/util.c vm_mmap
 */
import { PTE_RW } from '../cpu/arch.js';
import type { Mmu } from '../cpu/mmu.js';
import type { AddressSpace } from './arch/x86/address-space.js';
import { PAGE_SIZE, TASK_SIZE_MAX } from './arch/x86/memory-map.js';

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

/** PTE bit 63 (XD) in the entry's high half. */
const PTE_XD_HI = 0x8000_0000 | 0;

export interface Vma {
  start: number;
  end: number;
  prot: number;
  /** What /proc/self/maps would print in the last column ('[heap]', '[stack]', the file, or ''). */
  name: string;
  /** File offset of `start` for a file mapping, else 0. */
  offset: number;
}

/** mmap_base with randomization off: TASK_SIZE - gap (the stack's 8 MiB rlimit + its guard), as Linux's mmap_base(). */
export const MMAP_BASE = 0x7fff_f7ff_f000;

export function pageDown(a: number): number {
  return a - (a % PAGE_SIZE);
}

export function pageUp(a: number): number {
  return pageDown(a + PAGE_SIZE - 1);
}

export class UserMm {
  readonly vmas: Vma[] = [];
  /** mm->start_brk and mm->brk. */
  startBrk = 0;
  brk = 0;

  constructor(
    private readonly space: AddressSpace,
    private readonly mmu: Mmu,
  ) {}

  /** The VMA containing `a`, if any. */
  find(a: number): Vma | undefined {
    return this.vmas.find((v) => a >= v.start && a < v.end);
  }

  /** Whether [start, end) overlaps a mapping. */
  overlaps(start: number, end: number): boolean {
    return this.vmas.some((v) => start < v.end && end > v.start);
  }

  /**
   * Maps fresh zeroed pages over [start, end) (page-aligned) with `prot`,
   * replacing what was there (MAP_FIXED semantics); returns the physical
   * address of each page, in order, for the caller to fill, or null when
   * the machine's memory cannot back it (-ENOMEM).
   */
  map(start: number, end: number, prot: number, name: string, offset = 0): number[] | null {
    // Every page is backed now (no demand paging), so a mapping larger than free memory fails up front: -ENOMEM.
    if ((end - start) / PAGE_SIZE > this.space.framesLeft()) return null;
    this.unmap(start, end);
    const frames: number[] = [];
    for (let a = start; a < end; a += PAGE_SIZE) {
      const pa = this.space.allocFrame(); // fresh: zero, and not backed until touched (sparse memory)
      this.space.pt.map4k(a, pa, { user: true, writable: (prot & PROT_WRITE) !== 0, noExec: (prot & PROT_EXEC) === 0 });
      this.mmu.invlpg(a);
      frames.push(pa);
    }
    this.vmas.push({ start, end, prot, name, offset });
    this.vmas.sort((x, y) => x.start - y.start);
    this.merge();
    return frames;
  }

  /**
   * Rebuilds the VMA list around [start, end): VMAs outside it stay, the
   * parts of overlapping ones outside it are kept (split_vma), and the part
   * inside goes to `inside` (which returns its replacement, or null to drop
   * it). Returns the parts that were inside.
   */
  private reshape(start: number, end: number, inside: (part: Vma) => Vma | null): Vma[] {
    const next: Vma[] = [];
    const hit: Vma[] = [];
    for (const v of this.vmas) {
      if (end <= v.start || start >= v.end) {
        next.push(v);
        continue;
      }
      const at = (a: number): number => (v.offset === 0 && !v.name.startsWith('/') ? 0 : v.offset + (a - v.start));
      if (v.start < start) next.push({ ...v, end: start });
      const part = { ...v, start: Math.max(v.start, start), end: Math.min(v.end, end), offset: at(Math.max(v.start, start)) };
      hit.push(part);
      const r = inside(part);
      if (r) next.push(r);
      if (v.end > end) next.push({ ...v, start: end, offset: at(end) });
    }
    this.vmas.length = 0;
    this.vmas.push(...next.sort((x, y) => x.start - y.start));
    return hit;
  }

  /**
   * vma_merge: neighbours that touch, with the same rights, name and (for a
   * file) continuing offsets become one VMA — a heap grown by brk stays one
   * [heap] line in /proc/self/maps.
   */
  private merge(): void {
    const out: Vma[] = [];
    for (const v of this.vmas) {
      const last = out[out.length - 1];
      const anon = !v.name.startsWith('/');
      if (last && last.end === v.start && last.prot === v.prot && last.name === v.name &&
          (anon || last.offset + (last.end - last.start) === v.offset)) {
        last.end = v.end;
      } else {
        out.push({ ...v });
      }
    }
    this.vmas.length = 0;
    this.vmas.push(...out);
  }

  /** munmap: drop the pages and split or shrink the VMAs. */
  unmap(start: number, end: number): void {
    for (const part of this.reshape(start, end, () => null)) {
      for (let a = part.start; a < part.end; a += PAGE_SIZE) {
        this.space.pt.updateEntry(a, 1, { clearLo: -1, clearHi: -1 });
        this.mmu.invlpg(a);
      }
    }
  }

  /** mprotect over mapped pages; false (-ENOMEM) when part of the range is unmapped. */
  protect(start: number, end: number, prot: number): boolean {
    for (let a = start; a < end; a += PAGE_SIZE) if (!this.find(a)) return false;
    this.reshape(start, end, (part) => ({ ...part, prot }));
    this.merge();
    for (let a = start; a < end; a += PAGE_SIZE) {
      this.space.pt.updateEntry(a, 1, {
        setLo: prot & PROT_WRITE ? PTE_RW : 0, clearLo: prot & PROT_WRITE ? 0 : PTE_RW,
        setHi: prot & PROT_EXEC ? 0 : PTE_XD_HI, clearHi: prot & PROT_EXEC ? PTE_XD_HI : 0,
      });
      this.mmu.invlpg(a);
    }
    return true;
  }

  /** get_unmapped_area, top-down below MMAP_BASE: the highest free range of `len` bytes, or null. */
  unmappedArea(len: number): number | null {
    let top = MMAP_BASE;
    const below = [...this.vmas].filter((v) => v.start < MMAP_BASE).sort((x, y) => y.start - x.start);
    for (const v of below) {
      if (v.end <= top - len) return top - len;
      top = Math.min(top, v.start);
    }
    const at = top - len;
    return at >= PAGE_SIZE * 16 && at + len <= TASK_SIZE_MAX ? at : null;
  }
}
