/**
 * The memory a BPF program can reach: the context (read-only bytes of
 * struct pt_regs at the address the caller says it lives at), the 512-byte
 * stack (r10 points one past its top) and map values. Pointers in registers
 * are plain 64-bit addresses, as in the kernel; every region other than the
 * context sits in its own 4 GiB slot of a kernel-looking range, so resolving
 * an address costs one shift and one map lookup.
 *
 * The verifier proves programs stay inside these regions; the interpreter
 * still checks every access (ubpf's bounds_check), so unverified programs
 * fail with an error naming the PC instead of reading host memory.
 */

export type RegionKind = 'ctx' | 'stack' | 'map-value' | 'map';

export interface Region {
  readonly kind: RegionKind;
  readonly name: string;
  readonly base: bigint;
  readonly bytes: Uint8Array;
  readonly writable: boolean;
}

export interface Resolved {
  readonly region: Region;
  readonly offset: number;
}

const SLOT_BASE = 0xffffa00000000000n;
const SLOT_SHIFT = 32n;
/** Slot 0 is each run's stack (a run's stack is not shared, so it needs no slot of its own). */
export const STACK_BASE = SLOT_BASE;

/** Regions allocated in slots: map values and map handles, shared by every run. */
export class SlotSpace {
  private readonly slots = new Map<bigint, Region>();
  private next = 1n;

  allocate(kind: RegionKind, name: string, bytes: Uint8Array, writable: boolean): Region {
    const base = SLOT_BASE + (this.next++ << SLOT_SHIFT);
    const region: Region = { kind, name, base, bytes, writable };
    this.slots.set(base, region);
    return region;
  }

  /** Forgets a region (a deleted hash element); later accesses through stale pointers fail. */
  release(region: Region): void {
    this.slots.delete(region.base);
  }

  resolve(address: bigint, size: number): Resolved | null {
    if (address < SLOT_BASE) return null;
    const base = SLOT_BASE + (((address - SLOT_BASE) >> SLOT_SHIFT) << SLOT_SHIFT);
    const region = this.slots.get(base);
    if (!region) return null;
    return within(region, address, size);
  }
}

function within(region: Region, address: bigint, size: number): Resolved | null {
  const offset = address - region.base;
  if (offset < 0n || offset + BigInt(size) > BigInt(region.bytes.length)) return null;
  return { region, offset: Number(offset) };
}

/** One run's view: its context and stack in front of the shared slots. */
export class RunMemory {
  constructor(
    readonly ctx: Region,
    readonly stack: Region,
    private readonly shared: SlotSpace,
  ) {}

  resolve(address: bigint, size: number): Resolved | null {
    return within(this.ctx, address, size) ?? within(this.stack, address, size) ?? this.shared.resolve(address, size);
  }

  /** Bytes at an address, or null when any of them is outside every region. */
  read(address: bigint, size: number): Uint8Array | null {
    const r = this.resolve(address, size);
    return r && r.region.kind !== 'map' ? r.region.bytes.slice(r.offset, r.offset + size) : null;
  }

  /** Writes bytes; false when they do not fit one writable region. */
  write(address: bigint, bytes: Uint8Array): boolean {
    const r = this.resolve(address, bytes.length);
    if (!r || !r.region.writable) return false;
    r.region.bytes.set(bytes, r.offset);
    return true;
  }
}

/** Address of the bytes just above the stack region: r10's value at entry. */
export function stackTop(stack: Region): bigint {
  return stack.base + BigInt(stack.bytes.length);
}
