/**
 * Numbers as iced-x86's Intel formatter prints them with its default
 * options: 0..9 in decimal, everything else upper-case hex with an `h`
 * suffix and a leading `0` when the first digit is a letter (`0FFh`), so
 * the text reads as a number to an assembler. Branch targets keep their
 * leading zeros to 16 digits (iced `branchLeadingZeros`).
 */

/** An unsigned value below 2^64 as iced prints an immediate or displacement. */
export function formatNumber(v: bigint): string {
  if (v < 10n) return v.toString();
  const h = v.toString(16).toUpperCase();
  return (h.charCodeAt(0) >= 0x41 ? '0' : '') + h + 'h';
}

/** A 64-bit branch target (`call 0000000000401000h`). */
export function formatBranchTarget(v: bigint): string {
  if (v < 10n) return v.toString();
  const h = v.toString(16).toUpperCase().padStart(16, '0');
  return (h.charCodeAt(0) >= 0x41 ? '0' : '') + h + 'h';
}

/** `hi:lo` (unsigned 32-bit halves) as an unsigned 64-bit bigint. */
export function u64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** A linear address held as a JS number (possibly negative: sign-extended) as an unsigned 64-bit bigint. */
export function addressU64(address: number): bigint {
  return BigInt.asUintN(64, BigInt(address));
}
