/**
 * The scheduler's assembly, generated with the entry text: the context
 * switch (__switch_to_asm), the first return of a new task
 * (ret_from_fork_asm), the idle loop of idle=poll, and kentry's two
 * built-in kernel threads.
 *
 * @kernel arch/x86/entry/entry_64.S __switch_to_asm, ret_from_fork_asm
 * @kernel kernel/sched/idle.c do_idle, cpu_idle_poll
 *
 * Deviation (said here and in README): Linux's ret_from_fork is C that
 * calls the kthread function. kentry's kthread functions are guest code, and
 * a native function can only run guest code nested (where it could not be
 * switched away from), so ret_from_fork_asm calls the function itself after
 * schedule_tail. The poll loop of cpu_idle_poll is written out in assembly
 * for the same reason: the timer must be able to land between its
 * instructions.
 */
import { layoutOf, offsetOf } from '../../../../abi/layout.js';
import { inactiveTaskFrame, taskStruct } from '../../../../abi/structs/sched.js';
import type { PtRegsFrame } from './calling.js';
import { globalLabel } from './text.js';

/** Bytes between a kthread's `schedule_timeout_uninterruptible` naps: every 2^12 loop rounds. */
export const KTHREAD_NAP_MASK = 0xfff;

/** Timer ticks a built-in kthread sleeps for at each nap. */
export const KTHREAD_NAP_TICKS = 3;

/**
 * The values kthread_spin keeps in every general register it owns
 * (caller-saved ones reloaded after each call); a context switch or an
 * interrupt that restored one wrongly ends in `ud2` (a kernel #UD: an oops).
 */
export const KTHREAD_SPIN_PATTERNS: readonly (readonly [string, number])[] = [
  ['%rcx', 0x0c0c0c0c], ['%rdx', 0x0d0d0d0d], ['%rsi', 0x05150515], ['%r8', 0x08080808], ['%r9', 0x09090909],
  ['%r10', 0x10101010], ['%r11', 0x11111111], ['%r12', 0x12121212], ['%r13', 0x13131313], ['%r14', 0x14141414],
  ['%r15', 0x15151515],
];

const CALLEE_SAVED = new Set(['%r12', '%r13', '%r14', '%r15']);

/** The text, after the entry stubs (the C functions it calls are `.set` by the prelude). */
export function switchText(f: PtRegsFrame): string[] {
  const task = layoutOf(taskStruct);
  const frame = layoutOf(inactiveTaskFrame);
  const loadCallerSaved = KTHREAD_SPIN_PATTERNS.filter(([r]) => !CALLEE_SAVED.has(r)).map(([r, v]) => `movq $${v}, ${r}`);
  const loadCalleeSaved = KTHREAD_SPIN_PATTERNS.filter(([r]) => CALLEE_SAVED.has(r)).map(([r, v]) => `movq $${v}, ${r}`);
  const checks = KTHREAD_SPIN_PATTERNS.flatMap(([r, v]) => [`cmpq $${v}, ${r}`, 'jne .Lspin_corrupt']);
  return [
    '/* scheduler text (arch/x86/entry/entry_64.S __switch_to_asm, ret_from_fork_asm; kernel/sched/idle.c) */',
    `.set TASK_threadsp, ${offsetOf(task, 'thread.sp')}`,
    `.set INACTIVE_TASK_FRAME_SIZE, ${frame.size}`,
    `.set KTHREAD_NAP_MASK, ${KTHREAD_NAP_MASK}`,
    `.set KTHREAD_NAP_TICKS, ${KTHREAD_NAP_TICKS}`,
    /*
     * __switch_to_asm(prev, next): save prev's callee-saved registers on its
     * stack (the inactive_task_frame), switch stacks through thread.sp, pop
     * next's, and tail-call __switch_to(prev, next), whose `ret` lands on
     * next's inactive_task_frame.ret_addr.
     */
    ...globalLabel('__switch_to_asm'),
    'pushq %rbp',
    'pushq %rbx',
    'pushq %r12',
    'pushq %r13',
    'pushq %r14',
    'pushq %r15',
    'movq %rsp, TASK_threadsp(%rdi)',
    'movq TASK_threadsp(%rsi), %rsp',
    'popq %r15',
    'popq %r14',
    'popq %r13',
    'popq %r12',
    'popq %rbx',
    'popq %rbp',
    'jmp __switch_to',
    /*
     * A new task's first switch-in: %rax = prev, %rbx = fn, %r12 = fn_arg
     * (copy_thread). A forked user task has fn = 0: its pt_regs (a copy of
     * the parent's, with the design's extension below it) sit above the
     * fork frame, and it leaves as a system call returns, through IRET.
     */
    ...globalLabel('ret_from_fork_asm'),
    'movq %rax, %rdi',
    'call schedule_tail',
    'testq %rbx, %rbx',
    'jz .Lret_from_fork_user',
    'movq %r12, %rdi',
    'call *%rbx',
    'ud2', // kentry's kthreads never return (kthread_exit is not modelled)
    '.Lret_from_fork_user:',
    f.auxSize > 0 ? 'leaq PTREGS_AUX_SIZE(%rsp), %rdi    /* pt_regs: the extension is already below it */' : 'movq %rsp, %rdi    /* pt_regs */',
    'call ret_from_fork_user',
    ...(f.auxSize > 0 ? ['addq $PTREGS_AUX_SIZE, %rsp    /* POP_PTREGS_AUXILIARY */'] : []),
    'jmp swapgs_restore_regs_and_return_to_usermode',
    /* do_idle() with idle=poll: RCU stops watching, IRQs on, poll need_resched, then schedule_idle(). */
    ...globalLabel('cpu_idle_loop'),
    'cli',
    'call ct_cpuidle_enter',
    'sti',
    '.Lpoll:',
    'pause',
    'call tif_need_resched',
    'testl %eax, %eax',
    'jz .Lpoll',
    'cli',
    'call ct_cpuidle_exit',
    'sti',
    'call schedule_idle',
    'jmp cpu_idle_loop',
    /*
     * kthread_spin(&counter): counts, keeping a known value in eleven
     * registers and checking them every round; naps every 2^12 rounds.
     */
    ...globalLabel('kthread_spin'),
    'movq %rdi, %rbx',
    ...loadCalleeSaved,
    '.Lspin_reload:',
    ...loadCallerSaved,
    '.Lspin:',
    'incq (%rbx)',
    ...checks,
    'testq $KTHREAD_NAP_MASK, (%rbx)',
    'jnz .Lspin',
    'movl $KTHREAD_NAP_TICKS, %edi',
    'call schedule_timeout_uninterruptible',
    'jmp .Lspin_reload',
    '.Lspin_corrupt:',
    'ud2',
    /*
     * kthread_pks(&data): data[0] a counter, data[8] the address of a PKS
     * key-1 page. Opens key 1 for this thread (pks_set_readwrite) and reads
     * the page every round: that read faults unless the switch loaded this
     * thread's PKRS.
     */
    ...globalLabel('kthread_pks'),
    'movq %rdi, %rbx',
    'movl $1, %edi',
    'call pks_set_readwrite',
    '.Lpks:',
    'movq 8(%rbx), %rax',
    'movq (%rax), %rax',
    'incq (%rbx)',
    'testq $KTHREAD_NAP_MASK, (%rbx)',
    'jnz .Lpks',
    'movl $KTHREAD_NAP_TICKS, %edi',
    'call schedule_timeout_uninterruptible',
    'jmp .Lpks',
  ];
}
