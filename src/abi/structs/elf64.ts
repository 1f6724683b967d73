/**
 * The ELF64 file header and program header as a core file writes them
 * (fill_elf_header, fill_elf_note_phdr and the PT_LOAD headers of
 * elf_core_dump). The loader in src/elf reads the same fields by offset;
 * these declarations are what the writer fills.
 * @kernel include/uapi/linux/elf.h Elf64_Ehdr, Elf64_Phdr
 * @see System V gABI "ELF Header", "Program Header"
 */
import { array, member, struct, u16, u32, u64, u8 } from '../ctype.js';

/** Elf64_Half u16, Elf64_Word u32, Elf64_Addr / Elf64_Off / Elf64_Xword u64. */
export const elf64Ehdr = struct('elf64_hdr', [
  member('e_ident', array(u8, 16)),
  member('e_type', u16),
  member('e_machine', u16),
  member('e_version', u32),
  member('e_entry', u64),
  member('e_phoff', u64),
  member('e_shoff', u64),
  member('e_flags', u32),
  member('e_ehsize', u16),
  member('e_phentsize', u16),
  member('e_phnum', u16),
  member('e_shentsize', u16),
  member('e_shnum', u16),
  member('e_shstrndx', u16),
]);

export const elf64Phdr = struct('elf64_phdr', [
  member('p_type', u32),
  member('p_flags', u32),
  member('p_offset', u64),
  member('p_vaddr', u64),
  member('p_paddr', u64),
  member('p_filesz', u64),
  member('p_memsz', u64),
  member('p_align', u64),
]);
