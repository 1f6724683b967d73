/**
 * The C side of the page fault, as far as the PKS story needs it: a
 * protection-key fault on a kernel address goes to the key's fault callback
 * (reference §3.5); everything else is an oops for now (user faults become
 * signals in M4).
 * @kernel arch/x86/mm/fault.c exc_page_fault, handle_page_fault, do_kern_addr_fault
 */
import { irqentryEnter, irqentryExit } from '../../generic/index.js';
import { cBoundary, endEntry, startHandler, traceEntry, type CEntryContext } from './kernel-c.js';
import { KernelOops, type NativeBody } from './native.js';
import { pksHandleKeyFault, pksUpdateException, type PksUpdateExceptionResult } from './pks.js';
import { TASK_SIZE_MAX } from './memory-map.js';
import { forceSigFault, sendSignal } from './signal.js';
import { noteUserSingleStep } from './ptrace-debugreg.js';
import {
  FPE_INTDIV, ILL_ILLOPN, SEGV_ACCERR, SEGV_MAPERR, SEGV_PKUERR, SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGTRAP, SI_KERNEL, TRAP_TRACE,
} from '../../../abi/signal-numbers.js';

/** arch/x86/include/asm/trap_pf.h (reference §3.1). */
export const X86_PF_PROT = 1 << 0;
export const X86_PF_WRITE = 1 << 1;
export const X86_PF_USER = 1 << 2;
export const X86_PF_PK = 1 << 5;

/**
 * exc_page_fault(regs, error_code):
 * 1. address = read_cr2() (first: a nested fault would overwrite CR2);
 * 2. state = irqentry_enter(regs);
 * 3. handle_page_fault:
 *    - from user mode (do_user_addr_fault): every user page the model has
 *      is mapped when its mapping is made, so a fault is a bad access:
 *      SIGSEGV with SEGV_PKUERR (PK), SEGV_ACCERR (present) or SEGV_MAPERR;
 *    - kernel mode, user address: only a user-access section may fault
 *      there; its exception-table fixup ends it with -EFAULT; else an oops;
 *    - kernel address (do_kern_addr_fault): with X86_PF_PK,
 *      pks_handle_key_fault; handled: return, and the access is retried
 *      after the IRET. Then one instruction boundary (where an injected NMI
 *      lands in the demo). Anything else is an oops;
 * 4. irqentry_exit(regs, state) — a queued signal is delivered on the way out.
 */
export function excPageFault(ctx: CEntryContext): NativeBody {
  return function* excPageFaultBody(rt, call) {
    const address = ctx.cpu.cr2;
    const errorCode = Number(call.arg(1) & 0xffff_ffffn);
    const { rec, regs, store } = startHandler(ctx, rt, call, 'page-fault', 'exc_page_fault', 14, irqentryEnter);
    traceEntry(ctx, 'exception', 14, regs, errorCode, address);
    const where = () => `#PF at 0x${BigInt.asUintN(64, BigInt(address)).toString(16)} error_code 0x${errorCode.toString(16)} ` +
      `ip 0x${regs.get('ip').toString(16)}`;
    const task = ctx.currentTask();
    const fixed = task.userMm && address >= 0 && address < TASK_SIZE_MAX ? task.userMm.handleFault(address, errorCode) : false;
    if (fixed === 'oom') {
      // pagefault_out_of_memory → the OOM killer: kentry kills the faulting task (SIGKILL); a kernel access
      // to user memory ends through its exception-table fixup (-EFAULT) first.
      sendSignal(task, SIGKILL, SI_KERNEL);
      if (!regs.userMode() && !rt.takeFixup()) throw new KernelOops(`out of memory in a kernel access outside a user-access section: ${where()}`);
    } else if (fixed) {
      // handle_mm_fault fixed it (copy-on-write): the access runs again.
    } else if (regs.userMode()) {
      // do_user_addr_fault: no VMA → SEGV_MAPERR; a VMA that forbids the access (access_error; the model
      // maps every allowed page up front, so any other fault inside a VMA is one) → SEGV_PKUERR for a key, else SEGV_ACCERR.
      // A bare user task (no mm: `startUser` code) has no VMAs; the error code's P bit stands in for them.
      const mm = task.userMm;
      const vma = mm && address >= 0 && address < TASK_SIZE_MAX ? mm.find(address) : undefined;
      const inVma = mm ? vma !== undefined : (errorCode & X86_PF_PROT) !== 0;
      const code = !inVma ? SEGV_MAPERR : errorCode & X86_PF_PK ? SEGV_PKUERR : SEGV_ACCERR;
      // set_signal_archinfo: user accesses to kernel addresses read as protection faults.
      const archError = errorCode | X86_PF_USER | (address >= TASK_SIZE_MAX || address < 0 ? X86_PF_PROT : 0);
      const pkey = code === SEGV_PKUERR ? (vma?.pkey ?? 0) : undefined; // vma_pkey(vma)
      forceSigFault(task, SIGSEGV, code, address, { trapNr: 14, errorCode: archError, cr2: address }, pkey);
    } else if (address >= 0) {
      if (!rt.takeFixup()) throw new KernelOops(`BUG: kernel access to a user address outside a user-access section: ${where()}`);
    } else {
      if ((errorCode & X86_PF_PK) === 0) throw new KernelOops(`BUG: unable to handle page fault: ${where()}`);
      const r = pksHandleKeyFault(ctx.pks, rec.regs, errorCode, address);
      if (!r.handled) {
        throw new KernelOops(`PKS fault not handled (key ${r.key ?? 'unknown'}, callback ${r.callbackCalled ? 'refused' : 'none'}): ${where()}`);
      }
      cBoundary(ctx, rt, 'exc_page_fault');
    }
    yield* irqentryExit(ctx.deps, regs, store);
    endEntry(ctx, rec);
  };
}

/** Exceptions whose C handler takes (regs, error_code) (SDM Vol. 3A Table 6-1). */
const VECTORS_WITH_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17, 21]);

/** What a trap from user mode raises. */
export interface UserTrap {
  readonly cFunction: string;
  readonly vector: number;
  readonly sig: number;
  readonly code: number;
  /** si_addr: the faulting instruction (error_get_trap_addr) or none. */
  readonly addr: 'ip' | 'none';
}

/**
 * The C side of the exceptions that, from user mode, become a signal
 * (do_error_trap / do_trap → force_sig_fault): irqentry_enter, the signal
 * queued on current, irqentry_exit (which delivers it). From kernel mode
 * each is a kernel bug here (die(): an oops).
 * @kernel arch/x86/kernel/traps.c do_error_trap, do_trap, exc_general_protection, do_int3_user
 */
export function userTrap(ctx: CEntryContext, t: UserTrap): NativeBody {
  return function* userTrapBody(rt, call) {
    const { rec, regs, store } = startHandler(ctx, rt, call, 'exception', t.cFunction, t.vector, irqentryEnter);
    if (!regs.userMode()) {
      throw new KernelOops(`${t.cFunction} in kernel mode at ip 0x${regs.get('ip').toString(16)} (die)`);
    }
    const ip = Number(BigInt.asIntN(64, regs.get('ip')));
    const errorCode = VECTORS_WITH_ERROR_CODE.has(t.vector) ? Number(call.arg(1) & 0xffff_ffffn) : 0;
    traceEntry(ctx, 'exception', t.vector, regs, VECTORS_WITH_ERROR_CODE.has(t.vector) ? errorCode : null, null);
    // do_trap / gp_user_force_sig_segv / send_sigtrap: thread.trap_nr and error_code for the frame.
    const task = ctx.currentTask();
    if (t.vector === 1) noteUserSingleStep(task);
    forceSigFault(task, t.sig, t.code, t.addr === 'ip' ? ip : 0, { ...task.signals.thread, trapNr: t.vector, errorCode });
    yield* irqentryExit(ctx.deps, regs, store);
    endEntry(ctx, rec);
  };
}

/**
 * The user-mode signal of each exception the model raises (reference §8 for
 * ud2, hlt, int N, int3, single-step; arch/x86/kernel/traps.c for the rest).
 */
export const USER_TRAPS: readonly UserTrap[] = [
  { cFunction: 'exc_divide_error', vector: 0, sig: SIGFPE, code: FPE_INTDIV, addr: 'ip' },
  { cFunction: 'noist_exc_debug', vector: 1, sig: SIGTRAP, code: TRAP_TRACE, addr: 'ip' },
  { cFunction: 'exc_int3', vector: 3, sig: SIGTRAP, code: SI_KERNEL, addr: 'none' },
  { cFunction: 'exc_overflow', vector: 4, sig: SIGSEGV, code: SI_KERNEL, addr: 'none' },
  { cFunction: 'exc_bounds', vector: 5, sig: SIGSEGV, code: SI_KERNEL, addr: 'none' },
  { cFunction: 'exc_invalid_op', vector: 6, sig: SIGILL, code: ILL_ILLOPN, addr: 'ip' },
  { cFunction: 'exc_coprocessor_error', vector: 16, sig: SIGFPE, code: 0, addr: 'ip' },
  // do_error_trap(..., SIGBUS, 0, NULL): sicode 0 → force_sig(SIGBUS), which sends SI_KERNEL.
  { cFunction: 'exc_segment_not_present', vector: 11, sig: SIGBUS, code: SI_KERNEL, addr: 'none' },
  { cFunction: 'exc_stack_segment', vector: 12, sig: SIGBUS, code: SI_KERNEL, addr: 'none' },
  { cFunction: 'exc_general_protection', vector: 13, sig: SIGSEGV, code: SI_KERNEL, addr: 'none' },
  { cFunction: 'exc_alignment_check', vector: 17, sig: SIGBUS, code: 1 /* BUS_ADRALN */, addr: 'ip' },
  { cFunction: 'exc_simd_coprocessor_error', vector: 19, sig: SIGFPE, code: 0, addr: 'ip' },
];

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
