/**
 * The transitions between user mode and the kernel that every entry from
 * user mode shares: enter_from_user_mode on the way in; on the way out
 * exit_to_user_mode_prepare (with its work loop) and exit_to_user_mode.
 * Reference §2.2 step 1, §2.5 stages 2–3, §2.6.
 *
 * @kernel include/linux/entry-common.h, include/linux/irq-entry-common.h, kernel/entry/common.c
 */
import { assert } from '../../lib/errors.js';
import type { EntryDeps } from './deps.js';
import type { EntryRegs } from './regs.js';
import {
  lockdepHardirqsOff, lockdepHardirqsOn, lockdepHardirqsOnPrepare, localIrqDisable, localIrqEnable,
  tickNohzUserEnterPrepare, traceHardirqsOffFinish, traceHardirqsOnPrepare, userEnterIrqoff, userExitIrqoff,
} from './steps.js';
import { sleepIn, type MaySleep } from './sleep.js';
import { traceCall, traceStep } from './trace.js';
import {
  _TIF_NEED_RESCHED, _TIF_NEED_RESCHED_LAZY, _TIF_NOTIFY_RESUME, _TIF_NOTIFY_SIGNAL, _TIF_PATCH_PENDING,
  _TIF_SIGPENDING, _TIF_UPROBE, EXIT_TO_USER_MODE_WORK, describeWork,
} from './work.js';

/** Rounds after which a work loop that never empties is a model bug (a service that does not clear its bit). */
export const EXIT_LOOP_LIMIT = 10_000;

/**
 * enter_from_user_mode - establish kernel state on entry from user mode.
 *
 * Called first by syscall and interrupt/exception entry from user mode,
 * IRQs off, on the task stack with pt_regs built, context tracking USER.
 * On return: lockdep knows IRQs are off, context tracking is KERNEL, RCU
 * watches.
 *
 * 1. arch_enter_from_user_mode(regs)
 * 2. lockdep_hardirqs_off
 * 3. CT_WARN_ON(state != USER)
 * 4. user_exit_irqoff (RCU watches again)
 * 5. trace_hardirqs_off_finish  (kmsan_unpoison_entry_regs not modelled)
 *
 * @kernel include/linux/entry-common.h enter_from_user_mode
 */
export function enterFromUserMode(d: EntryDeps, regs: EntryRegs): void {
  traceCall(d, 'enter_from_user_mode', 'enter');
  traceStep(d, 'arch_enter_from_user_mode');
  d.hooks.archEnterFromUserMode(regs);
  lockdepHardirqsOff(d);
  d.cpu.ct.warnOnStateNot('user', 'enter_from_user_mode');
  userExitIrqoff(d);
  traceHardirqsOffFinish(d);
  traceCall(d, 'enter_from_user_mode', 'exit');
}

/**
 * exit_to_user_mode_loop - do pending work before returning to user mode.
 *
 * Called by exitToUserModePrepare, IRQs off, when `tiWork` has a bit of
 * EXIT_TO_USER_MODE_WORK | ARCH_EXIT_TO_USER_MODE_WORK. Each round
 * (reference §2.6):
 *
 * 1. local_irq_enable_exit_to_user
 * 2. NEED_RESCHED | NEED_RESCHED_LAZY: schedule()
 * 3. UPROBE: uprobe_notify_resume
 * 4. PATCH_PENDING: klp_update_patch_state
 * 5. SIGPENDING | NOTIFY_SIGNAL: arch_do_signal_or_restart
 * 6. NOTIFY_RESUME: resume_user_mode_work (clears the bit, then task work)
 * 7. arch_exit_to_user_mode_work
 * 8. local_irq_disable_exit_to_user, tick_nohz_user_enter_prepare, re-read the flags
 *
 * and repeats while work remains. Returns the final flags, IRQs off.
 *
 * @kernel kernel/entry/common.c exit_to_user_mode_loop
 */
export function* exitToUserModeLoop(d: EntryDeps, regs: EntryRegs, tiWork: number): MaySleep<number> {
  const mask = EXIT_TO_USER_MODE_WORK | d.hooks.archExitToUserModeWorkMask;
  traceCall(d, 'exit_to_user_mode_loop', 'enter', describeWork(tiWork));
  let rounds = 0;
  while (tiWork & mask) {
    assert(++rounds <= EXIT_LOOP_LIMIT, `exit_to_user_mode_loop: work ${describeWork(tiWork)} never cleared`);
    const task = d.current();
    localIrqEnable(d);
    if (tiWork & (_TIF_NEED_RESCHED | _TIF_NEED_RESCHED_LAZY)) {
      traceStep(d, 'schedule');
      yield* sleepIn(d.services.schedule(task));
    }
    if (tiWork & _TIF_UPROBE) {
      traceStep(d, 'uprobe_notify_resume');
      d.services.uprobeNotifyResume(regs, task);
    }
    if (tiWork & _TIF_PATCH_PENDING) {
      traceStep(d, 'klp_update_patch_state');
      d.services.klpUpdatePatchState(task);
    }
    if (tiWork & (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL)) {
      traceStep(d, 'arch_do_signal_or_restart');
      yield* sleepIn(d.hooks.archDoSignalOrRestart(regs, task)); // a fatal signal never comes back
    }
    if (tiWork & _TIF_NOTIFY_RESUME) {
      traceStep(d, 'resume_user_mode_work');
      task.flags.clear(_TIF_NOTIFY_RESUME);
      d.services.notifyResume(regs, task);
    }
    traceStep(d, 'arch_exit_to_user_mode_work');
    d.hooks.archExitToUserModeWork(regs, tiWork);
    localIrqDisable(d);
    tickNohzUserEnterPrepare(d);
    tiWork = d.current().flags.read();
  }
  traceCall(d, 'exit_to_user_mode_loop', 'exit', describeWork(tiWork));
  return tiWork;
}

/**
 * exit_to_user_mode_prepare - the work and checks before the final switch.
 *
 * IRQs off; returns with IRQs off and no work pending.
 *
 * 1. lockdep_assert_irqs_disabled
 * 2. tick_nohz_user_enter_prepare
 * 3. read the thread flags; if any work bit is set, exit_to_user_mode_loop
 * 4. arch_exit_to_user_mode_prepare(regs, ti_work)
 * 5. lockdep_assert_irqs_disabled (kmap_assert_nomap, lockdep_sys_exit not modelled)
 *
 * @kernel include/linux/irq-entry-common.h exit_to_user_mode_prepare
 */
export function* exitToUserModePrepare(d: EntryDeps, regs: EntryRegs): MaySleep {
  traceCall(d, 'exit_to_user_mode_prepare', 'enter');
  d.cpu.lockdep.assertIrqsDisabled('exit_to_user_mode_prepare');
  tickNohzUserEnterPrepare(d);
  let tiWork = d.current().flags.read();
  if (tiWork & (EXIT_TO_USER_MODE_WORK | d.hooks.archExitToUserModeWorkMask)) {
    tiWork = yield* exitToUserModeLoop(d, regs, tiWork);
  }
  traceStep(d, 'arch_exit_to_user_mode_prepare');
  d.hooks.archExitToUserModePrepare(regs, tiWork);
  d.cpu.lockdep.assertIrqsDisabled('exit_to_user_mode_prepare');
  traceCall(d, 'exit_to_user_mode_prepare', 'exit');
}

/**
 * exit_to_user_mode - the final switch of kernel state to user mode.
 *
 * IRQs off (the IRET/SYSRET that follows turns them on); context tracking
 * KERNEL on entry, USER on return.
 *
 * 1. trace_hardirqs_on_prepare, lockdep_hardirqs_on_prepare
 * 2. unwind_reset_info (no modelled state)
 * 3. user_enter_irqoff (RCU stops watching)
 * 4. arch_exit_to_user_mode
 * 5. lockdep_hardirqs_on
 *
 * @kernel include/linux/irq-entry-common.h exit_to_user_mode
 */
export function exitToUserMode(d: EntryDeps): void {
  traceCall(d, 'exit_to_user_mode', 'enter');
  traceHardirqsOnPrepare(d);
  lockdepHardirqsOnPrepare(d);
  traceStep(d, 'unwind_reset_info');
  userEnterIrqoff(d);
  traceStep(d, 'arch_exit_to_user_mode');
  d.hooks.archExitToUserMode();
  lockdepHardirqsOn(d);
  traceCall(d, 'exit_to_user_mode', 'exit');
}

/**
 * irqentry_enter_from_user_mode - interrupt/exception entry from user mode.
 * @kernel kernel/entry/common.c irqentry_enter_from_user_mode
 */
export function irqentryEnterFromUserMode(d: EntryDeps, regs: EntryRegs): void {
  traceCall(d, 'irqentry_enter_from_user_mode', 'enter');
  enterFromUserMode(d, regs);
  traceCall(d, 'irqentry_enter_from_user_mode', 'exit');
}

/**
 * irqentry_exit_to_user_mode - interrupt/exception return to user mode:
 * 1. exit_to_user_mode_prepare, 2. exit_to_user_mode.
 * @kernel kernel/entry/common.c irqentry_exit_to_user_mode
 */
export function* irqentryExitToUserMode(d: EntryDeps, regs: EntryRegs): MaySleep {
  traceCall(d, 'irqentry_exit_to_user_mode', 'enter');
  yield* exitToUserModePrepare(d, regs);
  exitToUserMode(d);
  traceCall(d, 'irqentry_exit_to_user_mode', 'exit');
}
