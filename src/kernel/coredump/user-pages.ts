/**
 * The dumper's view of user memory: the page frame under a user address, as
 * get_dump_page finds it through the page tables, read by the kernel's
 * direct map (kmap_local_page) — not through a user access, so neither SMAP
 * nor the page's rights stop it (FOLL_FORCE reads PROT_NONE pages too).
 * @kernel mm/gup.c get_dump_page; fs/coredump.c dump_user_range
 */
import { PTE_ADDR_LO, PTE_D } from '../../cpu/arch.js';
import { pteAddressIn } from '../../cpu/page-table-builder.js';
import type { Platform } from '../arch/x86/platform.js';
import { PAGE_SIZE } from '../arch/x86/memory-map.js';

/** The leaf PTE of a mapped user page of the dumping task's mm (the tree CR3 holds), or null. */
function pte(platform: Platform, address: number): { lo: number; hi: number } | null {
  const ea = pteAddressIn(platform.phys, platform.cpu.mmu.cr3 - (platform.cpu.mmu.cr3 % PAGE_SIZE), address - (address % PAGE_SIZE));
  return ea === null ? null : { lo: platform.phys.read32(ea), hi: platform.phys.read32(ea + 4) };
}

/** The physical frame of the user page at `address` (PROT_NONE pages keep theirs with P clear), or null. */
export function userFrame(platform: Platform, address: number): number | null {
  const e = pte(platform, address);
  if (!e || (e.lo === 0 && e.hi === 0)) return null;
  return ((e.lo & PTE_ADDR_LO) >>> 0) + (e.hi & 0xf_ffff) * 2 ** 32;
}

/** Whether the page at `address` was written since it was mapped (the PTE's dirty bit). */
export function userPageDirty(platform: Platform, address: number): boolean {
  const e = pte(platform, address);
  return e !== null && (e.lo & PTE_D) !== 0;
}

/** `size` bytes of user memory from `address` (unmapped pages read as zeros). */
export function readUserPhys(platform: Platform, address: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let done = 0; done < size;) {
    const a = address + done;
    const n = Math.min(size - done, PAGE_SIZE - (a % PAGE_SIZE));
    const frame = userFrame(platform, a);
    if (frame !== null) out.set(platform.phys.readBytes(frame + (a % PAGE_SIZE), n), done);
    done += n;
  }
  return out;
}
