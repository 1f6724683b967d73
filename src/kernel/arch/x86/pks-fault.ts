/**
 * The PKS fault path (reference §3.5): a #PF with X86_PF_PK on a kernel
 * address finds the faulting page's key by walking init_mm's tables and
 * asks that key's owner, through a callback table indexed by key, whether
 * the fault is handled.
 *
 * @see [PATCH V9 19/45] "mm/pkeys: Introduce PKS fault callbacks" (Rick
 *      Edgecombe), series Message-ID 20220310172019.850939-1-ira.weiny@intel.com
 */
import { PF_W, PTE_HI_PKEY_MASK, PTE_HI_PKEY_SHIFT, PTE_P, PTE_PS } from '../../../cpu/arch.js';
import { tableIndex } from '../../../cpu/mmu.js';
import { InternalError } from '../../../lib/errors.js';
import type { PksFaultCallback, PksInitMm, PksKernel } from './pks-core.js';
import { pksKeyValid } from './pks-keys.js';

/**
 * Fills `pks_key_callbacks[key]`. In the kernel the table is static and
 * filled at build time (`[PKS_KEY_TEST] = pks_test_fault_callback`); here a
 * kernel instance gets its entries at boot. `null` clears an entry.
 */
export function pksRegisterFaultCallback(pks: PksKernel, key: number, cb: PksFaultCallback | null): void {
  if (!pksKeyValid(key)) throw new InternalError(`PKS key ${key} outside 0..15`);
  pks.callbacks[key] = cb;
}

const TWO_32 = 2 ** 32;
const ADDR_LO = 0xffff_f000;

/** A paging-structure entry read as the kernel's READ_ONCE(*p?d_offset()). */
interface Entry {
  readonly lo: number;
  readonly hi: number;
}

function readEntry(mm: PksInitMm, table: number, la: number, level: 1 | 2 | 3 | 4): Entry {
  const ea = table + tableIndex(la, level) * 8;
  // Never-touched physical memory reads as zero (not present), without allocating it.
  if (!mm.phys.isAllocated(ea)) return { lo: 0, hi: 0 };
  return { lo: mm.phys.read32(ea), hi: mm.phys.read32(ea + 4) };
}

function nextTable(e: Entry): number {
  return ((e.lo & ADDR_LO) >>> 0) + (e.hi & 0xf_ffff) * TWO_32;
}

/** `p?d_large()`: PS and P both set. */
function large(e: Entry): boolean {
  return (e.lo & (PTE_PS | PTE_P)) === (PTE_PS | PTE_P);
}

/** `pte_flags_pkey()`: bits 62:59. */
function entryKey(e: Entry): number {
  return (e.hi & PTE_HI_PKEY_MASK) >>> PTE_HI_PKEY_SHIFT;
}

/**
 * The key of the leaf mapping `address` in init_mm, or null when the walk
 * stops at a non-present entry. Order as in V9 pks_handle_key_fault():
 * pgd present? (p4d is folded into it with 4-level paging) → pud large?
 * → pud present? → pmd large? → pmd present? → pte (its key is taken
 * without a present check, as the kernel does).
 */
export function pksLookupKey(mm: PksInitMm, address: number): number | null {
  const pgd = readEntry(mm, mm.pgd, address, 4);
  if ((pgd.lo & PTE_P) === 0) return null;
  const pud = readEntry(mm, nextTable(pgd), address, 3);
  if (large(pud)) return entryKey(pud);
  if ((pud.lo & PTE_P) === 0) return null;
  const pmd = readEntry(mm, nextTable(pud), address, 2);
  if (large(pmd)) return entryKey(pmd);
  if ((pmd.lo & PTE_P) === 0) return null;
  return entryKey(readEntry(mm, nextTable(pmd), address, 1));
}

/** What pks_handle_key_fault() found, for traces and tests. */
export interface PksKeyFaultResult {
  /** true: the callback handled it; do_kern_addr_fault() returns and the access is retried. */
  readonly handled: boolean;
  /** The key found by the walk; null when the walk stopped at a non-present entry. */
  readonly key: number | null;
  readonly callbackCalled: boolean;
}

/**
 * `pks_handle_key_fault(regs, hw_error_code, address)`, called by
 * do_kern_addr_fault() when the error code has X86_PF_PK. The hardware
 * does not say which key refused the access, so the key comes from the
 * page tables; `write` is `hw_error_code & X86_PF_WRITE`. Not handled when
 * PKS is absent, the walk fails, or no callback is registered for the key.
 * @param regs address of the faulting context's struct pt_regs
 */
export function pksHandleKeyFault(pks: PksKernel, regs: number, errorCode: number, address: number): PksKeyFaultResult {
  if (!pks.featurePresent) return { handled: false, key: null, callbackCalled: false };
  const key = pksLookupKey(pks.initMm, address);
  if (key === null) return { handled: false, key, callbackCalled: false };
  const cb = pks.callbacks[key] ?? null;
  if (!cb) return { handled: false, key, callbackCalled: false };
  const handled = cb(pks, regs, address, (errorCode & PF_W) !== 0);
  return { handled, key, callbackCalled: true };
}
