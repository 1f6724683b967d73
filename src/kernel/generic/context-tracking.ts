/**
 * Per-CPU context tracking and whether RCU is watching the CPU.
 *
 * The process-level state is USER, KERNEL or IDLE (enum ctx_state:
 * CT_STATE_KERNEL, CT_STATE_IDLE, CT_STATE_USER). USER and IDLE are
 * extended quiescent states (EQS): RCU ignores the CPU. An interrupt taken
 * in an EQS must make RCU watch before it runs instrumentable code; that is
 * what `ct_irq_enter` (the `exit_rcu` path of irqentry_enter) and
 * `ct_nmi_enter` do, by nesting:
 *
 *   RCU watches  <=>  state == KERNEL  ||  irq nesting > 0  ||  nmi nesting > 0
 *
 * Linux keeps one `nmi_nesting` counter for both (ct_irq_enter calls
 * ct_nmi_enter); the model keeps two, and a stack of who entered, so that an
 * imbalance can be reported precisely (DESIGN.md §4 invariant 5: each
 * exit_rcu entry is exited). Checks record violations; nothing throws.
 *
 * @kernel kernel/context_tracking.c
 */
import type { EntryViolation } from './violation.js';

export type CtState = 'kernel' | 'idle' | 'user';

export class ContextTracking {
  private ctState: CtState;
  /** Open ct_irq_enter calls, innermost last (labels for reports). */
  private readonly irqs: string[] = [];
  /** Open ct_nmi_enter calls, innermost last. */
  private readonly nmis: string[] = [];
  private readonly recorded: EntryViolation[] = [];

  constructor(state: CtState) {
    this.ctState = state;
  }

  /** @kernel include/linux/context_tracking_state.h __ct_state */
  state(): CtState {
    return this.ctState;
  }

  irqNesting(): number {
    return this.irqs.length;
  }

  nmiNesting(): number {
    return this.nmis.length;
  }

  /** @kernel include/linux/rcupdate.h rcu_is_watching */
  rcuIsWatching(): boolean {
    return this.ctState === 'kernel' || this.irqs.length > 0 || this.nmis.length > 0;
  }

  /**
   * USER -> KERNEL on entry from user mode; RCU watches again.
   * A no-op in any other state, as ct_user_exit is.
   * @kernel include/linux/context_tracking.h user_exit_irqoff
   */
  userExitIrqoff(): void {
    if (this.ctState === 'user') this.ctState = 'kernel';
  }

  /**
   * KERNEL -> USER on the way back to user mode; RCU stops watching.
   * Every ct_irq_enter/ct_nmi_enter must have been exited by now.
   * @kernel include/linux/context_tracking.h user_enter_irqoff
   */
  userEnterIrqoff(): void {
    if (this.irqs.length || this.nmis.length) {
      this.recorded.push({
        code: 'ct-unbalanced',
        message: `user_enter_irqoff with ${this.openEntries()} still open`,
      });
    }
    if (this.ctState === 'kernel') this.ctState = 'user';
  }

  /** KERNEL -> IDLE: the idle task enters its EQS. @kernel kernel/context_tracking.c ct_idle_enter */
  ctIdleEnter(): void {
    if (this.ctState !== 'kernel') this.warnState('ct_idle_enter', 'kernel');
    this.ctState = 'idle';
  }

  /** IDLE -> KERNEL. @kernel kernel/context_tracking.c ct_idle_exit */
  ctIdleExit(): void {
    if (this.ctState !== 'idle') this.warnState('ct_idle_exit', 'idle');
    this.ctState = 'kernel';
  }

  /** An interrupt makes RCU watch, whatever the state. @kernel kernel/context_tracking.c ct_irq_enter */
  ctIrqEnter(label = 'ct_irq_enter'): void {
    this.irqs.push(label);
  }

  /** @kernel kernel/context_tracking.c ct_irq_exit */
  ctIrqExit(): void {
    if (this.irqs.pop() === undefined) {
      this.recorded.push({ code: 'ct-underflow', message: 'ct_irq_exit without ct_irq_enter' });
    }
  }

  /** @kernel kernel/context_tracking.c ct_nmi_enter */
  ctNmiEnter(label = 'ct_nmi_enter'): void {
    this.nmis.push(label);
  }

  /** @kernel kernel/context_tracking.c ct_nmi_exit */
  ctNmiExit(): void {
    if (this.nmis.pop() === undefined) {
      this.recorded.push({ code: 'ct-underflow', message: 'ct_nmi_exit without ct_nmi_enter' });
    }
  }

  /**
   * CT_WARN_ON(__ct_state() != expected), recorded with the caller's name.
   * @kernel include/linux/context_tracking.h CT_WARN_ON
   */
  warnOnStateNot(expected: CtState, where: string): void {
    if (this.ctState !== expected) this.warnState(where, expected);
  }

  /**
   * The sanity checks before preempting an interrupted kernel context: RCU
   * must be at plain task level (watching, no irq/nmi nesting).
   * @kernel kernel/rcu/tree.c rcu_irq_exit_check_preempt
   */
  rcuIrqExitCheckPreempt(): void {
    if (this.ctState !== 'kernel' || this.irqs.length || this.nmis.length) {
      this.recorded.push({
        code: 'rcu-preempt',
        message: `preempting with context tracking ${this.ctState}, ${this.openEntries()}`,
      });
    }
  }

  /**
   * Violations recorded so far, plus every ct_irq_enter/ct_nmi_enter still
   * open now. Call it where all entries should have been exited (back in
   * user mode, or at the end of a test).
   */
  check(): EntryViolation[] {
    const out = [...this.recorded];
    for (const l of this.irqs) out.push({ code: 'ct-unbalanced', message: `exit_rcu entry never exited: ${l}` });
    for (const l of this.nmis) out.push({ code: 'ct-unbalanced', message: `NMI entry never exited: ${l}` });
    return out;
  }

  private openEntries(): string {
    return `irq nesting ${this.irqs.length}, nmi nesting ${this.nmis.length}`;
  }

  private warnState(where: string, expected: CtState): void {
    this.recorded.push({ code: 'ct-state', message: `${where}: context tracking state is ${this.ctState}, expected ${expected}` });
  }
}
