/**
 * The program header table, read as fs/binfmt_elf.c load_elf_phdrs() reads
 * it: e_phentsize must be sizeof(struct elf_phdr), the table must be
 * non-empty and fit in one ELF_MIN_ALIGN page, and it must be inside the file
 * (elf_read() of a short read is -EIO).
 */
import { ELF64_PHDR_SIZE, MAX_PHNUM } from './constants.js';
import { ElfLoadError } from './errors.js';
import { viewOf, type ElfHeader } from './header.js';

/** One Elf64_Phdr, raw. 64-bit fields stay `bigint` until a check bounds them. */
export interface ProgramHeader {
  /** Index in the table. */
  readonly index: number;
  /** File offset of this entry (for error messages). */
  readonly at: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

/** e_phentsize and e_phnum are Elf64_Ehdr fields at these offsets. */
const E_PHENTSIZE = 54;
const E_PHNUM = 56;
const E_PHOFF = 32;

/** Reads and bounds-checks the program header table. Throws `ElfLoadError`. */
export function readProgramHeaders(bytes: Uint8Array, header: ElfHeader): ProgramHeader[] {
  // load_elf_phdrs(): "if (elf_ex->e_phentsize != sizeof(struct elf_phdr)) goto out;"
  if (header.phentsize !== ELF64_PHDR_SIZE) {
    throw new ElfLoadError('phdr-table', `corrupt ELF header: e_phentsize is ${header.phentsize}, expected ${ELF64_PHDR_SIZE}`, E_PHENTSIZE);
  }
  // load_elf_phdrs(): "if (size == 0 || size > 65536 || size > ELF_MIN_ALIGN) goto out;"
  if (header.phnum === 0) throw new ElfLoadError('phdr-table', 'corrupt ELF header: no program headers (e_phnum is 0)', E_PHNUM);
  if (header.phnum > MAX_PHNUM) {
    throw new ElfLoadError('phdr-table', `corrupt ELF header: too many program headers (e_phnum ${header.phnum}, Linux accepts at most ${MAX_PHNUM})`, E_PHNUM);
  }
  const size = BigInt(header.phnum * ELF64_PHDR_SIZE);
  if (header.phoff + size > BigInt(bytes.length)) {
    throw new ElfLoadError('truncated', `truncated ELF file: program headers at offset 0x${header.phoff.toString(16)} (${size} bytes) extend past the end of the file (${bytes.length} bytes)`, E_PHOFF);
  }
  const v = viewOf(bytes);
  const out: ProgramHeader[] = [];
  for (let i = 0; i < header.phnum; i++) {
    const at = Number(header.phoff) + i * ELF64_PHDR_SIZE;
    out.push({
      index: i,
      at,
      type: v.getUint32(at, true),
      flags: v.getUint32(at + 4, true),
      offset: v.getBigUint64(at + 8, true),
      vaddr: v.getBigUint64(at + 16, true),
      paddr: v.getBigUint64(at + 24, true),
      filesz: v.getBigUint64(at + 32, true),
      memsz: v.getBigUint64(at + 40, true),
      align: v.getBigUint64(at + 48, true),
    });
  }
  return out;
}
