/**
 * 64-bit helpers for code off the hot path, where `bigint` is clear and fast
 * enough. Hot paths (the CPU loop, the MMU) work on 32-bit halves instead.
 */
export const U64_MASK = (1n << 64n) - 1n;

/** Truncates any bigint to an unsigned 64-bit value. */
export function u64(v: bigint): bigint {
  return v & U64_MASK;
}

/** Reinterprets an unsigned 64-bit value as signed. */
export function s64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** `0x`-prefixed lower-case hex of an unsigned value, zero-padded to `digits`. */
export function hex(v: bigint | number, digits = 0): string {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  const s = (n < 0n ? n & U64_MASK : n).toString(16);
  return '0x' + s.padStart(digits, '0');
}
