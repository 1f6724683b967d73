/**
 * Signals on x86: a fault raises a synchronous signal (force_sig_fault,
 * with what the trap left in thread_struct for the frame), others are
 * sent (send_signal); on the way back to user mode
 * arch_do_signal_or_restart → get_signal takes the first deliverable one:
 * ignored, the default action (the process ends, do_group_exit), or a
 * handler — handle_signal settles an interrupted system call's restart,
 * builds the frame (signal-frame.ts) and points the registers at the
 * handler. With no handler to run, an interrupted call is restarted.
 * @kernel arch/x86/kernel/signal.c arch_do_signal_or_restart, handle_signal; kernel/signal.c get_signal, force_sig_fault, signal_delivered, do_group_exit
 */
import { ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, ERESTART_RESTARTBLOCK, EINTR } from '../../../abi/errno.js';
import {
  CORE_DUMPING, IGNORED_BY_DEFAULT, SIGCONT, STOP_SIGNALS, SA_NODEFER, SA_RESETHAND, SA_RESTART, SIGKILL, SIGSEGV, SI_KERNEL, SS_AUTODISARM,
} from '../../../abi/signal-numbers.js';
import { _TIF_NOTIFY_SIGNAL, _TIF_SIGPENDING, type MaySleep } from '../../generic/index.js';
import { vfsCoredump } from './regset-coredump.js';
import type { EntryTraceSink } from './entry-trace.js';
import { fpuClearUserStates } from './fpu-signal.js';
import type { NativeRuntime } from './native.js';
import type { PtRegs } from './regs.js';
import type { PendingSignal, Scheduler, SigAction, Task, TaskExit, TrapInfo } from './sched.js';
import { sasSsReset, setupRtFrame } from './signal-frame.js';

const SIG_DFL = 0n;
const SIG_IGN = 1n;
const bit = (sig: number): bigint => 1n << BigInt(sig - 1);
/** Real-time signals queue every instance; standard ones at most one. */
const SIGRTMIN = 32;
const U64 = (1n << 64n) - 1n;
/** __NR_restart_syscall (reference §7). */
const NR_RESTART_SYSCALL = 219n;
const DF = 1n << 10n;
const RF = 1n << 16n;
const TF = 1n << 8n;

/**
 * force_sig_fault(sig, code, addr) on `task` (the current one): a fault's
 * signal cannot be blocked or ignored — force_sig_info_to_task resets a
 * blocked or ignored one to SIG_DFL and unblocks it — then it is queued and
 * delivered on the way out.
 */
export function forceSigFault(task: Task, sig: number, code: number, addr: number, trap?: TrapInfo, pkey?: number): void {
  const action = task.signals.actions[sig - 1]!;
  if (task.signals.blocked & bit(sig) || action.handler === SIG_IGN) {
    action.handler = SIG_DFL;
    task.signals.blocked &= ~bit(sig);
  }
  // do_trap / set_signal_archinfo: thread.trap_nr, error_code, cr2 for the frame's sigcontext.
  if (trap) Object.assign(task.signals.thread, trap);
  task.pendingSignals.push({ sig, code, addr, synchronous: true, ...(pkey === undefined ? {} : { pkey }) });
  task.entry.flags.set(_TIF_SIGPENDING);
}

/** Whether `task` has a signal it can take now (recalc_sigpending). */
export function signalsDeliverable(task: Task): boolean {
  return task.pendingSignals.some((p) => !(task.signals.blocked & bit(p.sig)) || p.sig === SIGKILL);
}

/**
 * send_signal for a signal from elsewhere (kill, a timer): an ignored one is
 * dropped at once (sig_ignored), a standard signal is queued only once, and
 * TIF_SIGPENDING is set when it can be taken (not blocked).
 */
export function sendSignal(task: Task, sig: number, code: number, pid?: number, status?: number): void {
  if (task.state === 'dead') return;
  prepareSignal(task, sig);
  const h = task.signals.actions[sig - 1]!.handler;
  // sig_ignored: a traced task's ignored signals still reach it (and its tracer's signal-delivery stop).
  if (sig !== SIGKILL && !task.ptraced && (h === SIG_IGN || (h === SIG_DFL && IGNORED_BY_DEFAULT.has(sig)))) return;
  if (sig < SIGRTMIN && task.pendingSignals.some((p) => p.sig === sig && !p.synchronous)) return;
  task.pendingSignals.push({
    sig, code, addr: 0, synchronous: false, ...(pid === undefined ? {} : { pid }), ...(status === undefined ? {} : { status }),
  });
  if (signalsDeliverable(task)) {
    task.entry.flags.set(_TIF_SIGPENDING);
    // signal_wake_up: an interruptible sleeper runs again and sees the signal.
    if (task.state === 'sleeping' && task.kind === 'user') task.state = 'running';
  }
}

/**
 * prepare_signal's job control, at sending time: SIGCONT discards pending
 * stop signals and resumes a stopped task (wait's WCONTINUED and the
 * parent's CLD_CONTINUED follow when it runs); a stop signal discards a
 * pending SIGCONT.
 */
function prepareSignal(task: Task, sig: number): void {
  const drop = (which: (s: number) => boolean): void => {
    for (let i = task.pendingSignals.length - 1; i >= 0; i--) if (which(task.pendingSignals[i]!.sig)) task.pendingSignals.splice(i, 1);
  };
  if (sig === SIGCONT) {
    drop((s) => STOP_SIGNALS.has(s));
    if (task.jobStop) {
      task.jobStop = 0;
      task.stopReport = 0;
      task.continueReport = true;
      task.notifyContinued = true;
      if (task.state === 'sleeping') task.state = 'running';
    }
  } else if (STOP_SIGNALS.has(sig)) {
    drop((s) => s === SIGCONT);
  }
}

/**
 * do_signal_stop for a stop signal's default action: the task stops
 * (TASK_STOPPED) until SIGCONT or SIGKILL; the process layer tells the
 * parent (CLD_STOPPED) and, once continued, CLD_CONTINUED.
 */
function* doSignalStop(env: SignalEnv, task: Task, sig: number): MaySleep {
  task.jobStop = sig;
  task.stopReport = sig;
  task.continueReport = false;
  env.jobControl?.stopped(task, sig);
  while (task.jobStop && !task.pendingSignals.some((p) => p.sig === SIGKILL)) yield* env.sched.sleepTicks(Infinity);
  task.jobStop = 0;
}

/** dequeue_synchronous_signal, then the lowest-numbered pending signal that is not blocked (next_signal). */
function dequeue(task: Task): PendingSignal | undefined {
  const takeable = (p: PendingSignal): boolean => p.sig === SIGKILL || !(task.signals.blocked & bit(p.sig));
  let i = task.pendingSignals.findIndex((p) => p.synchronous && takeable(p));
  if (i < 0) {
    let best = -1;
    task.pendingSignals.forEach((p, j) => {
      if (takeable(p) && (best < 0 || p.sig < task.pendingSignals[best]!.sig)) best = j;
    });
    i = best;
  }
  return i < 0 ? undefined : task.pendingSignals.splice(i, 1)[0];
}

/** What signal delivery needs of the kernel around it. */
export interface SignalEnv {
  readonly sched: Scheduler;
  readonly rt: NativeRuntime;
  readonly onExit: (t: Task) => void;
  readonly trace: EntryTraceSink | null;
  /** The parent's side of job control: CLD_STOPPED / CLD_CONTINUED notification (the process layer). */
  readonly jobControl?: { stopped(task: Task, sig: number): void; continued(task: Task): void } | null;
  /** ptrace_event(PTRACE_EVENT_EXIT) before a task dies (the process layer; null: none). */
  readonly exitEvent?: ((task: Task, exit: TaskExit) => MaySleep) | null;
  /** ptrace_signal: a traced task stops for its tracer, which says what to deliver (null: nothing). */
  readonly ptraceSignal?: ((task: Task, sig: PendingSignal) => MaySleep<PendingSignal | null>) | null;
}

/** syscall_get_nr(regs) != -1: the entry was a system call. */
function fromSyscall(regs: PtRegs): boolean {
  return regs.get('orig_ax') !== U64;
}

/** syscall_get_error(regs): regs->ax when it is an error value (-4095..-1), else 0. */
function syscallError(regs: PtRegs): number {
  const ax = BigInt.asIntN(64, regs.get('ax'));
  return ax < 0n && ax >= -4095n ? Number(ax) : 0;
}

/**
 * arch_do_signal_or_restart(regs): get_signal; a handler → handle_signal;
 * otherwise restart an interrupted system call (ip back over the 2-byte
 * SYSCALL; -ERESTART_RESTARTBLOCK becomes restart_syscall) and put the
 * saved sigmask back. A fatal default action never returns.
 */
export function* archDoSignalOrRestart(env: SignalEnv, regs: PtRegs): MaySleep {
  const task = env.sched.current;
  task.entry.flags.clear(_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL);
  const ksig = yield* getSignal(env, task);
  if (ksig) {
    handleSignal(env, regs, task, ksig.sig, ksig.act);
  } else {
    if (fromSyscall(regs)) {
      switch (syscallError(regs)) {
        case -ERESTARTNOHAND:
        case -ERESTARTSYS:
        case -ERESTARTNOINTR:
          regs.set('ax', regs.get('orig_ax'));
          regs.set('ip', regs.get('ip') - 2n);
          break;
        case -ERESTART_RESTARTBLOCK:
          regs.set('ax', NR_RESTART_SYSCALL);
          regs.set('ip', regs.get('ip') - 2n);
          break;
      }
    }
    restoreSavedSigmask(task);
  }
  if (signalsDeliverable(task)) task.entry.flags.set(_TIF_SIGPENDING);
}

/** restore_saved_sigmask: rt_sigsuspend's mask ends when no handler ran. */
function restoreSavedSigmask(task: Task): void {
  if (task.signals.savedMask !== null) {
    task.signals.blocked = task.signals.savedMask;
    task.signals.savedMask = null;
  }
}

/**
 * get_signal: dequeue until a signal with a handler (its sigaction copied;
 * SA_RESETHAND resets the disposition to SIG_DFL) or a fatal default
 * action (do_group_exit: never returns); ignored ones are dropped.
 */
function* getSignal(env: SignalEnv, task: Task): MaySleep<{ sig: PendingSignal; act: SigAction } | null> {
  // A SIGCONT resumed this task since it last looked: it tells its parent now (SIGNAL_CLD_CONTINUED).
  if (task.notifyContinued) {
    task.notifyContinued = false;
    env.jobControl?.continued(task);
  }
  for (let next = dequeue(task); next; next = dequeue(task)) {
    let s: PendingSignal = next;
    if (s.sig !== SIGKILL && env.ptraceSignal) {
      const instead = yield* env.ptraceSignal(task, s);
      if (!instead) continue;
      s = instead;
    }
    const slot = task.signals.actions[s.sig - 1]!;
    const handler = s.sig === SIGKILL ? SIG_DFL : slot.handler;
    if (handler !== SIG_DFL && handler !== SIG_IGN) {
      const act = { ...slot };
      if ((slot.flags & BigInt(SA_RESETHAND)) !== 0n) slot.handler = SIG_DFL;
      return { sig: s, act };
    }
    const action = handler === SIG_IGN || IGNORED_BY_DEFAULT.has(s.sig) ? 'ignore'
      : STOP_SIGNALS.has(s.sig) ? 'stop' : CORE_DUMPING.has(s.sig) ? 'core' : 'terminate';
    env.trace?.({ kind: 'signal', pid: task.pid, signal: s.sig, code: s.code, addr: s.addr, action });
    if (action === 'ignore') continue;
    if (action === 'stop') {
      yield* doSignalStop(env, task, s.sig);
      // Back at get_signal's relock: a SIGCONT that resumed it is told to the parent now (SIGNAL_CLD_CONTINUED).
      if (task.notifyContinued) {
        task.notifyContinued = false;
        env.jobControl?.continued(task);
      }
      continue;
    }
    // get_signal → vfs_coredump, before do_group_exit; the status word's 0x80 only when a core was written (coredump_finish).
    const dumped = action === 'core' && vfsCoredump(task, s);
    yield* doGroupExit(env.sched, task, {
      kind: 'killed', signal: s.sig, coreDumped: dumped, code: s.code, addr: s.addr,
    }, env.onExit, env.exitEvent);
  }
  return null;
}

/**
 * handle_signal(ksig, regs): the restart rules of reference §4.7 for an
 * interrupted call, the frame, then DF, RF and TF cleared and the FPU and
 * PKRU in their init state for the handler; signal_delivered blocks
 * sa_mask and (without SA_NODEFER) the signal itself, and disarms an
 * SS_AUTODISARM alternate stack. A frame that cannot be written ends in
 * force_sigsegv.
 */
function handleSignal(env: SignalEnv, regs: PtRegs, task: Task, sig: PendingSignal, act: SigAction): void {
  if (fromSyscall(regs)) {
    switch (syscallError(regs)) {
      case -ERESTART_RESTARTBLOCK:
      case -ERESTARTNOHAND:
        regs.set('ax', BigInt(-EINTR));
        break;
      case -ERESTARTSYS:
      case -ERESTARTNOINTR: {
        const restart = syscallError(regs) === -ERESTARTNOINTR || (act.flags & BigInt(SA_RESTART)) !== 0n;
        if (restart) {
          regs.set('ax', regs.get('orig_ax'));
          regs.set('ip', regs.get('ip') - 2n);
        } else {
          regs.set('ax', BigInt(-EINTR));
        }
        break;
      }
    }
  }
  const signals = task.signals;
  const savedMask = signals.savedMask ?? signals.blocked;
  const placed = setupRtFrame(env.rt, regs, signals, signals.thread, sig, act, savedMask);
  if (!placed) {
    env.trace?.({ kind: 'signal', pid: task.pid, signal: sig.sig, code: sig.code, addr: sig.addr, action: 'handler', handler: Number(act.handler) });
    forceSigsegv(task, sig.sig);
    return;
  }
  regs.set('flags', regs.get('flags') & ~(DF | RF | TF));
  fpuClearUserStates(env.rt.cpu);
  env.trace?.({
    kind: 'signal', pid: task.pid, signal: sig.sig, code: sig.code, addr: sig.addr, action: 'handler',
    handler: Number(act.handler), frame: placed.frame, fpstate: placed.fpstate,
  });
  // signal_delivered
  signals.savedMask = null;
  let blocked = signals.blocked | act.mask;
  if ((act.flags & BigInt(SA_NODEFER)) === 0n) blocked |= bit(sig.sig);
  signals.blocked = blocked & ~bit(SIGKILL) & ~bit(19 /* SIGSTOP */);
  if ((signals.altstack.flags & SS_AUTODISARM) !== 0) sasSsReset(signals.altstack);
}

/**
 * force_sigsegv(sig): the frame for `sig` could not be built — SIGSEGV
 * (SI_KERNEL), with its handler reset first when SIGSEGV itself failed.
 */
function forceSigsegv(task: Task, sig: number): void {
  if (sig === SIGSEGV) task.signals.actions[SIGSEGV - 1]!.handler = SIG_DFL;
  forceSigFault(task, SIGSEGV, SI_KERNEL, 0);
}

/** do_group_exit / do_exit: the task is dead, its parent (the kernel's caller) is told, and it schedules away forever. */
export function* doGroupExit(
  sched: Scheduler, task: Task, exit: TaskExit, onExit: (t: Task) => void, exitEvent?: ((t: Task, e: TaskExit) => MaySleep) | null,
): MaySleep {
  // do_exit → ptrace_event(PTRACE_EVENT_EXIT): a tracer that asked sees the task once more, registers intact.
  if (exitEvent) yield* exitEvent(task, exit);
  task.exit = exit;
  task.state = 'dead';
  task.pendingSignals.length = 0;
  onExit(task);
  yield* sched.schedule();
}
