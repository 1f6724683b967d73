/**
 * A small round-robin scheduler: the tasks of one CPU, the timer tick that
 * asks for a switch, schedule() / preempt_schedule_irq() / schedule_idle()
 * as call chains that might sleep (generic/sleep.ts), and sleeping for a
 * number of ticks. The switch itself is guest code (__switch_to_asm) and
 * __switch_to (process.ts); here is only the choice and the C bookkeeping
 * around it: preemption and IRQs off across the switch, back on in
 * finish_task_switch.
 *
 * @kernel kernel/sched/core.c __schedule, schedule, preempt_schedule_irq, schedule_idle,
 *   finish_task_switch, scheduler_tick (sched_tick), resched_curr
 * @kernel kernel/time/sleep_timeout.c schedule_timeout_uninterruptible
 *
 * The policy is kentry's, not CFS/EEVDF: a time slice of one tick, tasks in
 * creation order, the idle task only when nothing else can run.
 */
import { InternalError } from '../../../lib/errors.js';
import {
  PREEMPT_OFFSET, _TIF_NEED_RESCHED, _TIF_NEED_RESCHED_LAZY, needResched,
  type EntryDeps, type EntryTask, type MaySleep,
} from '../../generic/index.js';
import type { PksThread } from './pks.js';

export type TaskKind = 'idle' | 'kthread' | 'user';

/** One task of the modelled CPU. */
export interface Task {
  readonly pid: number;
  readonly name: string;
  readonly kind: TaskKind;
  /** What generic entry code reads of it (TIF flags, is_idle_task). */
  readonly entry: EntryTask;
  /** Its thread.pkrs (PKS V9). */
  readonly pks: PksThread;
  /** Top of its THREAD_SIZE kernel stack (TSS.RSP0 and top_of_stack while it runs). */
  readonly stackTop: number;
  /** Guest address of its task_struct (thread.sp lives there: TASK_threadsp). */
  readonly taskStruct: number;
  /** TASK_RUNNING, sleeping until tick `wakeAt`, or dead (exited; never runs again). */
  state: 'running' | 'sleeping' | 'dead';
  /** Signals sent and not yet delivered, in order of sending. */
  readonly pendingSignals: PendingSignal[];
  /** How it ended, once dead. */
  exit: TaskExit | null;
  /** The signal dispositions (sighand->action[sig - 1]) and the blocked mask (bit sig - 1). */
  readonly signals: TaskSignals;
  wakeAt: number;
  /** Times the scheduler switched to it. */
  switchIns: number;
  /** The user address space's VMAs (mm->mmap), for the page-fault handler; null for kernel threads. */
  userMm: TaskVmas | null;
  /**
   * thread.fpu's fpstate: the task's user FPU/SSE/PKRU registers as an XSAVE
   * standard-format image while it is not running (switch_fpu_prepare saves
   * it, the switch back restores it); null while it runs (the registers are
   * the CPU's) and for kernel threads.
   */
  fpu: Uint8Array | null;
  /** task->ptrace != 0: traced, so no signal is dropped as ignored at sending (sig_ignored) — the tracer sees it. */
  ptraced?: boolean;
  /** TIF_FORCED_TF: a tracer's single-step set TF, so ptrace reads hide it and writes keep it. */
  forcedTf?: boolean;
  /** Job control (signal.ts): the signal that stopped the task (0: not stopped), and what wait has yet to report. */
  jobStop?: number;
  /** A stop not yet collected by wait(WUNTRACED) (signal->group_exit_code with SIGNAL_STOP_STOPPED). */
  stopReport?: number;
  /** A continue not yet collected by wait(WCONTINUED) (SIGNAL_STOP_CONTINUED). */
  continueReport?: boolean;
  /** A continue the parent has not been told of yet (SIGNAL_CLD_CONTINUED): the task tells it when it next runs get_signal. */
  notifyContinued?: boolean;
}

/** What the fault path asks of a user address space: the VMA covering an address (find_vma), and handle_mm_fault. */
export interface TaskVmas {
  find(address: number): { readonly pkey?: number } | undefined;
  /** Resolves a fault the mm can fix (a copy-on-write write); true: retry the access; 'oom': no memory for it. */
  handleFault(address: number, errorCode: number): boolean | 'oom';
  /** The CR3 value of the mm's page tables (switch_mm loads it). */
  readonly root: number;
}

/** A signal waiting for delivery (the parts of siginfo the model keeps). */
export interface PendingSignal {
  readonly sig: number;
  readonly code: number;
  /** si_addr for faults. */
  readonly addr: number;
  /** Raised by the task's own fault (force_sig_fault): delivered before other pending signals. */
  readonly synchronous: boolean;
  /** si_pkey of a SEGV_PKUERR fault. */
  readonly pkey?: number;
  /** si_pid/si_uid of a kill-style signal (SI_USER, SI_TKILL) or of SIGCHLD's child. */
  readonly pid?: number;
  /** si_status of SIGCHLD (CLD_*: the exit code or the signal). */
  readonly status?: number;
}

/** One signal's disposition: SIG_DFL (0), SIG_IGN (1) or a handler address. */
export interface SigAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

/** The alternate signal stack (task_struct sas_ss_sp, sas_ss_size, sas_ss_flags). */
export interface AltStack {
  sp: number;
  size: number;
  flags: number;
}

/** What the last trap left in thread_struct for the signal frame's sigcontext (trapno, err, cr2). */
export interface TrapInfo {
  trapNr: number;
  errorCode: number;
  cr2: number;
}

export interface TaskSignals {
  readonly actions: SigAction[];
  blocked: bigint;
  /** task->saved_sigmask while TIF_RESTORE_SIGMASK is set (rt_sigsuspend); null otherwise. */
  savedMask: bigint | null;
  readonly altstack: AltStack;
  readonly thread: TrapInfo;
}

/** SS_DISABLE: no alternate stack (sas_ss_reset). */
export const SS_DISABLE = 2;

export function defaultSignals(): TaskSignals {
  return {
    actions: Array.from({ length: 64 }, () => ({ handler: 0n, flags: 0n, restorer: 0n, mask: 0n })),
    blocked: 0n,
    savedMask: null,
    // init_task and fork leave sas_ss_flags 0 (no stack: size 0); sas_ss_reset writes SS_DISABLE.
    altstack: { sp: 0, size: 0, flags: 0 },
    thread: { trapNr: 0, errorCode: 0, cr2: 0 },
  };
}

/** How a task ended: exit_group(code), or killed by a signal's default action. */
export type TaskExit =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'killed'; readonly signal: number; readonly coreDumped: boolean; readonly code: number; readonly addr: number };

/** What schedule() yields: the arch switch from `prev` to `next` (process.ts starts it in guest code). */
export class SwitchRequest {
  constructor(
    readonly prev: Task,
    readonly next: Task,
  ) {}
}

/** One context switch, for reports. */
export interface SwitchEvent {
  readonly tick: number;
  readonly instructions: number;
  readonly from: number;
  readonly to: number;
  /** The schedule() flavour that switched. */
  readonly via: 'schedule' | 'preempt_schedule_irq' | 'schedule_idle';
}

/** What the scheduler needs of the machine. */
export interface SchedulerEnv {
  readonly deps: EntryDeps;
  /** Whether the running kernel C may be switched away from now (NativeRuntime.canSuspend). */
  canSuspend(): boolean;
  /** Instructions retired (for the switch log). */
  instructions(): number;
}

/** Switch events kept for reports (the oldest are dropped). */
const SWITCH_LOG_LIMIT = 4096;

export class Scheduler {
  readonly tasks: Task[] = [];
  current: Task;
  ticks = 0;
  switches = 0;
  /** Reschedules that could not switch: the chain ran inside nested kernel work (see NativeRuntime.canSuspend). */
  deferred = 0;
  readonly log: SwitchEvent[] = [];

  constructor(
    private readonly env: SchedulerEnv,
    idle: Task,
  ) {
    if (idle.kind !== 'idle') throw new InternalError('the scheduler starts with the idle task');
    this.tasks.push(idle);
    this.current = idle;
  }

  add(task: Task): void {
    this.tasks.push(task);
  }

  /** The task `task_struct *` points at. */
  byTaskStruct(address: number): Task {
    const t = this.tasks.find((x) => x.taskStruct === address);
    if (!t) throw new InternalError(`no task_struct at 0x${BigInt.asUintN(64, BigInt(address)).toString(16)}`);
    return t;
  }

  /** The next runnable task after `current` in creation order; the idle task when none is. */
  pickNext(): Task {
    const n = this.tasks.length;
    const from = this.tasks.indexOf(this.current);
    for (let i = 1; i <= n; i++) {
      const t = this.tasks[(from + i) % n]!;
      if (t.kind !== 'idle' && t.state === 'running') return t;
    }
    return this.tasks[0]!;
  }

  /**
   * The timer tick (sched_tick): wake the sleepers that are due, and ask the
   * running task to give way (resched_curr) when another task can run.
   */
  tick(): void {
    this.ticks++;
    for (const t of this.tasks) {
      if (t.state === 'sleeping' && t.wakeAt <= this.ticks) t.state = 'running';
    }
    if (this.pickNext() !== this.current) this.current.entry.flags.set(_TIF_NEED_RESCHED);
  }

  /** schedule(): preemption off around __schedule. */
  *schedule(): MaySleep {
    yield* this.withPreemptionOff('schedule');
  }

  /** schedule_idle(): the idle task's __schedule, repeated while need_resched. */
  *scheduleIdle(): MaySleep {
    do {
      yield* this.withPreemptionOff('schedule_idle');
    } while (needResched(this.current.entry) && this.env.canSuspend());
  }

  /**
   * preempt_schedule_irq(): entered from irqentry_exit with IRQs off and
   * preempt_count 0; loops while need_resched, IRQs on around __schedule.
   */
  *preemptScheduleIrq(): MaySleep {
    const d = this.env.deps;
    if (!this.env.canSuspend()) {
      this.deferred++; // TIF_NEED_RESCHED stays set: the next preemption point switches
      return;
    }
    do {
      d.cpu.preempt.add(PREEMPT_OFFSET);
      d.irq.enable();
      yield* this.pickAndSwitch('preempt_schedule_irq');
      d.irq.disable();
      d.cpu.preempt.sub(PREEMPT_OFFSET);
    } while (needResched(this.current.entry));
  }

  /** schedule_timeout_uninterruptible(ticks): sleep, then schedule() until woken. */
  *sleepTicks(ticks: number): MaySleep {
    const t = this.current;
    t.state = 'sleeping';
    t.wakeAt = this.ticks + Math.max(1, ticks);
    yield* this.schedule();
  }

  private *withPreemptionOff(via: SwitchEvent['via']): MaySleep {
    const d = this.env.deps;
    if (!this.env.canSuspend()) {
      // Cannot happen on the paths kentry builds; counted, and the request dropped so a work loop cannot spin.
      this.deferred++;
      this.current.entry.flags.clear(_TIF_NEED_RESCHED | _TIF_NEED_RESCHED_LAZY);
      return;
    }
    d.cpu.preempt.add(PREEMPT_OFFSET);
    yield* this.pickAndSwitch(via);
    d.cpu.preempt.sub(PREEMPT_OFFSET);
  }

  /**
   * __schedule(): IRQs off (the runqueue lock), clear need_resched, pick,
   * switch; when this task runs again, finish_task_switch turns IRQs on.
   */
  private *pickAndSwitch(via: SwitchEvent['via']): MaySleep {
    const d = this.env.deps;
    d.irq.disable();
    const prev = this.current;
    prev.entry.flags.clear(_TIF_NEED_RESCHED | _TIF_NEED_RESCHED_LAZY);
    const next = this.pickNext();
    if (next !== prev) {
      this.switches++;
      next.switchIns++;
      this.log.push({ tick: this.ticks, instructions: this.env.instructions(), from: prev.pid, to: next.pid, via });
      if (this.log.length > SWITCH_LOG_LIMIT) this.log.shift();
      yield new SwitchRequest(prev, next);
    }
    this.finishTaskSwitch();
  }

  /** finish_task_switch(): the runqueue lock dropped with IRQs on. */
  finishTaskSwitch(): void {
    this.env.deps.irq.enable();
  }
}
