/** Field offsets of Elf64_Ehdr / Elf64_Phdr and helpers to smash them in a copy of a file. */
export const EHDR = { class: 4, data: 5, type: 16, machine: 18, entry: 24, phoff: 32, phentsize: 54, phnum: 56 } as const;
export const PHDR = { type: 0, flags: 4, offset: 8, vaddr: 16, paddr: 24, filesz: 32, memsz: 40, align: 48 } as const;

export type Width = 1 | 2 | 4 | 8;
export const EHDR_WIDTH: Readonly<Record<keyof typeof EHDR, Width>> = { class: 1, data: 1, type: 2, machine: 2, entry: 8, phoff: 8, phentsize: 2, phnum: 2 };
export const PHDR_WIDTH: Readonly<Record<keyof typeof PHDR, Width>> = { type: 4, flags: 4, offset: 8, vaddr: 8, paddr: 8, filesz: 8, memsz: 8, align: 8 };

export function put(bytes: Uint8Array, at: number, width: Width, value: bigint): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (at < 0 || at + width > bytes.length) return;
  if (width === 1) v.setUint8(at, Number(BigInt.asUintN(8, value)));
  else if (width === 2) v.setUint16(at, Number(BigInt.asUintN(16, value)), true);
  else if (width === 4) v.setUint32(at, Number(BigInt.asUintN(32, value)), true);
  else v.setBigUint64(at, BigInt.asUintN(64, value), true);
}

/** Reads a field; 0 when it lies past the end (a truncated mutant). */
export function get(bytes: Uint8Array, at: number, width: Width): bigint {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (at < 0 || at + width > bytes.length) return 0n;
  if (width === 1) return BigInt(v.getUint8(at));
  if (width === 2) return BigInt(v.getUint16(at, true));
  if (width === 4) return BigInt(v.getUint32(at, true));
  return v.getBigUint64(at, true);
}

/** File offset of program header `i`. */
export function phdrAt(bytes: Uint8Array, i: number): number {
  return Number(get(bytes, EHDR.phoff, 8)) + i * 56;
}

/** A copy of `bytes` with `edit` applied. */
export function patched(bytes: Uint8Array, edit: (b: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(copy);
  return copy;
}
