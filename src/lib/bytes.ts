/**
 * Byte storage seen through addresses. Guest memory (through the MMU), a
 * physical frame and a plain host buffer all look like this to code that
 * reads and writes structs, so struct views do not care which one it is.
 * Addresses are JS numbers (a canonical linear address fits exactly).
 */
export interface ByteStore {
  readBytes(address: number, length: number): Uint8Array;
  writeBytes(address: number, bytes: Uint8Array): void;
}

/** A `ByteStore` over a host buffer; address 0 is the buffer's first byte. */
export class BufferStore implements ByteStore {
  constructor(readonly buffer: Uint8Array) {}

  readBytes(address: number, length: number): Uint8Array {
    return this.buffer.slice(address, address + length);
  }

  writeBytes(address: number, bytes: Uint8Array): void {
    this.buffer.set(bytes, address);
  }
}

/** Little-endian decode of up to 8 bytes. */
export function readLE(bytes: Uint8Array, signed: boolean): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] ?? 0);
  return signed ? BigInt.asIntN(bytes.length * 8, v) : v;
}

/** Little-endian encode of `value` truncated to `size` bytes. */
export function writeLE(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
