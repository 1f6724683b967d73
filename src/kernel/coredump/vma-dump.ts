/**
 * Which bytes of each VMA go into the core (vma_dump_size under the default
 * coredump_filter 0x33: anonymous private and shared memory, ELF headers)
 * and what they read (dump_user_range, page by page through get_dump_page):
 *
 *   - a private VMA that has been written — the kernel's test is
 *     vma->anon_vma; kentry's is a dirty PTE in it (the [stack] always: exec
 *     wrote the arguments into it) — is dumped whole;
 *   - an anonymous VMA never written: nothing (Linux has no anon_vma yet);
 *   - a file mapping never written: its first page if it maps offset 0 of
 *     the file, readable (the executable's ELF header, so a debugger knows
 *     what was mapped: MMF_DUMP_ELF_HEADERS); else nothing. Text is not
 *     dumped: gdb reads it from the program file.
 *
 * A page the current PKRU forbids reading (the VMA's key has AD set) is a
 * hole — zeros — as get_dump_page's check_vma_flags → arch_vma_access_permitted
 * fails for it. PROT_NONE pages are read (FOLL_FORCE).
 *
 * Simplification: mprotect rewrites PTEs and forgets their dirty bits, so a
 * VMA written and then mprotect()ed may lose its "written" mark.
 *
 * @kernel fs/coredump.c vma_dump_size, dump_vma_snapshot, dump_user_range; mm/gup.c get_dump_page, check_vma_flags
 * @kernel arch/x86/include/asm/mmu_context.h arch_vma_access_permitted
 */
import type { Platform } from '../arch/x86/platform.js';
import { PAGE_SIZE } from '../arch/x86/memory-map.js';
import type { Vma } from '../mm.js';
import { PROT_READ } from '../mm.js';
import { readUserPhys, userPageDirty } from './user-pages.js';

const ELFMAG = [0x7f, 0x45, 0x4c, 0x46];

/** Whether any page of the VMA has been written (the anon_vma stand-in). */
function written(platform: Platform, v: Vma): boolean {
  if (v.name === '[stack]') return true;
  for (let a = v.start; a < v.end; a += PAGE_SIZE) if (userPageDirty(platform, a)) return true;
  return false;
}

/** vma_dump_size(vma, 0x33): bytes of the VMA, from its start, that the core holds. */
export function vmaDumpSize(platform: Platform, v: Vma): number {
  if (written(platform, v)) return v.end - v.start;
  if (!v.name.startsWith('/')) return 0;
  if (v.offset === 0 && (v.prot & PROT_READ) !== 0) {
    const head = readUserPhys(platform, v.start, 4);
    if (ELFMAG.every((b, i) => head[i] === b)) return PAGE_SIZE;
  }
  return 0;
}

/** __pkru_allows_pkey(pkey, write = false): the key's access-disable bit is clear. */
function pkruAllowsRead(pkru: number, pkey: number): boolean {
  return ((pkru >>> (2 * pkey)) & 1) === 0;
}

/** The `size` dumped bytes of the VMA: its pages, or zeros where get_dump_page finds none it may read. */
export function vmaContents(platform: Platform, v: Vma, size: number): Uint8Array {
  if (!pkruAllowsRead(platform.cpu.mmu.pkru, v.pkey ?? 0)) return new Uint8Array(size);
  return readUserPhys(platform, v.start, size);
}
