/**
 * ELF64 static executables for x86-64 Linux: parse and check a file the way
 * fs/binfmt_elf.c load_elf_binary() does, produce a plain-data load plan,
 * and build the initial user stack as create_elf_tables() does. Pure data
 * in, data out; no Node built-ins (runs in a browser too).
 */
export { planLoad, readElf } from './load-plan.js';
export type { LoadPlan, LoadPlanOptions, LoadSegment, TlsTemplate } from './load-plan.js';
export { buildInitialStack, MAX_ARG_STRLEN } from './initial-stack.js';
export type { ArgString, InitialStack, InitialStackInput } from './initial-stack.js';
export { ElfLoadError, DYNAMIC_EXECUTABLE_MESSAGE } from './errors.js';
export type { ElfErrorReason } from './errors.js';
export type { ElfHeader } from './header.js';
export type { ProgramHeader } from './program-headers.js';
export { staticPieBias, totalMappingSize, maximumAlignment } from './et-dyn-bias.js';
export * from './auxv.js';
export * from './constants.js';
