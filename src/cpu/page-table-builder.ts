/**
 * Builds 4-level page tables in guest physical memory, for tests and for the
 * boot code. Table frames come from a bump allocator over a physical range
 * reserved for them. Intermediate entries are created present, writable and
 * user-accessible with XD = 0, so the leaf alone decides the rights; tests
 * that need restrictive upper levels edit entries with `updateEntry`.
 */
import { KentryError } from '../lib/errors.js';
import {
  PAGE_SIZE_2M, PAGE_SIZE_4K, PKEY_COUNT, PTE_A, PTE_ADDR_LO, PTE_D, PTE_G, PTE_HI_PKEY_SHIFT,
  PTE_HI_XD, PTE_P, PTE_PS, PTE_RW, PTE_US,
} from './arch.js';
import { LINEAR_END, LINEAR_MIN, tableIndex } from './mmu.js';
import type { PhysMemory } from './phys-memory.js';

/** Misuse of the builder (overlapping mappings, exhausted table range, bad alignment). */
export class PageTableBuildError extends KentryError {
  readonly code = 'page-table-build' as const;
  constructor(message: string) {
    super(message);
    this.name = 'PageTableBuildError';
  }
}

export interface MapFlags {
  readonly writable?: boolean;
  readonly user?: boolean;
  /** XD (bit 63); with EFER.NXE = 0 this bit is reserved and the walk faults RSVD. */
  readonly noExec?: boolean;
  readonly global?: boolean;
  /** Protection key 0..15 (bits 62:59). */
  readonly key?: number;
  /** Pre-set A (the MMU sets it on first use otherwise). */
  readonly accessed?: boolean;
  /** Pre-set D. */
  readonly dirty?: boolean;
}

/** Where a builder's table frames come from when several page-table trees share one range. */
export interface TableFrameSource {
  /** A zeroed 4-KiB frame for a paging-structure table. */
  allocTable(): number;
}

export interface PageTableBuilderOptions {
  /** Physical address where table frames start (4-KiB aligned). */
  readonly tableBase: number;
  /** Table frames from this source instead of the builder's own range (tableBase/tableLimit then unused). */
  readonly tables?: TableFrameSource;
  /** End of the table range (exclusive); default tableBase + 1 MiB. */
  readonly tableLimit?: number;
}

/** Bits to set and clear in an entry's two halves. */
export interface EntryEdit {
  readonly setLo?: number;
  readonly clearLo?: number;
  readonly setHi?: number;
  readonly clearHi?: number;
}

const TWO_32 = 2 ** 32;

/** Physical address of the PTE for `la` in the tree at `root`, or null when a table above it is missing (or a large page maps it). */
export function pteAddressIn(phys: PhysMemory, root: number, la: number): number | null {
  let table = root;
  for (let l = 4; l > 1; l--) {
    const ea = table + tableIndex(la, l as 1 | 2 | 3 | 4) * 8;
    const lo = phys.read32(ea);
    if ((lo & PTE_P) === 0 || (l < 4 && (lo & PTE_PS) !== 0)) return null;
    table = ((lo & PTE_ADDR_LO) >>> 0) + (phys.read32(ea + 4) & 0xf_ffff) * TWO_32;
  }
  return table + tableIndex(la, 1) * 8;
}

/**
 * Calls `fn(la, pteAddress)` for every non-zero 4-KiB leaf entry (present,
 * or kept with P clear) mapping [start, end) of the lower half, walking
 * the tree level by level so absent tables are skipped whole (large pages
 * are not visited). `start` and `end` are page-aligned, below 2^47.
 */
export function forEachLeaf(phys: PhysMemory, root: number, start: number, end: number, fn: (la: number, pte: number) => void): void {
  const walk = (table: number, level: number, base: number): void => {
    const span = 2 ** (12 + 9 * (level - 1));
    const first = Math.max(0, Math.floor((start - base) / span));
    const last = Math.min(511, Math.floor((end - 1 - base) / span));
    for (let i = first; i <= last; i++) {
      const ea = table + i * 8;
      const lo = phys.read32(ea);
      const la = base + i * span;
      if (level === 1) {
        if (lo !== 0 || phys.read32(ea + 4) !== 0) fn(la, ea);
        continue;
      }
      if ((lo & PTE_P) === 0 || (level < 4 && (lo & PTE_PS) !== 0)) continue;
      walk(((lo & PTE_ADDR_LO) >>> 0) + (phys.read32(ea + 4) & 0xf_ffff) * TWO_32, level - 1, la);
    }
  };
  if (end > start) walk(root, 4, 0);
}

const TABLE_FLAGS = PTE_P | PTE_RW | PTE_US;

export class PageTableBuilder {
  /** Physical address of the PML4 table: the value for CR3. */
  readonly root: number;
  private next: number;
  private readonly limit: number;
  private readonly source: TableFrameSource | undefined;

  constructor(
    readonly phys: PhysMemory,
    options: PageTableBuilderOptions,
  ) {
    if (options.tableBase % PAGE_SIZE_4K !== 0 || options.tableBase < 0) {
      throw new PageTableBuildError(`tableBase 0x${options.tableBase.toString(16)} is not 4-KiB aligned`);
    }
    this.next = options.tableBase;
    this.limit = options.tableLimit ?? options.tableBase + 0x10_0000;
    this.source = options.tables;
    this.root = this.allocTable();
  }

  /** A zeroed 4-KiB frame from the table range (or the shared source). */
  allocTable(): number {
    if (this.source) return this.source.allocTable();
    if (this.next + PAGE_SIZE_4K > this.limit) {
      throw new PageTableBuildError(`page-table range exhausted at 0x${this.next.toString(16)}`);
    }
    const pa = this.next;
    this.next += PAGE_SIZE_4K;
    this.phys.frameOf(pa).fill(0);
    return pa;
  }

  /** Maps the 4-KiB page at `la` to physical `pa`. */
  map4k(la: number, pa: number, flags: MapFlags = {}): void {
    checkLinear(la, PAGE_SIZE_4K);
    if (pa % PAGE_SIZE_4K !== 0) throw new PageTableBuildError(`physical 0x${pa.toString(16)} is not 4-KiB aligned`);
    const pt = this.tableFor(la, 1);
    this.writeLeaf(pt + tableIndex(la, 1) * 8, pa, leafLo(flags), leafHi(flags));
  }

  /** Maps the 2-MiB page at `la` to physical `pa` (a PDE with PS = 1). */
  map2m(la: number, pa: number, flags: MapFlags = {}): void {
    checkLinear(la, PAGE_SIZE_2M);
    if (pa % PAGE_SIZE_2M !== 0) throw new PageTableBuildError(`physical 0x${pa.toString(16)} is not 2-MiB aligned`);
    const pd = this.tableFor(la, 2);
    this.writeLeaf(pd + tableIndex(la, 2) * 8, pa, leafLo(flags) | PTE_PS, leafHi(flags));
  }

  /** Physical address of the entry of `level` (4 = PML4E ... 1 = PTE) used for `la`. */
  entryAddress(la: number, level: 1 | 2 | 3 | 4): number {
    let table = this.root;
    for (let l = 4; l > level; l--) {
      const ea = table + tableIndex(la, l as 1 | 2 | 3 | 4) * 8;
      const lo = this.phys.read32(ea);
      if ((lo & PTE_P) === 0 || (l < 4 && (lo & PTE_PS) !== 0)) {
        throw new PageTableBuildError(`no level-${level} entry for 0x${la.toString(16)}`);
      }
      table = ((lo & PTE_ADDR_LO) >>> 0) + (this.phys.read32(ea + 4) & 0xf_ffff) * TWO_32;
    }
    return table + tableIndex(la, level) * 8;
  }

  /** The page table (level 1) covering `la`, created as needed: its physical address. */
  ptFor(la: number): number {
    return this.tableFor(la, 1);
  }

  /** Physical address of the PTE for `la`, or null when a table above it is missing (or a large page maps it). */
  pteAddress(la: number): number | null {
    return pteAddressIn(this.phys, this.root, la);
  }

  readEntry(la: number, level: 1 | 2 | 3 | 4): { lo: number; hi: number } {
    const ea = this.entryAddress(la, level);
    return { lo: this.phys.read32(ea), hi: this.phys.read32(ea + 4) };
  }

  /** Sets/clears bits of an existing entry (tests use it for upper-level rights). */
  updateEntry(la: number, level: 1 | 2 | 3 | 4, edit: EntryEdit): void {
    const ea = this.entryAddress(la, level);
    const lo = this.phys.read32(ea);
    const hi = this.phys.read32(ea + 4);
    this.phys.write32(ea, ((lo & ~(edit.clearLo ?? 0)) | (edit.setLo ?? 0)) >>> 0);
    this.phys.write32(ea + 4, ((hi & ~(edit.clearHi ?? 0)) | (edit.setHi ?? 0)) >>> 0);
  }

  /** The table of `level` (1 = PT, 2 = PD, 3 = PDPT) covering `la`, created as needed. */
  private tableFor(la: number, level: 1 | 2 | 3): number {
    let table = this.root;
    for (let l = 4; l > level; l--) {
      const ea = table + tableIndex(la, l as 1 | 2 | 3 | 4) * 8;
      const lo = this.phys.read32(ea);
      if ((lo & PTE_P) === 0) {
        const t = this.allocTable();
        this.phys.write32(ea, (t % TWO_32) | TABLE_FLAGS);
        this.phys.write32(ea + 4, Math.floor(t / TWO_32));
        table = t;
      } else {
        if (l < 4 && (lo & PTE_PS) !== 0) {
          throw new PageTableBuildError(`0x${la.toString(16)} is already inside a large page`);
        }
        table = ((lo & PTE_ADDR_LO) >>> 0) + (this.phys.read32(ea + 4) & 0xf_ffff) * TWO_32;
      }
    }
    return table;
  }

  private writeLeaf(ea: number, pa: number, lo: number, hi: number): void {
    const existing = this.phys.read32(ea);
    if ((existing & PTE_P) !== 0 && (existing & PTE_PS) === 0 && (lo & PTE_PS) !== 0) {
      throw new PageTableBuildError('a page table is already present where a 2-MiB page was requested');
    }
    this.phys.write32(ea, (((pa % TWO_32) >>> 0) | lo) >>> 0);
    this.phys.write32(ea + 4, (Math.floor(pa / TWO_32) | hi) >>> 0);
  }
}

function leafLo(f: MapFlags): number {
  return (PTE_P
    | (f.writable === true ? PTE_RW : 0)
    | (f.user === true ? PTE_US : 0)
    | (f.global === true ? PTE_G : 0)
    | (f.accessed === true ? PTE_A : 0)
    | (f.dirty === true ? PTE_D : 0)) >>> 0;
}

function leafHi(f: MapFlags): number {
  const key = f.key ?? 0;
  if (!Number.isInteger(key) || key < 0 || key >= PKEY_COUNT) {
    throw new PageTableBuildError(`protection key ${key} outside 0..15`);
  }
  return ((f.noExec === true ? PTE_HI_XD : 0) | (key << PTE_HI_PKEY_SHIFT)) >>> 0;
}

function checkLinear(la: number, align: number): void {
  if (!Number.isInteger(la) || la < LINEAR_MIN || la >= LINEAR_END) {
    throw new PageTableBuildError(`linear address ${la} is not canonical`);
  }
  if ((la < 0 ? la + 2 ** 48 : la) % align !== 0) {
    throw new PageTableBuildError(`linear address 0x${la.toString(16)} is not ${align}-byte aligned`);
  }
}
