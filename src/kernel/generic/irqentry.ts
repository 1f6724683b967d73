/**
 * Interrupt and exception entry/exit for the handlers that run as ordinary
 * interrupts (everything except the NMI-like ones, nmi.ts). Reference §2.2,
 * §2.3, and the V9 aux hooks of §3.4.
 *
 * The state the C code keeps in irqentry_state_t (`exit_rcu`) lives in the
 * `EntryStateStore` the arch layer created for this entry from the design:
 * the handler's local irqentry_state_t (by value or by reference) or the
 * extension below pt_regs. These functions do the same thing for every
 * design.
 *
 * @kernel kernel/entry/common.c
 */
import type { EntryDeps } from './deps.js';
import { needResched } from './preempt.js';
import type { EntryRegs } from './regs.js';
import type { EntryStateStore } from './state-store.js';
import {
  ctIrqEnter, ctIrqExit, entryLabel, lockdepHardirqsOff, lockdepHardirqsOn, lockdepHardirqsOnPrepare,
  traceHardirqsOffFinish, traceHardirqsOn, traceHardirqsOnPrepare,
} from './steps.js';
import { sleepIn, type MaySleep } from './sleep.js';
import { traceCall, traceStep } from './trace.js';
import { irqentryEnterFromUserMode, irqentryExitToUserMode } from './user-mode.js';

/**
 * irqentry_enter - handle state tracking on ordinary interrupt entries.
 *
 * Called by the C handler of an interrupt or exception (DEFINE_IDTENTRY*),
 * IRQs off, with `regs` the interrupted context. Writes `exit_rcu` into
 * `store` on every path; the matching irqentryExit reads it.
 *
 * 1. From user mode (user_mode(regs)): irqentry_enter_from_user_mode;
 *    exit_rcu = false.
 * 2. Else, idle task or arch_in_rcu_eqs(): lockdep_hardirqs_off;
 *    ct_irq_enter() unconditionally (even if RCU is already watching: a
 *    nested tick must not report a quiescent state early);
 *    trace_hardirqs_off_finish; exit_rcu = true.
 * 3. Else: lockdep_hardirqs_off, rcu_irq_enter_check_tick,
 *    trace_hardirqs_off_finish; exit_rcu = false.
 * 4. Every path ends at `aux_save`: arch_save_aux_pt_regs(regs) (V9 25/45),
 *    with RCU watching.
 *
 * @kernel kernel/entry/common.c irqentry_enter
 */
export function irqentryEnter(d: EntryDeps, regs: EntryRegs, store: EntryStateStore): void {
  traceCall(d, 'irqentry_enter', 'enter');
  let exitRcu = false;
  if (regs.userMode()) {
    irqentryEnterFromUserMode(d, regs);
  } else if (d.current().isIdle || d.hooks.archInRcuEqs()) {
    lockdepHardirqsOff(d);
    ctIrqEnter(d, entryLabel('irqentry_enter', regs.address));
    traceHardirqsOffFinish(d);
    exitRcu = true;
  } else {
    lockdepHardirqsOff(d);
    traceStep(d, 'rcu_irq_enter_check_tick');
    traceHardirqsOffFinish(d);
  }
  store.setExitRcu(exitRcu);
  traceStep(d, 'arch_save_aux_pt_regs');
  d.hooks.archSaveAuxPtRegs(regs, store);
  if (d.trace) traceCall(d, 'irqentry_enter', 'exit', `exit_rcu=${exitRcu ? 1 : 0}`); // the detail string only when traced
}

/**
 * raw_irqentry_exit_cond_resched - preempt an interrupted kernel context.
 *
 * Called with IRQs off on return to kernel code that had IRQs on.
 * If preempt_count() == 0:
 * 1. rcu_irq_exit_check_preempt (RCU at plain task level)
 * 2. DEBUG_ENTRY: WARN_ON_ONCE(!on_thread_stack())
 * 3. if need_resched(): preempt_schedule_irq()
 *
 * @kernel kernel/entry/common.c raw_irqentry_exit_cond_resched
 */
export function* rawIrqentryExitCondResched(d: EntryDeps): MaySleep {
  traceCall(d, 'raw_irqentry_exit_cond_resched', 'enter');
  if (d.cpu.preempt.preemptCount() === 0) {
    traceStep(d, 'rcu_irq_exit_check_preempt');
    d.cpu.ct.rcuIrqExitCheckPreempt();
    if (!d.hooks.onThreadStack()) {
      d.cpu.warnings.push({ code: 'not-on-thread-stack', message: 'irqentry_exit_cond_resched: not on the thread stack' });
    }
    const task = d.current();
    if (needResched(task)) {
      traceStep(d, 'preempt_schedule_irq');
      yield* sleepIn(d.services.preemptScheduleIrq(task));
    }
  }
  traceCall(d, 'raw_irqentry_exit_cond_resched', 'exit');
}

/**
 * irqentry_exit_cond_resched - the exported variant (Xen's split exit):
 * 1. arch_restore_aux_pt_regs(regs) (V9 25/45; unbalanced by design)
 * 2. raw_irqentry_exit_cond_resched
 *
 * @kernel kernel/entry/common.c irqentry_exit_cond_resched (PKS V9 form)
 */
export function* irqentryExitCondResched(d: EntryDeps, regs: EntryRegs, store: EntryStateStore): MaySleep {
  traceCall(d, 'irqentry_exit_cond_resched', 'enter');
  traceStep(d, 'arch_restore_aux_pt_regs');
  d.hooks.archRestoreAuxPtRegs(regs, store);
  yield* rawIrqentryExitCondResched(d);
  traceCall(d, 'irqentry_exit_cond_resched', 'exit');
}

/**
 * irqentry_exit - handle return from exception that used irqentry_enter.
 *
 * Called by the C handler, IRQs off, with the `store` irqentryEnter wrote.
 *
 * 1. lockdep_assert_irqs_disabled; arch_restore_aux_pt_regs(regs) (V9 25/45)
 * 2. To user mode: irqentry_exit_to_user_mode (work loop, exit_to_user_mode).
 * 3. To kernel code that had IRQs on (IF set in regs->flags):
 *    a. exit_rcu: trace_hardirqs_on_prepare, lockdep_hardirqs_on_prepare,
 *       ct_irq_exit, lockdep_hardirqs_on; return (no preemption).
 *    b. else (CONFIG_PREEMPTION): raw_irqentry_exit_cond_resched, then
 *       trace_hardirqs_on.
 * 4. To kernel code that had IRQs off: ct_irq_exit if exit_rcu.
 *
 * @kernel kernel/entry/common.c irqentry_exit
 */
export function* irqentryExit(d: EntryDeps, regs: EntryRegs, store: EntryStateStore): MaySleep {
  const exitRcu = store.getExitRcu();
  if (d.trace) traceCall(d, 'irqentry_exit', 'enter', `exit_rcu=${exitRcu ? 1 : 0}`); // the detail string only when traced
  d.cpu.lockdep.assertIrqsDisabled('irqentry_exit');
  traceStep(d, 'arch_restore_aux_pt_regs');
  d.hooks.archRestoreAuxPtRegs(regs, store);
  if (regs.userMode()) {
    yield* irqentryExitToUserMode(d, regs);
  } else if (!regs.irqsDisabled()) {
    if (exitRcu) {
      traceHardirqsOnPrepare(d);
      lockdepHardirqsOnPrepare(d);
      ctIrqExit(d);
      lockdepHardirqsOn(d);
    } else {
      yield* rawIrqentryExitCondResched(d);
      traceHardirqsOn(d);
    }
  } else if (exitRcu) {
    ctIrqExit(d);
  }
  traceCall(d, 'irqentry_exit', 'exit');
}
