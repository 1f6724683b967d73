/**
 * Everything generic entry code depends on, passed in explicitly (the
 * composition root, boot.ts, builds it): the per-CPU trackers, the arch
 * hooks, IRQ control, `current`, the core-kernel services entry code calls
 * into (scheduler, ptrace/seccomp, uprobes, livepatch, task_work), and an
 * optional trace sink.
 */
import { DEFAULT_ARCH_HOOKS, type ArchEntryHooks } from './arch-hooks.js';
import type { EntryCpu } from './percpu.js';
import type { EntryRegs } from './regs.js';
import type { MaySleep, MaybeSleeping } from './sleep.js';
import type { EntryTask } from './task.js';
import type { GenericTraceSink } from './trace.js';
import { _TIF_NEED_RESCHED, _TIF_NEED_RESCHED_LAZY, _TIF_PATCH_PENDING, _TIF_UPROBE } from './work.js';

/**
 * The CPU's interrupt flag (arch_local_irq_enable/disable: STI/CLI on x86).
 * Generic code wraps it with the lockdep bookkeeping of local_irq_enable().
 */
export interface IrqControl {
  enable(): void;
  disable(): void;
  /** irqs_disabled(): IF clear now. */
  disabled(): boolean;
}

/** An IF flag in host memory, for tests and host-only use. */
export function createSoftIrqControl(disabled = true): IrqControl {
  let off = disabled;
  return {
    enable: () => { off = false; },
    disable: () => { off = true; },
    disabled: () => off,
  };
}

/** Core-kernel functions entry code calls; each runs in the context described. */
export interface EntryServices {
  /**
   * schedule(), IRQs and preemption on; returns when `task` runs again. The
   * scheduler clears TIF_NEED_RESCHED(_LAZY) of the task it switches from.
   * A scheduler that switches returns a sleeping chain (sleep.ts) whose
   * yields the arch layer turns into the context switch.
   * @kernel kernel/sched/core.c schedule
   */
  schedule(task: EntryTask): MaybeSleeping;
  /**
   * Preempts an interrupted kernel context: IRQs off, preempt_count 0 on
   * entry and on return. @kernel kernel/sched/core.c preempt_schedule_irq
   */
  preemptScheduleIrq(task: EntryTask): MaybeSleeping;
  /**
   * ptrace/seccomp/tracepoint/audit/user-dispatch on syscall entry, IRQs on.
   * Returns the (possibly changed) syscall number, or -1 to skip the call.
   * @kernel kernel/entry/syscall-common.c syscall_trace_enter
   */
  syscallTraceEnter(regs: EntryRegs, nr: number, work: number): number | MaySleep<number>;
  /** @kernel kernel/entry/syscall-common.c syscall_exit_work */
  syscallExitWork(regs: EntryRegs, work: number): void | MaySleep;
  /** @kernel kernel/rseq.c rseq_syscall (DEBUG_RSEQ) */
  rseqSyscall(regs: EntryRegs): void;
  /** Must clear TIF_UPROBE. @kernel kernel/events/uprobes.c uprobe_notify_resume */
  uprobeNotifyResume(regs: EntryRegs, task: EntryTask): void;
  /** Must clear TIF_PATCH_PENDING. @kernel kernel/livepatch/transition.c klp_update_patch_state */
  klpUpdatePatchState(task: EntryTask): void;
  /**
   * The rest of resume_user_mode_work after TIF_NOTIFY_RESUME is cleared:
   * task_work_run, mem_cgroup_handle_over_high, rseq_handle_notify_resume.
   * @kernel include/linux/resume_user_mode.h resume_user_mode_work
   */
  notifyResume(regs: EntryRegs, task: EntryTask): void;
}

/** Services with nothing behind them; each clears the work bit it is responsible for. */
export const DEFAULT_ENTRY_SERVICES: EntryServices = {
  schedule: (task) => { task.flags.clear(_TIF_NEED_RESCHED | _TIF_NEED_RESCHED_LAZY); },
  preemptScheduleIrq: (task) => { task.flags.clear(_TIF_NEED_RESCHED | _TIF_NEED_RESCHED_LAZY); },
  syscallTraceEnter: (_regs, nr) => nr,
  syscallExitWork: () => {},
  rseqSyscall: () => {},
  uprobeNotifyResume: (_regs, task) => task.flags.clear(_TIF_UPROBE),
  klpUpdatePatchState: (task) => task.flags.clear(_TIF_PATCH_PENDING),
  notifyResume: () => {},
};

export interface EntryDeps {
  readonly cpu: EntryCpu;
  readonly hooks: ArchEntryHooks;
  readonly irq: IrqControl;
  /** `current` on this CPU. */
  current(): EntryTask;
  readonly services: EntryServices;
  readonly trace?: GenericTraceSink | undefined;
}

export interface EntryDepsInit {
  readonly cpu: EntryCpu;
  readonly irq: IrqControl;
  current(): EntryTask;
  readonly hooks?: Partial<ArchEntryHooks>;
  readonly services?: Partial<EntryServices>;
  readonly trace?: GenericTraceSink | undefined;
}

/** Fills unspecified hooks and services with the defaults. */
export function createEntryDeps(init: EntryDepsInit): EntryDeps {
  return {
    cpu: init.cpu,
    irq: init.irq,
    current: () => init.current(),
    hooks: { ...DEFAULT_ARCH_HOOKS, ...init.hooks },
    services: { ...DEFAULT_ENTRY_SERVICES, ...init.services },
    trace: init.trace,
  };
}
