import { UsageError } from '../lib/errors.js';

/**
 * Why an ELF file was refused. Each reason is one check; the comment names
 * the fs/binfmt_elf.c code that refuses the same input with -ENOEXEC,
 * -EINVAL or -EIO, or says where kentry is stricter than Linux.
 */
export type ElfErrorReason =
  /** e_ident does not start with ELFMAG (load_elf_binary: memcmp ELFMAG). */
  | 'not-elf'
  /** A header or segment lies (partly) outside the file (elf_read -EIO; mmap past EOF). */
  | 'truncated'
  /** EI_CLASS is not ELFCLASS64 (a 32-bit file goes to compat_binfmt_elf on Linux). */
  | 'elf-class'
  /** EI_DATA is not ELFDATA2LSB. */
  | 'elf-data'
  /** e_machine is not EM_X86_64 (elf_check_arch). */
  | 'machine'
  /** e_type is neither ET_EXEC nor ET_DYN (load_elf_binary). */
  | 'elf-type'
  /** e_phentsize / e_phnum out of range (load_elf_phdrs). */
  | 'phdr-table'
  /** PT_INTERP present: needs a dynamic loader kentry does not provide. */
  | 'dynamic'
  /** A PT_LOAD Linux cannot map (size, address, file offset checks). */
  | 'segment'
  /** The entry point is not a user address (load_elf_binary: BAD_ADDR(elf_entry)). */
  | 'entry';

/**
 * A refused ELF file. A `UsageError` (the CLI prints the message as one line
 * and exits 2); `reason` says which check failed and `offset` is the file
 * offset of the offending field or header when there is one.
 */
export class ElfLoadError extends UsageError {
  override readonly name = 'ElfLoadError';
  constructor(
    readonly reason: ElfErrorReason,
    message: string,
    readonly offset: number | null = null,
  ) {
    super(message);
  }
}

/** The exact message for a file with PT_INTERP (DESIGN.md §6). */
export const DYNAMIC_EXECUTABLE_MESSAGE = 'dynamic executables are not supported yet: build with -static';
