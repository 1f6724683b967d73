/**
 * entry_64.S entry_SYSCALL_64 and syscall_return_via_sysret, for a design.
 *
 * Simplifications vs Linux (each also said at the spot):
 * - no PTI: no SWITCH_TO_KERNEL_CR3 / SWITCH_TO_USER_CR3_STACK, no IBRS,
 *   UNTRAIN_RET, CLEAR_BRANCH_HISTORY, STACKLEAK or CLEAR_CPU_BUFFERS;
 * - the SYSRET exit does not move to the entry trampoline stack: after
 *   POP_REGS (%rdi included) RSP points at orig_ax and one
 *   `movq RSP-ORIG_RAX(%rsp), %rsp` loads the user RSP from pt_regs->sp
 *   (Linux pushes pt_regs->sp and ->di on the trampoline stack and pops them).
 *   The SYSRET conditions are decided in C (do_syscall_64's bool), as in Linux.
 */
import { callWithRegs, popRegs, pushAndClearRegs, type PtRegsFrame } from './calling.js';
import { globalLabel } from './text.js';

export function syscallEntry(f: PtRegsFrame): string[] {
  return [
    '/* entry_64.S entry_SYSCALL_64: RCX = user RIP, R11 = user RFLAGS, RAX = nr, RSP = user RSP (reference §1.5). */',
    ...globalLabel('entry_SYSCALL_64'),
    'endbr64',
    'swapgs',
    'movq %rsp, %gs:PER_CPU_USER_RSP_SCRATCH    /* tss.sp2 is scratch space */',
    '/* No PTI: no SWITCH_TO_KERNEL_CR3. */',
    'movq %gs:PER_CPU_TOP_OF_STACK, %rsp',
    '.globl entry_SYSCALL_64_safe_stack',
    'entry_SYSCALL_64_safe_stack:',
    'pushq $__USER_DS    /* pt_regs->ss */',
    'pushq %gs:PER_CPU_USER_RSP_SCRATCH    /* pt_regs->sp */',
    'pushq %r11    /* pt_regs->flags */',
    'pushq $__USER_CS    /* pt_regs->cs */',
    'pushq %rcx    /* pt_regs->ip */',
    '.globl entry_SYSCALL_64_after_hwframe',
    'entry_SYSCALL_64_after_hwframe:',
    'pushq %rax    /* pt_regs->orig_ax */',
    '/* PUSH_AND_CLEAR_REGS rax=$-ENOSYS */',
    ...pushAndClearRegs(f, { subst: { ax: '$-ENOSYS' } }),
    'movq %rsp, %rdi    /* pt_regs, not the extension below it */',
    'movslq %eax, %rsi    /* syscall numbers are int */',
    ...callWithRegs(f, 'do_syscall_64'),
    '/* do_syscall_64 decided the SYSRET conditions; false: leave with IRET. */',
    'testb %al, %al',
    'jz swapgs_restore_regs_and_return_to_usermode',
    '.globl syscall_return_via_sysret',
    'syscall_return_via_sysret:',
    '/* POP_REGS (with %rdi: no trampoline stack); RSP then points at orig_ax. */',
    ...popRegs(f),
    'movq RSP-ORIG_RAX(%rsp), %rsp    /* the user RSP, from pt_regs->sp */',
    '.globl entry_SYSRETQ_unsafe_stack',
    'entry_SYSRETQ_unsafe_stack:',
    'swapgs',
    'sysretq',
    '.globl entry_SYSRETQ_end',
    'entry_SYSRETQ_end:',
  ];
}
