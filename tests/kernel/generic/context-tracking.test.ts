/** Context tracking, RCU watching and the balance check (DESIGN.md §4 invariant 5). */
import { describe, expect, it } from 'vitest';
import { ContextTracking, Lockdep, checkEntryCpu, createEntryCpu } from '../../../src/kernel/generic/index.js';

describe('context tracking', () => {
  it('USER -> KERNEL -> USER; RCU watches only in KERNEL', () => {
    const ct = new ContextTracking('user');
    expect([ct.state(), ct.rcuIsWatching()]).toEqual(['user', false]);
    ct.userExitIrqoff();
    expect([ct.state(), ct.rcuIsWatching()]).toEqual(['kernel', true]);
    ct.userEnterIrqoff();
    expect([ct.state(), ct.rcuIsWatching()]).toEqual(['user', false]);
    expect(ct.check()).toEqual([]);
  });

  it('user_exit in KERNEL and user_enter in USER are no-ops, as in Linux', () => {
    const ct = new ContextTracking('kernel');
    ct.userExitIrqoff();
    expect(ct.state()).toBe('kernel');
    ct.userEnterIrqoff();
    ct.userEnterIrqoff();
    expect(ct.state()).toBe('user');
    expect(ct.check()).toEqual([]);
  });

  it('IDLE: RCU watches only while an irq or nmi is nested', () => {
    const ct = new ContextTracking('kernel');
    ct.ctIdleEnter();
    expect(ct.rcuIsWatching()).toBe(false);
    ct.ctIrqEnter();
    expect(ct.rcuIsWatching()).toBe(true);
    ct.ctNmiEnter();
    ct.ctIrqExit();
    expect(ct.rcuIsWatching()).toBe(true);
    ct.ctNmiExit();
    expect(ct.rcuIsWatching()).toBe(false);
    ct.ctIdleExit();
    expect(ct.state()).toBe('kernel');
    expect(ct.check()).toEqual([]);
  });

  it('check() catches an exit_rcu entry that is never exited, naming it', () => {
    const ct = new ContextTracking('idle');
    ct.ctIrqEnter('irqentry_enter regs@0xffffc90000003f58');
    ct.ctIrqEnter('irqentry_enter regs@0xffffc90000003e00');
    ct.ctIrqExit();
    const v = ct.check();
    expect(v).toHaveLength(1);
    expect(v[0]?.code).toBe('ct-unbalanced');
    expect(v[0]?.message).toContain('regs@0xffffc90000003f58');
  });

  it('check() reports an unmatched exit and returning to user with an entry open', () => {
    const ct = new ContextTracking('kernel');
    ct.ctIrqExit();
    ct.ctNmiExit();
    ct.ctNmiEnter();
    ct.userEnterIrqoff();
    expect(ct.check().map((v) => v.code)).toEqual(['ct-underflow', 'ct-underflow', 'ct-unbalanced', 'ct-unbalanced']);
  });

  it('CT_WARN_ON and rcu_irq_exit_check_preempt are recorded, not thrown', () => {
    const ct = new ContextTracking('kernel');
    ct.warnOnStateNot('user', 'enter_from_user_mode');
    ct.ctIrqEnter();
    ct.rcuIrqExitCheckPreempt();
    ct.ctIrqExit();
    expect(ct.check().map((v) => v.code)).toEqual(['ct-state', 'rcu-preempt']);
  });
});

describe('lockdep model', () => {
  it('tracks hardirqs on/off and hardirq context; reports imbalance', () => {
    const l = new Lockdep(true);
    l.lockdepHardirqsOff();
    expect(l.hardirqsEnabled()).toBe(false);
    l.lockdepHardirqEnter();
    l.assertIrqsDisabled('here');
    expect(l.check().map((v) => v.code)).toEqual(['lockdep-unbalanced']);
    l.lockdepHardirqExit();
    l.lockdepHardirqExit();
    l.lockdepHardirqsOn();
    l.assertIrqsDisabled('there');
    expect(l.check().map((v) => v.code)).toEqual(['lockdep-underflow', 'lockdep-irqs']);
  });

  it('checkEntryCpu gathers context tracking, lockdep and entry warnings', () => {
    const cpu = createEntryCpu({ context: 'idle' });
    expect(checkEntryCpu(cpu)).toEqual([]);
    cpu.ct.ctIrqEnter();
    cpu.lockdep.lockdepOn();
    cpu.warnings.push({ code: 'not-on-thread-stack', message: 'x' });
    expect(checkEntryCpu(cpu).map((v) => v.code)).toEqual(['ct-unbalanced', 'lockdep-underflow', 'not-on-thread-stack']);
  });
});
