/**
 * struct user: the "USER area" PTRACE_PEEKUSR / PTRACE_POKEUSR address by
 * offset. Nothing stores one; arch_ptrace maps offsets onto it — the
 * registers (0..215) through getreg/putreg, u_debugreg[8] onto the
 * thread's ptrace breakpoints, every other member reads as 0 and refuses
 * writes — and sizeof(struct user) bounds the offsets.
 *
 *     0  regs (user_regs_struct, 216)     776  signal
 *   216  u_fpvalid  220 pad0              784  reserved  788 pad1
 *   224  i387 (user_i387_struct, 512)     792  u_ar0  800 u_fpstate
 *   736  u_tsize u_dsize u_ssize          808  magic  816 u_comm[32]
 *   760  start_code  768 start_stack      848  u_debugreg[8]
 *                                         912  error_code  920 fault_address   (928)
 *
 * glibc's <sys/user.h> has the same members up to u_debugreg and stops
 * there (912 bytes), with its own spellings of two i387 fields (ftw,
 * mxcr_mask); the kernel's offsets bound is the kernel's 928.
 *
 * @kernel arch/x86/include/asm/user_64.h struct user, struct user_i387_struct
 */
import { __u32, __u64, array, char, int, long, member, pointer, struct, unsignedLong, unsignedShort } from '../ctype.js';
import { userRegsStruct } from './user-regs.js';

/** The FXSAVE image as the USER area and PTRACE_GETFPREGS name it (512 bytes). */
export const userI387Struct = struct('user_i387_struct', [
  member('cwd', unsignedShort),
  member('swd', unsignedShort),
  // Not the FSAVE tag word: the FXSAVE abridged one.
  member('twd', unsignedShort),
  member('fop', unsignedShort),
  member('rip', __u64),
  member('rdp', __u64),
  member('mxcsr', __u32),
  member('mxcsr_mask', __u32),
  member('st_space', array(__u32, 32)),
  member('xmm_space', array(__u32, 64)),
  member('padding', array(__u32, 24)),
]);

export const userStruct = struct('user', [
  member('regs', userRegsStruct),
  member('u_fpvalid', int),
  member('pad0', int),
  member('i387', userI387Struct),
  member('u_tsize', unsignedLong),
  member('u_dsize', unsignedLong),
  member('u_ssize', unsignedLong),
  member('start_code', unsignedLong),
  member('start_stack', unsignedLong),
  member('signal', long),
  member('reserved', int),
  member('pad1', int),
  member('u_ar0', unsignedLong),
  member('u_fpstate', pointer('struct user_i387_struct *')),
  member('magic', unsignedLong),
  member('u_comm', array(char, 32)),
  member('u_debugreg', array(unsignedLong, 8)),
  member('error_code', unsignedLong),
  member('fault_address', unsignedLong),
]);
