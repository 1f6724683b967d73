/**
 * Physical frames and the kernel's page tables: a bump allocator for data
 * frames (page-table frames come from the PageTableBuilder's own range) and
 * helpers to map regions page by page with the rights and protection key
 * each kernel region needs. Unmapped pages between regions are the guard
 * pages (so a stack overflow is a #PF, and on an IST stack a #DF).
 */
import { PageTableBuilder, type MapFlags } from '../../../cpu/page-table-builder.js';
import type { PhysMemory } from '../../../cpu/phys-memory.js';
import { InternalError } from '../../../lib/errors.js';
import { PAGE_SIZE } from './memory-map.js';

/** Page-table frames live in [PT_BASE, DATA_BASE); data frames above. */
const PT_BASE = 0x10_0000;
const DATA_BASE = 0x100_0000;

export class AddressSpace {
  readonly pt: PageTableBuilder;
  private nextFrame = DATA_BASE;

  constructor(readonly phys: PhysMemory) {
    this.pt = new PageTableBuilder(phys, { tableBase: PT_BASE, tableLimit: DATA_BASE });
  }

  /** CR3 value. */
  get root(): number {
    return this.pt.root;
  }

  /** Data frames still free (what a mapping may take before memory runs out). */
  framesLeft(): number {
    // The bump allocator never reuses a frame, so the frames below nextFrame are the most memory can hold.
    const limit = Math.min(this.phys.addressLimit, this.phys.limitBytes);
    return Math.max(0, Math.floor((limit - this.nextFrame) / PAGE_SIZE));
  }

  /** A fresh zeroed physical frame. */
  allocFrame(): number {
    const f = this.nextFrame;
    this.nextFrame += PAGE_SIZE;
    if (this.nextFrame > this.phys.addressLimit) throw new InternalError('out of physical frames');
    return f;
  }

  /**
   * Maps `size` bytes at `address` (page-aligned) to fresh frames; returns
   * the physical address of the first (frames are contiguous).
   */
  mapNew(address: number, size: number, flags: MapFlags): number {
    if (address % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0) throw new InternalError('mapNew: unaligned region');
    let first = -1;
    for (let off = 0; off < size; off += PAGE_SIZE) {
      const frame = this.allocFrame();
      if (first < 0) first = frame;
      this.pt.map4k(address + off, frame, flags);
    }
    return first;
  }
}
