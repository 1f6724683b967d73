/**
 * The state system calls of one process need beyond its task: its address
 * space, where its standard streams go, what execve was given, and the
 * odds and ends of task_struct that the calls of a static libc's start-up
 * read or write.
 */
import type { NativeRuntime } from '../arch/x86/native.js';
import type { Task } from '../arch/x86/sched.js';
import type { UserMm } from '../mm.js';
import type { HostConsole } from './host.js';
import type { FdTable } from './files.js';
import type { MaySleep } from '../generic/index.js';

/** The process's virtual clock (time.ts): what it slept, and a pending alarm's deadline. */
export interface ProcessClock {
  sleptNs: number;
  /** ITIMER_REAL's (and alarm's) next expiry on the virtual clock. */
  alarmAt: number | null;
  /** ITIMER_REAL's it_interval in ns (0: one-shot, as alarm sets it). */
  realIntervalNs?: number;
  /** The expiry ITIMER_REAL fired at, while its SIGALRM waits to be dequeued (then it re-arms: timers.ts). */
  realFiredAt?: number | null;
  /** ITIMER_VIRTUAL and ITIMER_PROF: expiry and interval on the process's CPU time (time.ts). */
  cpuTimers?: CpuTimer[];
}

/** An ITIMER_VIRTUAL or ITIMER_PROF timer: expiry (CPU-time ns, null when disarmed) and interval. */
export interface CpuTimer {
  at: number | null;
  intervalNs: number;
}

/**
 * current->restart_block: what restart_syscall resumes after a signal
 * interrupted a sleep (hrtimer_nanosleep_restart, futex_wait_restart).
 * Absent = do_no_restart_syscall.
 */
export type RestartBlock =
  | { readonly kind: 'nanosleep'; readonly expires: number; readonly rmtp: number }
  | { readonly kind: 'futex'; readonly uaddr: number; readonly val: number; readonly expires: number; readonly bitset: number; readonly shared: boolean };

export interface LinuxProcess {
  readonly pid: number;
  /** Its (single) task: signal state, exit. */
  readonly task: Task;
  readonly rt: NativeRuntime;
  readonly mm: UserMm;
  readonly console: HostConsole;
  /** The executable's absolute path (readlink("/proc/self/exe"): d_path of the file, always absolute). */
  readonly exePath: string;
  /** The executable's bytes (opening /proc/self/exe or exePath reads them). */
  readonly exe: Uint8Array;
  /** Open file descriptors. */
  readonly files: FdTable;
  /** set_tid_address's clear_child_tid. */
  clearChildTid: number;
  /** set_robust_list's head and length. */
  robustList: { head: number; len: number } | null;
  /** Nanoseconds of virtual time per retired instruction (clock_gettime). */
  readonly nsPerInstruction: number;
  /** Instructions retired (the virtual clock). */
  instructions(): number;
  /** getrandom's source: deterministic, so runs repeat. */
  random(n: number): Uint8Array;
  /** Its virtual clock's sleep total and alarm (time.ts). */
  readonly clock: ProcessClock;
  /** Sleeps until woken (nothing wakes it yet but its death). */
  sleepForever(): MaySleep;
  /** schedule() for sched_yield, when the process's creator provides it. */
  readonly schedYield?: () => MaySleep;
  /** Limits set by prlimit64 (resource → [soft, hard]); unset ones have kentry's defaults (misc.ts). */
  rlimits?: Map<number, readonly [bigint, bigint]>;
  /** The restart block of the last interrupted sleep (time.ts, futex.ts). */
  restartBlock?: RestartBlock | null;
}
