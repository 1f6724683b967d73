/**
 * System call entry and exit work (reference §2.5). The arch's syscall
 * entry (x86: do_syscall_64) calls syscallEnterFromUserMode, dispatches the
 * call, then calls syscallExitToUserMode.
 *
 * @kernel include/linux/entry-common.h, kernel/entry/common.c
 */
import type { EntryDeps } from './deps.js';
import type { EntryRegs } from './regs.js';
import type { MaySleep } from './sleep.js';
import { localIrqDisable, localIrqEnable } from './steps.js';
import { traceCall, traceStep } from './trace.js';
import { enterFromUserMode, exitToUserMode, exitToUserModePrepare } from './user-mode.js';
import { SYSCALL_WORK_ENTER, SYSCALL_WORK_EXIT } from './work.js';

/**
 * syscall_enter_from_user_mode_work - ptrace/seccomp/audit on entry.
 *
 * IRQs on. If current's syscall_work has a SYSCALL_WORK_ENTER bit,
 * syscall_trace_enter may change the number or return -1 (skip).
 *
 * @kernel include/linux/entry-common.h syscall_enter_from_user_mode_work
 */
export function* syscallEnterFromUserModeWork(d: EntryDeps, regs: EntryRegs, nr: number): MaySleep<number> {
  const work = d.current().syscallWork.read();
  if (work & SYSCALL_WORK_ENTER) {
    traceStep(d, 'syscall_trace_enter', `nr=${nr}`);
    // ptrace_report_syscall_entry may stop the task for its tracer: the service may sleep.
    const r = d.services.syscallTraceEnter(regs, nr, work);
    nr = typeof r === 'number' ? r : yield* r;
  }
  return nr;
}

/**
 * syscall_enter_from_user_mode - establish state and do entry work.
 *
 * Called by the arch syscall entry, IRQs off, context tracking USER.
 * Returns with IRQs on and context tracking KERNEL.
 *
 * 1. enter_from_user_mode(regs)
 * 2. local_irq_enable()
 * 3. syscall_enter_from_user_mode_work(regs, nr)
 *
 * Returns the syscall number to run, which ptrace or seccomp may have
 * changed; -1 means skip it (the result is then -ENOSYS unless the tracer
 * set a return value).
 *
 * @kernel include/linux/entry-common.h syscall_enter_from_user_mode
 */
export function* syscallEnterFromUserMode(d: EntryDeps, regs: EntryRegs, nr: number): MaySleep<number> {
  if (d.trace) traceCall(d, 'syscall_enter_from_user_mode', 'enter', `nr=${nr}`); // the detail string only when traced
  enterFromUserMode(d, regs);
  localIrqEnable(d);
  const ret = d.current().syscallWork.read() === 0 ? nr : yield* syscallEnterFromUserModeWork(d, regs, nr);
  if (d.trace) traceCall(d, 'syscall_enter_from_user_mode', 'exit', `nr=${ret}`); // the detail string only when traced
  return ret;
}

/**
 * syscall_exit_to_user_mode_prepare - per-syscall exit work, IRQs on.
 *
 * 1. CT_WARN_ON(state != KERNEL)
 * 2. PROVE_LOCKING: WARN and local_irq_enable if the syscall left IRQs off
 * 3. rseq_syscall
 * 4. syscall_exit_work if current's syscall_work has a SYSCALL_WORK_EXIT bit
 *
 * @kernel include/linux/entry-common.h syscall_exit_to_user_mode_prepare
 */
export function* syscallExitToUserModePrepare(d: EntryDeps, regs: EntryRegs): MaySleep {
  const work = d.current().syscallWork.read();
  d.cpu.ct.warnOnStateNot('kernel', 'syscall_exit_to_user_mode_prepare');
  if (d.irq.disabled()) {
    d.cpu.warnings.push({ code: 'syscall-irqs-disabled', message: 'syscall left IRQs disabled' });
    localIrqEnable(d);
  }
  traceStep(d, 'rseq_syscall');
  d.services.rseqSyscall(regs);
  if (work & SYSCALL_WORK_EXIT) {
    traceStep(d, 'syscall_exit_work');
    const r = d.services.syscallExitWork(regs, work);
    if (r) yield* r; // ptrace_report_syscall_exit may stop the task
  }
}

/**
 * syscall_exit_to_user_mode_work - stage 1 and 2 of syscall exit.
 *
 * 1. syscall_exit_to_user_mode_prepare (IRQs on)
 * 2. local_irq_disable_exit_to_user
 * 3. exit_to_user_mode_prepare (work loop; returns with IRQs off)
 *
 * @kernel include/linux/entry-common.h syscall_exit_to_user_mode_work
 */
export function* syscallExitToUserModeWork(d: EntryDeps, regs: EntryRegs): MaySleep {
  traceCall(d, 'syscall_exit_to_user_mode_work', 'enter');
  yield* syscallExitToUserModePrepare(d, regs);
  localIrqDisable(d);
  yield* exitToUserModePrepare(d, regs);
  traceCall(d, 'syscall_exit_to_user_mode_work', 'exit');
}

/**
 * syscall_exit_to_user_mode - the whole syscall exit, in three stages:
 *
 * 1. syscall_exit_to_user_mode_work: per-syscall work, IRQs off
 * 2. (inside it) exit_to_user_mode_prepare: the TIF work loop,
 *    arch_exit_to_user_mode_prepare
 * 3. exit_to_user_mode: lockdep, context tracking USER, arch_exit_to_user_mode
 *
 * Called by the arch syscall entry after the call, IRQs on. Returns with
 * IRQs off and context tracking USER; the arch returns with SYSRET or IRET.
 *
 * @kernel include/linux/entry-common.h syscall_exit_to_user_mode
 */
export function* syscallExitToUserMode(d: EntryDeps, regs: EntryRegs): MaySleep {
  traceCall(d, 'syscall_exit_to_user_mode', 'enter');
  yield* syscallExitToUserModeWork(d, regs);
  exitToUserMode(d);
  traceCall(d, 'syscall_exit_to_user_mode', 'exit');
}
