/**
 * NMI-like entry/exit (exc_nmi, #DF, #MC from kernel, #DB from kernel, int3
 * in kernel): these can hit anywhere, even inside entry code with lockdep
 * and the IF flag out of sync, so the state saved is lockdep's view of
 * hardirqs, not exit_rcu. Reference §2.4, V9 aux hooks §3.4.
 *
 * @kernel kernel/entry/common.c irqentry_nmi_enter, irqentry_nmi_exit
 */
import type { EntryDeps } from './deps.js';
import { __nmiEnter, __nmiExit } from './preempt.js';
import type { EntryRegs } from './regs.js';
import type { EntryStateStore } from './state-store.js';
import {
  ctNmiEnter, ctNmiExit, entryLabel, lockdepHardirqsOff, lockdepHardirqsOn, lockdepHardirqsOnPrepare,
  traceHardirqsOffFinish, traceHardirqsOnPrepare,
} from './steps.js';
import { traceCall, traceStep } from './trace.js';

/**
 * irqentry_nmi_enter - enter NMI context.
 *
 * Called first by an NMI-like handler, IRQs off, any context.
 *
 * 1. state.lockdep = lockdep_hardirqs_enabled()
 * 2. __nmi_enter (lockdep_off, preempt_count += NMI_OFFSET + HARDIRQ_OFFSET)
 * 3. lockdep_hardirqs_off
 * 4. lockdep_hardirq_enter
 * 5. ct_nmi_enter (RCU watches)
 * 6. trace_hardirqs_off_finish, ftrace_nmi_enter (kmsan not modelled)
 * 7. arch_save_aux_pt_regs(regs) (V9 25/45; placed last, where RCU watches
 *    and instrumentation is allowed)
 *
 * @kernel kernel/entry/common.c irqentry_nmi_enter
 */
export function irqentryNmiEnter(d: EntryDeps, regs: EntryRegs, store: EntryStateStore): void {
  traceCall(d, 'irqentry_nmi_enter', 'enter');
  const { lockdep, preempt } = d.cpu;
  const was = lockdep.hardirqsEnabled();
  store.setLockdep(was);
  traceStep(d, '__nmi_enter');
  __nmiEnter(preempt, lockdep);
  lockdepHardirqsOff(d);
  traceStep(d, 'lockdep_hardirq_enter');
  lockdep.lockdepHardirqEnter();
  ctNmiEnter(d, entryLabel('irqentry_nmi_enter', regs.address));
  traceHardirqsOffFinish(d);
  traceStep(d, 'ftrace_nmi_enter');
  traceStep(d, 'arch_save_aux_pt_regs');
  d.hooks.archSaveAuxPtRegs(regs, store);
  if (d.trace) traceCall(d, 'irqentry_nmi_enter', 'exit', `lockdep=${was ? 1 : 0}`); // the detail string only when traced
}

/**
 * irqentry_nmi_exit - leave NMI context.
 *
 * Called last by the NMI-like handler, IRQs off, with the `store`
 * irqentryNmiEnter wrote.
 *
 * 1. arch_restore_aux_pt_regs(regs) (V9 25/45, at the start)
 * 2. ftrace_nmi_exit
 * 3. if lockdep: trace_hardirqs_on_prepare, lockdep_hardirqs_on_prepare
 * 4. ct_nmi_exit
 * 5. lockdep_hardirq_exit
 * 6. if lockdep: lockdep_hardirqs_on
 * 7. __nmi_exit
 *
 * @kernel kernel/entry/common.c irqentry_nmi_exit
 */
export function irqentryNmiExit(d: EntryDeps, regs: EntryRegs, store: EntryStateStore): void {
  const was = store.getLockdep();
  if (d.trace) traceCall(d, 'irqentry_nmi_exit', 'enter', `lockdep=${was ? 1 : 0}`); // the detail string only when traced
  const { lockdep, preempt } = d.cpu;
  traceStep(d, 'arch_restore_aux_pt_regs');
  d.hooks.archRestoreAuxPtRegs(regs, store);
  traceStep(d, 'ftrace_nmi_exit');
  if (was) {
    traceHardirqsOnPrepare(d);
    lockdepHardirqsOnPrepare(d);
  }
  ctNmiExit(d);
  traceStep(d, 'lockdep_hardirq_exit');
  lockdep.lockdepHardirqExit();
  if (was) lockdepHardirqsOn(d);
  traceStep(d, '__nmi_exit');
  __nmiExit(preempt, lockdep);
  traceCall(d, 'irqentry_nmi_exit', 'exit');
}
