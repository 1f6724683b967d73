/**
 * User protection keys (reference §7): the per-mm allocation map with key 0
 * allocated implicitly, the execute-only key, and PKRU writes for the
 * current thread. The kernel leaves the user's PKRU in the register while
 * it runs, so "the thread's PKRU" is the MMU's PKRU here.
 *
 *   PKRU  31   30  ...   3   2   1   0
 *        WD15 AD15 ... WD1 AD1 WD0 AD0     (AD = bit 2k, WD = bit 2k+1)
 *
 * @kernel arch/x86/include/asm/pkeys.h mm_pkey_alloc, mm_pkey_free, mm_pkey_is_allocated;
 *         arch/x86/mm/pkeys.c __execute_only_pkey, __arch_override_mprotect_pkey;
 *         arch/x86/kernel/fpu/xstate.c arch_set_user_pkey_access; mm/mprotect.c pkey_alloc, pkey_free
 */
import { EINVAL } from '../../abi/errno.js';
import { PKEY_COUNT, PKR_AD, PKR_WD } from '../../cpu/arch.js';
import { PROT_EXEC, type UserMm, type Vma } from '../mm.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { argInt, argU64 } from './args.js';
import type { LinuxProcess } from './process.js';

const ENOSPC = 28;
export const PKEY_DISABLE_ACCESS = 0x1;
export const PKEY_DISABLE_WRITE = 0x2;
/** PKEY_ACCESS_MASK (uapi asm-generic/mman-common.h). */
const PKEY_ACCESS_MASK = PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE;
/** arch_max_pkey(): 16 with OSPKE (CR4.PKE is on in kentry's platform). */
const ARCH_MAX_PKEY = PKEY_COUNT;
const ALL_PKEYS_MASK = (1 << ARCH_MAX_PKEY) - 1;
/** ARCH_DEFAULT_PKEY */
const DEFAULT_PKEY = 0;

/** mm_pkey_is_allocated: in range, not the execute-only key, and set in the map. */
export function mmPkeyIsAllocated(mm: UserMm, pkey: number): boolean {
  if (pkey < 0 || pkey >= ARCH_MAX_PKEY) return false;
  if (pkey === mm.executeOnlyPkey) return false;
  return (mm.pkeyAllocationMap & (1 << pkey)) !== 0;
}

/** mm_pkey_alloc: ffz(allocation map), or -1 when every key is taken. */
function mmPkeyAlloc(mm: UserMm): number {
  if (mm.pkeyAllocationMap === ALL_PKEYS_MASK) return -1;
  let k = 0;
  while (mm.pkeyAllocationMap & (1 << k)) k++;
  mm.pkeyAllocationMap |= 1 << k;
  return k;
}

/** arch_set_user_pkey_access: the key's AD/WD bits in the current thread's PKRU become `initVal`'s. */
function setUserPkeyAccess(p: LinuxProcess, pkey: number, initVal: number): void {
  const mmu = p.rt.cpu.mmu;
  let bits = 0;
  if (initVal & PKEY_DISABLE_ACCESS) bits |= PKR_AD;
  if (initVal & PKEY_DISABLE_WRITE) bits |= PKR_WD;
  const shift = 2 * pkey;
  const next = ((mmu.pkru & ~((PKR_AD | PKR_WD) << shift)) | (bits << shift)) >>> 0;
  if (next !== mmu.pkru) mmu.setPkru(next); // write_pkru skips WRPKRU when nothing changes
}

/**
 * __execute_only_pkey: the mm's key for PROT_EXEC-only mappings, allocated
 * on first use and access-disabled in PKRU (instruction fetches ignore
 * PKRU, data reads do not); -1 when no key is left.
 */
export function executeOnlyPkey(p: LinuxProcess): number {
  const mm = p.mm;
  let key = mm.executeOnlyPkey;
  const fresh = key === -1;
  if (fresh) {
    key = mmPkeyAlloc(mm);
    if (key < 0) return -1;
  }
  // __pkru_allows_read: when the key already denies reads, leave PKRU alone.
  if (!fresh && (p.rt.cpu.mmu.pkru & (PKR_AD << (2 * key))) !== 0) return key;
  setUserPkeyAccess(p, key, PKEY_DISABLE_ACCESS);
  if (fresh) mm.executeOnlyPkey = key;
  return key;
}

/**
 * arch_override_mprotect_pkey: pkey_mprotect's key stands; a plain
 * mprotect(PROT_EXEC) takes the execute-only key; leaving PROT_EXEC-only
 * goes back to key 0; otherwise the VMA keeps its key.
 */
export function overrideMprotectPkey(p: LinuxProcess, v: Vma, prot: number, pkey: number): number {
  if (pkey !== -1) return pkey;
  if (prot === PROT_EXEC) {
    const k = executeOnlyPkey(p);
    if (k > 0) return k;
  } else if ((v.pkey ?? 0) === p.mm.executeOnlyPkey && p.mm.executeOnlyPkey > 0) {
    return DEFAULT_PKEY; // vma_is_pkey_exec_only
  }
  return v.pkey ?? 0;
}

/** pkey_alloc(flags, init_val): both unsigned long; no flags exist yet. */
export function sysPkeyAlloc(p: LinuxProcess, regs: PtRegs): number {
  if (argU64(regs, 0) !== 0n) return -EINVAL;
  const initVal = argU64(regs, 1);
  if (initVal & ~BigInt(PKEY_ACCESS_MASK)) return -EINVAL;
  const pkey = mmPkeyAlloc(p.mm);
  if (pkey === -1) return -ENOSPC;
  setUserPkeyAccess(p, pkey, Number(initVal));
  return pkey;
}

/**
 * pkey_free(int pkey) → mm_pkey_free: a key that is not allocated is
 * -EINVAL. Nothing protects key 0 (the early `!pkey` check is long gone
 * from x86, and the host kernel frees it), so the next pkey_alloc returns
 * 0. The VMAs keep the key and PKRU keeps its bits (Linux checks neither).
 */
export function sysPkeyFree(p: LinuxProcess, regs: PtRegs): number {
  const pkey = argInt(regs, 0);
  if (!mmPkeyIsAllocated(p.mm, pkey)) return -EINVAL;
  p.mm.pkeyAllocationMap &= ~(1 << pkey);
  return 0;
}
