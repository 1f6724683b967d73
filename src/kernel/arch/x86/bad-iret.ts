/**
 * A failed return to user mode: the IRETQ at native_irq_return_iret faults
 * (#GP, #NP or #SS for a bad CS or SS, RIP non-canonical, ...) in ring 0,
 * with the user GS base already loaded. error_entry recognises the faulting
 * RIP (.Lerror_bad_iret), does SWAPGS and calls fixup_bad_iret, which
 * rebuilds pt_regs at the top of the task stack as if the exception had
 * come from user mode at the IRET's target: the user then gets the signal
 * (exc_general_protection → SIGSEGV, exc_segment_not_present /
 * exc_stack_segment → SIGBUS) with trapno and the error code (the
 * selector) in its sigcontext.
 *
 * @kernel arch/x86/kernel/traps.c fixup_bad_iret
 * @kernel arch/x86/entry/entry_64.S error_entry (.Lerror_bad_iret)
 */
import type { Design } from '../../../design/build.js';
import type { NativeBody } from './native.js';
import { KernelOops } from './native.js';

/** The IRET frame members, in the order the CPU pops them. */
const IRET_FRAME = ['ip', 'cs', 'flags', 'sp', 'ss'] as const;

/**
 * fixup_bad_iret(bad_regs) → new pt_regs:
 * 1. new_stack = (struct pt_regs *)TSS.sp0 - 1 (kentry: TSS.RSP0 is the task stack top);
 * 2. tmp.ip .. tmp.ss = the 5 words at bad_regs->sp (the IRET frame that failed);
 * 3. tmp's members below ip = bad_regs' (the user registers POP_REGS had restored);
 * 4. new_stack = tmp (copied through tmp: the two may overlap);
 * 5. BUG_ON(!user_mode(new_stack)).
 */
export function fixupBadIret(design: Design): NativeBody {
  const members = design.ptRegs.members;
  const size = design.ptRegs.size;
  return (rt, call) => {
    const bad = call.address(0);
    const sp0 = Number(BigInt.asIntN(64, rt.read64(rt.cpu.tssBase + 4)));
    const newStack = sp0 - size;
    const iretFrame = Number(BigInt.asIntN(64, rt.read64(bad + offsetOf(members, 'sp'))));
    const tmp = members.map((m) => {
      const i = (IRET_FRAME as readonly string[]).indexOf(m.name);
      return i >= 0 ? rt.read64(iretFrame + 8 * i) : rt.read64(bad + m.offset);
    });
    members.forEach((m, i) => rt.write64(newStack + m.offset, tmp[i]!));
    if ((tmp[members.findIndex((m) => m.name === 'cs')]! & 3n) === 0n) {
      throw new KernelOops('fixup_bad_iret: the failed IRET frame is not a return to user mode (BUG)');
    }
    return newStack;
  };
}

function offsetOf(members: Design['ptRegs']['members'], name: string): number {
  const m = members.find((x) => x.name === name);
  if (!m) throw new KernelOops(`pt_regs has no ${name}`);
  return m.offset;
}
