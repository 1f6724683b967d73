/**
 * A user address space (mm_struct) for one process: its VMAs, the brk
 * heap and the mmap area, over its own page tables (whose kernel half is
 * init_mm's). Pages are mapped when a mapping is made (no demand paging
 * yet), so a user #PF is a bad access — or a write to a page fork left
 * shared copy-on-write, which handleFault resolves. Each VMA carries its
 * protection key (vm_flags VM_PKEY_BIT*), and its PTEs carry the same key in
 * bits 62:59, so the MMU checks PKRU.
 * @kernel mm/mmap.c do_mmap, do_brk_flags, mm/mprotect.c mprotect_fixup, mm/util.c vm_mmap, mm/mremap.c move_vma
 * @kernel kernel/fork.c dup_mmap, mm/memory.c copy_pte_range, do_wp_page, wp_page_copy, mm/mmap.c exit_mmap
 */
import { PTE_ADDR_LO, PTE_P, PTE_RW } from '../cpu/arch.js';
import type { Mmu } from '../cpu/mmu.js';
import { forEachLeaf, type PageTableBuilder } from '../cpu/page-table-builder.js';
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
  /** VM_SHARED (MAP_SHARED): fork shares its pages instead of copying them on write. */
  shared?: boolean;
}

/** X86_PF_PROT and X86_PF_WRITE of a #PF error code (arch/x86/include/asm/trap_pf.h). */
const PF_PROT = 1 << 0;
const PF_WRITE = 1 << 1;

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

  /** This mm's page tables (mm->pgd); CR3 holds its root while one of its tasks runs. */
  readonly pt: PageTableBuilder;
  private released = false;

  constructor(
    private readonly space: AddressSpace,
    private readonly mmu: Mmu,
  ) {
    this.pt = space.newUserTree();
  }

  /** The CR3 value of this mm (its PGD's physical address). */
  get root(): number {
    return this.pt.root;
  }

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
  map(start: number, end: number, prot: number, name: string, offset = 0, pkey = 0, shared = false): number[] | null {
    // Every page is backed now (no demand paging), so a mapping larger than free memory fails up front: -ENOMEM.
    if ((end - start) / PAGE_SIZE > this.space.framesLeft()) return null;
    this.unmap(start, end);
    const frames = this.fill(start, end, prot, pkey);
    this.vmas.push(shared ? { start, end, prot, name, offset, pkey, shared } : { start, end, prot, name, offset, pkey });
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
  private setPte(a: number, pa: number, prot: number, pkey: number, shared = false): void {
    // A private page still shared with another mm after fork stays write-protected until a write copies it (do_wp_page).
    const writable = (prot & PROT_WRITE) !== 0 && (shared || !this.space.frameShared(pa));
    this.pt.map4k(a, pa, { user: true, writable, noExec: (prot & PROT_EXEC) === 0, key: pkey });
    if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) === 0) this.pt.updateEntry(a, 1, { clearLo: PTE_P });
    this.mmu.invlpg(a);
  }

  /** The physical frame under a mapped user page (present or PROT_NONE), or null when none is mapped there. */
  private frameAt(a: number): number | null {
    const ea = this.pt.pteAddress(a);
    if (ea === null) return null;
    const phys = this.space.phys;
    const lo = phys.read32(ea);
    const hi = phys.read32(ea + 4);
    if (lo === 0 && hi === 0) return null;
    return ((lo & PTE_ADDR_LO) >>> 0) + (hi & 0xf_ffff) * 2 ** 32;
  }

  /** The leaf PTE of user page `a` as read by the MMU, or null (for readers such as the core dumper). */
  pte(a: number): { lo: number; hi: number } | null {
    const ea = this.pt.pteAddress(a);
    if (ea === null) return null;
    return { lo: this.space.phys.read32(ea), hi: this.space.phys.read32(ea + 4) };
  }

  /**
   * handle_mm_fault for what the model can fault on and fix: a write to a
   * present, write-protected page of a writable private VMA — fork's
   * copy-on-write. A page no other mm holds any more is made writable in
   * place (wp_page_reuse); else its contents go to a fresh frame
   * (wp_page_copy). Returns whether the access may be retried, or 'oom'
   * when no frame is left for the copy (VM_FAULT_OOM).
   */
  handleFault(address: number, errorCode: number): boolean | 'oom' {
    if ((errorCode & (PF_PROT | PF_WRITE)) !== (PF_PROT | PF_WRITE)) return false;
    const v = this.find(address);
    if (!v || (v.prot & PROT_WRITE) === 0) return false;
    const a = pageDown(address);
    const old = this.frameAt(a);
    const entry = this.pte(a);
    if (old === null || entry === null || (entry.lo & PTE_RW) !== 0) return false;
    // Only a present page can be copy-on-write; a key fault (PK) would not set PROT alone, and PKU faults reach here with PK too.
    if ((errorCode & (1 << 5)) !== 0) return false;
    let frame = old;
    if (this.space.frameShared(old) && !v.shared) {
      if (this.space.framesLeft() === 0) return 'oom'; // VM_FAULT_OOM: no frame for the copy
      frame = this.space.allocFrame();
      this.space.phys.writeBytes(frame, this.space.phys.readBytes(old, PAGE_SIZE));
      this.space.putFrame(old);
    }
    this.setPte(a, frame, v.prot, v.pkey ?? 0, v.shared);
    return true;
  }

  /**
   * access_remote_vm with FOLL_FORCE (ptrace's PEEK/POKE): `length` bytes at
   * `address` through this mm's tables whatever the pages' rights; a write
   * to a private page breaks its copy-on-write sharing first (a forced write
   * to read-only text gets a private copy, as gup's FOLL_FORCE|FOLL_WRITE
   * does). null when a page is not mapped (-EIO).
   */
  accessForce(address: number, length: number, write: Uint8Array | null): Uint8Array | null {
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const a = address + done;
      const n = Math.min(length - done, PAGE_SIZE - (a % PAGE_SIZE));
      const v = this.find(a);
      let frame = this.frameAt(pageDown(a));
      if (!v || frame === null) return null;
      if (write) {
        if (this.space.frameShared(frame) && !v.shared) {
          if (this.space.framesLeft() === 0) return null; // no memory for the private copy
          const copy = this.space.allocFrame();
          this.space.phys.writeBytes(copy, this.space.phys.readBytes(frame, PAGE_SIZE));
          this.space.putFrame(frame);
          this.setPte(pageDown(a), copy, v.prot, v.pkey ?? 0);
          frame = copy;
        }
        this.space.phys.writeBytes(frame + (a % PAGE_SIZE), write.subarray(done, done + n));
      } else {
        out.set(this.space.phys.readBytes(frame + (a % PAGE_SIZE), n), done);
      }
      done += n;
    }
    return out;
  }

  /**
   * dup_mmap: the child's mm — the same VMAs, brk and key allocation, and
   * every mapped page shared: MAP_SHARED pages as they are, private ones
   * write-protected in both (copy_present_pte), to be copied on the first
   * write by either.
   */
  dup(): UserMm {
    const child = new UserMm(this.space, this.mmu);
    const phys = this.space.phys;
    for (const v of this.vmas) {
      child.vmas.push({ ...v });
      let ptKey = -1;
      let pt = 0;
      forEachLeaf(phys, this.pt.root, v.start, v.end, (a, ea) => {
        const lo = phys.read32(ea);
        const hi = phys.read32(ea + 4);
        this.space.getFrame(((lo & PTE_ADDR_LO) >>> 0) + (hi & 0xf_ffff) * 2 ** 32);
        const wrprotect = !v.shared && (lo & PTE_RW) !== 0;
        if (wrprotect) {
          phys.write32(ea, lo & ~PTE_RW); // ptep_set_wrprotect in the parent
          this.mmu.invlpg(a);
        }
        // The child's page table for this 2-MiB stretch, made once (copy_pte_range works a table at a time).
        const key = Math.floor(a / 0x20_0000);
        if (key !== ptKey) {
          ptKey = key;
          pt = child.pt.ptFor(a);
        }
        const cea = pt + (Math.floor(a / PAGE_SIZE) % 512) * 8;
        phys.write32(cea, wrprotect ? lo & ~PTE_RW : lo);
        phys.write32(cea + 4, hi);
      });
    }
    child.startBrk = this.startBrk;
    child.brk = this.brk;
    child.pkeyAllocationMap = this.pkeyAllocationMap;
    child.executeOnlyPkey = this.executeOnlyPkey;
    return child;
  }

  /** exit_mmap: every mapping dropped (frames freed when no other mm holds them), then the page tables. */
  release(): void {
    if (this.released) return;
    this.released = true;
    // zap_page_range over the whole tree: each mapped frame loses this mm's reference. The tree is no CPU's
    // CR3 any more (the caller switched away, flushing the TLB), so no entry needs clearing or invalidating.
    const phys = this.space.phys;
    forEachLeaf(phys, this.pt.root, 0, TASK_SIZE_MAX, (_a, ea) => {
      this.space.putFrame(((phys.read32(ea) & PTE_ADDR_LO) >>> 0) + (phys.read32(ea + 4) & 0xf_ffff) * 2 ** 32);
    });
    this.vmas.length = 0;
    this.space.freeUserTree(this.pt);
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
          (last.shared ?? false) === (v.shared ?? false) &&
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
        const frame = this.frameAt(a);
        if (frame === null) continue;
        this.pt.updateEntry(a, 1, { clearLo: -1, clearHi: -1 });
        this.mmu.invlpg(a);
        this.space.putFrame(frame);
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
      for (let a = part.start; a < part.end; a += PAGE_SIZE) {
        const frame = this.frameAt(a);
        if (frame !== null) this.setPte(a, frame, prot, pkey, part.shared);
      }
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
    const frames: (number | null)[] = [];
    for (let a = from; a < from + oldLen; a += PAGE_SIZE) {
      const frame = this.frameAt(a);
      if (frame !== null) this.space.getFrame(frame); // held across the unmap below
      frames.push(frame);
    }
    // A special name ([heap], [stack]) belongs to the place, not the pages (show_map_vma); a file keeps its name and offset.
    const file = v.name.startsWith('/');
    const moved: Vma = { start: to, end: to + newLen, prot: v.prot, name: file ? v.name : '', offset: file ? v.offset + (from - v.start) : 0, pkey };
    if (keepOld) {
      frames.forEach((pa) => { if (pa !== null) this.space.putFrame(pa); }); // the old mapping's references
      for (let a = from; a < from + oldLen; a += PAGE_SIZE) this.setPte(a, this.space.allocFrame(), v.prot, pkey);
    } else {
      this.unmap(from, from + oldLen);
    }
    this.unmap(to, to + newLen);
    // The reference taken above is now the new mapping's.
    frames.forEach((pa, i) => { if (pa !== null) this.setPte(to + i * PAGE_SIZE, pa, moved.prot, pkey); });
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
