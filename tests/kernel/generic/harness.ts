/**
 * A fake arch layer and kernel for the generic entry tests. Every hook and
 * service records its kernel name in `log`; the trace sink records every
 * other `step` in the same `log`, so `log` is the whole kernel sequence.
 * `steps` gets every traced step, delegated ones included, to check that
 * the trace announces each hook/service call where it happens.
 */
import {
  DEFAULT_ARCH_HOOKS, DEFAULT_ENTRY_SERVICES, createEntryCpu, createEntryDeps, createEntryTask,
  createLocalStateStore, createSoftIrqControl,
  type ArchEntryHooks, type EntryCpuInit, type EntryDeps, type EntryRegs, type EntryServices,
  type EntryStateStore, type EntryTask, type EntryTaskInit, type GenericTraceEvent, type IrqControl,
} from '../../../src/kernel/generic/index.js';

/** Kernel names of the calls the fakes log themselves. */
const DELEGATED = new Set([
  'arch_enter_from_user_mode', 'arch_save_aux_pt_regs', 'arch_restore_aux_pt_regs',
  'arch_exit_to_user_mode_work', 'arch_exit_to_user_mode_prepare', 'arch_exit_to_user_mode',
  'arch_do_signal_or_restart',
  'schedule', 'preempt_schedule_irq', 'syscall_trace_enter', 'syscall_exit_work', 'rseq_syscall',
  'uprobe_notify_resume', 'klp_update_patch_state',
]);

export interface Harness {
  readonly d: EntryDeps;
  readonly task: EntryTask;
  readonly irq: IrqControl;
  readonly log: string[];
  readonly steps: string[];
  readonly events: GenericTraceEvent[];
  readonly store: () => EntryStateStore;
}

export interface HarnessInit extends EntryCpuInit {
  readonly task?: EntryTaskInit;
  readonly irqsDisabled?: boolean;
  readonly hooks?: Partial<ArchEntryHooks>;
  readonly services?: Partial<EntryServices>;
  readonly noTrace?: boolean;
}

export function harness(init: HarnessInit = {}): Harness {
  const log: string[] = [];
  const steps: string[] = [];
  const events: GenericTraceEvent[] = [];
  const task = createEntryTask(init.task);
  const irq = createSoftIrqControl(init.irqsDisabled ?? true);
  const cpu = createEntryCpu(init);
  const o = init.hooks ?? {};
  const s = init.services ?? {};
  const D = DEFAULT_ARCH_HOOKS;
  const S = DEFAULT_ENTRY_SERVICES;
  const hooks: ArchEntryHooks = {
    archEnterFromUserMode: (r) => { log.push('arch_enter_from_user_mode'); (o.archEnterFromUserMode ?? D.archEnterFromUserMode)(r); },
    archInRcuEqs: () => (o.archInRcuEqs ?? D.archInRcuEqs)(),
    archSaveAuxPtRegs: (r, st) => { log.push('arch_save_aux_pt_regs'); (o.archSaveAuxPtRegs ?? D.archSaveAuxPtRegs)(r, st); },
    archRestoreAuxPtRegs: (r, st) => { log.push('arch_restore_aux_pt_regs'); (o.archRestoreAuxPtRegs ?? D.archRestoreAuxPtRegs)(r, st); },
    archExitToUserModeWorkMask: o.archExitToUserModeWorkMask ?? 0,
    archExitToUserModeWork: (r, w) => { log.push('arch_exit_to_user_mode_work'); (o.archExitToUserModeWork ?? D.archExitToUserModeWork)(r, w); },
    archExitToUserModePrepare: (r, w) => { log.push('arch_exit_to_user_mode_prepare'); (o.archExitToUserModePrepare ?? D.archExitToUserModePrepare)(r, w); },
    archExitToUserMode: () => { log.push('arch_exit_to_user_mode'); (o.archExitToUserMode ?? D.archExitToUserMode)(); },
    archDoSignalOrRestart: (r, t) => { log.push('arch_do_signal_or_restart'); (o.archDoSignalOrRestart ?? D.archDoSignalOrRestart)(r, t); },
    onThreadStack: () => (o.onThreadStack ?? D.onThreadStack)(),
  };
  const services: EntryServices = {
    schedule: (t) => { log.push('schedule'); (s.schedule ?? S.schedule)(t); },
    preemptScheduleIrq: (t) => { log.push('preempt_schedule_irq'); (s.preemptScheduleIrq ?? S.preemptScheduleIrq)(t); },
    syscallTraceEnter: (r, nr, w) => { log.push('syscall_trace_enter'); return (s.syscallTraceEnter ?? S.syscallTraceEnter)(r, nr, w); },
    syscallExitWork: (r, w) => { log.push('syscall_exit_work'); (s.syscallExitWork ?? S.syscallExitWork)(r, w); },
    rseqSyscall: (r) => { log.push('rseq_syscall'); (s.rseqSyscall ?? S.rseqSyscall)(r); },
    uprobeNotifyResume: (r, t) => { log.push('uprobe_notify_resume'); (s.uprobeNotifyResume ?? S.uprobeNotifyResume)(r, t); },
    klpUpdatePatchState: (t) => { log.push('klp_update_patch_state'); (s.klpUpdatePatchState ?? S.klpUpdatePatchState)(t); },
    notifyResume: (r, t) => (s.notifyResume ?? S.notifyResume)(r, t),
  };
  const trace = init.noTrace ? undefined : {
    emit(e: GenericTraceEvent): void {
      events.push(e);
      if (e.kind !== 'step') return;
      steps.push(e.symbol);
      if (!DELEGATED.has(e.symbol)) log.push(e.symbol);
    },
  };
  const d = createEntryDeps({ cpu, irq, current: () => task, hooks, services, trace });
  return { d, task, irq, log, steps, events, store: () => createLocalStateStore() };
}

/** A fake pt_regs handle. */
export function regs(opts: { user: boolean; ifSet: boolean; address?: number }): EntryRegs {
  return {
    address: opts.address ?? -0x7e00_0000_0f58,
    userMode: () => opts.user,
    irqsDisabled: () => !opts.ifSet,
  };
}

export const USER_REGS = regs({ user: true, ifSet: true });
export const KERNEL_IRQS_ON = regs({ user: false, ifSet: true });
export const KERNEL_IRQS_OFF = regs({ user: false, ifSet: false });
