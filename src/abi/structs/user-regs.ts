/**
 * struct user_regs_struct: the ptrace/core-dump view of the registers.
 * Its first 21 words mirror pt_regs *as uapi*, which is why the kernel's
 * getreg/putreg may index pt_regs by `offset / 8` (arch/x86/kernel/ptrace.c
 * pt_regs_access, guarded by BUILD_BUG_ON(offsetof(pt_regs, r15) != 0)).
 * @kernel arch/x86/include/asm/user_64.h struct user_regs_struct
 */
import { struct, ulongs } from '../ctype.js';
import { PT_REGS_MEMBERS } from './pt-regs.js';

export const userRegsStruct = struct('user_regs_struct', [
  ...PT_REGS_MEMBERS,
  ...ulongs('fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs'),
]);
