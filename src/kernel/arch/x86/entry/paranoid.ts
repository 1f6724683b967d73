/**
 * entry_64.S paranoid_entry / paranoid_exit, idtentry_mce_db (#DB, #MC),
 * idtentry_df (#DF) and asm_exc_nmi, for a design: the IST vectors, which
 * can arrive while the GS base is the user's even in kernel mode.
 *
 * Simplifications vs Linux:
 * - no CR3 save/switch (%r14) and no SPEC_CTRL save (%r15): no PTI/IBRS;
 * - FSGSBASE is chosen at generation (Linux: ALTERNATIVE); the kernel GS base
 *   comes from a `.quad` in the entry text (paranoid_kernel_gs_base) instead
 *   of GET_PERCPU_BASE's __per_cpu_offset[cpu] lookup: one CPU;
 * - NMI from kernel mode: the nested-NMI machinery (the "NMI executing"
 *   variable, the saved/iret frame copies, repeat_nmi, the DF trick) is not
 *   built. The stub drops its %rdx temp slot, pushes orig_ax = -1 and runs
 *   paranoid_entry on the NMI IST stack right below the hardware frame, then
 *   paranoid_exit. The CPU blocks NMIs until the next IRETQ, so a second NMI
 *   can only arrive after exc_nmi's own IRETQ, or after the IRETQ of an
 *   exception taken inside exc_nmi; in that last case it reuses the same IST
 *   stack and overwrites the first NMI's frame, which Linux's dance prevents
 *   and kentry does not: the kernel must not fault inside exc_nmi.
 * - NMI from user mode is as Linux: switch to the thread stack, copy the
 *   frame, pt_regs there, exit through the user-return path.
 */
import { callWithRegs, pushAndClearRegs, type PtRegsFrame } from './calling.js';
import { idtentryBody } from './idtentry.js';
import { globalLabel } from './text.js';
import { EXCEPTIONS, type ExceptionEntry } from './vectors.js';

/** entry_64.S paranoid_entry: returns the GS information for paranoid_exit in %rbx. */
export function paranoidEntry(f: PtRegsFrame, fsgsbase: boolean): string[] {
  const gs = fsgsbase
    ? [
        '/* SAVE_AND_SET_GSBASE: old GS base in %rbx, restored unconditionally by paranoid_exit */',
        'rdgsbase %rbx',
        'movq paranoid_kernel_gs_base(%rip), %rax    /* GET_PERCPU_BASE (one CPU) */',
        'wrgsbase %rax',
        'ret',
      ]
    : [
        '/* .Lparanoid_entry_checkgs: EBX = 1 -> kernel GSBASE active, no restore required */',
        'movl $1, %ebx',
        '/* A negative GSBASE is a kernel value: no SWAPGS on entry and exit. */',
        'movl $MSR_GS_BASE, %ecx',
        'rdmsr',
        'testl %edx, %edx',
        'js 1f',
        'xorl %ebx, %ebx    /* EBX = 0 -> SWAPGS required on exit */',
        'swapgs',
        '1:',
        'ret',
      ];
  return [
    '/* entry_64.S paranoid_entry (no CR3 save in %r14: no PTI) */',
    ...globalLabel('paranoid_entry'),
    ...pushAndClearRegs(f, { saveRet: true }),
    ...gs,
  ];
}

/** entry_64.S paranoid_exit: undo paranoid_entry's GS change, then the kernel IRET path. */
export function paranoidExit(fsgsbase: boolean): string[] {
  const gs = fsgsbase
    ? ['wrgsbase %rbx    /* with FSGSBASE, unconditionally restore GSBASE */']
    : [
        'testl %ebx, %ebx',
        'jnz restore_regs_and_return_to_kernel',
        'swapgs    /* we are returning to a context with user GSBASE */',
      ];
  return [
    '/* entry_64.S paranoid_exit */',
    ...globalLabel('paranoid_exit'),
    ...gs,
    'jmp restore_regs_and_return_to_kernel',
  ];
}

/** entry_64.S idtentry_mce_db: paranoid from kernel mode, idtentry_body (noist_) from user mode. */
function mceDbStub(f: PtRegsFrame, x: ExceptionEntry): string[] {
  return [
    `/* vector ${x.vector} #${x.name}: idtentry_mce_db ${x.cfunc} (IST ${x.ist}) */`,
    ...globalLabel(x.label),
    'endbr64',
    'clac',
    'cld',
    'pushq $-1    /* ORIG_RAX: no syscall to restart */',
    'testb $3, CS-ORIG_RAX(%rsp)',
    `jnz ${x.label}_from_usermode_switch_stack`,
    'call paranoid_entry',
    'movq %rsp, %rdi    /* pt_regs pointer */',
    ...callWithRegs(f, x.cfunc),
    'jmp paranoid_exit',
    '/* from user mode: switch to the task stack (sync_regs) and use the noist entry point */',
    `${x.label}_from_usermode_switch_stack:`,
    ...idtentryBody(f, x.noistCfunc ?? x.cfunc, false),
  ];
}

/** entry_64.S idtentry_df: always paranoid, error code in %rsi. */
function dfStub(f: PtRegsFrame, x: ExceptionEntry): string[] {
  return [
    `/* vector ${x.vector} #${x.name}: idtentry_df ${x.cfunc} (IST ${x.ist}) */`,
    ...globalLabel(x.label),
    'endbr64',
    'clac',
    'cld',
    'call paranoid_entry',
    'movq %rsp, %rdi    /* pt_regs pointer into first argument */',
    'movq ORIG_RAX(%rsp), %rsi    /* get error code into 2nd argument */',
    'movq $-1, ORIG_RAX(%rsp)    /* no syscall to restart */',
    ...callWithRegs(f, x.cfunc),
    'jmp paranoid_exit',
  ];
}

/** entry_64.S asm_exc_nmi (see the simplification above). */
function nmiStub(f: PtRegsFrame, x: ExceptionEntry): string[] {
  const frameCopy = ['ss', 'sp', 'flags', 'cs', 'ip'].map((m, i) => `pushq ${5 - i}*8(%rdx)    /* pt_regs->${m} */`);
  return [
    `/* vector ${x.vector} NMI: asm_exc_nmi (IST ${x.ist}) */`,
    ...globalLabel(x.label),
    'endbr64',
    'clac',
    'cld',
    'pushq %rdx    /* use %rdx as our temp variable throughout */',
    'testb $3, CS-RIP+8(%rsp)',
    'jz nmi_from_kernel',
    '/* from user mode: switch to the thread stack, copy the frame (the NMI stack is done with) */',
    'swapgs',
    'movq %rsp, %rdx',
    'movq %gs:PER_CPU_TOP_OF_STACK, %rsp',
    ...frameCopy,
    'pushq $-1    /* pt_regs->orig_ax */',
    ...pushAndClearRegs(f, { subst: { dx: '(%rdx)' } }),
    'movq %rsp, %rdi',
    ...callWithRegs(f, x.cfunc),
    '/* return to user mode without the normal exit work */',
    'jmp swapgs_restore_regs_and_return_to_usermode',
    '',
    'nmi_from_kernel:',
    '/* simplified: no nested-NMI frames; pt_regs right below the hardware frame on the NMI stack */',
    'popq %rdx',
    'pushq $-1    /* pt_regs->orig_ax */',
    'call paranoid_entry',
    'movq %rsp, %rdi',
    ...callWithRegs(f, x.cfunc),
    '/* nmi_restore: as paranoid_exit */',
    'jmp paranoid_exit',
  ];
}

export function istStubs(f: PtRegsFrame): string[] {
  return EXCEPTIONS.flatMap((x) => {
    switch (x.kind) {
      case 'mce_db': return mceDbStub(f, x);
      case 'df': return dfStub(f, x);
      case 'nmi': return nmiStub(f, x);
      case 'idtentry': return [];
    }
  });
}

/** The kernel GS base paranoid_entry loads with WRGSBASE. */
export function paranoidData(): string[] {
  return ['', '.p2align 3, 0', 'paranoid_kernel_gs_base:', '.quad PER_CPU_BASE'];
}
