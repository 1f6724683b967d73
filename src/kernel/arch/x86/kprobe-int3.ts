/**
 * exc_int3 with the kernel-mode side that kprobes need. From user mode it
 * is the trap USER_TRAPS describes (do_int3_user: SIGTRAP); from kernel
 * mode it is NMI-like: irqentry_nmi_enter, do_int3 → kprobe_int3_handler,
 * irqentry_nmi_exit — and an INT3 no one claims is die("int3").
 * poke_int3_handler (text_poke_bp's temporary INT3s) is not modelled: the
 * model patches text only while the CPU is outside it.
 * @kernel arch/x86/kernel/traps.c DEFINE_IDTENTRY_RAW(exc_int3), do_int3
 */
import { irqentryNmiEnter, irqentryNmiExit } from '../../generic/index.js';
import { endEntry, startHandler, traceEntry, type CEntryContext } from './kernel-c.js';
import { kprobeInt3Handler } from './kprobes.js';
import { KernelOops, type NativeBody } from './native.js';
import { PtRegs } from './regs.js';
import { USER_TRAPS, userTrap } from './traps.js';

const INT3_USER_TRAP = USER_TRAPS.find((t) => t.cFunction === 'exc_int3');

/** exc_int3(regs): the user path is `userTrap`'s; the kernel path runs the kprobe handler. */
export function excInt3(ctx: CEntryContext): NativeBody {
  if (!INT3_USER_TRAP) throw new KernelOops('USER_TRAPS lacks exc_int3');
  const user = userTrap(ctx, INT3_USER_TRAP);
  return (rt, call) => {
    if (new PtRegs(rt, ctx.design.ptRegs, call.address(0)).userMode()) return user(rt, call);
    const { rec, regs, store } = startHandler(ctx, rt, call, 'exception', 'exc_int3', 3, irqentryNmiEnter);
    traceEntry(ctx, 'exception', 3, regs, null, null);
    // do_int3: kprobe_int3_handler first; notify_die(DIE_INT3) has no other listener here.
    if (!kprobeInt3Handler(ctx, regs)) {
      throw new KernelOops(`int3 in kernel mode at ip 0x${regs.get('ip').toString(16)} (die)`);
    }
    irqentryNmiExit(ctx.deps, regs, store);
    endEntry(ctx, rec);
  };
}
