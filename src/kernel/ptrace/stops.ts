/**
 * ptrace's side of a traced process: the link to its tracer, the stops
 * (TASK_TRACED) at a signal's delivery, at system-call entry and exit
 * (PTRACE_SYSCALL), and what a resume leaves behind — the signal to
 * deliver, single-stepping by a forced TF. A stop notifies the tracer
 * (SIGCHLD with CLD_TRAPPED, and wait4 reports it) and sleeps until the
 * tracer resumes it, detaches, or SIGKILL arrives.
 *
 * @kernel kernel/signal.c ptrace_stop, ptrace_signal, ptrace_do_notify, do_notify_parent_cldstop
 * @kernel include/linux/ptrace.h ptrace_report_syscall, kernel/entry/syscall-common.c syscall_trace_enter, syscall_exit_work
 * @kernel arch/x86/kernel/step.c user_enable_single_step, user_disable_single_step
 */
import { CLD_TRAPPED, SIGCHLD, SIGKILL, SIGSTOP, SIGTRAP, SI_USER } from '../../abi/signal-numbers.js';
import type { PendingSignal, Task } from '../arch/x86/sched.js';
import { sendSignal } from '../arch/x86/signal.js';
import { siginfoBytes } from '../arch/x86/signal-frame.js';
import type { PtRegs } from '../arch/x86/regs.js';
import type { Kernel } from '../boot.js';
import type { MaySleep } from '../generic/index.js';
import { SYSCALL_WORK_SYSCALL_TRACE } from '../generic/index.js';
import type { LinuxProcess } from '../syscalls/process.js';
import { pendingStops, tracees, tracerOf } from '../syscalls/wait.js';

/** PTRACE_O_* (include/uapi/linux/ptrace.h). */
export const PTRACE_O_TRACESYSGOOD = 1;
export const PTRACE_O_TRACEFORK = 0x2;
export const PTRACE_O_TRACEVFORK = 0x4;
export const PTRACE_O_TRACECLONE = 0x8;
export const PTRACE_O_TRACEEXEC = 0x10;
export const PTRACE_O_TRACEVFORKDONE = 0x20;
export const PTRACE_O_TRACEEXIT = 0x40;
/** PTRACE_EVENT_*: the event number in bits 8..15 of the stop's exit code; PTRACE_O_TRACE<event> = 1 << event. */
export const PTRACE_EVENT_FORK = 1;
export const PTRACE_EVENT_VFORK = 2;
export const PTRACE_EVENT_CLONE = 3;
export const PTRACE_EVENT_EXEC = 4;
export const PTRACE_EVENT_VFORK_DONE = 5;
export const PTRACE_EVENT_EXIT = 6;
export const PTRACE_O_EXITKILL = 0x10_0000;
export const PTRACE_O_MASK = 0x3000ff;
const X86_EFLAGS_TF = 1n << 8n;
const bit = (sig: number): bigint => 1n << BigInt(sig - 1);

export interface PtraceLink {
  readonly tracer: LinuxProcess;
  /** PTRACE_SEIZE rather than ATTACH or TRACEME. */
  readonly seized: boolean;
  options: number;
  /** TASK_TRACED: stopped for the tracer. */
  stopped: boolean;
  /** The signal the tracer resumed with (data of CONT/SYSCALL/SINGLESTEP/DETACH). */
  resumeSignal: number;
  /** last_siginfo while stopped (PTRACE_GETSIGINFO / SETSIGINFO). */
  siginfo: Uint8Array | null;
  /** PTRACE_GETEVENTMSG's value. */
  eventMsg: bigint;
}

/** The link of each traced process. */
export const links = new WeakMap<LinuxProcess, PtraceLink>();

/** __ptrace_link: `p` is traced by `tracer` from now on. */
export function ptraceLink(p: LinuxProcess, tracer: LinuxProcess, seized: boolean, options: number): PtraceLink {
  const link: PtraceLink = { tracer, seized, options, stopped: false, resumeSignal: 0, siginfo: null, eventMsg: 0n };
  links.set(p, link);
  tracerOf.set(p, tracer);
  p.task.ptraced = true;
  let set = tracees.get(tracer);
  if (!set) tracees.set(tracer, (set = new Set()));
  set.add(p);
  return link;
}

/** __ptrace_unlink: no longer traced; a stopped tracee runs again. */
export function ptraceUnlink(p: LinuxProcess, regs: PtRegs | null): void {
  const link = links.get(p);
  if (!link) return;
  if (p.task.forcedTf && regs) regs.set('flags', regs.get('flags') & ~X86_EFLAGS_TF);
  p.task.forcedTf = false;
  links.delete(p);
  tracerOf.delete(p);
  p.task.ptraced = false;
  tracees.get(link.tracer)?.delete(p);
  pendingStops.delete(p);
  p.task.entry.syscallWork.clear(SYSCALL_WORK_SYSCALL_TRACE);
  link.stopped = false;
  p.world.wake(p.task);
}

function fatalPending(task: Task): boolean {
  return task.pendingSignals.some((s) => s.sig === SIGKILL);
}

/**
 * ptrace_stop(exit_code): TASK_TRACED, the tracer told and woken, then
 * sleep until resumed (or detached, or killed). Returns the tracer's
 * resume signal (0: none).
 */
function* ptraceStop(k: Kernel, p: LinuxProcess, link: PtraceLink, signal: number, siginfo: Uint8Array): MaySleep<number> {
  if (fatalPending(p.task)) return 0;
  link.stopped = true;
  link.resumeSignal = 0;
  link.siginfo = siginfo;
  pendingStops.set(p, { status: (signal << 8) | 0x7f, signal, tracer: link.tracer });
  sendSignal(link.tracer.task, SIGCHLD, CLD_TRAPPED, p.pid, signal & 0x7f); // do_notify_parent_cldstop: exit_code & 0x7f
  p.world.wake(link.tracer.task);
  while (link.stopped && links.get(p) === link && !fatalPending(p.task)) yield* k.sched.sleepTicks(Infinity);
  link.stopped = false;
  link.siginfo = null;
  pendingStops.delete(p);
  return link.resumeSignal;
}

/** The process of `task`, and its link when it is traced. */
export type ProcessOf = (task: Task) => LinuxProcess | undefined;

/**
 * ptrace_signal: a traced task stops with the signal it was about to
 * take; the tracer's resume signal replaces it — none, the same one, or
 * another (then sent as if by the tracer: SI_USER, its pid). A blocked
 * replacement is queued instead.
 */
export function* ptraceSignal(k: Kernel, processOf: ProcessOf, task: Task, sig: PendingSignal): MaySleep<PendingSignal | null> {
  const p = processOf(task);
  const link = p && links.get(p);
  if (!p || !link) return sig;
  const resume = yield* ptraceStop(k, p, link, sig.sig, siginfoBytes(sig));
  if (resume === 0 || fatalPending(task)) return null;
  const next: PendingSignal = resume === sig.sig ? sig : { sig: resume, code: SI_USER, addr: 0, synchronous: false, pid: link.tracer.pid };
  if ((task.signals.blocked & bit(resume)) !== 0n) {
    sendSignal(task, resume, next.code, next.pid);
    return null;
  }
  return next;
}

/**
 * ptrace_report_syscall: a syscall-entry or -exit stop, reported as
 * SIGTRAP (| 0x80 with PTRACE_O_TRACESYSGOOD); a resume signal is then
 * sent to the task (send_sig). Returns whether a fatal signal is pending.
 */
function* reportSyscall(k: Kernel, p: LinuxProcess, link: PtraceLink): MaySleep<boolean> {
  const code = SIGTRAP | ((link.options & PTRACE_O_TRACESYSGOOD) !== 0 ? 0x80 : 0);
  const info = siginfoBytes({ sig: SIGTRAP, code, addr: 0, synchronous: false, pid: p.pid });
  const resume = yield* ptraceStop(k, p, link, code, info);
  if (resume !== 0) sendSignal(p.task, resume, SI_USER, link.tracer.pid);
  return fatalPending(p.task);
}

/**
 * syscall_trace_enter with SYSCALL_WORK_SYSCALL_TRACE: the entry stop; a
 * fatal signal skips the call (-1); else the number is orig_ax as the
 * tracer left it, truncated to do_syscall_64's int.
 */
export function* syscallTraceEnter(k: Kernel, processOf: ProcessOf, regs: PtRegs, nr: number, work: number): MaySleep<number> {
  if ((work & SYSCALL_WORK_SYSCALL_TRACE) === 0) return nr;
  const p = processOf(k.current);
  const link = p && links.get(p);
  if (!p || !link) return nr;
  if (yield* reportSyscall(k, p, link)) return -1;
  return Number(BigInt.asIntN(32, regs.get('orig_ax')));
}

/** syscall_exit_work with SYSCALL_WORK_SYSCALL_TRACE: the exit stop. */
export function* syscallExitWork(k: Kernel, processOf: ProcessOf, work: number): MaySleep {
  if ((work & SYSCALL_WORK_SYSCALL_TRACE) === 0) return;
  const p = processOf(k.current);
  const link = p && links.get(p);
  if (p && link) yield* reportSyscall(k, p, link);
}

/**
 * exec of a traced process (exec_binprm → ptrace_event(PTRACE_EVENT_EXEC,
 * old_vpid)): with PTRACE_O_TRACEEXEC an event stop, SIGTRAP | (4 << 8),
 * its message the pid; without it the legacy SIGTRAP after exec.
 */
export function* ptraceEventExec(k: Kernel, p: LinuxProcess): MaySleep {
  const link = links.get(p);
  if (!link) return;
  if ((link.options & PTRACE_O_TRACEEXEC) === 0) {
    sendSignal(p.task, SIGTRAP, SI_USER, 0);
    return;
  }
  yield* ptraceEvent(k, p, PTRACE_EVENT_EXEC, BigInt(p.pid));
}

/** ptrace_event_enabled: the tracer asked for `event` (PTRACE_O_TRACE<event> = 1 << event). */
export function ptraceEventEnabled(p: LinuxProcess, event: number): boolean {
  const link = links.get(p);
  return link !== undefined && (link.options & (1 << event)) !== 0;
}

/**
 * ptrace_event(event, message): an event stop, exit code SIGTRAP | event << 8,
 * PTRACE_GETEVENTMSG's value `message`; a resume signal is then sent.
 */
export function* ptraceEvent(k: Kernel, p: LinuxProcess, event: number, message: bigint): MaySleep {
  const link = links.get(p);
  if (!link) return;
  link.eventMsg = message;
  const code = SIGTRAP | (event << 8);
  const info = siginfoBytes({ sig: SIGTRAP, code, addr: 0, synchronous: false, pid: p.pid });
  const resume = yield* ptraceStop(k, p, link, code, info);
  if (resume !== 0) sendSignal(p.task, resume, SI_USER, link.tracer.pid);
}

/**
 * ptrace_init_task for a child born traced (PTRACE_O_TRACEFORK/VFORK/CLONE):
 * the parent's tracer traces it with the parent's options, and it starts
 * with SIGSTOP pending, so its first stop is a signal-delivery stop.
 * (A SEIZEd parent's child would start in a PTRACE_EVENT_STOP instead: not
 * modelled, it gets the SIGSTOP too.)
 */
export function ptraceInheritTracer(parent: LinuxProcess, child: LinuxProcess): void {
  const link = links.get(parent);
  if (!link) return;
  ptraceLink(child, link.tracer, link.seized, link.options);
  sendSignal(child.task, SIGSTOP, SI_USER, 0);
}

/** PTRACE_EVENT_EXIT in do_exit, with the exit's wait status as the message. */
export function* ptraceEventExit(k: Kernel, p: LinuxProcess, status: number): MaySleep {
  if (ptraceEventEnabled(p, PTRACE_EVENT_EXIT)) yield* ptraceEvent(k, p, PTRACE_EVENT_EXIT, BigInt(status));
}

/**
 * ptrace_resume: the tracer's CONT, SYSCALL or SINGLESTEP — syscall stops
 * on or off, TF forced on for a single step (user_enable_single_step) or
 * taken off again if the tracer had forced it — and the stopped tracee runs.
 */
export function ptraceResume(p: LinuxProcess, link: PtraceLink, regs: PtRegs, how: 'cont' | 'syscall' | 'step', signal: number): void {
  if (how === 'syscall') p.task.entry.syscallWork.set(SYSCALL_WORK_SYSCALL_TRACE);
  else p.task.entry.syscallWork.clear(SYSCALL_WORK_SYSCALL_TRACE);
  const flags = regs.get('flags');
  if (how === 'step') {
    if ((flags & X86_EFLAGS_TF) === 0n) {
      regs.set('flags', flags | X86_EFLAGS_TF);
      p.task.forcedTf = true;
    }
  } else if (p.task.forcedTf) {
    regs.set('flags', flags & ~X86_EFLAGS_TF);
    p.task.forcedTf = false;
  }
  link.resumeSignal = signal;
  link.stopped = false;
  p.world.wake(p.task);
}
