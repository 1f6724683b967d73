/**
 * entry_64.S idtentry / idtentry_body / error_entry / error_return and the
 * return paths, the device-interrupt stubs (irq_entries_start) and
 * asm_common_interrupt, for a design.
 *
 * Simplifications vs Linux:
 * - TSS.RSP0 is the task stack (no cpu_entry_stack trampoline), so an entry
 *   from user mode through RSP0 already lands where sync_regs would put
 *   pt_regs; sync_regs is kept (in asm, below) for the IST vectors that come
 *   from user mode (#DB, #MC), which it moves to the task stack as Linux does.
 * - no PTI CR3 switches, IBRS, UNTRAIN_RET, FENCE_SWAPGS_*, CLEAR_CPU_BUFFERS,
 *   ENCODE_FRAME_POINTER or UNWIND hints; ASM_CLAC is always `clac`.
 * - error_entry's kernel-mode branch recognises only a fault on
 *   native_irq_return_iret (and only with the fixup_bad_iret hook); the
 *   .Lbstep_iret and .Lgs_change (load_gs_index) cases are not modelled.
 * - the return to user mode does POP_REGS in place and IRETQs from the task
 *   stack (no trampoline copy); the ESPFIX64 check (native_irq_return_ldt)
 *   is generated only when the boot code gives the espfix per-CPU symbols.
 */
import {
  callWithRegs, popRegs, pushAndClearRegs, type PtRegsFrame,
} from './calling.js';
import type { EntryCFunction } from './symbols.js';
import { globalLabel } from './text.js';
import { EXCEPTIONS, irqEntryLabel, type ExceptionEntry } from './vectors.js';

/** entry_64.S idtentry_body: error_entry, then the C call with pt_regs (and the error code). */
export function idtentryBody(f: PtRegsFrame, cfunc: string, hasErrorCode: boolean): string[] {
  return [
    'call error_entry',
    'movq %rax, %rsp    /* switch to the task stack if from userspace (sync_regs) */',
    'movq %rsp, %rdi    /* pt_regs pointer into 1st argument */',
    ...(hasErrorCode
      ? ['movq ORIG_RAX(%rsp), %rsi    /* get error code into 2nd argument */', 'movq $-1, ORIG_RAX(%rsp)    /* no syscall to restart */']
      : []),
    ...callWithRegs(f, cfunc),
    'jmp error_return',
  ];
}

/** entry_64.S idtentry (and idtentry_irq: has_error_code = 1 with the pushed vector). */
function idtentry(f: PtRegsFrame, label: string, cfunc: string, hasErrorCode: boolean, int3Gap: boolean): string[] {
  const gap = int3Gap
    ? [
        '/* #BP from kernel: copy the IRET frame and orig_ax 6 words down, a gap for int3_emulate_call. */',
        'testb $3, CS-ORIG_RAX(%rsp)',
        `jnz ${label}_from_usermode_no_gap`,
        ...Array.from({ length: 6 }, () => 'pushq 5*8(%rsp)'),
        `${label}_from_usermode_no_gap:`,
      ]
    : [];
  return [
    ...globalLabel(label),
    'endbr64',
    'clac    /* ASM_CLAC */',
    'cld',
    ...(hasErrorCode ? ['/* the CPU pushed the error code into the orig_ax slot */'] : ['pushq $-1    /* ORIG_RAX: no syscall to restart */']),
    ...gap,
    ...idtentryBody(f, cfunc, hasErrorCode),
  ];
}

export function exceptionStub(f: PtRegsFrame, x: ExceptionEntry): string[] {
  return [`/* vector ${x.vector} #${x.name}: idtentry ${x.cfunc}${x.errorCode ? ', with error code' : ''} */`,
    ...idtentry(f, x.label, x.cfunc, x.errorCode, x.vector === 3)];
}

export function plainExceptionStubs(f: PtRegsFrame): string[] {
  return EXCEPTIONS.filter((x) => x.kind === 'idtentry').flatMap((x) => exceptionStub(f, x));
}

/**
 * entry_64.S irq_entries_start: `ENDBR; push imm8 (.byte 0x6a, vector);
 * jmp asm_common_interrupt`, 8-byte aligned; asm_common_interrupt is
 * idtentry_irq: the sign-extended vector goes to %rsi, orig_ax becomes -1.
 */
export function irqStubs(f: PtRegsFrame, vectors: readonly number[]): string[] {
  const stubs = vectors.flatMap((v) => [
    '.p2align 3, 0xcc',
    `.globl ${irqEntryLabel(v)}`,
    `${irqEntryLabel(v)}:`,
    'endbr64',
    `.byte 0x6a, 0x${v.toString(16)}    /* pushq $vector, sign-extended imm8 */`,
    'jmp asm_common_interrupt',
  ]);
  return [
    '/* entry_64.S irq_entries_start */',
    ...globalLabel('irq_entries_start'),
    ...stubs,
    '/* idtentry_irq common_interrupt: the vector is the "error code" */',
    ...idtentry(f, 'asm_common_interrupt', 'common_interrupt' satisfies EntryCFunction, true, false),
  ];
}

/**
 * entry_64.S error_entry (called with the hardware frame and orig_ax on the
 * stack): PUSH_AND_CLEAR_REGS save_ret=1; from user mode SWAPGS and
 * sync_regs; returns the pt_regs pointer in %rax.
 */
export function errorEntry(f: PtRegsFrame, fixupBadIret: boolean): string[] {
  const badIret = fixupBadIret
    ? [
        'leaq native_irq_return_iret(%rip), %rcx',
        'cmpq %rcx, RIP+8(%rsp)',
        'je error_bad_iret',
      ]
    : ['/* no fixup_bad_iret hook: a fault on native_irq_return_iret is a plain kernel fault */'];
  const badIretBody = fixupBadIret
    ? [
        'error_bad_iret:',
        '/* the user-return IRETQ faulted: the user GS base is live. Pretend the fault came from user mode. */',
        'swapgs',
        'leaq 8(%rsp), %rdi    /* arg0 = pt_regs pointer */',
        ...callWithRegs(f, 'fixup_bad_iret'),
        'movq %rax, %rdi',
        'jmp sync_regs',
      ]
    : [];
  return [
    '/* entry_64.S error_entry */',
    ...globalLabel('error_entry'),
    ...pushAndClearRegs(f, { saveRet: true }),
    'testb $3, CS+8(%rsp)',
    'jz error_kernelspace',
    'swapgs    /* from user mode; no PTI CR3 switch */',
    'leaq 8(%rsp), %rdi    /* arg0 = pt_regs pointer */',
    'jmp sync_regs    /* put us onto the real thread stack */',
    'error_kernelspace:',
    ...badIret,
    'leaq 8(%rsp), %rax    /* return pt_regs pointer */',
    'ret',
    ...badIretBody,
    '',
    '/*',
    ' * arch/x86/kernel/traps.c sync_regs(eregs), in asm: copy pt_regs to the',
    ' * top of the task stack unless it is already there; return it in %rax.',
    ' * Reached by jmp from error_entry: its `ret` returns to error_entry\'s caller.',
    ' * pt_regs only: an extension is per C call (PUSH_PTREGS_AUXILIARY), not copied.',
    ' */',
    'sync_regs:',
    'movq %gs:PER_CPU_TOP_OF_STACK, %rax',
    'subq $PTREGS_SIZE, %rax',
    'cmpq %rdi, %rax',
    'je 2f',
    'xorl %ecx, %ecx',
    '1:',
    'movq (%rdi,%rcx,8), %rdx',
    'movq %rdx, (%rax,%rcx,8)',
    'incl %ecx',
    'cmpl $PTREGS_SIZE/8, %ecx',
    'jne 1b',
    '2:',
    'ret',
  ];
}

/**
 * entry_64.S native_irq_return_ldt (ESPFIX64): reached from .Lnative_iret
 * with the user GS base and every user GPR loaded, RSP at the IRET frame.
 * Copies user RAX and the IRET frame to the per-CPU espfix ministack
 * (through espfix_waddr), then IRETs from its read-only alias
 * espfix_stack | (user RSP & 0xffff0000), so that an IRET to a 16-bit SS,
 * which loads only SP[15:0], leaves RSP[31:16] as the user had them.
 *
 *   --- top of the ESPFIX stack ---
 *   SS RSP RFLAGS CS
 *   RIP   <- RSP at the IRETQ
 *   RAX   <- espfix_waddr
 *   (no PTI: no CR3 switches; no CLEAR_CPU_BUFFERS)
 */
function nativeIrqReturnLdt(): string[] {
  return [
    'native_irq_return_ldt:',
    'pushq %rdi    /* stash user RDI */',
    'swapgs    /* to kernel GS */',
    'movq %gs:PER_CPU_ESPFIX_WADDR, %rdi',
    'movq %rax, (0*8)(%rdi)    /* user RAX */',
    'movq (1*8)(%rsp), %rax    /* user RIP */',
    'movq %rax, (1*8)(%rdi)',
    'movq (2*8)(%rsp), %rax    /* user CS */',
    'movq %rax, (2*8)(%rdi)',
    'movq (3*8)(%rsp), %rax    /* user RFLAGS */',
    'movq %rax, (3*8)(%rdi)',
    'movq (5*8)(%rsp), %rax    /* user SS */',
    'movq %rax, (5*8)(%rdi)',
    'movq (4*8)(%rsp), %rax    /* user RSP */',
    'movq %rax, (4*8)(%rdi)',
    'andl $0xffff0000, %eax    /* RAX = RSP & 0xffff0000 */',
    'orq %gs:PER_CPU_ESPFIX_STACK, %rax    /* espfix_stack[31:16] == 0: an RO alias of the ministack */',
    'swapgs    /* to user GS */',
    'popq %rdi    /* restore user RDI */',
    'movq %rax, %rsp',
    '/* From here the stack can be read, not written. */',
    'popq %rax    /* restore user RAX */',
    'jmp native_irq_return_iret',
  ];
}

/** entry_64.S error_return and the two IRET exits (with `espfix`, the ESPFIX64 check at .Lnative_iret). */
export function returnPaths(f: PtRegsFrame, espfix = false): string[] {
  return [
    '/* entry_64.S error_return */',
    ...globalLabel('error_return'),
    'testb $3, CS(%rsp)',
    'jz restore_regs_and_return_to_kernel',
    'jmp swapgs_restore_regs_and_return_to_usermode',
    '',
    '/* entry_64.S swapgs_restore_regs_and_return_to_usermode (no trampoline stack, no CR3 switch) */',
    ...globalLabel('swapgs_restore_regs_and_return_to_usermode'),
    ...popRegs(f),
    'addq $8, %rsp    /* skip regs->orig_ax */',
    'swapgs',
    'jmp .Lnative_iret',
    '',
    '/* entry_64.S restore_regs_and_return_to_kernel */',
    ...globalLabel('restore_regs_and_return_to_kernel'),
    ...popRegs(f),
    'addq $8, %rsp    /* skip regs->orig_ax */',
    '.Lnative_iret:',
    ...(espfix
      ? ['/* Are we returning to a stack segment from the LDT? (ESPFIX64) */', 'testb $4, SS-RIP(%rsp)', 'jnz native_irq_return_ldt']
      : ['/* no ESPFIX64: an LDT stack segment IRETs in place */']),
    '.globl native_irq_return_iret',
    'native_irq_return_iret:',
    '/* May fault: #GP/#NP/#SS on a return to user mode go to fixup_bad_iret (error_entry); on the espfix stack they become #DF. */',
    'iretq',
    ...(espfix ? nativeIrqReturnLdt() : []),
  ];
}
