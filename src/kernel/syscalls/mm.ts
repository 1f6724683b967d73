/**
 * Memory system calls over the process's UserMm: brk, anonymous mmap,
 * munmap, mprotect/pkey_mprotect, madvise (mremap is in mremap.ts). File
 * mappings are not modelled yet (ENODEV).
 * @kernel mm/mmap.c brk, do_mmap, ksys_mmap_pgoff; mm/mprotect.c do_mprotect_pkey
 */
import { EINVAL, ENOMEM } from '../../abi/errno.js';
import { TASK_SIZE_MAX } from '../arch/x86/memory-map.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, pageDown, pageUp } from '../mm.js';
import { arg, argInt, argU64 } from './args.js';
import { executeOnlyPkey, mmPkeyIsAllocated, overrideMprotectPkey } from './pkeys.js';
import type { LinuxProcess } from './process.js';

const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const ENODEV = 19;
const EEXIST = 17;
const PAGE = 4096;

/** brk(addr): grow or shrink the heap; returns the (possibly unchanged) break, as Linux does on failure. */
export function sysBrk(p: LinuxProcess, regs: PtRegs): number {
  const mm = p.mm;
  const want = arg(regs, 0);
  if (want < mm.startBrk) return mm.brk;
  const oldEnd = pageUp(mm.brk);
  const newEnd = pageUp(want);
  if (newEnd > oldEnd) {
    if (mm.overlaps(oldEnd, newEnd) || newEnd > TASK_SIZE_MAX) return mm.brk;
    if (!mm.map(oldEnd, newEnd, PROT_READ | PROT_WRITE, '[heap]')) return mm.brk;
  } else if (newEnd < oldEnd) {
    mm.unmap(newEnd, oldEnd);
  }
  mm.brk = want;
  return mm.brk;
}

/** mmap(addr, len, prot, flags, fd, off): anonymous private or shared memory only. */
export function sysMmap(p: LinuxProcess, regs: PtRegs): number {
  const mm = p.mm;
  const addr = arg(regs, 0);
  const len = arg(regs, 1);
  const prot = argInt(regs, 2);
  const flags = argInt(regs, 3);
  const off = arg(regs, 5);
  if (len <= 0 || off % PAGE !== 0) return -EINVAL;
  if ((flags & (MAP_SHARED | MAP_PRIVATE)) === 0) return -EINVAL;
  if ((flags & MAP_ANONYMOUS) === 0) return -ENODEV; // file mappings: not yet
  const size = pageUp(len);
  if (size > TASK_SIZE_MAX) return -ENOMEM;
  let at: number | null;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr % PAGE !== 0) return -EINVAL;
    if (addr + size > TASK_SIZE_MAX || addr < PAGE * 16) return -ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && mm.overlaps(addr, addr + size)) return -EEXIST;
    at = addr;
  } else if (addr !== 0 && pageDown(addr) + size <= TASK_SIZE_MAX && !mm.overlaps(pageDown(addr), pageDown(addr) + size)) {
    at = pageDown(addr); // the hint is free
  } else {
    at = mm.unmappedArea(size);
  }
  if (at === null) return -ENOMEM;
  // do_mmap: a PROT_EXEC-only mapping gets the execute-only key (0 when none is left).
  const pkey = (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) === PROT_EXEC ? Math.max(0, executeOnlyPkey(p)) : 0;
  // MAP_SHARED (or MAP_SHARED_VALIDATE, both bits): fork shares the pages instead of copying them on write.
  const shared = (flags & MAP_SHARED) !== 0;
  return mm.map(at, at + size, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), '', 0, pkey, shared) ? at : -ENOMEM;
}

/** munmap(addr, len) */
export function sysMunmap(p: LinuxProcess, regs: PtRegs): number {
  const addr = arg(regs, 0);
  const len = arg(regs, 1);
  if (addr % PAGE !== 0 || len <= 0 || addr + len > TASK_SIZE_MAX) return -EINVAL;
  p.mm.unmap(addr, addr + pageUp(len));
  return 0;
}

const PROT_SEM = 0x8;
const PROT_GROWSDOWN = 0x0100_0000;
const PROT_GROWSUP = 0x0200_0000;

/**
 * do_mprotect_pkey(start, len, prot, pkey), in its order of checks: both
 * PROT_GROWS* → EINVAL; unaligned start → EINVAL; len 0 → 0; a wrapping
 * end → ENOMEM; bits beyond R/W/X/SEM (arch_validate_prot) → EINVAL; a key
 * not allocated → EINVAL; start outside a VMA or a hole → ENOMEM.
 * PROT_GROWSDOWN stretches the range down to the start of a growing
 * (stack) VMA; x86 has no VM_GROWSUP, so PROT_GROWSUP is EINVAL.
 */
function doMprotectPkey(p: LinuxProcess, start: number, lenArg: bigint, protArg: bigint, pkey: number): number {
  const GROWS = BigInt(PROT_GROWSDOWN | PROT_GROWSUP);
  const grows = protArg & GROWS;
  const prot = protArg & ~GROWS;
  if (grows === GROWS) return -EINVAL;
  if (start % PAGE !== 0) return -EINVAL;
  if (lenArg === 0n) return 0;
  const len = BigInt.asUintN(64, (lenArg + BigInt(PAGE - 1)) & ~BigInt(PAGE - 1));
  if (len === 0n || BigInt(start) + len >= 1n << 64n) return -ENOMEM; // end <= start: it wrapped
  if (prot & ~BigInt(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) return -EINVAL; // arch_validate_prot
  if (pkey !== -1 && !mmPkeyIsAllocated(p.mm, pkey)) return -EINVAL;
  // Past TASK_SIZE nothing is mapped: one page beyond stands for any such end (a hole, -ENOMEM).
  const end = BigInt(start) + len > BigInt(TASK_SIZE_MAX) ? TASK_SIZE_MAX + PAGE : start + Number(len);
  const first = p.mm.vmas.find((v) => v.end > start && v.start < end); // vma_find(&vmi, end)
  if (!first) return -ENOMEM;
  let from = start;
  if (grows === BigInt(PROT_GROWSDOWN)) {
    if (first.name !== '[stack]') return -EINVAL; // the stack is the only VM_GROWSDOWN VMA here
    from = first.start;
  } else {
    if (first.start > start) return -ENOMEM;
    if (grows === BigInt(PROT_GROWSUP)) return -EINVAL; // x86 has no VM_GROWSUP
  }
  const rwx = Number(prot) & (PROT_READ | PROT_WRITE | PROT_EXEC);
  return p.mm.protect(from, end, rwx, (v) => overrideMprotectPkey(p, v, rwx, pkey)) ? 0 : -ENOMEM;
}

/** mprotect(addr, len, prot) = do_mprotect_pkey(..., -1) */
export function sysMprotect(p: LinuxProcess, regs: PtRegs): number {
  return doMprotectPkey(p, arg(regs, 0), argU64(regs, 1), argU64(regs, 2), -1);
}

/** pkey_mprotect(addr, len, prot, int pkey): pkey -1 is plain mprotect. */
export function sysPkeyMprotect(p: LinuxProcess, regs: PtRegs): number {
  return doMprotectPkey(p, arg(regs, 0), argU64(regs, 1), argU64(regs, 2), argInt(regs, 3));
}

/** madvise: advice only; accepted. */
export function sysMadvise(_p: LinuxProcess, regs: PtRegs): number {
  return arg(regs, 0) % PAGE === 0 ? 0 : -EINVAL;
}
