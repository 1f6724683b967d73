/**
 * Call order per path, written from the reference text (linux-x86-entry.md
 * §2.2–2.6 and §3.4 "Generic hooks"), not from the implementation. Steps
 * the model does not trace (kmsan_unpoison_entry_regs, kmap_assert_nomap,
 * lockdep_sys_exit) and CT_WARN_ON checks are left out of the lists.
 */
import { describe, expect, it } from 'vitest';
import {
  complete,
  _TIF_NEED_RESCHED, _TIF_SIGPENDING, irqentryEnter, irqentryExit, irqentryExitCondResched,
  irqentryNmiEnter, irqentryNmiExit, syscallEnterFromUserMode, syscallExitToUserMode,
  SYSCALL_WORK_SYSCALL_TRACE,
} from '../../../src/kernel/generic/index.js';
import { KERNEL_IRQS_OFF, KERNEL_IRQS_ON, USER_REGS, harness } from './harness.js';

/** §2.2 step 1, enter_from_user_mode (kmsan not modelled). */
const ENTER_FROM_USER = ['arch_enter_from_user_mode', 'lockdep_hardirqs_off', 'user_exit_irqoff', 'trace_hardirqs_off_finish'];
/** §2.5 stage 3, exit_to_user_mode. */
const EXIT_TO_USER = [
  'trace_hardirqs_on_prepare', 'lockdep_hardirqs_on_prepare', 'unwind_reset_info',
  'user_enter_irqoff', 'arch_exit_to_user_mode', 'lockdep_hardirqs_on',
];
/** §2.5 stage 2 with no work pending. */
const PREPARE_NO_WORK = ['tick_nohz_user_enter_prepare', 'arch_exit_to_user_mode_prepare'];

describe('irqentry_enter / irqentry_exit call order (§2.2, §2.3, §3.4)', () => {
  it('from user mode: enter_from_user_mode, then arch_save_aux_pt_regs (goto aux_save)', () => {
    const h = harness({ context: 'user', hardirqsEnabled: true });
    const st = h.store();
    irqentryEnter(h.d, USER_REGS, st);
    expect(h.log).toEqual([...ENTER_FROM_USER, 'arch_save_aux_pt_regs']);
    h.log.length = 0;
    complete(irqentryExit(h.d, USER_REGS, st));
    expect(h.log).toEqual(['arch_restore_aux_pt_regs', ...PREPARE_NO_WORK, ...EXIT_TO_USER]);
  });

  it('idle task: ct_irq_enter unconditionally, aux save last; exit with IRQs on: no preemption', () => {
    const h = harness({ context: 'idle', hardirqsEnabled: true, task: { isIdle: true, flags: _TIF_NEED_RESCHED } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    expect(h.log).toEqual(['lockdep_hardirqs_off', 'ct_irq_enter', 'trace_hardirqs_off_finish', 'arch_save_aux_pt_regs']);
    h.log.length = 0;
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(h.log).toEqual([
      'arch_restore_aux_pt_regs', 'trace_hardirqs_on_prepare', 'lockdep_hardirqs_on_prepare', 'ct_irq_exit', 'lockdep_hardirqs_on',
    ]);
  });

  it('idle task, interrupted with IRQs off: only ct_irq_exit after the restore', () => {
    const h = harness({ context: 'idle', hardirqsEnabled: false, task: { isIdle: true } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_OFF, st);
    h.log.length = 0;
    complete(irqentryExit(h.d, KERNEL_IRQS_OFF, st));
    expect(h.log).toEqual(['arch_restore_aux_pt_regs', 'ct_irq_exit']);
  });

  it('other kernel entry: rcu_irq_enter_check_tick; exit with IRQs on preempts via cond_resched, then trace_hardirqs_on', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true, task: { flags: _TIF_NEED_RESCHED } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    expect(h.log).toEqual(['lockdep_hardirqs_off', 'rcu_irq_enter_check_tick', 'trace_hardirqs_off_finish', 'arch_save_aux_pt_regs']);
    h.log.length = 0;
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(h.log).toEqual(['arch_restore_aux_pt_regs', 'rcu_irq_exit_check_preempt', 'preempt_schedule_irq', 'trace_hardirqs_on']);
  });

  it('other kernel entry, interrupted with IRQs off: exit does nothing after the restore', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: false });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_OFF, st);
    h.log.length = 0;
    complete(irqentryExit(h.d, KERNEL_IRQS_OFF, st));
    expect(h.log).toEqual(['arch_restore_aux_pt_regs']);
  });

  it('the exported irqentry_exit_cond_resched restores aux first (the unbalanced Xen call, §3.4)', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: false, task: { flags: _TIF_NEED_RESCHED } });
    complete(irqentryExitCondResched(h.d, KERNEL_IRQS_ON, h.store()));
    expect(h.log).toEqual(['arch_restore_aux_pt_regs', 'rcu_irq_exit_check_preempt', 'preempt_schedule_irq']);
  });
});

describe('irqentry_nmi_enter / irqentry_nmi_exit call order (§2.4, §3.4)', () => {
  it('enter: __nmi_enter, lockdep off, hardirq enter, ct_nmi_enter, tracing, aux save', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true });
    const st = h.store();
    irqentryNmiEnter(h.d, KERNEL_IRQS_ON, st);
    expect(h.log).toEqual([
      '__nmi_enter', 'lockdep_hardirqs_off', 'lockdep_hardirq_enter', 'ct_nmi_enter',
      'trace_hardirqs_off_finish', 'ftrace_nmi_enter', 'arch_save_aux_pt_regs',
    ]);
    h.log.length = 0;
    irqentryNmiExit(h.d, KERNEL_IRQS_ON, st);
    expect(h.log).toEqual([
      'arch_restore_aux_pt_regs', 'ftrace_nmi_exit', 'trace_hardirqs_on_prepare', 'lockdep_hardirqs_on_prepare',
      'ct_nmi_exit', 'lockdep_hardirq_exit', 'lockdep_hardirqs_on', '__nmi_exit',
    ]);
  });

  it('exit when lockdep hardirqs were off at entry: no hardirqs-on steps', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: false });
    const st = h.store();
    irqentryNmiEnter(h.d, KERNEL_IRQS_OFF, st);
    h.log.length = 0;
    irqentryNmiExit(h.d, KERNEL_IRQS_OFF, st);
    expect(h.log).toEqual(['arch_restore_aux_pt_regs', 'ftrace_nmi_exit', 'ct_nmi_exit', 'lockdep_hardirq_exit', '__nmi_exit']);
  });
});

describe('syscall enter/exit call order (§2.5, §2.6)', () => {
  it('enter: enter_from_user_mode, local_irq_enable, syscall_trace_enter when SYSCALL_WORK_ENTER', () => {
    const h = harness({ context: 'user', task: { syscallWork: SYSCALL_WORK_SYSCALL_TRACE } });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 39));
    expect(h.log).toEqual([...ENTER_FROM_USER, 'local_irq_enable', 'syscall_trace_enter']);
  });

  it('exit: per-syscall work, IRQs off, the loop (schedule, signal, arch work), prepare, exit_to_user_mode', () => {
    const h = harness({ context: 'user', task: { syscallWork: SYSCALL_WORK_SYSCALL_TRACE } });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 39));
    h.task.flags.set(_TIF_NEED_RESCHED | _TIF_SIGPENDING);
    h.log.length = 0;
    complete(syscallExitToUserMode(h.d, USER_REGS));
    expect(h.log).toEqual([
      'rseq_syscall', 'syscall_exit_work', 'local_irq_disable',
      'tick_nohz_user_enter_prepare',
      'local_irq_enable', 'schedule', 'arch_do_signal_or_restart', 'arch_exit_to_user_mode_work',
      'local_irq_disable', 'tick_nohz_user_enter_prepare',
      'arch_exit_to_user_mode_prepare',
      ...EXIT_TO_USER,
    ]);
  });
});

describe('trace', () => {
  it('announces every hook and service call with a step at the point it happens', () => {
    const h = harness({ context: 'user', task: { flags: _TIF_SIGPENDING | _TIF_NEED_RESCHED } });
    const st = h.store();
    irqentryEnter(h.d, USER_REGS, st);
    complete(irqentryExit(h.d, USER_REGS, st));
    expect(h.steps).toEqual(h.log);
  });

  it('brackets each generic function with enter/exit call events carrying kernel symbols', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true, task: { isIdle: true } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    const calls = h.events.filter((e) => e.kind === 'call');
    expect(calls.map((e) => `${e.phase === 'enter' ? '>' : '<'}${e.symbol}`)).toEqual([
      '>irqentry_enter', '<irqentry_enter', '>irqentry_exit', '<irqentry_exit',
    ]);
    expect(calls[1]).toEqual({ kind: 'call', layer: 'generic', symbol: 'irqentry_enter', phase: 'exit', detail: 'exit_rcu=1' });
  });

  it('runs without a sink', () => {
    const h = harness({ context: 'user', noTrace: true });
    const st = h.store();
    irqentryEnter(h.d, USER_REGS, st);
    complete(irqentryExit(h.d, USER_REGS, st));
    expect(h.events).toEqual([]);
    expect(h.log).toContain('arch_save_aux_pt_regs');
  });
});
