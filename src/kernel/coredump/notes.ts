/**
 * ELF notes as a core file carries them: the header (namesz, descsz, type),
 * the NUL-terminated name and the descriptor, each padded to 4 bytes.
 * @kernel fs/binfmt_elf.c fill_note, notesize, writenote
 */
import { layoutOf } from '../../abi/layout.js';
import { elf64Nhdr } from '../../abi/structs/elfcore.js';

/** struct memelfnote: one note to write. */
export interface MemElfNote {
  readonly name: 'CORE' | 'LINUX';
  readonly type: number;
  readonly data: Uint8Array;
}

const NHDR_SIZE = layoutOf(elf64Nhdr).size;
const align4 = (n: number): number => (n + 3) & ~3;

/** notesize(): header + padded name + padded descriptor. */
export function notesize(n: MemElfNote): number {
  return NHDR_SIZE + align4(n.name.length + 1) + align4(n.data.length);
}

/** writenote(): the note's bytes, padding included. */
export function noteBytes(n: MemElfNote): Uint8Array {
  const out = new Uint8Array(notesize(n));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n.name.length + 1, true);
  dv.setUint32(4, n.data.length, true);
  dv.setUint32(8, n.type >>> 0, true);
  out.set(new TextEncoder().encode(n.name), NHDR_SIZE);
  out.set(n.data, NHDR_SIZE + align4(n.name.length + 1));
  return out;
}
