/**
 * The `arch_*` hooks generic entry code calls, with the defaults Linux's
 * generic headers give when an architecture does not override them
 * (include/linux/entry-common.h, irq-entry-common.h; the aux hooks from PKS
 * V9 25/45, reference §3.4). kernel/arch/x86 implements them; boot.ts passes
 * them in. Generic code never learns which design is active except through
 * these hooks and the EntryStateStore.
 */
import type { EntryRegs } from './regs.js';
import type { MaybeSleeping } from './sleep.js';
import type { EntryStateStore } from './state-store.js';
import { _TIF_NOTIFY_SIGNAL, _TIF_SIGPENDING } from './work.js';
import type { EntryTask } from './task.js';

export interface ArchEntryHooks {
  /**
   * First step of enter_from_user_mode, IRQs off, before lockdep and context
   * tracking know about the entry. x86 (DEBUG_ENTRY): DF/NT/AC clear, user
   * mode, `regs == task_pt_regs(current)`.
   * @kernel include/linux/entry-common.h arch_enter_from_user_mode
   */
  archEnterFromUserMode(regs: EntryRegs): void;

  /**
   * Whether the interrupted kernel context was in an RCU extended quiescent
   * state although not the idle task (irqentry_enter step 2).
   * @kernel include/linux/irq-entry-common.h arch_in_rcu_eqs
   */
  archInRcuEqs(): boolean;

  /**
   * Saves arch state of the interrupted context into the aux area below
   * pt_regs (PKS: aux.pkrs = current->thread.pkrs, then PKRS := default).
   * Called at the end of every irqentry_enter path (after RCU watches) and
   * at the end of irqentry_nmi_enter. `store` gives the design's roots, so
   * a design that keeps PKRS in irqentry_state_t can save it there.
   * @kernel include/linux/entry-common.h arch_save_aux_pt_regs (PKS V9 25/45)
   */
  archSaveAuxPtRegs(regs: EntryRegs, store: EntryStateStore): void;

  /**
   * Restores what archSaveAuxPtRegs saved (PKS: thread.pkrs = aux.pkrs,
   * write the MSR). Called first in irqentry_exit and irqentry_nmi_exit,
   * and in the exported irqentryExitCondResched.
   * @kernel include/linux/entry-common.h arch_restore_aux_pt_regs (PKS V9 25/45)
   */
  archRestoreAuxPtRegs(regs: EntryRegs, store: EntryStateStore): void;

  /** ARCH_EXIT_TO_USER_MODE_WORK: arch TIF bits that also keep the exit loop going. */
  readonly archExitToUserModeWorkMask: number;

  /**
   * Step 7 of each exit_to_user_mode_loop round, IRQs on.
   * @kernel include/linux/irq-entry-common.h arch_exit_to_user_mode_work
   */
  archExitToUserModeWork(regs: EntryRegs, tiWork: number): void;

  /**
   * After the work loop, IRQs off (x86: user-return notifiers, IO bitmap,
   * switch_fpu_return, TS_COMPAT, random kstack offset).
   * @kernel include/linux/irq-entry-common.h arch_exit_to_user_mode_prepare
   */
  archExitToUserModePrepare(regs: EntryRegs, tiWork: number): void;

  /**
   * Last arch step before user mode, after context tracking entered USER
   * (x86: amd_clear_divider).
   * @kernel include/linux/irq-entry-common.h arch_exit_to_user_mode
   */
  archExitToUserMode(): void;

  /**
   * Signal delivery or syscall restart, IRQs on, for SIGPENDING or
   * NOTIFY_SIGNAL. Must leave those bits clear once nothing is pending, or
   * the loop runs again.
   * @kernel kernel/entry/common.c arch_do_signal_or_restart
   */
  archDoSignalOrRestart(regs: EntryRegs, task: EntryTask): MaybeSleeping;

  /**
   * on_thread_stack(): DEBUG_ENTRY's check before preempting an interrupted
   * kernel context.
   * @kernel arch/x86/include/asm/processor.h on_thread_stack
   */
  onThreadStack(): boolean;
}

/**
 * Defaults: what an architecture without overrides gets. `archDoSignalOrRestart`
 * has no signal subsystem behind it here: it consumes SIGPENDING and
 * NOTIFY_SIGNAL (as get_signal would once nothing is left), so the exit
 * loop terminates; the x86 layer replaces it.
 */
export const DEFAULT_ARCH_HOOKS: ArchEntryHooks = {
  archEnterFromUserMode: () => {},
  archInRcuEqs: () => false,
  archSaveAuxPtRegs: () => {},
  archRestoreAuxPtRegs: () => {},
  archExitToUserModeWorkMask: 0,
  archExitToUserModeWork: () => {},
  archExitToUserModePrepare: () => {},
  archExitToUserMode: () => {},
  archDoSignalOrRestart: (_regs, task) => { task.flags.clear(_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL); },
  onThreadStack: () => true,
};
