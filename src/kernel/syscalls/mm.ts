/**
 * Memory system calls over the process's UserMm: brk, anonymous mmap,
 * munmap, mprotect, madvise. File mappings are not modelled yet (ENODEV).
 * @kernel mm/mmap.c brk, do_mmap, ksys_mmap_pgoff; mm/mprotect.c do_mprotect_pkey
 */
import { EINVAL, ENOMEM } from '../../abi/errno.js';
import { TASK_SIZE_MAX } from '../arch/x86/memory-map.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, pageDown, pageUp } from '../mm.js';
import { arg, argInt } from './args.js';
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
  return mm.map(at, at + size, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), '') ? at : -ENOMEM;
}

/** munmap(addr, len) */
export function sysMunmap(p: LinuxProcess, regs: PtRegs): number {
  const addr = arg(regs, 0);
  const len = arg(regs, 1);
  if (addr % PAGE !== 0 || len <= 0 || addr + len > TASK_SIZE_MAX) return -EINVAL;
  p.mm.unmap(addr, addr + pageUp(len));
  return 0;
}

/** mprotect(addr, len, prot) */
export function sysMprotect(p: LinuxProcess, regs: PtRegs): number {
  const addr = arg(regs, 0);
  const len = arg(regs, 1);
  const prot = argInt(regs, 2);
  if (addr % PAGE !== 0 || len < 0) return -EINVAL;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -EINVAL;
  if (len === 0) return 0;
  return p.mm.protect(addr, addr + pageUp(len), prot) ? 0 : -ENOMEM;
}

/** madvise: advice only; accepted. */
export function sysMadvise(_p: LinuxProcess, regs: PtRegs): number {
  return arg(regs, 0) % PAGE === 0 ? 0 : -EINVAL;
}
