/**
 * Physical frames and the page tables: data frames (a bump allocator with a
 * free list, and a share count for frames that copy-on-write or MAP_SHARED
 * put under more than one mapping), paging-structure frames shared by every
 * tree, init_mm's tree (the kernel's), and the user trees of processes,
 * whose kernel half is init_mm's (pgd_alloc → pgd_ctor: clone_pgd_range of
 * the kernel PGD entries). Unmapped pages between kernel regions are the
 * guard pages (so a stack overflow is a #PF, and on an IST stack a #DF).
 *
 * @kernel arch/x86/mm/pgtable.c pgd_alloc, pgd_ctor
 * @kernel mm/page_alloc.c (the free list), include/linux/mm.h get_page, put_page, page_count
 */
import { PTE_ADDR_LO, PTE_P } from '../../../cpu/arch.js';
import { PageTableBuilder, type MapFlags, type TableFrameSource } from '../../../cpu/page-table-builder.js';
import type { PhysMemory } from '../../../cpu/phys-memory.js';
import { InternalError } from '../../../lib/errors.js';
import { PAGE_SIZE } from './memory-map.js';

/** Page-table frames live in [PT_BASE, DATA_BASE); data frames above. */
const PT_BASE = 0x10_0000;
const DATA_BASE = 0x100_0000;
/** PML4 entries 256..511 map the kernel half (bit 47 set). */
const KERNEL_PGD_FIRST = 256;
const PGD_ENTRIES = 512;
const TWO_32 = 2 ** 32;

/** Table frames for every tree: a bump allocator over [PT_BASE, DATA_BASE) with a free list. */
class TableFrames implements TableFrameSource {
  private next = PT_BASE;
  private readonly free: number[] = [];

  constructor(private readonly phys: PhysMemory) {}

  allocTable(): number {
    const reused = this.free.pop();
    const pa = reused ?? this.next;
    if (reused === undefined) {
      if (this.next + PAGE_SIZE > DATA_BASE) throw new InternalError('out of page-table frames');
      this.next += PAGE_SIZE;
    }
    this.phys.frameOf(pa).fill(0);
    return pa;
  }

  release(pa: number): void {
    this.free.push(pa);
  }

  /** Paging-structure frames handed out and not released (every live tree's tables, init_mm's among them). */
  inUse(): number {
    return (this.next - PT_BASE) / PAGE_SIZE - this.free.length;
  }
}

export class AddressSpace {
  /** init_mm's page tables: the kernel's, and the tree of a task without a user mm of its own. */
  readonly pt: PageTableBuilder;
  readonly tables: TableFrames;
  private nextFrame = DATA_BASE;
  private readonly freeFrames: number[] = [];
  /** Mappings beyond the first of frames that are shared (fork's copy-on-write, MAP_SHARED); absent = one. */
  private readonly extraRefs = new Map<number, number>();
  /** The PML4 frames of live user trees (their kernel half follows init_mm's). */
  private readonly userRoots = new Set<number>();

  constructor(readonly phys: PhysMemory) {
    this.tables = new TableFrames(phys);
    this.pt = new PageTableBuilder(phys, { tableBase: PT_BASE, tables: this.tables });
  }

  /** CR3 value of init_mm. */
  get root(): number {
    return this.pt.root;
  }

  /** Data frames still free (what a mapping may take before memory runs out). */
  framesLeft(): number {
    const limit = Math.min(this.phys.addressLimit, this.phys.limitBytes);
    return this.freeFrames.length + Math.max(0, Math.floor((limit - this.nextFrame) / PAGE_SIZE));
  }

  /** A frame never used before (boot-time mappings: consecutive calls give contiguous frames). */
  private bumpFrame(): number {
    const f = this.nextFrame;
    this.nextFrame += PAGE_SIZE;
    if (this.nextFrame > this.phys.addressLimit) throw new InternalError('out of physical frames');
    return f; // never touched: zero, and not backed until it is (sparse memory)
  }

  /** A fresh zeroed physical frame, mapped once. */
  allocFrame(): number {
    const reused = this.freeFrames.pop();
    if (reused !== undefined) {
      this.phys.frameOf(reused).fill(0);
      this.phys.noteWrite(reused); // cached decodes of its old contents go
      return reused;
    }
    return this.bumpFrame();
  }

  /** get_page: one more mapping of `frame`. */
  getFrame(frame: number): void {
    this.extraRefs.set(frame, (this.extraRefs.get(frame) ?? 0) + 1);
  }

  /** page_count(frame) > 1: more than one mapping holds it (a write must copy it first). */
  frameShared(frame: number): boolean {
    return this.extraRefs.has(frame);
  }

  /** put_page: one mapping of `frame` fewer; the last one frees it. */
  putFrame(frame: number): void {
    const extra = this.extraRefs.get(frame);
    if (extra === undefined) this.freeFrames.push(frame);
    else if (extra === 1) this.extraRefs.delete(frame);
    else this.extraRefs.set(frame, extra - 1);
  }

  /**
   * Maps `size` bytes at `address` (page-aligned) to fresh frames in the
   * kernel's tree; returns the physical address of the first (the frames
   * are contiguous: never-used ones, so a caller may fill them as one).
   */
  mapNew(address: number, size: number, flags: MapFlags): number {
    if (address % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0) throw new InternalError('mapNew: unaligned region');
    let first = -1;
    for (let off = 0; off < size; off += PAGE_SIZE) {
      const frame = this.bumpFrame();
      if (first < 0) first = frame;
      this.pt.map4k(address + off, frame, flags);
    }
    this.syncKernelHalf();
    return first;
  }

  /** pgd_alloc: a user tree whose kernel half is init_mm's. */
  newUserTree(): PageTableBuilder {
    const tree = new PageTableBuilder(this.phys, { tableBase: PT_BASE, tables: this.tables });
    this.userRoots.add(tree.root);
    this.copyKernelHalf(tree.root);
    return tree;
  }

  /**
   * pgd_free and free_pgtables: every table of the user half of `tree`
   * back to the free list, and its PML4. The caller released the frames
   * its leaf entries mapped.
   */
  freeUserTree(tree: PageTableBuilder): void {
    const freeBelow = (table: number, level: number): void => {
      const entries = level === 4 ? KERNEL_PGD_FIRST : PGD_ENTRIES;
      if (level > 1) {
        for (let i = 0; i < entries; i++) {
          const lo = this.phys.read32(table + i * 8);
          if ((lo & PTE_P) === 0) continue;
          const next = ((lo & PTE_ADDR_LO) >>> 0) + (this.phys.read32(table + i * 8 + 4) & 0xf_ffff) * TWO_32;
          freeBelow(next, level - 1);
        }
      }
      this.tables.release(table);
    };
    this.userRoots.delete(tree.root);
    freeBelow(tree.root, 4);
  }

  /** sync_global_pgds: a kernel PGD entry made after a user tree was allocated reaches that tree too. */
  private syncKernelHalf(): void {
    for (const root of this.userRoots) this.copyKernelHalf(root);
  }

  private copyKernelHalf(root: number): void {
    for (let i = KERNEL_PGD_FIRST; i < PGD_ENTRIES; i++) {
      this.phys.write32(root + i * 8, this.phys.read32(this.pt.root + i * 8));
      this.phys.write32(root + i * 8 + 4, this.phys.read32(this.pt.root + i * 8 + 4));
    }
  }
}
