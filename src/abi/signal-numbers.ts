/**
 * Signal numbers and the si_code values kentry raises, as the x86-64 user
 * ABI defines them.
 * @kernel include/uapi/asm-generic/signal.h (x86 uses the generic numbers), include/uapi/asm-generic/siginfo.h
 */
export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGCHLD = 17;
export const SIGSYS = 31;

/** si_code of a signal the kernel raised itself. */
export const SI_KERNEL = 0x80;
export const ILL_ILLOPN = 2;
export const FPE_INTDIV = 1;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const SEGV_PKUERR = 4;
export const TRAP_BRKPT = 1;
export const TRAP_TRACE = 2;
/** si_code of kill() and of tkill()/tgkill(). */
export const SI_USER = 0;
export const SI_TKILL = -6;

/**
 * sa_flags bits (x86-64 uapi).
 * @kernel include/uapi/asm-generic/signal-defs.h, arch/x86/include/uapi/asm/signal.h
 */
export const SA_SIGINFO = 0x4;
export const SA_RESTORER = 0x0400_0000;
export const SA_ONSTACK = 0x0800_0000;
export const SA_RESTART = 0x1000_0000;
export const SA_NODEFER = 0x4000_0000;
export const SA_RESETHAND = 0x8000_0000;

/** sigaltstack ss_flags (include/uapi/linux/signal.h): SS_ONSTACK, SS_DISABLE, SS_AUTODISARM. */
export const SS_ONSTACK = 1;
export const SS_AUTODISARM = 0x8000_0000;
/** MINSIGSTKSZ of the x86 uapi: sigaltstack refuses smaller stacks (do_sigaltstack). */
export const MINSIGSTKSZ = 2048;

/**
 * Signals whose default action dumps core (sig_kernel_coredump): the rest
 * of the fatal ones only terminate.
 * @kernel include/linux/signal.h SIG_KERNEL_COREDUMP_MASK
 */
export const CORE_DUMPING = new Set([SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS, 24 /* SIGXCPU */, 25 /* SIGXFSZ */]);

/** SIGCHLD's si_code values (include/uapi/asm-generic/siginfo.h). */
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

export const SIGCONT = 18;
export const SIGSTOP = 19;
/** Signals whose default action stops the process (sig_kernel_stop): SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU. */
export const STOP_SIGNALS = new Set([SIGSTOP, 20 /* SIGTSTP */, 21 /* SIGTTIN */, 22 /* SIGTTOU */]);

/** Signals whose default action is to ignore (sig_kernel_ignore): SIGCHLD, SIGURG, SIGWINCH, SIGCONT. */
export const IGNORED_BY_DEFAULT = new Set([SIGCHLD, 23 /* SIGURG */, 28 /* SIGWINCH */, 18 /* SIGCONT */]);

const NAMES: Readonly<Record<number, string>> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE',
  9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM',
  17: 'SIGCHLD', 31: 'SIGSYS',
};

export function signalName(sig: number): string {
  return NAMES[sig] ?? `signal ${sig}`;
}
