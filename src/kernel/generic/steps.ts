/**
 * The leaf operations entry code performs, each traced as a `step` with its
 * kernel name and applied to the per-CPU trackers. Tracing-only kernel
 * calls (trace_hardirqs_off_finish, ...) are steps with no state change, so
 * a trace shows the whole kernel sequence.
 */
import type { EntryDeps } from './deps.js';
import { hex } from '../../lib/u64.js';
import { traceStep } from './trace.js';

/** @kernel kernel/locking/lockdep.c lockdep_hardirqs_off */
export function lockdepHardirqsOff(d: EntryDeps): void {
  traceStep(d, 'lockdep_hardirqs_off');
  d.cpu.lockdep.lockdepHardirqsOff();
}

/** @kernel kernel/locking/lockdep.c lockdep_hardirqs_on */
export function lockdepHardirqsOn(d: EntryDeps): void {
  traceStep(d, 'lockdep_hardirqs_on');
  d.cpu.lockdep.lockdepHardirqsOn();
}

/** Validation before lockdep_hardirqs_on; no modelled state. @kernel kernel/locking/lockdep.c lockdep_hardirqs_on_prepare */
export function lockdepHardirqsOnPrepare(d: EntryDeps): void {
  traceStep(d, 'lockdep_hardirqs_on_prepare');
}

/** Tracepoint only. @kernel kernel/trace/trace_preemptirq.c trace_hardirqs_off_finish */
export function traceHardirqsOffFinish(d: EntryDeps): void {
  traceStep(d, 'trace_hardirqs_off_finish');
}

/** Tracepoint only. @kernel kernel/trace/trace_preemptirq.c trace_hardirqs_on_prepare */
export function traceHardirqsOnPrepare(d: EntryDeps): void {
  traceStep(d, 'trace_hardirqs_on_prepare');
}

/**
 * Tracepoint, lockdep_hardirqs_on_prepare, lockdep_hardirqs_on.
 * @kernel kernel/trace/trace_preemptirq.c trace_hardirqs_on
 */
export function traceHardirqsOn(d: EntryDeps): void {
  traceStep(d, 'trace_hardirqs_on');
  d.cpu.lockdep.lockdepHardirqsOn();
}

/** trace_hardirqs_on(), then STI. @kernel include/linux/irqflags.h local_irq_enable */
export function localIrqEnable(d: EntryDeps): void {
  traceStep(d, 'local_irq_enable');
  d.cpu.lockdep.lockdepHardirqsOn();
  d.irq.enable();
}

/** CLI, then trace_hardirqs_off(). @kernel include/linux/irqflags.h local_irq_disable */
export function localIrqDisable(d: EntryDeps): void {
  traceStep(d, 'local_irq_disable');
  d.irq.disable();
  d.cpu.lockdep.lockdepHardirqsOff();
}

/** @kernel include/linux/context_tracking.h user_exit_irqoff */
export function userExitIrqoff(d: EntryDeps): void {
  traceStep(d, 'user_exit_irqoff');
  d.cpu.ct.userExitIrqoff();
}

/** @kernel include/linux/context_tracking.h user_enter_irqoff */
export function userEnterIrqoff(d: EntryDeps): void {
  traceStep(d, 'user_enter_irqoff');
  d.cpu.ct.userEnterIrqoff();
}

/** @kernel kernel/context_tracking.c ct_irq_enter; `label` names the entry in imbalance reports. */
export function ctIrqEnter(d: EntryDeps, label: string): void {
  traceStep(d, 'ct_irq_enter');
  d.cpu.ct.ctIrqEnter(label);
}

/** @kernel kernel/context_tracking.c ct_irq_exit */
export function ctIrqExit(d: EntryDeps): void {
  traceStep(d, 'ct_irq_exit');
  d.cpu.ct.ctIrqExit();
}

/** @kernel kernel/context_tracking.c ct_nmi_enter */
export function ctNmiEnter(d: EntryDeps, label: string): void {
  traceStep(d, 'ct_nmi_enter');
  d.cpu.ct.ctNmiEnter(label);
}

/** @kernel kernel/context_tracking.c ct_nmi_exit */
export function ctNmiExit(d: EntryDeps): void {
  traceStep(d, 'ct_nmi_exit');
  d.cpu.ct.ctNmiExit();
}

/** nohz_full tick bookkeeping; no modelled state. @kernel include/linux/tick.h tick_nohz_user_enter_prepare */
export function tickNohzUserEnterPrepare(d: EntryDeps): void {
  traceStep(d, 'tick_nohz_user_enter_prepare');
}

/** Label for an entry in reports: `irqentry_enter regs@0x...` (the pt_regs address). */
export function entryLabel(kind: string, address: number): string {
  return `${kind} regs@${hex(address)}`;
}
