/**
 * struct pt_regs, the register frame every kernel entry builds on the stack.
 * @kernel arch/x86/include/asm/ptrace.h struct pt_regs
 *
 *   high  ss  sp  flags  cs  ip        <- pushed by the CPU (SDM Vol. 3A §6.14.2)
 *         orig_ax                       <- error code slot / syscall nr / -1
 *         di si dx cx ax r8 r9 r10 r11 bx bp r12 r13 r14
 *   low   r15                           <- PUSH_REGS pushes last; pt_regs starts here
 *
 * This is the layout of the 2020 discussion (v5.10). FRED-era kernels turn
 * cs and ss into unions of u16/u64/bitfield views; offsets and size are
 * unchanged, so the plain `unsigned long` form is kept here.
 */
import { struct, ulongs, type Member } from '../ctype.js';

/** pt_regs members in memory order (lowest address first). */
export const PT_REGS_MEMBERS: readonly Member[] = ulongs(
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx',
  'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di',
  'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss',
);

/** The upstream struct pt_regs (168 bytes). Designs may derive variants. */
export const ptRegs = struct('pt_regs', PT_REGS_MEMBERS);
