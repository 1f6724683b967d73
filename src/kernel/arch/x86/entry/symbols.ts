/**
 * The contract between the generated entry text and the boot code that
 * assembles it: per-CPU offsets, selectors, and the addresses of the kernel
 * "C" functions the stubs call (native TypeScript functions; the CPU exits
 * with `hostcall` when RIP reaches one, the kernel runs it and returns with
 * a simulated `ret`). Everything here becomes a `.set` line at the top of
 * the text, so the text is self-contained.
 *
 * C calling convention (System V AMD64, as the kernel is compiled): first
 * argument in %rdi, second in %rsi, result in %rax (a bool in %al). The
 * stubs assume a C function preserves %rbx, %rbp, %r12–%r15 and %rsp and
 * may clobber %rax, %rcx, %rdx, %rsi, %rdi, %r8–%r11 and the flags.
 *
 * The stubs reach the functions with `call rel32` (entry_64.S calls them
 * directly), so the functions must lie within ±2 GiB of the entry text.
 */
import { UsageError } from '../../../../lib/errors.js';

/**
 * The C functions the stubs call, with the Linux names and signatures
 * (arch/x86/include/asm/idtentry.h; arch/x86/entry/syscall_64.c).
 * `regs` is `struct pt_regs *`: it points at pt_regs itself, never at a
 * design's extension below it (reach that with container_of).
 */
export const ENTRY_C_FUNCTIONS = {
  /** bool do_syscall_64(struct pt_regs *regs, int nr): true = return with SYSRET. */
  do_syscall_64: '(regs, nr) -> bool in %al',
  /** void common_interrupt(struct pt_regs *regs, unsigned long vector): vector sign-extended from imm8; C masks (u8). */
  common_interrupt: '(regs, vector)',
  /** DEFINE_IDTENTRY_RAW(exc_nmi): void exc_nmi(struct pt_regs *regs). */
  exc_nmi: '(regs)',
  exc_divide_error: '(regs)',
  /** #DB from kernel mode (IST, paranoid). */
  exc_debug: '(regs)',
  /** #DB from user mode (moved to the thread stack first). */
  noist_exc_debug: '(regs)',
  exc_int3: '(regs)',
  exc_overflow: '(regs)',
  exc_bounds: '(regs)',
  exc_invalid_op: '(regs)',
  exc_device_not_available: '(regs)',
  /** void exc_double_fault(struct pt_regs *regs, unsigned long error_code). */
  exc_double_fault: '(regs, error_code)',
  exc_invalid_tss: '(regs, error_code)',
  exc_segment_not_present: '(regs, error_code)',
  exc_stack_segment: '(regs, error_code)',
  exc_general_protection: '(regs, error_code)',
  /** CR2 is read by the C side (read_cr2()), as in Linux. */
  exc_page_fault: '(regs, error_code)',
  exc_coprocessor_error: '(regs)',
  exc_alignment_check: '(regs, error_code)',
  /** #MC from kernel mode (IST, paranoid). */
  exc_machine_check: '(regs)',
  /** #MC from user mode (moved to the thread stack first). */
  noist_exc_machine_check: '(regs)',
  exc_simd_coprocessor_error: '(regs)',
  // Called by the scheduler text (switch.ts).
  /** struct task_struct *__switch_to(prev, next): FS/GS bases, current, stack top, TSS.RSP0, PKRS; returns prev. */
  __switch_to: '(prev, next) -> prev',
  /** void schedule_tail(struct task_struct *prev): a new task's finish_task_switch. */
  schedule_tail: '(prev)',
  /** ret_from_fork's user half: syscall_exit_to_user_mode(regs) for a forked user task's first return. */
  ret_from_fork_user: '(regs)',
  /** void ct_cpuidle_enter(void): RCU stops watching (context tracking IDLE). */
  ct_cpuidle_enter: '()',
  /** void ct_cpuidle_exit(void). */
  ct_cpuidle_exit: '()',
  /** bool tif_need_resched(void) in %eax. */
  tif_need_resched: '() -> bool',
  /** void schedule_idle(void): might sleep. */
  schedule_idle: '()',
  /** long schedule_timeout_uninterruptible(long timeout): sleeps `timeout` ticks. */
  schedule_timeout_uninterruptible: '(timeout)',
  /** bool pks_set_readwrite(u8 pkey): opens a PKS key for the current thread. */
  pks_set_readwrite: '(pkey) -> bool',
} as const;

export type EntryCFunction = keyof typeof ENTRY_C_FUNCTIONS;

export const ENTRY_C_FUNCTION_NAMES = Object.keys(ENTRY_C_FUNCTIONS) as EntryCFunction[];

/** arch/x86/include/asm/irq_vectors.h LOCAL_TIMER_VECTOR. */
export const LOCAL_TIMER_VECTOR = 0xec;

/** Linux selectors (reference §1.5, arch/x86/include/asm/segment.h). */
export const LINUX_SELECTORS = { userDs: 0x2b, userCs: 0x33, kernelDs: 0x18 } as const;

export interface EntrySymbols {
  /** %gs offset of the current task's stack top (pcpu_hot.top_of_stack): SYSCALL's stack, sync_regs' target. */
  readonly perCpuTopOfStack: number;
  /** %gs offset of the scratch slot for the user RSP at SYSCALL (Linux: cpu_tss_rw + TSS_sp2). */
  readonly perCpuUserRspScratch: number;
  /**
   * This CPU's kernel GS base (the per-CPU area), stored as a `.quad` in the
   * entry text: paranoid_entry loads it with WRGSBASE (Linux: GET_PERCPU_BASE,
   * __per_cpu_offset[cpu]; kentry models one CPU). Must be a kernel (negative)
   * address: the non-FSGSBASE path tells kernel from user GS base by its sign.
   */
  readonly perCpuBase: bigint | number;
  /**
   * X86_FEATURE_FSGSBASE (CR4.FSGSBASE set): paranoid_entry/exit use
   * RDGSBASE/WRGSBASE; otherwise RDMSR(MSR_GS_BASE) and a sign test decide
   * on SWAPGS. Linux patches this with ALTERNATIVE; here it is chosen at generation.
   */
  readonly fsgsbase: boolean;
  /** Default: __USER_DS 0x2b, __USER_CS 0x33, __KERNEL_DS 0x18. */
  readonly selectors?: { readonly userDs: number; readonly userCs: number; readonly kernelDs: number };
  /** Address of every C function (numbers are taken as sign-extended 64-bit addresses). */
  readonly functions: Readonly<Record<EntryCFunction, bigint | number>>;
  /**
   * Optional: `struct pt_regs *fixup_bad_iret(struct pt_regs *bad_regs)`
   * (arch/x86/kernel/traps.c). When given, a fault on the user-return IRETQ
   * (native_irq_return_iret) does SWAPGS and calls it, then continues on the
   * returned pt_regs as a fault from user mode (error_entry .Lerror_bad_iret).
   * Without it that fault is handled as a plain kernel-mode fault with the
   * user GS base still loaded.
   */
  readonly fixupBadIret?: bigint | number | null;
  /**
   * Optional ESPFIX64: %gs offsets of the per-CPU espfix_stack and
   * espfix_waddr (arch/x86/kernel/espfix_64.c). When given, the IRET path
   * sends a return to an LDT stack segment through native_irq_return_ldt
   * (entry_64.S .Lnative_iret); without it every return IRETs in place.
   */
  readonly espfix?: { readonly perCpuStack: number; readonly perCpuWaddr: number } | null;
  /** Device-interrupt vectors that get an irq_entries_start stub (default [LOCAL_TIMER_VECTOR]). */
  readonly irqVectors?: readonly number[];
}

/** A number or bigint as the unsigned 64-bit value, in hex. */
export function hex64(v: bigint | number): string {
  return '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);
}

/** The `.set` lines of the contract (entry_64.S gets them from asm-offsets.h and C symbols). */
export function symbolPrelude(sym: EntrySymbols): string[] {
  const sel = sym.selectors ?? LINUX_SELECTORS;
  if (BigInt.asIntN(64, BigInt(sym.perCpuBase)) >= 0n) {
    throw new UsageError(`perCpuBase ${hex64(sym.perCpuBase)} is not a kernel address (paranoid_entry tests its sign)`);
  }
  const lines = [
    `.set PER_CPU_TOP_OF_STACK, ${hex64(sym.perCpuTopOfStack)}`,
    `.set PER_CPU_USER_RSP_SCRATCH, ${hex64(sym.perCpuUserRspScratch)}`,
    `.set __USER_DS, ${hex64(sel.userDs)}`,
    `.set __USER_CS, ${hex64(sel.userCs)}`,
    `.set __KERNEL_DS, ${hex64(sel.kernelDs)}`,
    `.set PER_CPU_BASE, ${hex64(sym.perCpuBase)}`,
    `.set MSR_GS_BASE, 0xc0000101`,
    `.set ENOSYS, 38`,
  ];
  for (const name of ENTRY_C_FUNCTION_NAMES) {
    const addr = sym.functions[name];
    if (addr === undefined) throw new UsageError(`EntrySymbols.functions lacks ${name}`);
    lines.push(`.set ${name}, ${hex64(addr)}`);
  }
  if (sym.espfix) {
    lines.push(`.set PER_CPU_ESPFIX_STACK, ${hex64(sym.espfix.perCpuStack)}`, `.set PER_CPU_ESPFIX_WADDR, ${hex64(sym.espfix.perCpuWaddr)}`);
  }
  if (sym.fixupBadIret !== undefined && sym.fixupBadIret !== null) {
    lines.push(`.set fixup_bad_iret, ${hex64(sym.fixupBadIret)}`);
  }
  return lines;
}
