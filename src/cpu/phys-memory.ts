/**
 * Sparse guest physical memory: 4-KiB frames allocated on first touch (read
 * or write) and never freed. Untouched memory reads as zero. A byte budget
 * bounds how much host memory a runaway guest can claim.
 *
 * Physical addresses are non-negative integers below 2^maxPhysAddrBits (the
 * model's MAXPHYADDR, default 46). Multi-byte values are little-endian. Reads
 * and writes may cross frame boundaries. 64-bit values are `bigint` here
 * (off the hot path: the page walk uses `read32` on halves).
 */
import { KentryError, InternalError } from '../lib/errors.js';
import { MAXPHYADDR_LIMIT, PAGE_SIZE_4K } from './arch.js';

/** Default MAXPHYADDR (bits), as on many recent Intel server parts. */
export const DEFAULT_MAXPHYADDR = 46;
/** Default budget: 1 GiB of touched frames. */
export const DEFAULT_PHYS_LIMIT_BYTES = 1 << 30;

export interface PhysMemoryOptions {
  /** MAXPHYADDR in bits, 32..52. Also fixes the reserved PTE bits 51:MAXPHYADDR. */
  readonly maxPhysAddrBits?: number;
  /** Upper bound on allocated frame bytes; exceeding it throws `PhysMemoryLimitError`. */
  readonly limitBytes?: number;
}

/** The guest touched more physical memory than the configured budget. */
export class PhysMemoryLimitError extends KentryError {
  readonly code = 'phys-memory-limit' as const;
  constructor(
    readonly limitBytes: number,
    readonly physicalAddress: number,
  ) {
    super(`guest physical memory limit of ${limitBytes} bytes exceeded touching 0x${physicalAddress.toString(16)}`);
    this.name = 'PhysMemoryLimitError';
  }
}

export class PhysMemory {
  readonly maxPhysAddrBits: number;
  readonly limitBytes: number;
  /** 2^maxPhysAddrBits: first physical address that does not exist. */
  readonly addressLimit: number;
  private readonly frames = new Map<number, Uint8Array>();

  constructor(options: PhysMemoryOptions = {}) {
    const bits = options.maxPhysAddrBits ?? DEFAULT_MAXPHYADDR;
    if (!Number.isInteger(bits) || bits < 32 || bits > MAXPHYADDR_LIMIT) {
      throw new InternalError(`maxPhysAddrBits must be an integer in 32..${MAXPHYADDR_LIMIT}, got ${bits}`);
    }
    this.maxPhysAddrBits = bits;
    this.addressLimit = 2 ** bits;
    this.limitBytes = options.limitBytes ?? DEFAULT_PHYS_LIMIT_BYTES;
  }

  /** Bytes of host memory currently backing guest frames. */
  get allocatedBytes(): number {
    return this.frames.size * PAGE_SIZE_4K;
  }

  /** Whether the frame holding `pa` has been touched. */
  isAllocated(pa: number): boolean {
    return this.frames.has(Math.floor(pa / PAGE_SIZE_4K));
  }

  /**
   * The backing bytes of the 4-KiB frame containing `pa`, allocated (zeroed)
   * on first touch. The MMU caches this reference in its TLB; frames are
   * never freed or replaced, so the reference stays valid.
   */
  frameOf(pa: number): Uint8Array {
    if (!(pa >= 0 && pa < this.addressLimit) || !Number.isInteger(pa)) {
      throw new InternalError(`physical address ${pa} outside [0, 2^${this.maxPhysAddrBits})`);
    }
    const pfn = Math.floor(pa / PAGE_SIZE_4K);
    let f = this.frames.get(pfn);
    if (f === undefined) {
      if ((this.frames.size + 1) * PAGE_SIZE_4K > this.limitBytes) {
        throw new PhysMemoryLimitError(this.limitBytes, pa);
      }
      f = new Uint8Array(PAGE_SIZE_4K);
      this.frames.set(pfn, f);
    }
    return f;
  }

  read8(pa: number): number {
    return this.frameOf(pa)[pa & 0xfff] ?? 0;
  }

  write8(pa: number, v: number): void {
    if (this.codeFrames.size !== 0) this.noteWrite(pa);
    this.frameOf(pa)[pa & 0xfff] = v;
  }

  /**
   * Frames (base addresses) that hold instructions in a decode cache. A write
   * to one — by the host through these methods, or by the guest through the
   * MMU — removes it from the set and calls `onCodeWrite`, so cached decodes
   * of self-modified (or reloaded) code are dropped.
   */
  readonly codeFrames = new Set<number>();
  onCodeWrite: ((frame: number) => void) | null = null;

  /** Reports a write to `pa` if its frame holds cached code. */
  noteWrite(pa: number): void {
    const frame = pa - (pa % PAGE_SIZE_4K);
    if (this.codeFrames.delete(frame)) this.onCodeWrite?.(frame);
  }

  read16(pa: number): number {
    const off = pa & 0xfff;
    if (off <= 0xffe) {
      const f = this.frameOf(pa);
      return (f[off] ?? 0) | ((f[off + 1] ?? 0) << 8);
    }
    return this.read8(pa) | (this.read8(pa + 1) << 8);
  }

  write16(pa: number, v: number): void {
    this.write8(pa, v & 0xff);
    this.write8(pa + 1, (v >>> 8) & 0xff);
  }

  /** Unsigned 32-bit read. */
  read32(pa: number): number {
    const off = pa & 0xfff;
    if (off <= 0xffc) {
      const f = this.frameOf(pa);
      return ((f[off] ?? 0) | ((f[off + 1] ?? 0) << 8) | ((f[off + 2] ?? 0) << 16) | ((f[off + 3] ?? 0) << 24)) >>> 0;
    }
    return (this.read16(pa) | (this.read16(pa + 2) << 16)) >>> 0;
  }

  write32(pa: number, v: number): void {
    const off = pa & 0xfff;
    if (off <= 0xffc) {
      if (this.codeFrames.size !== 0) this.noteWrite(pa);
      const f = this.frameOf(pa);
      f[off] = v;
      f[off + 1] = v >>> 8;
      f[off + 2] = v >>> 16;
      f[off + 3] = v >>> 24;
      return;
    }
    this.write16(pa, v & 0xffff);
    this.write16(pa + 2, (v >>> 16) & 0xffff);
  }

  read64(pa: number): bigint {
    return BigInt(this.read32(pa)) | (BigInt(this.read32(pa + 4)) << 32n);
  }

  write64(pa: number, v: bigint): void {
    this.write32(pa, Number(v & 0xffff_ffffn));
    this.write32(pa + 4, Number((v >> 32n) & 0xffff_ffffn));
  }

  readBytes(pa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.read8(pa + i);
    return out;
  }

  writeBytes(pa: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.write8(pa + i, bytes[i] ?? 0);
  }
}
