/**
 * ptrace(2)'s user ABI on x86-64: the request numbers (generic and x86),
 * and the arch_prctl codes PTRACE_ARCH_PRCTL passes on. Checked against
 * the host's <linux/ptrace.h>, <asm/ptrace-abi.h> and <asm/prctl.h> by
 * tests/kernel/ptrace/abi-vs-host.test.ts.
 *
 * @kernel include/uapi/linux/ptrace.h
 * @kernel arch/x86/include/uapi/asm/ptrace-abi.h
 * @kernel arch/x86/include/uapi/asm/prctl.h
 */

// Generic requests (include/uapi/linux/ptrace.h).
export const PTRACE_TRACEME = 0;
export const PTRACE_PEEKTEXT = 1;
export const PTRACE_PEEKDATA = 2;
export const PTRACE_PEEKUSR = 3;
export const PTRACE_POKETEXT = 4;
export const PTRACE_POKEDATA = 5;
export const PTRACE_POKEUSR = 6;
export const PTRACE_CONT = 7;
export const PTRACE_KILL = 8;
export const PTRACE_SINGLESTEP = 9;
export const PTRACE_ATTACH = 16;
export const PTRACE_DETACH = 17;
export const PTRACE_SYSCALL = 24;
export const PTRACE_SETOPTIONS = 0x4200;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_SETSIGINFO = 0x4203;
export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_SETREGSET = 0x4205;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
export const PTRACE_LISTEN = 0x4208;
export const PTRACE_PEEKSIGINFO = 0x4209;
export const PTRACE_GETSIGMASK = 0x420a;
export const PTRACE_SETSIGMASK = 0x420b;

// x86 requests (arch/x86/include/uapi/asm/ptrace-abi.h).
export const PTRACE_GETREGS = 12;
export const PTRACE_SETREGS = 13;
export const PTRACE_GETFPREGS = 14;
export const PTRACE_SETFPREGS = 15;
export const PTRACE_GET_THREAD_AREA = 25;
export const PTRACE_SET_THREAD_AREA = 26;
export const PTRACE_ARCH_PRCTL = 30;
export const PTRACE_SYSEMU = 31;
export const PTRACE_SYSEMU_SINGLESTEP = 32;
export const PTRACE_SINGLEBLOCK = 33;

// arch_prctl codes (arch/x86/include/uapi/asm/prctl.h).
export const ARCH_SET_GS = 0x1001;
export const ARCH_SET_FS = 0x1002;
export const ARCH_GET_FS = 0x1003;
export const ARCH_GET_GS = 0x1004;
