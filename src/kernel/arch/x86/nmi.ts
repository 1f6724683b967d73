/**
 * The C side of the NMI: exc_nmi, called by asm_exc_nmi on the NMI IST
 * stack (nested-NMI handling of the asm and nmi_state are not modelled).
 * @kernel arch/x86/kernel/nmi.c DEFINE_IDTENTRY_RAW(exc_nmi)
 */
import { irqentryNmiEnter, irqentryNmiExit } from '../../generic/index.js';
import { endEntry, startHandler, traceEntry, type CEntryContext } from './kernel-c.js';
import type { NativeBody } from './native.js';

/**
 * exc_nmi(regs):
 * 1. irq_state = irqentry_nmi_enter(regs) (the lockdep flag in the store);
 * 2. default_do_nmi: every registered handler (nmi_handle(NMI_LOCAL));
 * 3. irqentry_nmi_exit(regs, irq_state).
 */
export function excNmi(ctx: CEntryContext): NativeBody {
  return (rt, call) => {
    const { rec, regs, store } = startHandler(ctx, rt, call, 'nmi', 'exc_nmi', 2, irqentryNmiEnter);
    traceEntry(ctx, 'nmi', 2, regs, null, null);
    for (const h of ctx.nmiHandlers) h(rt, regs);
    irqentryNmiExit(ctx.deps, regs, store);
    endEntry(ctx, rec);
  };
}
