/** preempt_count layout, __nmi_enter/__nmi_exit, and the work masks. */
import { describe, expect, it } from 'vitest';
import {
  EXIT_TO_USER_MODE_WORK, HARDIRQ_MASK, HARDIRQ_OFFSET, Lockdep, NMI_MASK, NMI_OFFSET, PREEMPT_MASK,
  PreemptCount, SOFTIRQ_MASK, SOFTIRQ_OFFSET, SYSCALL_WORK_ENTER, SYSCALL_WORK_EXIT, WorkFlags,
  _TIF_NEED_RESCHED, _TIF_SIGPENDING, __nmiEnter, __nmiExit, createEntryTask, describeWork, needResched,
} from '../../../src/kernel/generic/index.js';
import { InternalError } from '../../../src/lib/errors.js';

describe('preempt_count', () => {
  it('has Linux bit layout: PREEMPT 0-7, SOFTIRQ 8-15, HARDIRQ 16-19, NMI 20-23', () => {
    expect([PREEMPT_MASK, SOFTIRQ_MASK, HARDIRQ_MASK, NMI_MASK]).toEqual([0xff, 0xff00, 0xf0000, 0xf00000]);
    expect([SOFTIRQ_OFFSET, HARDIRQ_OFFSET, NMI_OFFSET]).toEqual([0x100, 0x10000, 0x100000]);
  });

  it('__nmi_enter adds NMI_OFFSET + HARDIRQ_OFFSET and lockdep_off; nests; __nmi_exit undoes it', () => {
    const p = new PreemptCount();
    const l = new Lockdep(false);
    __nmiEnter(p, l);
    expect(p.preemptCount()).toBe(0x110000);
    expect(p.inNmi()).toBe(0x100000);
    expect(p.inHardirq()).toBe(0x10000);
    __nmiEnter(p, l);
    expect(p.preemptCount()).toBe(0x220000);
    expect(l.check().map((v) => v.code)).toEqual(['lockdep-unbalanced']);
    __nmiExit(p, l);
    __nmiExit(p, l);
    expect(p.preemptCount()).toBe(0);
    expect(l.check()).toEqual([]);
  });

  it('BUG_ONs are model errors: NMI nesting overflow, __nmi_exit outside NMI, underflow', () => {
    const l = new Lockdep(false);
    expect(() => __nmiExit(new PreemptCount(), l)).toThrow(InternalError);
    const full = new PreemptCount(NMI_MASK);
    expect(() => __nmiEnter(full, new Lockdep(false))).toThrow(InternalError);
    expect(() => new PreemptCount().preemptEnableNoResched()).toThrow(InternalError);
  });

  it('need_resched reads TIF_NEED_RESCHED of the task', () => {
    const t = createEntryTask();
    expect(needResched(t)).toBe(false);
    t.flags.set(_TIF_NEED_RESCHED);
    expect(needResched(t)).toBe(true);
  });
});

describe('work flags', () => {
  it('EXIT_TO_USER_MODE_WORK = SIGPENDING|NOTIFY_RESUME|UPROBE|NEED_RESCHED|NEED_RESCHED_LAZY|PATCH_PENDING|NOTIFY_SIGNAL (x86 bits)', () => {
    expect(EXIT_TO_USER_MODE_WORK).toBe((1 << 2) | (1 << 1) | (1 << 12) | (1 << 3) | (1 << 4) | (1 << 13) | (1 << 17));
  });

  it('syscall work masks', () => {
    expect(SYSCALL_WORK_ENTER).toBe(0b0111111);
    expect(SYSCALL_WORK_EXIT).toBe(0b1110110);
  });

  it('WorkFlags set/clear/test and describeWork', () => {
    const w = new WorkFlags();
    w.set(_TIF_SIGPENDING | _TIF_NEED_RESCHED | (1 << 30));
    expect(w.test(_TIF_SIGPENDING)).toBe(true);
    expect(describeWork(w.read())).toBe('SIGPENDING|NEED_RESCHED|0x40000000');
    w.clear(_TIF_SIGPENDING | (1 << 30));
    expect(w.read()).toBe(_TIF_NEED_RESCHED);
    expect(describeWork(0)).toBe('0');
  });
});
