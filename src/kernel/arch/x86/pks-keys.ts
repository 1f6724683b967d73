/**
 * PKS key constants and the PKRS value arithmetic of the V9 series
 * (reference §3.1–3.2). PKRS has the PKRU layout: 16 keys, 2 bits each,
 * AD (access disable) at bit 2k and WD (write disable) at bit 2k+1.
 *
 *   31  30  29  28         5   4   3   2   1   0
 *  +---+---+---+---+-...-+---+---+---+---+---+---+
 *  |WD15|AD15|WD14|AD14| |WD2|AD2|WD1|AD1|WD0|AD0|
 *  +---+---+---+---+-...-+---+---+---+---+---+---+
 *
 * @see [PATCH V9 04/45] "x86/pkeys: Make PKRU macros generic",
 *      Message-ID 20220310172019.850939-5-ira.weiny@intel.com
 */

/** Keys PKRS can hold (PKS_NUM_KEYS / PKS_KEY_MAX bound). */
export const PKS_NUM_KEYS = 16;
/** `PKR_AD_BIT`: access disable, the low bit of a key's pair. */
export const PKR_AD_BIT = 0x1;
/** `PKR_WD_BIT`: write disable, the high bit of a key's pair. */
export const PKR_WD_BIT = 0x2;
/** `PKR_BITS_PER_PKEY`. */
export const PKR_BITS_PER_PKEY = 2;

/** uapi `PKEY_DISABLE_ACCESS`; kernel users pass the user-space flags. */
export const PKEY_DISABLE_ACCESS = 0x1;
/** uapi `PKEY_DISABLE_WRITE`. */
export const PKEY_DISABLE_WRITE = 0x2;
/** `PKEY_READ_WRITE` (V9 include/linux/pkeys.h): no restriction. */
export const PKEY_READ_WRITE = 0x0;
/** `PKEY_ACCESS_MASK`. */
export const PKEY_ACCESS_MASK = PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE;

/** A protection for one key: a mix of PKEY_DISABLE_ACCESS and PKEY_DISABLE_WRITE. */
export type PkeyProt = number;

/**
 * `PKS_KEY_DEFAULT`: key 0, the key every PTE has unless set otherwise, so
 * it must stay read/write (V9 cover letter, 20220310172019.850939-1-ira.weiny@intel.com).
 */
export const PKS_KEY_DEFAULT = 0;

/** `PKR_AD_MASK(k)` = 1 << 2k. */
export function pkrAdMask(pkey: number): number {
  return (PKR_AD_BIT << (PKR_BITS_PER_PKEY * pkey)) >>> 0;
}

/** `PKR_WD_MASK(k)` = 2 << 2k. */
export function pkrWdMask(pkey: number): number {
  return (PKR_WD_BIT << (PKR_BITS_PER_PKEY * pkey)) >>> 0;
}

function initValue(): number {
  let v = 0;
  for (let k = 1; k < PKS_NUM_KEYS; k++) v |= pkrAdMask(k);
  return v >>> 0;
}

/**
 * `PKS_INIT_VALUE`: key 0 read/write, every other key access-disabled
 * (`PKS_DECLARE_INIT_VALUE` with no keys allocated, V9 include/linux/pks-keys.h):
 * AD1 | AD2 | ... | AD15 = bits 2, 4, ..., 30 = **0x55555554**. The value
 * every kernel entry runs its handler with (DESIGN.md §4 invariant 3).
 */
export const PKS_INIT_VALUE = initValue();

/**
 * `pkey_update_pkval()` (arch/x86/mm/pkeys.c, V9): clears the two bits of
 * `pkey` in `pkval` and ORs in `prot`. Bits of `prot` outside
 * PKEY_ACCESS_MASK are dropped (the kernel WARNs and masks).
 * @param pkval a PKRS (or PKRU) value
 * @param pkey 0..15
 * @param prot PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE, or PKEY_READ_WRITE
 */
export function pkeyUpdatePkval(pkval: number, pkey: number, prot: PkeyProt): number {
  const shift = pkey * PKR_BITS_PER_PKEY;
  const bits = prot & PKEY_ACCESS_MASK;
  return ((pkval & ~(PKEY_ACCESS_MASK << shift)) | (bits << shift)) >>> 0;
}

/** Whether `pkey` is a valid PKS key (0..15). */
export function pksKeyValid(pkey: number): boolean {
  return Number.isInteger(pkey) && pkey >= 0 && pkey < PKS_NUM_KEYS;
}
