/**
 * What the kernel keeps in mm_struct at exec for a later core dump:
 * mm->saved_auxv (the auxiliary vector create_elf_tables put on the stack)
 * and mm->arg_start / arg_end (the argv strings, for pr_psargs). Read back
 * from the initial stack the ELF loader built, right after exec, before the
 * program runs:
 *
 *   rsp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs ... AT_NULL 0
 *
 * @kernel fs/binfmt_elf.c create_elf_tables (mm->saved_auxv, arg_start, arg_end)
 */
import type { Platform } from '../arch/x86/platform.js';
import { readUserPhys } from './user-pages.js';

export interface ExecInfo {
  /** mm->saved_auxv: (type, value) pairs, AT_NULL included. */
  readonly savedAuxv: readonly (readonly [bigint, bigint])[];
  /** mm->arg_start: argv[0]. */
  readonly argStart: number;
  /** mm->arg_end: one past the NUL of the last argv string. */
  readonly argEnd: number;
}

const AT_NULL = 0n;
/** A bound on the words walked (argc + argv + envp + auxv): a broken stack is a model bug, not a hang. */
const MAX_WORDS = 1 << 16;

/** Reads argc, argv, envp and auxv from the initial stack at `rsp`. */
export function readExecInfo(platform: Platform, rsp: number): ExecInfo {
  const word = (i: number): bigint => new DataView(readUserPhys(platform, rsp + 8 * i, 8).buffer).getBigUint64(0, true);
  const argc = Number(word(0));
  const argv = Array.from({ length: argc }, (_, i) => Number(word(1 + i)));
  let i = 1 + argc + 1;
  while (word(i) !== 0n && i < MAX_WORDS) i++; // envp
  i++;
  const savedAuxv: (readonly [bigint, bigint])[] = [];
  for (; i < MAX_WORDS; i += 2) {
    const pair = [word(i), word(i + 1)] as const;
    savedAuxv.push(pair);
    if (pair[0] === AT_NULL) break;
  }
  const last = argv[argc - 1];
  let argEnd = last ?? 0;
  if (last !== undefined) {
    const bytes = readUserPhys(platform, last, 128 * 1024);
    argEnd = last + bytes.indexOf(0) + 1;
  }
  return { savedAuxv, argStart: argv[0] ?? 0, argEnd };
}
