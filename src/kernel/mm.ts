/**
 * A user address space (mm_struct) for one process: its VMAs, the brk
 * heap and the mmap area, over the kernel's page tables. Pages are mapped
 * when a mapping is made (no demand paging yet), so a user #PF is always a
 * bad access. Each VMA carries its protection key (vm_flags VM_PKEY_BIT*),
 * and its PTEs carry the same key in bits 62:59, so the MMU checks PKRU.
 * @kernel mm/mmap.c do_mmap, do_brk_flags, mm/mprotect.c mprotect_fixup, mm/util.c vm_mmap, mm/mremap.c move_vma
 */
import { PTE_ADDR_LO, PTE_P } from '../cpu/arch.js';
import type { Mmu } from '../cpu/mmu.js';
import type { AddressSpace } from './arch/x86/address-space.js';
import { PAGE_SIZE, TASK_SIZE_MAX } from './arch/x86/memory-map.js';

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

export interface Vma {
  start: number;
  end: number;
  prot: number;
  /** What /proc/self/maps would print in the last column ('[heap]', '[stack]', the file, or ''). */
  name: string;
  /** File offset of `start` for a file mapping, else 0. */
  offset: number;
  /** The protection key (vma_pkey); absent means key 0. */
  pkey?: number;
}

/** The protection key of the VMA containing `address`, or null when none does (si_pkey of a PKU fault, vma_pkey). */
export function vmaPkey(mm: UserMm, address: number): number | null {
  const v = mm.find(address);
  return v ? (v.pkey ?? 0) : null;
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
  /** mm->context.pkey_allocation_map: key 0 is allocated implicitly (mm_init_pkeys... arch/x86/include/asm/pkeys.h). */
  pkeyAllocationMap = 1;
  /** mm->context.execute_only_pkey: -1 until a PROT_EXEC-only mapping asks for one. */
  executeOnlyPkey = -1;

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
  map(start: number, end: number, prot: number, name: string, offset = 0, pkey = 0): number[] | null {
    // Every page is backed now (no demand paging), so a mapping larger than free memory fails up front: -ENOMEM.
    if ((end - start) / PAGE_SIZE > this.space.framesLeft()) return null;
    this.unmap(start, end);
    const frames = this.fill(start, end, prot, pkey);
    this.vmas.push({ start, end, prot, name, offset, pkey });
    this.vmas.sort((x, y) => x.start - y.start);
    this.merge();
    return frames;
  }

  /** Fresh zeroed frames under [start, end) with `prot` and `pkey`; the VMA list is the caller's. */
  private fill(start: number, end: number, prot: number, pkey: number): number[] {
    const frames: number[] = [];
    for (let a = start; a < end; a += PAGE_SIZE) {
      const pa = this.space.allocFrame(); // fresh: zero, and not backed until touched (sparse memory)
      this.setPte(a, pa, prot, pkey);
      frames.push(pa);
    }
    return frames;
  }

  /**
   * The leaf PTE of a user page: US, RW from PROT_WRITE, XD unless
   * PROT_EXEC, the key in bits 62:59. PROT_NONE keeps the frame but clears
   * P (the kernel's _PAGE_PROTNONE), so any access faults. x86 has no
   * write-only or execute-only page: those stay readable (execute-only
   * comes from a protection key instead).
   */
  private setPte(a: number, pa: number, prot: number, pkey: number): void {
    this.space.pt.map4k(a, pa, { user: true, writable: (prot & PROT_WRITE) !== 0, noExec: (prot & PROT_EXEC) === 0, key: pkey });
    if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) === 0) this.space.pt.updateEntry(a, 1, { clearLo: PTE_P });
    this.mmu.invlpg(a);
  }

  /** The physical frame under a mapped user page (present or PROT_NONE). */
  private frameAt(a: number): number {
    const { lo, hi } = this.space.pt.readEntry(a, 1);
    return ((lo & PTE_ADDR_LO) >>> 0) + (hi & 0xf_ffff) * 2 ** 32;
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
      if (last && last.end === v.start && last.prot === v.prot && last.name === v.name && (last.pkey ?? 0) === (v.pkey ?? 0) &&
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

  /**
   * mprotect over mapped pages; false (-ENOMEM) when part of the range is
   * unmapped (checked first: nothing changes then). `pkeyOf` gives each
   * VMA's new key (arch_override_mprotect_pkey); by default it keeps its own.
   */
  protect(start: number, end: number, prot: number, pkeyOf: (v: Vma) => number = (v) => v.pkey ?? 0): boolean {
    if (!this.covers(start, end)) return false;
    const parts = this.reshape(start, end, (part) => ({ ...part, prot, pkey: pkeyOf(part) }));
    this.merge();
    for (const part of parts) {
      const pkey = pkeyOf(part);
      for (let a = part.start; a < part.end; a += PAGE_SIZE) this.setPte(a, this.frameAt(a), prot, pkey);
    }
    return true;
  }

  /** Whether VMAs cover [start, end) without a hole. */
  covers(start: number, end: number): boolean {
    let at = start;
    for (const v of this.vmas) if (v.start <= at && v.end > at) at = v.end;
    return at >= end;
  }

  /**
   * Grows the VMA ending at `end` in place to `newEnd` (vma_expand in
   * mremap): fresh pages with its rights and key. The caller checked that
   * [end, newEnd) is free.
   */
  expand(v: Vma, newEnd: number): boolean {
    if ((newEnd - v.end) / PAGE_SIZE > this.space.framesLeft()) return false;
    this.fill(v.end, newEnd, v.prot, v.pkey ?? 0);
    v.end = newEnd;
    this.merge();
    return true;
  }

  /**
   * move_vma: the pages of [from, from + oldLen) (inside one VMA) move to
   * [to, to + oldLen) — their PTEs move, so the contents go with them
   * (move_page_tables) — and the VMA grows to `newLen` there with fresh
   * pages. With `keepOld` (MREMAP_DONTUNMAP) the old range stays mapped
   * with fresh zero pages, as an emptied anonymous mapping reads.
   */
  move(from: number, oldLen: number, to: number, newLen: number, keepOld: boolean): boolean {
    const v = this.find(from);
    if (!v) return false;
    const grow = (newLen - oldLen) / PAGE_SIZE + (keepOld ? oldLen / PAGE_SIZE : 0);
    if (grow > this.space.framesLeft()) return false;
    const pkey = v.pkey ?? 0;
    const frames: number[] = [];
    for (let a = from; a < from + oldLen; a += PAGE_SIZE) frames.push(this.frameAt(a));
    // A special name ([heap], [stack]) belongs to the place, not the pages (show_map_vma); a file keeps its name and offset.
    const file = v.name.startsWith('/');
    const moved: Vma = { start: to, end: to + newLen, prot: v.prot, name: file ? v.name : '', offset: file ? v.offset + (from - v.start) : 0, pkey };
    if (keepOld) {
      for (let a = from; a < from + oldLen; a += PAGE_SIZE) this.setPte(a, this.space.allocFrame(), v.prot, pkey);
    } else {
      this.unmap(from, from + oldLen);
    }
    this.unmap(to, to + newLen);
    frames.forEach((pa, i) => this.setPte(to + i * PAGE_SIZE, pa, moved.prot, pkey));
    this.fill(to + oldLen, to + newLen, moved.prot, pkey);
    this.vmas.push(moved);
    this.vmas.sort((x, y) => x.start - y.start);
    this.merge();
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
