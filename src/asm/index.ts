/**
 * kentry's AT&T-syntax x86-64 assembler: enough for the kernel entry stubs
 * and for test snippets. `assemble(source, { origin })` returns the bytes,
 * the symbol table (absolute addresses), the .globl names and a listing;
 * errors are `AsmError` (code 'asm') naming the line.
 */
export { assemble, type AsmLine, type AsmOptions, type AsmResult } from './assembler.js';
export { AsmError } from './errors.js';
export { knownMnemonics } from './insn-table.js';
export { nopPadding } from './nops.js';
