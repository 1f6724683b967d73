/**
 * preempt_count, with Linux's bit layout (include/linux/preempt.h):
 *
 *   31        24 23  20 19  16 15        8 7         0
 *  +------------+------+------+-----------+-----------+
 *  |  (unused)  | NMI  |HARDIRQ|  SOFTIRQ  |  PREEMPT  |
 *  +------------+------+------+-----------+-----------+
 *
 * x86 also folds an inverted PREEMPT_NEED_RESCHED into bit 31 of its
 * per-CPU copy; the model keeps need_resched as the TIF bit only.
 */
import { assert } from '../../lib/errors.js';
import type { Lockdep } from './lockdep.js';
import type { EntryTask } from './task.js';
import { _TIF_NEED_RESCHED } from './work.js';

export const PREEMPT_BITS = 8;
export const SOFTIRQ_BITS = 8;
export const HARDIRQ_BITS = 4;
export const NMI_BITS = 4;

export const PREEMPT_SHIFT = 0;
export const SOFTIRQ_SHIFT = PREEMPT_SHIFT + PREEMPT_BITS;
export const HARDIRQ_SHIFT = SOFTIRQ_SHIFT + SOFTIRQ_BITS;
export const NMI_SHIFT = HARDIRQ_SHIFT + HARDIRQ_BITS;

export const PREEMPT_MASK = ((1 << PREEMPT_BITS) - 1) << PREEMPT_SHIFT;
export const SOFTIRQ_MASK = ((1 << SOFTIRQ_BITS) - 1) << SOFTIRQ_SHIFT;
export const HARDIRQ_MASK = ((1 << HARDIRQ_BITS) - 1) << HARDIRQ_SHIFT;
export const NMI_MASK = ((1 << NMI_BITS) - 1) << NMI_SHIFT;

export const PREEMPT_OFFSET = 1 << PREEMPT_SHIFT;
export const SOFTIRQ_OFFSET = 1 << SOFTIRQ_SHIFT;
export const HARDIRQ_OFFSET = 1 << HARDIRQ_SHIFT;
export const NMI_OFFSET = 1 << NMI_SHIFT;

export class PreemptCount {
  constructor(private count = 0) {}

  /** @kernel include/asm-generic/preempt.h preempt_count */
  preemptCount(): number {
    return this.count;
  }

  /** @kernel include/asm-generic/preempt.h __preempt_count_add */
  add(n: number): void {
    this.count += n;
  }

  /** @kernel include/asm-generic/preempt.h __preempt_count_sub */
  sub(n: number): void {
    assert(this.count >= n, `preempt_count underflow: ${this.count} - ${n}`);
    this.count -= n;
  }

  /** preempt_disable() without the compiler barrier. */
  preemptDisable(): void {
    this.add(PREEMPT_OFFSET);
  }

  /** preempt_enable_no_resched(): the reschedule check is the caller's. */
  preemptEnableNoResched(): void {
    this.sub(PREEMPT_OFFSET);
  }

  /** @kernel include/linux/preempt.h in_nmi */
  inNmi(): number {
    return this.count & NMI_MASK;
  }

  /** @kernel include/linux/preempt.h in_hardirq */
  inHardirq(): number {
    return this.count & HARDIRQ_MASK;
  }

  /** @kernel include/linux/preempt.h in_interrupt (irq_count() != 0) */
  inInterrupt(): number {
    return this.count & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK);
  }
}

/**
 * Enters NMI context: lockdep_off, then preempt_count += NMI_OFFSET +
 * HARDIRQ_OFFSET. BUG_ON(in_nmi() == NMI_MASK) is a model InternalError.
 * @kernel include/linux/hardirq.h __nmi_enter
 */
export function __nmiEnter(preempt: PreemptCount, lockdep: Lockdep): void {
  lockdep.lockdepOff();
  assert(preempt.inNmi() !== NMI_MASK, '__nmi_enter: NMI nesting overflows NMI_MASK');
  preempt.add(NMI_OFFSET + HARDIRQ_OFFSET);
}

/**
 * Leaves NMI context: BUG_ON(!in_nmi()), preempt_count -= NMI_OFFSET +
 * HARDIRQ_OFFSET, lockdep_on.
 * @kernel include/linux/hardirq.h __nmi_exit
 */
export function __nmiExit(preempt: PreemptCount, lockdep: Lockdep): void {
  assert(preempt.inNmi() !== 0, '__nmi_exit outside NMI context');
  preempt.sub(NMI_OFFSET + HARDIRQ_OFFSET);
  lockdep.lockdepOn();
}

/** @kernel include/linux/sched.h need_resched (TIF_NEED_RESCHED of current) */
export function needResched(task: EntryTask): boolean {
  return task.flags.test(_TIF_NEED_RESCHED);
}
