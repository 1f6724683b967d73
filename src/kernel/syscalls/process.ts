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
import type { PtRegs } from '../arch/x86/regs.js';

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

/**
 * The processes of one kernel and the services of their life cycle, which
 * need the whole kernel (exec/world.ts builds it): fork, exec, waking a
 * sleeper. System calls reach other processes only through here.
 */
export interface ProcessWorld {
  /** Live and zombie processes by pid (find_task_by_vpid). */
  readonly byPid: Map<number, LinuxProcess>;
  /** kernel_clone: the child's pid or a negative errno. */
  clone(parent: LinuxProcess, regs: PtRegs, args: CloneArgs): MaySleep<number>;
  /** do_execveat_common after the arguments were copied in: a negative errno, or 0 with the registers of the new image set. */
  exec(p: LinuxProcess, regs: PtRegs, path: string, argv: readonly Uint8Array[], envp: readonly Uint8Array[]): MaySleep<number>;
  /** wake_up_process: a sleeping task runs again. */
  wake(task: Task): void;
  /** Takes a zombie child off the books (release_task). */
  reap(child: LinuxProcess): void;
  /** do_notify_parent for a dead child a tracer has let go: the parent's exit signal (or autoreap) and wake. */
  notifyParent(child: LinuxProcess): void;
  /** sys_ptrace(request, pid, addr, data) for `tracer`. */
  ptrace(tracer: LinuxProcess, request: number, pid: number, addr: bigint, data: bigint): bigint;
}

/** struct kernel_clone_args: what fork, vfork, clone and clone3 ask for. */
export interface CloneArgs {
  readonly flags: bigint;
  /** exit_signal: CSIGNAL of clone's flags, clone3's exit_signal. */
  readonly exitSignal: number;
  /** The child's stack pointer (0: the parent's). */
  readonly stack: number;
  readonly parentTid: number;
  readonly childTid: number;
  readonly tls: bigint;
}

export interface LinuxProcess {
  readonly pid: number;
  /** Its (single) task: signal state, exit. */
  readonly task: Task;
  readonly rt: NativeRuntime;
  /** Its address space (execve replaces it; a vfork child borrows its parent's). */
  mm: UserMm;
  readonly console: HostConsole;
  /** The executable's absolute path (readlink("/proc/self/exe"): d_path of the file, always absolute). */
  exePath: string;
  /** The executable's bytes (opening /proc/self/exe or exePath reads them). */
  exe: Uint8Array;
  /** The other processes and the life-cycle services. */
  readonly world: ProcessWorld;
  /** real_parent; null for the first process (its parent is kentry's caller). */
  parent: LinuxProcess | null;
  readonly children: LinuxProcess[];
  /** exit_signal: what the parent is sent at this process's death (SIGCHLD for fork; 0: none). */
  exitSignal: number;
  /** vfork_done: the parent sleeping until this child execs or exits. */
  vforkParent: LinuxProcess | null;
  /** Waited for: gone from the books. */
  reaped: boolean;
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
  /** Sleeps one timer tick (a sleeper with no wait queue looks again then); absent: sleepForever. */
  readonly napTick?: () => MaySleep;
  /** schedule() for sched_yield, when the process's creator provides it. */
  readonly schedYield?: () => MaySleep;
  /** Limits set by prlimit64 (resource → [soft, hard]); unset ones have kentry's defaults (misc.ts). */
  rlimits?: Map<number, readonly [bigint, bigint]>;
  /** The restart block of the last interrupted sleep (time.ts, futex.ts). */
  restartBlock?: RestartBlock | null;
}
