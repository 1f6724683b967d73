/**
 * The `struct pt_regs *` generic entry code receives. The arch layer
 * implements it over the real pt_regs on the guest stack; generic code asks
 * only the two questions Linux's generic code asks, and passes it on to the
 * arch hooks.
 */
export interface EntryRegs {
  /** Guest linear address of struct pt_regs (the canonical, sign-extended number the CPU uses). */
  readonly address: number;
  /** user_mode(regs): the interrupted context ran at CPL 3 (regs->cs & 3). */
  userMode(): boolean;
  /** regs_irqs_disabled(regs): IF was clear in the saved regs->flags. */
  irqsDisabled(): boolean;
}
