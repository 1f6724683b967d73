/**
 * Signals on x86, as far as the model goes so far: a fault raises a
 * synchronous signal (force_sig_fault), and on the way back to user mode
 * arch_do_signal_or_restart → get_signal takes it. No handler can be
 * installed yet (rt_sigaction comes with the signal frames), so every
 * signal takes its default action: ignored, or the whole process ends
 * (do_group_exit), with a core dump for the core-dumping ones.
 * @kernel arch/x86/kernel/signal.c arch_do_signal_or_restart, kernel/signal.c get_signal, force_sig_fault, do_group_exit
 */
import { CORE_DUMPING, IGNORED_BY_DEFAULT, SIGKILL, signalName } from '../../../abi/signal-numbers.js';
import { NotModelledError } from '../../../lib/errors.js';
import { _TIF_NOTIFY_SIGNAL, _TIF_SIGPENDING, type MaySleep } from '../../generic/index.js';
import type { EntryTraceSink } from './entry-trace.js';
import type { PendingSignal, Scheduler, Task, TaskExit } from './sched.js';

const SIG_DFL = 0n;
const SIG_IGN = 1n;
const bit = (sig: number): bigint => 1n << BigInt(sig - 1);

/**
 * force_sig_fault(sig, code, addr) on `task` (the current one): a fault's
 * signal cannot be blocked or ignored — force_sig_info_to_task resets a
 * blocked or ignored one to SIG_DFL and unblocks it — then it is queued and
 * delivered on the way out.
 */
export function forceSigFault(task: Task, sig: number, code: number, addr: number): void {
  const action = task.signals.actions[sig - 1]!;
  if (task.signals.blocked & bit(sig) || action.handler === SIG_IGN) {
    action.handler = SIG_DFL;
    task.signals.blocked &= ~bit(sig);
  }
  task.pendingSignals.push({ sig, code, addr, synchronous: true });
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
export function sendSignal(task: Task, sig: number, code: number): void {
  const h = task.signals.actions[sig - 1]!.handler;
  if (sig !== SIGKILL && (h === SIG_IGN || (h === SIG_DFL && IGNORED_BY_DEFAULT.has(sig)))) return;
  if (task.pendingSignals.some((p) => p.sig === sig && !p.synchronous)) return;
  task.pendingSignals.push({ sig, code, addr: 0, synchronous: false });
  if (signalsDeliverable(task)) task.entry.flags.set(_TIF_SIGPENDING);
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

/**
 * arch_do_signal_or_restart(regs): get_signal; with no handler installed the
 * default action applies — ignore, or do_group_exit(), which never
 * returns: the task is dead and schedule() switches away for good.
 */
export function* archDoSignalOrRestart(sched: Scheduler, onExit: (t: Task) => void, trace: EntryTraceSink | null = null): MaySleep {
  const task = sched.current;
  task.entry.flags.clear(_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL);
  for (let s = dequeue(task); s; s = dequeue(task)) {
    const handler = s.sig === SIGKILL ? SIG_DFL : task.signals.actions[s.sig - 1]!.handler;
    if (handler !== SIG_DFL && handler !== SIG_IGN) {
      throw new NotModelledError(`${signalName(s.sig)} has a handler at 0x${handler.toString(16)}: signal frames and handlers are not modelled yet`);
    }
    const action = handler === SIG_IGN || IGNORED_BY_DEFAULT.has(s.sig) ? 'ignore' : CORE_DUMPING.has(s.sig) ? 'core' : 'terminate';
    trace?.({ kind: 'signal', pid: task.pid, signal: s.sig, code: s.code, addr: s.addr, action });
    if (action === 'ignore') continue;
    yield* doGroupExit(sched, task, {
      kind: 'killed', signal: s.sig, coreDumped: CORE_DUMPING.has(s.sig), code: s.code, addr: s.addr,
    }, onExit);
  }
}

/** do_group_exit / do_exit: the task is dead, its parent (the kernel's caller) is told, and it schedules away forever. */
export function* doGroupExit(sched: Scheduler, task: Task, exit: TaskExit, onExit: (t: Task) => void): MaySleep {
  task.exit = exit;
  task.state = 'dead';
  task.pendingSignals.length = 0;
  onExit(task);
  yield* sched.schedule();
}
