/**
 * The per-CPU state generic entry code changes: context tracking / RCU,
 * lockdep's hardirq state, preempt_count, and the WARNs of entry code
 * itself. One per simulated CPU, created at boot.
 */
import { ContextTracking, type CtState } from './context-tracking.js';
import { Lockdep } from './lockdep.js';
import { PreemptCount } from './preempt.js';
import type { EntryViolation } from './violation.js';

export interface EntryCpu {
  readonly ct: ContextTracking;
  readonly lockdep: Lockdep;
  readonly preempt: PreemptCount;
  /** WARN_ONs raised by entry code outside the three trackers. */
  readonly warnings: EntryViolation[];
}

export interface EntryCpuInit {
  /** Context-tracking state at creation; default `user` (a CPU about to run a user program). */
  readonly context?: CtState;
  /** lockdep hardirqs-enabled state; default true (user mode runs with IRQs on). */
  readonly hardirqsEnabled?: boolean;
  readonly preemptCount?: number;
}

export function createEntryCpu(init: EntryCpuInit = {}): EntryCpu {
  return {
    ct: new ContextTracking(init.context ?? 'user'),
    lockdep: new Lockdep(init.hardirqsEnabled ?? true),
    preempt: new PreemptCount(init.preemptCount ?? 0),
    warnings: [],
  };
}

/**
 * Every violation on this CPU: context tracking (including open exit_rcu
 * entries, DESIGN.md §4 invariant 5), lockdep, and entry-code WARNs.
 * An empty list means balanced and clean.
 */
export function checkEntryCpu(cpu: EntryCpu): EntryViolation[] {
  return [...cpu.ct.check(), ...cpu.lockdep.check(), ...cpu.warnings];
}
