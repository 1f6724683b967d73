/**
 * What the model's debug checks report instead of a kernel WARN: a record
 * with a literal `code` (STYLE §2.4), collected in a list so that tests, the
 * fuzzer and `kentry demo` can show every broken invariant of a run rather
 * than stop at the first (DESIGN.md §4).
 */
export type EntryViolationCode =
  /** CT_WARN_ON: context-tracking state not what the entry path expects. */
  | 'ct-state'
  /** ct_irq_exit / ct_nmi_exit without a matching enter. */
  | 'ct-underflow'
  /** A ct_irq_enter (an exit_rcu entry) or ct_nmi_enter not exited (DESIGN.md §4 invariant 5). */
  | 'ct-unbalanced'
  /** rcu_irq_exit_check_preempt(): preempting while RCU nesting is not the plain task level. */
  | 'rcu-preempt'
  /** lockdep_assert_irqs_disabled() failed. */
  | 'lockdep-irqs'
  /** lockdep_hardirq_exit / lockdep_on without the matching enter / off. */
  | 'lockdep-underflow'
  /** lockdep hardirq context or lockdep_off not undone. */
  | 'lockdep-unbalanced'
  /** WARN_ON_ONCE(!on_thread_stack()) before preempting (DEBUG_ENTRY). */
  | 'not-on-thread-stack'
  /** "syscall %lu left IRQs disabled" (PROVE_LOCKING). */
  | 'syscall-irqs-disabled';

export interface EntryViolation {
  readonly code: EntryViolationCode;
  readonly message: string;
}
