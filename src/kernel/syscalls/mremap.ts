/**
 * mremap(addr, old_len, new_len, flags, new_addr) over the process's
 * UserMm, with the checks of mm/mremap.c in their order. Every mapping
 * here is private, so old_len 0 (duplicating a shared mapping) is EINVAL.
 * The pages move by their PTEs (move_page_tables), so the contents go with
 * the mapping.
 * @kernel mm/mremap.c sys_mremap, mremap_to, vma_to_resize, vma_expandable, move_vma
 */
import { EFAULT, EINVAL, ENOMEM } from '../../abi/errno.js';
import { TASK_SIZE_MAX } from '../arch/x86/memory-map.js';
import type { PtRegs } from '../arch/x86/regs.js';
import type { UserMm, Vma } from '../mm.js';
import { argU64 } from './args.js';
import type { LinuxProcess } from './process.js';

const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const MREMAP_DONTUNMAP = 4;
const PAGE = 4096;
/** TASK_SIZE: the user address space's end. */
const TASK_SIZE = TASK_SIZE_MAX;

/** PAGE_ALIGN on an unsigned long: a length within a page of 2^64 wraps to 0. */
function pageAlign(v: bigint): bigint {
  return BigInt.asUintN(64, (v + BigInt(PAGE - 1)) & ~BigInt(PAGE - 1));
}

/** vma_lookup: the VMA containing `addr`. */
function vmaLookup(mm: UserMm, addr: bigint): Vma | undefined {
  return addr < BigInt(TASK_SIZE) ? mm.find(Number(addr)) : undefined;
}

/**
 * do_vmi_munmap's range check (EINVAL past TASK_SIZE), then the unmap.
 * Lengths are page-aligned already.
 */
function munmap(mm: UserMm, start: bigint, len: bigint): number {
  if (start > BigInt(TASK_SIZE) || len > BigInt(TASK_SIZE) - start) return -EINVAL;
  mm.unmap(Number(start), Number(start + len));
  return 0;
}

/**
 * vma_to_resize: the VMA at `addr` must hold all of old_len (EFAULT when
 * the range runs past it, or no VMA is there); old_len 0 on a private
 * mapping is EINVAL. RLIMIT_AS and mlock limits are unlimited here.
 */
function vmaToResize(mm: UserMm, addr: bigint, oldLen: bigint): Vma | number {
  const v = vmaLookup(mm, addr);
  if (!v) return -EFAULT;
  if (oldLen === 0n) return -EINVAL;
  if (oldLen > BigInt(v.end) - addr) return -EFAULT;
  return v;
}

/** get_unmapped_area: a free hint is taken, else the top-down search; null = -ENOMEM. */
function unmappedArea(mm: UserMm, hint: bigint, len: bigint): number | null {
  if (len > BigInt(TASK_SIZE)) return null;
  const h = Number(hint - (hint % BigInt(PAGE)));
  if (hint !== 0n && hint <= BigInt(TASK_SIZE) - len && !mm.overlaps(h, h + Number(len))) return h;
  return mm.unmappedArea(Number(len));
}

/** move_vma, or -ENOMEM when memory cannot back the pages. */
function moveVma(mm: UserMm, addr: bigint, oldLen: bigint, newLen: bigint, to: number, dontUnmap: boolean): number {
  return mm.move(Number(addr), Number(oldLen), to, Number(newLen), dontUnmap) ? to : -ENOMEM;
}

/** mremap_to: MREMAP_FIXED (and/or MREMAP_DONTUNMAP) moves to new_addr (or a free place). */
function mremapTo(mm: UserMm, addr: bigint, oldLen: bigint, newAddr: bigint, newLen: bigint, flags: number): number {
  if (newAddr % BigInt(PAGE) !== 0n) return -EINVAL;
  if (newLen > BigInt(TASK_SIZE) || newAddr > BigInt(TASK_SIZE) - newLen) return -EINVAL;
  if (addr + oldLen > newAddr && newAddr + newLen > addr) return -EINVAL; // the ranges overlap
  if (flags & MREMAP_FIXED) {
    const r = munmap(mm, newAddr, newLen);
    if (r) return r;
  }
  let len = oldLen;
  if (oldLen > newLen) {
    const r = munmap(mm, addr + newLen, oldLen - newLen);
    if (r) return r;
    len = newLen;
  }
  const v = vmaToResize(mm, addr, len);
  if (typeof v === 'number') return v;
  const to = flags & MREMAP_FIXED ? Number(newAddr) : unmappedArea(mm, newAddr, newLen);
  if (to === null) return -ENOMEM;
  return moveVma(mm, addr, len, newLen, to, (flags & MREMAP_DONTUNMAP) !== 0);
}

/**
 * sys_mremap. Errors: unknown flags, FIXED without MAYMOVE, DONTUNMAP
 * without MAYMOVE or with a size change, an unaligned addr, or a zero
 * new_len → EINVAL; no VMA at addr, or old_len running past it → EFAULT;
 * growth that does not fit in place without MAYMOVE → ENOMEM. Shrinking
 * always works in place (the tail is unmapped).
 */
export function sysMremap(p: LinuxProcess, regs: PtRegs): number {
  const mm = p.mm;
  const addr = argU64(regs, 0);
  let oldLen = argU64(regs, 1);
  let newLen = argU64(regs, 2);
  const flagsArg = argU64(regs, 3);
  const newAddr = argU64(regs, 4);
  if (flagsArg & ~BigInt(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP)) return -EINVAL;
  const flags = Number(flagsArg);
  if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
  if (flags & MREMAP_DONTUNMAP && (!(flags & MREMAP_MAYMOVE) || oldLen !== newLen)) return -EINVAL;
  if (addr % BigInt(PAGE) !== 0n) return -EINVAL;
  oldLen = pageAlign(oldLen);
  newLen = pageAlign(newLen);
  if (newLen === 0n) return -EINVAL;
  const v = vmaLookup(mm, addr);
  if (!v) return -EFAULT;
  if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) return mremapTo(mm, addr, oldLen, newAddr, newLen, flags);
  if (oldLen >= newLen) {
    if (oldLen === newLen) return Number(addr);
    const r = munmap(mm, addr + newLen, oldLen - newLen);
    return r || Number(addr);
  }
  const vma = vmaToResize(mm, addr, oldLen);
  if (typeof vma === 'number') return vma;
  // old_len reaches the VMA's end: grow in place when the pages after it are free (vma_expandable).
  const delta = newLen - oldLen;
  if (oldLen === BigInt(vma.end) - addr && BigInt(vma.end) + delta <= BigInt(TASK_SIZE) &&
      !mm.overlaps(vma.end, vma.end + Number(delta))) {
    return mm.expand(vma, vma.end + Number(delta)) ? Number(addr) : -ENOMEM;
  }
  if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
  const to = unmappedArea(mm, 0n, newLen);
  if (to === null) return -ENOMEM;
  return moveVma(mm, addr, oldLen, newLen, to, false);
}
