/**
 * The C side of device interrupts: common_interrupt, reached from
 * asm_common_interrupt with the vector the irq_entries_start stub pushed.
 * @kernel arch/x86/kernel/irq.c DEFINE_IDTENTRY_IRQ(common_interrupt)
 */
import { HARDIRQ_OFFSET, irqentryEnter, irqentryExit } from '../../generic/index.js';
import { endEntry, startHandler, traceEntry, type CEntryContext, type IrqHandler } from './kernel-c.js';
import type { NativeBody } from './native.js';

/**
 * The local APIC timer's handler (sysvec_apic_timer_interrupt's work, much
 * reduced): the scheduler's tick (update_process_times → sched_tick), which
 * wakes sleepers and sets TIF_NEED_RESCHED when another task can run.
 * @kernel arch/x86/kernel/apic/apic.c local_apic_timer_interrupt
 */
export function timerInterrupt(ctx: CEntryContext): IrqHandler {
  return () => {
    ctx.tick();
  };
}

/**
 * common_interrupt(regs, vector):
 * 1. state = irqentry_enter(regs) — the design's store: a local of this
 *    frame (irqentry_state_t) or the extension below pt_regs;
 * 2. irq_enter_rcu (preempt_count += HARDIRQ_OFFSET);
 * 3. the handler for (u8)vector (no handler: ack_bad_irq, a spurious IRQ);
 * 4. irq_exit_rcu;
 * 5. irqentry_exit(regs, state).
 */
export function commonInterrupt(ctx: CEntryContext): NativeBody {
  return function* commonInterruptBody(rt, call) {
    const vector = Number(call.arg(1) & 0xffn);
    const { rec, regs, store } = startHandler(ctx, rt, call, 'irq', 'common_interrupt', vector, irqentryEnter);
    traceEntry(ctx, 'irq', vector, regs, null, null);
    ctx.deps.cpu.preempt.add(HARDIRQ_OFFSET);
    ctx.irqHandlers.get(vector)?.(rt, regs, vector);
    ctx.deps.cpu.preempt.sub(HARDIRQ_OFFSET);
    yield* irqentryExit(ctx.deps, regs, store);
    endEntry(ctx, rec);
  };
}
