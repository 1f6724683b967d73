/**
 * A static ELF64 x86-64 executable made from assembled text, so the audit's
 * workload runs through exec (binfmt-elf), the system call table and the
 * core dumper like any program — no C compiler at run time.
 * One PT_LOAD, read-write-execute, at TEXT_VADDR (file offset one page).
 */
import { assemble } from '../../asm/index.js';

export const TEXT_VADDR = 0x40_1000;
const TEXT_OFFSET = 0x1000;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;

export interface TinyElf {
  readonly file: Uint8Array;
  readonly symbols: ReadonlyMap<string, bigint>;
}

/** Assembles `source` at TEXT_VADDR (entry: the `_start` label) and wraps it in an ELF64 ET_EXEC. */
export function tinyElf(source: string): TinyElf {
  const asm = assemble(source, { origin: TEXT_VADDR });
  const entry = asm.symbols.get('_start');
  if (entry === undefined) throw new Error('tinyElf: the source has no _start');
  const file = new Uint8Array(TEXT_OFFSET + asm.bytes.length);
  const dv = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */], 0);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 62, true); // EM_X86_64
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, entry, true);
  dv.setBigUint64(32, BigInt(EHDR_SIZE), true); // e_phoff
  dv.setUint16(52, EHDR_SIZE, true);
  dv.setUint16(54, PHDR_SIZE, true);
  dv.setUint16(56, 1, true); // e_phnum
  dv.setUint16(58, 64, true); // e_shentsize
  const p = EHDR_SIZE;
  dv.setUint32(p, 1, true); // PT_LOAD
  dv.setUint32(p + 4, 7, true); // PF_R | PF_W | PF_X
  dv.setBigUint64(p + 8, BigInt(TEXT_OFFSET), true);
  dv.setBigUint64(p + 16, BigInt(TEXT_VADDR), true);
  dv.setBigUint64(p + 24, BigInt(TEXT_VADDR), true);
  dv.setBigUint64(p + 32, BigInt(asm.bytes.length), true);
  dv.setBigUint64(p + 40, BigInt(asm.bytes.length), true);
  dv.setBigUint64(p + 48, 0x1000n, true);
  file.set(asm.bytes, TEXT_OFFSET);
  return { file, symbols: asm.symbols };
}
