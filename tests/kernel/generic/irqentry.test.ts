/** irqentry_enter / irqentry_exit: state effects of each path (reference §2.2, §2.3). */
import { describe, expect, it } from 'vitest';
import {
  complete,
  _TIF_NEED_RESCHED, checkEntryCpu, irqentryEnter, irqentryExit, PREEMPT_OFFSET,
} from '../../../src/kernel/generic/index.js';
import { KERNEL_IRQS_OFF, KERNEL_IRQS_ON, USER_REGS, harness } from './harness.js';

describe('irqentry_enter / irqentry_exit', () => {
  it('from user mode: USER -> KERNEL -> USER, exit_rcu false, lockdep off inside and on after', () => {
    const h = harness({ context: 'user', hardirqsEnabled: true });
    const { ct, lockdep } = h.d.cpu;
    expect(ct.rcuIsWatching()).toBe(false);
    const st = h.store();
    irqentryEnter(h.d, USER_REGS, st);
    expect(st.getExitRcu()).toBe(false);
    expect(ct.state()).toBe('kernel');
    expect(ct.rcuIsWatching()).toBe(true);
    expect(lockdep.hardirqsEnabled()).toBe(false);
    complete(irqentryExit(h.d, USER_REGS, st));
    expect(ct.state()).toBe('user');
    expect(ct.rcuIsWatching()).toBe(false);
    expect(lockdep.hardirqsEnabled()).toBe(true);
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('from user mode runs the exit work loop (NEED_RESCHED -> schedule) with IRQs on, and returns with IRQs off', () => {
    let irqsOnInSchedule: boolean | null = null;
    const h = harness({
      context: 'user',
      task: { flags: _TIF_NEED_RESCHED },
      services: { schedule: (t) => { irqsOnInSchedule = !h.irq.disabled(); t.flags.clear(_TIF_NEED_RESCHED); } },
    });
    const st = h.store();
    irqentryEnter(h.d, USER_REGS, st);
    complete(irqentryExit(h.d, USER_REGS, st));
    expect(irqsOnInSchedule).toBe(true);
    expect(h.irq.disabled()).toBe(true);
    expect(h.task.flags.read()).toBe(0);
  });

  it('idle task: ct_irq_enter makes RCU watch, exit_rcu true, ct_irq_exit undoes it', () => {
    const h = harness({ context: 'idle', hardirqsEnabled: true, task: { isIdle: true } });
    const { ct } = h.d.cpu;
    expect(ct.rcuIsWatching()).toBe(false);
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    expect(st.getExitRcu()).toBe(true);
    expect(ct.irqNesting()).toBe(1);
    expect(ct.rcuIsWatching()).toBe(true);
    expect(ct.state()).toBe('idle');
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(ct.irqNesting()).toBe(0);
    expect(ct.rcuIsWatching()).toBe(false);
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(true);
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('arch_in_rcu_eqs(): a non-idle task in an EQS also takes the exit_rcu path', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true, hooks: { archInRcuEqs: () => true } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    expect(st.getExitRcu()).toBe(true);
    expect(h.d.cpu.ct.irqNesting()).toBe(1);
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('exit_rcu path never preempts, even with need_resched and preempt_count 0', () => {
    const h = harness({ context: 'idle', hardirqsEnabled: true, task: { isIdle: true, flags: _TIF_NEED_RESCHED } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(h.log).not.toContain('preempt_schedule_irq');
  });

  it('kernel with IRQs on: preempts when need_resched and preempt_count == 0', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true, task: { flags: _TIF_NEED_RESCHED } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    expect(st.getExitRcu()).toBe(false);
    expect(h.d.cpu.ct.irqNesting()).toBe(0);
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(h.log.filter((s) => s === 'preempt_schedule_irq')).toHaveLength(1);
    expect(h.task.flags.read()).toBe(0);
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(true);
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('kernel with IRQs on: no preemption without need_resched', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(h.log).toContain('rcu_irq_exit_check_preempt');
    expect(h.log).not.toContain('preempt_schedule_irq');
  });

  it('kernel with IRQs on: no preemption (and no RCU check) when preempt_count > 0', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true, preemptCount: PREEMPT_OFFSET, task: { flags: _TIF_NEED_RESCHED } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(h.log).not.toContain('preempt_schedule_irq');
    expect(h.log).not.toContain('rcu_irq_exit_check_preempt');
    expect(h.task.flags.read()).toBe(_TIF_NEED_RESCHED);
  });

  it('kernel with IRQs off: no preemption, lockdep stays off', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: false, task: { flags: _TIF_NEED_RESCHED } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_OFF, st);
    complete(irqentryExit(h.d, KERNEL_IRQS_OFF, st));
    expect(h.log).not.toContain('preempt_schedule_irq');
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(false);
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('DEBUG_ENTRY: preempting off the thread stack is reported', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true, hooks: { onThreadStack: () => false } });
    const st = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, st);
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, st));
    expect(checkEntryCpu(h.d.cpu).map((v) => v.code)).toEqual(['not-on-thread-stack']);
  });

  it('irqentry_exit with lockdep hardirqs on is reported (lockdep_assert_irqs_disabled)', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true });
    complete(irqentryExit(h.d, KERNEL_IRQS_OFF, h.store()));
    expect(checkEntryCpu(h.d.cpu).map((v) => v.code)).toEqual(['lockdep-irqs']);
  });

  it('an IRQ nested in an idle-IRQ: inner kernel path, outer exit_rcu balanced', () => {
    const h = harness({ context: 'idle', hardirqsEnabled: true, task: { isIdle: true } });
    const outer = h.store();
    const inner = h.store();
    irqentryEnter(h.d, KERNEL_IRQS_ON, outer);
    irqentryEnter(h.d, KERNEL_IRQS_OFF, inner);
    expect(inner.getExitRcu()).toBe(true); // still the idle task: ct_irq_enter unconditionally
    expect(h.d.cpu.ct.irqNesting()).toBe(2);
    complete(irqentryExit(h.d, KERNEL_IRQS_OFF, inner));
    complete(irqentryExit(h.d, KERNEL_IRQS_ON, outer));
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });
});
