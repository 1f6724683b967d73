/**
 * Auxiliary vector entry types (include/uapi/linux/auxvec.h; AT_SYSINFO_EHDR
 * also in arch/x86/include/uapi/asm/auxvec.h) and the fixed values x86-64
 * Linux puts in them.
 */
export const AT_NULL = 0;
export const AT_IGNORE = 1;
export const AT_EXECFD = 2;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_NOTELF = 10;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_BASE_PLATFORM = 24;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_RSEQ_FEATURE_SIZE = 27;
export const AT_RSEQ_ALIGN = 28;
export const AT_HWCAP3 = 29;
export const AT_HWCAP4 = 30;
export const AT_EXECFN = 31;
export const AT_SYSINFO_EHDR = 33;
export const AT_MINSIGSTKSZ = 51;

/** AT_PAGESZ: ELF_EXEC_PAGESIZE (arch/x86/include/asm/elf.h). */
export const ELF_EXEC_PAGESIZE = 4096;
/** AT_CLKTCK: CLOCKS_PER_SEC = USER_HZ (arch/x86/include/uapi/asm/param.h). */
export const CLOCKS_PER_SEC = 100;
/** AT_PLATFORM: ELF_PLATFORM = utsname()->machine on x86-64. */
export const ELF_PLATFORM = 'x86_64';

/** Names for traces and test output. */
export const AT_NAMES: Readonly<Record<number, string>> = {
  [AT_NULL]: 'AT_NULL', [AT_IGNORE]: 'AT_IGNORE', [AT_EXECFD]: 'AT_EXECFD', [AT_PHDR]: 'AT_PHDR',
  [AT_PHENT]: 'AT_PHENT', [AT_PHNUM]: 'AT_PHNUM', [AT_PAGESZ]: 'AT_PAGESZ', [AT_BASE]: 'AT_BASE',
  [AT_FLAGS]: 'AT_FLAGS', [AT_ENTRY]: 'AT_ENTRY', [AT_NOTELF]: 'AT_NOTELF', [AT_UID]: 'AT_UID',
  [AT_EUID]: 'AT_EUID', [AT_GID]: 'AT_GID', [AT_EGID]: 'AT_EGID', [AT_PLATFORM]: 'AT_PLATFORM',
  [AT_HWCAP]: 'AT_HWCAP', [AT_CLKTCK]: 'AT_CLKTCK', [AT_SECURE]: 'AT_SECURE',
  [AT_BASE_PLATFORM]: 'AT_BASE_PLATFORM', [AT_RANDOM]: 'AT_RANDOM', [AT_HWCAP2]: 'AT_HWCAP2',
  [AT_RSEQ_FEATURE_SIZE]: 'AT_RSEQ_FEATURE_SIZE', [AT_RSEQ_ALIGN]: 'AT_RSEQ_ALIGN',
  [AT_HWCAP3]: 'AT_HWCAP3', [AT_HWCAP4]: 'AT_HWCAP4', [AT_EXECFN]: 'AT_EXECFN',
  [AT_SYSINFO_EHDR]: 'AT_SYSINFO_EHDR', [AT_MINSIGSTKSZ]: 'AT_MINSIGSTKSZ',
};
