/** irqentry_nmi_enter / irqentry_nmi_exit: lockdep state, preempt_count, RCU (reference §2.4). */
import { describe, expect, it } from 'vitest';
import {
  complete,
  HARDIRQ_OFFSET, NMI_OFFSET, checkEntryCpu, irqentryEnter, irqentryExit, irqentryNmiEnter, irqentryNmiExit,
} from '../../../src/kernel/generic/index.js';
import { InternalError } from '../../../src/lib/errors.js';
import { KERNEL_IRQS_OFF, KERNEL_IRQS_ON, USER_REGS, harness } from './harness.js';

describe('irqentry_nmi_enter / irqentry_nmi_exit', () => {
  it('saves lockdep hardirqs-enabled, turns it off inside, restores it on exit', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: true });
    const { lockdep, preempt } = h.d.cpu;
    const st = h.store();
    irqentryNmiEnter(h.d, KERNEL_IRQS_ON, st);
    expect(st.getLockdep()).toBe(true);
    expect(lockdep.hardirqsEnabled()).toBe(false);
    expect(lockdep.inHardirqContext()).toBe(1);
    expect(preempt.preemptCount()).toBe(NMI_OFFSET + HARDIRQ_OFFSET);
    expect(preempt.inNmi()).not.toBe(0);
    irqentryNmiExit(h.d, KERNEL_IRQS_ON, st);
    expect(lockdep.hardirqsEnabled()).toBe(true);
    expect(preempt.preemptCount()).toBe(0);
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('leaves lockdep off when it was off at entry (NMI inside local_irq_disable)', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: false });
    const st = h.store();
    irqentryNmiEnter(h.d, KERNEL_IRQS_OFF, st);
    expect(st.getLockdep()).toBe(false);
    irqentryNmiExit(h.d, KERNEL_IRQS_OFF, st);
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(false);
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('an NMI from user mode makes RCU watch without leaving USER', () => {
    const h = harness({ context: 'user', hardirqsEnabled: true });
    const { ct } = h.d.cpu;
    const st = h.store();
    irqentryNmiEnter(h.d, USER_REGS, st);
    expect(ct.state()).toBe('user');
    expect(ct.nmiNesting()).toBe(1);
    expect(ct.rcuIsWatching()).toBe(true);
    irqentryNmiExit(h.d, USER_REGS, st);
    expect(ct.rcuIsWatching()).toBe(false);
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('an NMI nested in an IRQ from user mode: each level restores its own lockdep state', () => {
    const h = harness({ context: 'user', hardirqsEnabled: true });
    const irq = h.store();
    const nmi = h.store();
    irqentryEnter(h.d, USER_REGS, irq);
    irqentryNmiEnter(h.d, KERNEL_IRQS_OFF, nmi);
    expect(nmi.getLockdep()).toBe(false);
    irqentryNmiExit(h.d, KERNEL_IRQS_OFF, nmi);
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(false);
    complete(irqentryExit(h.d, USER_REGS, irq));
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(true);
    expect(h.d.cpu.ct.state()).toBe('user');
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('__nmi_exit outside NMI context is a kernel BUG (model InternalError)', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: false });
    expect(() => irqentryNmiExit(h.d, KERNEL_IRQS_OFF, h.store())).toThrow(InternalError);
  });
});
