/** syscall_enter_from_user_mode / syscall_exit_to_user_mode (reference §2.5, §2.6). */
import { describe, expect, it } from 'vitest';
import {
  complete,
  _TIF_NEED_RESCHED, _TIF_NEED_RESCHED_LAZY, _TIF_NOTIFY_RESUME, _TIF_NOTIFY_SIGNAL, _TIF_PATCH_PENDING,
  _TIF_SIGPENDING, _TIF_UPROBE, EXIT_LOOP_LIMIT, SYSCALL_WORK_SECCOMP, SYSCALL_WORK_SYSCALL_EXIT_TRAP,
  checkEntryCpu, exitToUserModeLoop, syscallEnterFromUserMode, syscallExitToUserMode,
} from '../../../src/kernel/generic/index.js';
import { InternalError } from '../../../src/lib/errors.js';
import { USER_REGS, harness } from './harness.js';

describe('syscall_enter_from_user_mode', () => {
  it('USER -> KERNEL, IRQs and lockdep on, returns nr unchanged without work', () => {
    const h = harness({ context: 'user', hardirqsEnabled: true });
    expect(complete(syscallEnterFromUserMode(h.d, USER_REGS, 39))).toBe(39);
    expect(h.d.cpu.ct.state()).toBe('kernel');
    expect(h.irq.disabled()).toBe(false);
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(true);
    expect(h.log).not.toContain('syscall_trace_enter');
  });

  it('SYSCALL_WORK_ENTER: syscall_trace_enter may change the number', () => {
    const h = harness({
      context: 'user', task: { syscallWork: SYSCALL_WORK_SECCOMP },
      services: { syscallTraceEnter: (_r, nr, work) => (work & SYSCALL_WORK_SECCOMP ? nr + 1 : nr) },
    });
    expect(complete(syscallEnterFromUserMode(h.d, USER_REGS, 39))).toBe(40);
  });

  it('returns -1 when the tracer skips the call', () => {
    const h = harness({ context: 'user', task: { syscallWork: SYSCALL_WORK_SECCOMP }, services: { syscallTraceEnter: () => -1 } });
    expect(complete(syscallEnterFromUserMode(h.d, USER_REGS, 39))).toBe(-1);
  });

  it('SYSCALL_WORK_EXIT-only bits do not run entry work', () => {
    const h = harness({ context: 'user', task: { syscallWork: SYSCALL_WORK_SYSCALL_EXIT_TRAP } });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 1));
    expect(h.log).not.toContain('syscall_trace_enter');
  });

  it('entering from user mode while context tracking says KERNEL is reported (CT_WARN_ON)', () => {
    const h = harness({ context: 'kernel' });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 0));
    expect(h.d.cpu.ct.check().map((v) => v.code)).toEqual(['ct-state']);
  });
});

describe('syscall_exit_to_user_mode and the work loop', () => {
  function enterThenExit(h: ReturnType<typeof harness>): void {
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 0));
    complete(syscallExitToUserMode(h.d, USER_REGS));
  }

  it('no work: KERNEL -> USER, IRQs off at the end (SYSRET/IRET turns them on), lockdep on', () => {
    const h = harness({ context: 'user' });
    enterThenExit(h);
    expect(h.d.cpu.ct.state()).toBe('user');
    expect(h.irq.disabled()).toBe(true);
    expect(h.d.cpu.lockdep.hardirqsEnabled()).toBe(true);
    expect(h.log).not.toContain('schedule');
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('NEED_RESCHED runs schedule(); SIGPENDING runs the signal hook; both in one round', () => {
    const h = harness({ context: 'user' });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 0));
    h.task.flags.set(_TIF_NEED_RESCHED | _TIF_SIGPENDING);
    complete(syscallExitToUserMode(h.d, USER_REGS));
    expect(h.log.filter((s) => s === 'schedule')).toHaveLength(1);
    expect(h.log.filter((s) => s === 'arch_do_signal_or_restart')).toHaveLength(1);
    expect(h.task.flags.read()).toBe(0);
    expect(checkEntryCpu(h.d.cpu)).toEqual([]);
  });

  it('loops until no work: schedule() raising a signal makes a second round', () => {
    let rounds = 0;
    const h = harness({
      context: 'user',
      services: {
        schedule: (t) => {
          t.flags.clear(_TIF_NEED_RESCHED);
          if (rounds++ === 0) t.flags.set(_TIF_SIGPENDING | _TIF_NEED_RESCHED);
        },
      },
    });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 0));
    h.task.flags.set(_TIF_NEED_RESCHED);
    complete(syscallExitToUserMode(h.d, USER_REGS));
    expect(h.log.filter((s) => s === 'schedule')).toHaveLength(2);
    expect(h.log.filter((s) => s === 'arch_do_signal_or_restart')).toHaveLength(1);
    expect(h.log.filter((s) => s === 'arch_exit_to_user_mode_work')).toHaveLength(2);
    expect(h.task.flags.read()).toBe(0);
  });

  it('each work bit reaches its handler: LAZY, UPROBE, PATCH_PENDING, NOTIFY_SIGNAL, NOTIFY_RESUME', () => {
    let resumed = false;
    const h = harness({ context: 'user', services: { notifyResume: (_r, t) => { resumed = !t.flags.test(_TIF_NOTIFY_RESUME); } } });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 0));
    h.task.flags.set(_TIF_NEED_RESCHED_LAZY | _TIF_UPROBE | _TIF_PATCH_PENDING | _TIF_NOTIFY_SIGNAL | _TIF_NOTIFY_RESUME);
    complete(syscallExitToUserMode(h.d, USER_REGS));
    expect(h.log).toEqual(expect.arrayContaining(['schedule', 'uprobe_notify_resume', 'klp_update_patch_state', 'arch_do_signal_or_restart']));
    expect(resumed).toBe(true); // resume_user_mode_work clears the bit before the work
    expect(h.task.flags.read()).toBe(0);
  });

  it('ARCH_EXIT_TO_USER_MODE_WORK bits keep the loop going until the arch clears them', () => {
    const ARCH_BIT = 1 << 14;
    const h = harness({
      context: 'user',
      hooks: { archExitToUserModeWorkMask: ARCH_BIT, archExitToUserModeWork: (_r, w) => { if (w & ARCH_BIT) h.task.flags.clear(ARCH_BIT); } },
    });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 0));
    h.task.flags.set(ARCH_BIT);
    complete(syscallExitToUserMode(h.d, USER_REGS));
    expect(h.log.filter((s) => s === 'arch_exit_to_user_mode_work')).toHaveLength(1);
    expect(h.task.flags.read()).toBe(0);
  });

  it('a syscall that left IRQs disabled is reported and IRQs are re-enabled', () => {
    const h = harness({ context: 'user' });
    complete(syscallEnterFromUserMode(h.d, USER_REGS, 0));
    h.irq.disable();
    complete(syscallExitToUserMode(h.d, USER_REGS));
    expect(checkEntryCpu(h.d.cpu).map((v) => v.code)).toEqual(['syscall-irqs-disabled']);
    expect(h.d.cpu.ct.state()).toBe('user');
  });

  it('a work bit nobody clears is a model bug, not a hang', () => {
    const h = harness({ context: 'kernel', hardirqsEnabled: false, hooks: { archDoSignalOrRestart: () => {} } });
    h.task.flags.set(_TIF_SIGPENDING);
    expect(() => complete(exitToUserModeLoop(h.d, USER_REGS, h.task.flags.read()))).toThrow(InternalError);
    expect(EXIT_LOOP_LIMIT).toBeGreaterThan(100);
  });
});
