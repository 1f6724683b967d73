/**
 * The part of lockdep that entry code drives: the per-CPU "hardirqs
 * enabled" software state (which can differ from the IF flag for a few
 * instructions, which is why NMIs save it), the hardirq-context counter and
 * lockdep_off/on nesting. Modelled with CONFIG_TRACE_IRQFLAGS_NMI (x86), so
 * lockdep_hardirqs_on/off also act inside an NMI.
 *
 * @kernel kernel/locking/lockdep.c
 */
import type { EntryViolation } from './violation.js';

export class Lockdep {
  /** lockdep_hardirqs_enabled(): this_cpu hardirqs_enabled. */
  private enabled: boolean;
  /** lockdep_hardirq_context() nesting (lockdep_hardirq_enter/exit). */
  private hardirqContext = 0;
  /** current->lockdep_recursion in units of LOCKDEP_OFF (lockdep_off/on). */
  private offDepth = 0;
  private readonly recorded: EntryViolation[] = [];

  constructor(hardirqsEnabled: boolean) {
    this.enabled = hardirqsEnabled;
  }

  /** @kernel kernel/locking/lockdep.c lockdep_hardirqs_enabled */
  hardirqsEnabled(): boolean {
    return this.enabled;
  }

  /** @kernel kernel/locking/lockdep.c lockdep_hardirqs_on */
  lockdepHardirqsOn(): void {
    this.enabled = true;
  }

  /** @kernel kernel/locking/lockdep.c lockdep_hardirqs_off */
  lockdepHardirqsOff(): void {
    this.enabled = false;
  }

  /** @kernel include/linux/irqflags.h lockdep_hardirq_enter */
  lockdepHardirqEnter(): void {
    this.hardirqContext++;
  }

  /** @kernel include/linux/irqflags.h lockdep_hardirq_exit */
  lockdepHardirqExit(): void {
    if (this.hardirqContext === 0) {
      this.recorded.push({ code: 'lockdep-underflow', message: 'lockdep_hardirq_exit without lockdep_hardirq_enter' });
      return;
    }
    this.hardirqContext--;
  }

  inHardirqContext(): number {
    return this.hardirqContext;
  }

  /** @kernel kernel/locking/lockdep.c lockdep_off */
  lockdepOff(): void {
    this.offDepth++;
  }

  /** @kernel kernel/locking/lockdep.c lockdep_on */
  lockdepOn(): void {
    if (this.offDepth === 0) {
      this.recorded.push({ code: 'lockdep-underflow', message: 'lockdep_on without lockdep_off' });
      return;
    }
    this.offDepth--;
  }

  /** @kernel include/linux/lockdep.h lockdep_assert_irqs_disabled; `where` names the caller. */
  assertIrqsDisabled(where: string): void {
    if (this.enabled) {
      this.recorded.push({ code: 'lockdep-irqs', message: `${where}: lockdep_assert_irqs_disabled() with hardirqs enabled` });
    }
  }

  /** Recorded violations, plus hardirq context or lockdep_off left open. */
  check(): EntryViolation[] {
    const out = [...this.recorded];
    if (this.hardirqContext !== 0) {
      out.push({ code: 'lockdep-unbalanced', message: `lockdep hardirq context nesting is ${this.hardirqContext}, expected 0` });
    }
    if (this.offDepth !== 0) {
      out.push({ code: 'lockdep-unbalanced', message: `lockdep_off nesting is ${this.offDepth}, expected 0` });
    }
    return out;
  }
}
