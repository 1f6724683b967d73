/**
 * ELF64 format constants (include/uapi/linux/elf.h, the System V gABI) and
 * the x86-64 kernel values the loader depends on, under their kernel names.
 */

/** e_ident: `\x7fELF` (ELFMAG, SELFMAG = 4). */
export const ELFMAG = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_NIDENT = 16;

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;

export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const EM_386 = 3;
export const EM_X86_64 = 62;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_STACK = 0x6474e551;

export const PF_X = 0x1;
export const PF_W = 0x2;
export const PF_R = 0x4;

/** include/uapi/asm-generic/mman-common.h: what make_prot() turns PF_* into. */
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;

/** sizeof(Elf64_Ehdr) and sizeof(Elf64_Phdr). */
export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;

/**
 * ELF_MIN_ALIGN in fs/binfmt_elf.c: max(ELF_EXEC_PAGESIZE, PAGE_SIZE), 4096
 * on x86-64 (arch/x86/include/asm/elf.h ELF_EXEC_PAGESIZE).
 */
export const ELF_MIN_ALIGN = 4096;

/**
 * TASK_SIZE_MAX with 4-level paging (arch/x86/include/asm/page_64_types.h):
 * `(1 << 47) - PAGE_SIZE`, the BAD_ADDR() limit of fs/binfmt_elf.c. Also
 * DEFAULT_MAP_WINDOW, the top of the default user address space.
 */
export const TASK_SIZE = 2 ** 47 - 4096;

/**
 * arch/x86/include/asm/elf.h: `ELF_ET_DYN_BASE (DEFAULT_MAP_WINDOW / 3 * 2)`
 * for 64-bit tasks = 0x555555554aaa. load_elf_binary() uses it as the base of
 * a PIE *with* PT_INTERP (rounded down to the segment alignment, giving the
 * familiar 0x555555554000) and as the start of brk for a static PIE.
 */
export const ELF_ET_DYN_BASE = Math.floor(TASK_SIZE / 3) * 2;

/**
 * mm->mmap_base without randomization (arch/x86/mm/mmap.c mmap_base()):
 * `PAGE_ALIGN(task_size - gap)`, gap = RLIMIT_STACK + stack_guard_gap
 * clamped to at least SIZE_128M. With any stack rlimit below ~127 MiB (the
 * default is 8 MiB) the clamp wins: 0x7ffff7fff000. A static PIE (ET_DYN
 * without PT_INTERP) is mapped top-down just below it.
 */
export const MMAP_BASE_NO_RANDOMIZE = TASK_SIZE - 128 * 1024 * 1024;

/**
 * fs/binfmt_elf.c load_elf_phdrs(): the table must fit in one ELF_MIN_ALIGN
 * page, so e_phnum is at most floor(4096 / 56) = 73.
 */
export const MAX_PHNUM = Math.floor(ELF_MIN_ALIGN / ELF64_PHDR_SIZE);

/**
 * vm.mmap_min_addr default on x86 (CONFIG_DEFAULT_MMAP_MIN_ADDR=65536 in
 * Debian and most distributions): security/commoncap.c cap_mmap_addr()
 * refuses lower addresses to a task without CAP_SYS_RAWIO, so a PT_LOAD
 * below it fails to map (-EPERM).
 */
export const MMAP_MIN_ADDR = 65536;

/** Rounds down / up to ELF_MIN_ALIGN (ELF_PAGESTART / ELF_PAGEALIGN). */
export function elfPageStart(v: number): number {
  return Math.floor(v / ELF_MIN_ALIGN) * ELF_MIN_ALIGN;
}
export function elfPageAlign(v: number): number {
  return elfPageStart(v + ELF_MIN_ALIGN - 1);
}
