/**
 * 64-bit helpers for code off the hot path, where `bigint` is clear and fast
 * enough. Hot paths (the CPU loop, the MMU) work on 32-bit halves instead.
 */
export const U64_MASK = (1n << 64n) - 1n;

/** `0x`-prefixed lower-case hex of an unsigned value, zero-padded to `digits`. */
export function hex(v: bigint | number, digits = 0): string {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  const s = (n < 0n ? n & U64_MASK : n).toString(16);
  return '0x' + s.padStart(digits, '0');
}
