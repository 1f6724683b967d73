/**
 * The C side of the page fault, as far as the PKS story needs it: a
 * protection-key fault on a kernel address goes to the key's fault callback
 * (reference §3.5); everything else is an oops for now (user faults become
 * signals in M4).
 * @kernel arch/x86/mm/fault.c exc_page_fault, handle_page_fault, do_kern_addr_fault
 */
import { irqentryEnter, irqentryExit } from '../../generic/index.js';
import { beginEntry, cBoundary, currentPkrs, endEntry, type CEntryContext } from './kernel-c.js';
import { KernelOops, type NativeBody } from './native.js';
import { pksHandleKeyFault, pksUpdateException, type PksUpdateExceptionResult } from './pks.js';
import { PtRegs } from './regs.js';

/** arch/x86/include/asm/trap_pf.h (reference §3.1). */
export const X86_PF_PROT = 1 << 0;
export const X86_PF_WRITE = 1 << 1;
export const X86_PF_USER = 1 << 2;
export const X86_PF_PK = 1 << 5;

/**
 * exc_page_fault(regs, error_code):
 * 1. address = read_cr2() (first: a nested fault would overwrite CR2);
 * 2. state = irqentry_enter(regs);
 * 3. handle_page_fault: a kernel address (fault_in_kernel_space: the upper
 *    half) goes to do_kern_addr_fault — with X86_PF_PK, pks_handle_key_fault;
 *    handled: return, and the access is retried after the IRET. Then one
 *    instruction boundary (where an injected NMI lands in the demo);
 *    otherwise (and for user addresses, until M4): an oops;
 * 4. irqentry_exit(regs, state).
 */
export function excPageFault(ctx: CEntryContext): NativeBody {
  return function* excPageFaultBody(rt, call) {
    const address = ctx.cpu.cr2;
    const errorCode = Number(call.arg(1) & 0xffff_ffffn);
    const rec = beginEntry(ctx, rt, call, 'page-fault', 'exc_page_fault', 14);
    const regs = new PtRegs(rt, ctx.design.ptRegs, rec.regs);
    const store = rec.store!;
    irqentryEnter(ctx.deps, regs, store);
    rec.pkrsAtHandler = currentPkrs(ctx);
    const where = `#PF at 0x${BigInt.asUintN(64, BigInt(address)).toString(16)} error_code 0x${errorCode.toString(16)} ` +
      `ip 0x${regs.get('ip').toString(16)}`;
    if (address >= 0) throw new KernelOops(`unhandled user-address page fault (signals are M4): ${where}`);
    if ((errorCode & X86_PF_PK) === 0) throw new KernelOops(`BUG: unable to handle page fault: ${where}`);
    const r = pksHandleKeyFault(ctx.pks, rec.regs, errorCode, address);
    if (!r.handled) {
      throw new KernelOops(`PKS fault not handled (key ${r.key ?? 'unknown'}, callback ${r.callbackCalled ? 'refused' : 'none'}): ${where}`);
    }
    cBoundary(ctx, rt, 'exc_page_fault');
    yield* irqentryExit(ctx.deps, regs, store);
    endEntry(ctx, rec);
  };
}

/**
 * pks_update_exception(regs, pkey, prot) for a fault callback, noting on
 * the entry whose pt_regs is `regs` whether the saved interrupted copy was
 * reached (for invariant 2).
 */
export function updateException(ctx: CEntryContext, regs: number, pkey: number, prot: number): PksUpdateExceptionResult {
  const r = pksUpdateException(ctx.pks, regs, pkey, prot);
  const rec = [...ctx.log.active].reverse().find((e) => e.regs === regs);
  rec?.updates.push({ pkey, prot, reached: r.kind === 'updated' });
  return r;
}
