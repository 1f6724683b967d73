/**
 * Software TLB: a direct-mapped cache of successful 4-level translations,
 * kept in parallel typed arrays so a hit allocates nothing.
 *
 * What an entry holds is what SDM Vol. 3A §4.10.2.2 lists for a TLB entry:
 *   - the physical frame (here: of the 4-KiB page containing the address),
 *   - the logical-AND of the R/W flags and of the U/S flags over all levels,
 *   - the logical-OR of the XD flags,
 *   - the protection key of the leaf,
 *   - the leaf's dirty flag.
 * Rights are stored raw and combined with CR0.WP, CR4.SMEP/SMAP/PKE/PKS,
 * EFER.NXE, PKRU and PKRS at access time, so changing any of those needs no
 * flush (in particular WRPKRU and WRMSR(PKRS) flush nothing, reference §3.1).
 *
 * 2-MiB pages are cached as 4-KiB "splinters", one entry per 4-KiB page
 * used. The SDM allows this (§4.10.2.3 / §4.10.4.1: INVLPG and page faults
 * must then invalidate every splinter of the large page), which `invalidate`
 * does.
 *
 * Only translations are cached; a not-present or reserved-bit walk caches
 * nothing (§4.10.2.3). Paging-structure caches (§4.10.3) are not modelled: a
 * miss always walks from CR3, which the SDM permits (processors "need not
 * implement" them).
 *
 * Entry attribute word (`attrs[i]`):
 *
 *   31       10   9   8    5    4    3   2   1   0
 *  +-----------+-----+------+----+---+---+---+---+
 *  |     0     |LARGE| PKEY |CODE| D |XD |US |RW |
 *  +-----------+-----+------+----+---+---+---+---+
 */
import { assert } from '../lib/errors.js';

/** R/W was 1 at every level. */
export const TLB_RW = 1 << 0;
/** U/S was 1 at every level: a user-mode address. */
export const TLB_US = 1 << 1;
/** XD was 1 at some level (raw bit 63; only meaningful when EFER.NXE = 1). */
export const TLB_XD = 1 << 2;
/** The leaf's dirty flag was already 1. */
export const TLB_D = 1 << 3;
/** The frame holds instructions in a decode cache: writes take the MMU's slow path (self-modifying code). */
export const TLB_CODE = 1 << 4;
export const TLB_PKEY_SHIFT = 5;
/** Splinter of a 2-MiB page. */
export const TLB_LARGE = 1 << 9;

/**
 * Whether typed arrays on this host are little-endian (as x86 guest memory
 * is): then an aligned 32-bit guest word is one `Int32Array` element.
 */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The slot of `la`'s page in a TLB of `mask + 1` entries: page-number bits
 * folded with bits 31:22 of the address, so pages a multiple of 16 MiB
 * apart — 0xffffffff81000000 (kernel text) and 0xfffffe0000000000 (the IDT
 * in the CPU entry area), say — do not evict each other on every entry,
 * while neighbouring pages still get neighbouring slots. Works for negative
 * (upper-half) addresses: `>>>` takes their low 32 bits.
 */
export function tlbSlot(la: number, mask: number): number {
  return ((la >>> 12) ^ (la >>> 22)) & mask;
}

/** Default entry count (power of two). */
export const DEFAULT_TLB_ENTRIES = 4096;

export class Tlb {
  readonly size: number;
  readonly mask: number;
  /** Linear page base (la - (la & 0xfff)) of each slot; NaN = empty (NaN equals nothing). */
  readonly tags: Float64Array;
  /** Physical address of the 4-KiB frame. */
  readonly frames: Float64Array;
  readonly attrs: Int32Array;
  /** Backing bytes of the frame, straight from PhysMemory. */
  readonly bytes: Uint8Array[];
  /**
   * The same frame as 32-bit words, for aligned 4- and 8-byte accesses on a
   * little-endian host (see `HOST_LITTLE_ENDIAN`; unused otherwise).
   */
  readonly words: Int32Array[];
  hits = 0;
  misses = 0;
  /**
   * Bumped by every fill, invalidation and flush, and by the MMU on rights
   * changes (paging controls, effective PKRU/PKRS) and when a frame starts
   * holding cached decodes, so a consumer that cached a translation outside
   * the TLB (the run loop's current code page, the CPU's hot data page)
   * knows when to translate again: an unchanged epoch means every entry it
   * saw is still there with the same rights.
   */
  epoch = 0;

  constructor(entries: number = DEFAULT_TLB_ENTRIES) {
    assert(Number.isInteger(entries) && entries >= 2 && (entries & (entries - 1)) === 0,
      `TLB size must be a power of two >= 2, got ${entries}`);
    this.size = entries;
    this.mask = entries - 1;
    this.tags = new Float64Array(entries).fill(NaN);
    this.frames = new Float64Array(entries);
    this.attrs = new Int32Array(entries);
    const none = new Uint8Array(0);
    this.bytes = new Array<Uint8Array>(entries).fill(none);
    this.words = new Array<Int32Array>(entries).fill(new Int32Array(0));
  }

  /** Slot for a linear address: low bits of its page number (works for negative addresses). */
  slotOf(la: number): number {
    return tlbSlot(la, this.mask);
  }

  /** Slot holding `la`'s page, or -1. */
  lookup(la: number): number {
    const s = tlbSlot(la, this.mask);
    return this.tags[s] === la - (la & 0xfff) ? s : -1;
  }

  /** Caches a translation of `la`'s 4-KiB page; returns its slot. */
  fill(la: number, frame: number, attr: number, bytes: Uint8Array): number {
    this.epoch++; // an eviction, or new rights or frame for a page
    const s = tlbSlot(la, this.mask);
    this.tags[s] = la - (la & 0xfff);
    this.frames[s] = frame;
    this.attrs[s] = attr;
    if (this.bytes[s] !== bytes) {
      this.bytes[s] = bytes;
      this.words[s] = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    }
    return s;
  }

  /**
   * INVLPG semantics (SDM §4.10.4.1): drop the entry for `la`'s page whatever
   * its size — its own 4-KiB entry and every splinter of a 2-MiB page that
   * contains `la`.
   */
  invalidate(la: number): void {
    this.epoch++;
    const s = tlbSlot(la, this.mask);
    if (this.tags[s] === la - (la & 0xfff)) this.tags[s] = NaN;
    const base2m = la - (la & 0x1f_ffff);
    for (let i = 0; i < 512; i++) {
      const p = base2m + i * 0x1000;
      const t = tlbSlot(p, this.mask);
      if (this.tags[t] === p && (this.attrs[t]! & TLB_LARGE) !== 0) this.tags[t] = NaN;
    }
  }

  /** Drops every entry. */
  flushAll(): void {
    this.epoch++;
    this.tags.fill(NaN);
  }
}
