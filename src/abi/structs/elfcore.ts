/**
 * What an ELF core file's notes carry on x86-64: the note header, the
 * per-thread status with the registers (NT_PRSTATUS) and the process
 * summary (NT_PRPSINFO), and the note types the kernel writes.
 *
 *   struct elf_prstatus (336)           struct elf_prpsinfo (136)
 *     +0    pr_info {signo, code, errno}  +0   pr_state sname zomb nice
 *     +12   pr_cursig                     +8   pr_flag
 *     +16   pr_sigpend  +24 pr_sighold    +16  pr_uid  +20 pr_gid
 *     +32   pr_pid ppid pgrp sid          +24  pr_pid ppid pgrp sid
 *     +48   pr_utime stime cutime cstime  +40  pr_fname[16]
 *     +112  pr_reg (user_regs_struct)     +56  pr_psargs[80]
 *     +328  pr_fpvalid
 *
 * @kernel include/uapi/linux/elfcore.h struct elf_siginfo, struct elf_prpsinfo
 * @kernel include/linux/elfcore.h struct elf_prstatus_common, struct elf_prstatus
 * @kernel include/uapi/linux/elf.h Elf64_Nhdr, NT_* note types
 * @kernel include/uapi/linux/time_types.h struct __kernel_old_timeval
 */
import { array, char, int, long, member, pid_t, short, struct, u32, unsignedInt, unsignedLong } from '../ctype.js';
import { layoutOf } from '../layout.js';
import { userRegsStruct } from './user-regs.js';

/** Note types of a Linux core (include/uapi/linux/elf.h). */
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
/** NT_SIGINFO is "SIGI", NT_FILE "FILE" as ASCII. */
export const NT_SIGINFO = 0x5349_4749;
export const NT_FILE = 0x4649_4c45;
export const NT_X86_XSTATE = 0x202;
/** The I/O permission bitmap (a regset, never in a core: its ->active is 0 without ioperm()). */
export const NT_386_IOPERM = 0x201;
/** The user shadow-stack pointer (CONFIG_X86_USER_SHADOW_STACK). */
export const NT_X86_SHSTK = 0x204;
/** NT_X86_XSAVE_LAYOUT: where each extended XSAVE component sits (Linux 6.11+). */
export const NT_X86_XSAVE_LAYOUT = 0x205;

/** struct x86_xfeat_component (arch/x86/include/uapi/asm/elf.h): one NT_X86_XSAVE_LAYOUT entry. */
export const x86XfeatComponent = struct('x86_xfeat_component', [
  member('type', u32),
  member('size', u32),
  member('offset', u32),
  member('flags', u32),
]);

/** ELF_PRARGSZ: bytes of the command line kept in pr_psargs. */
export const ELF_PRARGSZ = 80;
/** TASK_COMM_LEN: pr_fname is the task's comm. */
export const TASK_COMM_LEN = 16;

/** Elf64_Nhdr: each note is this header, the name and the descriptor, each padded to 4 bytes. */
export const elf64Nhdr = struct('elf64_note', [
  member('n_namesz', u32),
  member('n_descsz', u32),
  member('n_type', u32),
]);

export const elfSiginfo = struct('elf_siginfo', [
  member('si_signo', int),
  member('si_code', int),
  member('si_errno', int),
]);

const kernelOldTimeval = struct('__kernel_old_timeval', [member('tv_sec', long), member('tv_usec', long)]);

export const elfPrstatusCommon = struct('elf_prstatus_common', [
  member('pr_info', elfSiginfo),
  member('pr_cursig', short),
  member('pr_sigpend', unsignedLong),
  member('pr_sighold', unsignedLong),
  member('pr_pid', pid_t),
  member('pr_ppid', pid_t),
  member('pr_pgrp', pid_t),
  member('pr_sid', pid_t),
  member('pr_utime', kernelOldTimeval),
  member('pr_stime', kernelOldTimeval),
  member('pr_cutime', kernelOldTimeval),
  member('pr_cstime', kernelOldTimeval),
]);

/** ELF_NGREG: sizeof(struct user_regs_struct) / sizeof(elf_greg_t) = 27 (arch/x86/include/asm/elf.h). */
export const ELF_NGREG = layoutOf(userRegsStruct).size / 8;

export const elfPrstatus = struct('elf_prstatus', [
  member('common', elfPrstatusCommon),
  // elf_gregset_t: the NT_PRSTATUS regset's output (genregs_get), user_regs_struct word by word.
  member('pr_reg', array(unsignedLong, ELF_NGREG)),
  member('pr_fpvalid', int),
]);

export const elfPrpsinfo = struct('elf_prpsinfo', [
  member('pr_state', char),
  member('pr_sname', char),
  member('pr_zomb', char),
  member('pr_nice', char),
  member('pr_flag', unsignedLong),
  // __kernel_uid_t / __kernel_gid_t: unsigned int on x86-64.
  member('pr_uid', unsignedInt),
  member('pr_gid', unsignedInt),
  member('pr_pid', pid_t),
  member('pr_ppid', pid_t),
  member('pr_pgrp', pid_t),
  member('pr_sid', pid_t),
  member('pr_fname', array(char, TASK_COMM_LEN)),
  member('pr_psargs', array(char, ELF_PRARGSZ)),
]);
