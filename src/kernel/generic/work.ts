/**
 * Thread work flags: the TIF bits that make the exit path do work before it
 * returns to user mode, and the SYSCALL_WORK bits that make syscall entry and
 * exit take the slow path. Generic entry code only tests these masks; who
 * sets a bit (the scheduler, signal delivery, task_work, uprobes) and who
 * clears it is each subsystem's business (reference §2.5, §2.6).
 *
 * Bit numbers are x86's (`arch/x86/include/asm/thread_info.h`, v6.12+):
 *
 *   bit  1 NOTIFY_RESUME   2 SIGPENDING   3 NEED_RESCHED   4 NEED_RESCHED_LAZY
 *       12 UPROBE         13 PATCH_PENDING                17 NOTIFY_SIGNAL
 *
 * The arch layer may define further bits (x86: USER_RETURN_NOTIFY 11,
 * NEED_FPU_LOAD 14, IO_BITMAP 22) and adds them to the loop's mask through
 * `ArchEntryHooks.archExitToUserModeWorkMask` (ARCH_EXIT_TO_USER_MODE_WORK).
 */

export const TIF_NOTIFY_RESUME = 1;
export const TIF_SIGPENDING = 2;
export const TIF_NEED_RESCHED = 3;
export const TIF_NEED_RESCHED_LAZY = 4;
export const TIF_UPROBE = 12;
export const TIF_PATCH_PENDING = 13;
export const TIF_NOTIFY_SIGNAL = 17;

export const _TIF_NOTIFY_RESUME = 1 << TIF_NOTIFY_RESUME;
export const _TIF_SIGPENDING = 1 << TIF_SIGPENDING;
export const _TIF_NEED_RESCHED = 1 << TIF_NEED_RESCHED;
export const _TIF_NEED_RESCHED_LAZY = 1 << TIF_NEED_RESCHED_LAZY;
export const _TIF_UPROBE = 1 << TIF_UPROBE;
export const _TIF_PATCH_PENDING = 1 << TIF_PATCH_PENDING;
export const _TIF_NOTIFY_SIGNAL = 1 << TIF_NOTIFY_SIGNAL;

/**
 * The generic part of EXIT_TO_USER_MODE_WORK (include/linux/irq-entry-common.h);
 * the loop tests it OR-ed with the arch's ARCH_EXIT_TO_USER_MODE_WORK.
 */
export const EXIT_TO_USER_MODE_WORK =
  _TIF_SIGPENDING | _TIF_NOTIFY_RESUME | _TIF_UPROBE | _TIF_NEED_RESCHED |
  _TIF_NEED_RESCHED_LAZY | _TIF_PATCH_PENDING | _TIF_NOTIFY_SIGNAL;

/** enum syscall_work_bit (include/linux/thread_info.h). */
export const SYSCALL_WORK_BIT_SECCOMP = 0;
export const SYSCALL_WORK_BIT_SYSCALL_TRACEPOINT = 1;
export const SYSCALL_WORK_BIT_SYSCALL_TRACE = 2;
export const SYSCALL_WORK_BIT_SYSCALL_EMU = 3;
export const SYSCALL_WORK_BIT_SYSCALL_AUDIT = 4;
export const SYSCALL_WORK_BIT_SYSCALL_USER_DISPATCH = 5;
export const SYSCALL_WORK_BIT_SYSCALL_EXIT_TRAP = 6;

export const SYSCALL_WORK_SECCOMP = 1 << SYSCALL_WORK_BIT_SECCOMP;
export const SYSCALL_WORK_SYSCALL_TRACEPOINT = 1 << SYSCALL_WORK_BIT_SYSCALL_TRACEPOINT;
export const SYSCALL_WORK_SYSCALL_TRACE = 1 << SYSCALL_WORK_BIT_SYSCALL_TRACE;
export const SYSCALL_WORK_SYSCALL_EMU = 1 << SYSCALL_WORK_BIT_SYSCALL_EMU;
export const SYSCALL_WORK_SYSCALL_AUDIT = 1 << SYSCALL_WORK_BIT_SYSCALL_AUDIT;
export const SYSCALL_WORK_SYSCALL_USER_DISPATCH = 1 << SYSCALL_WORK_BIT_SYSCALL_USER_DISPATCH;
export const SYSCALL_WORK_SYSCALL_EXIT_TRAP = 1 << SYSCALL_WORK_BIT_SYSCALL_EXIT_TRAP;

/** Work that sends syscall entry to syscall_trace_enter (x86 adds no arch bits). */
export const SYSCALL_WORK_ENTER =
  SYSCALL_WORK_SECCOMP | SYSCALL_WORK_SYSCALL_TRACEPOINT | SYSCALL_WORK_SYSCALL_TRACE |
  SYSCALL_WORK_SYSCALL_EMU | SYSCALL_WORK_SYSCALL_AUDIT | SYSCALL_WORK_SYSCALL_USER_DISPATCH;

/** Work that sends syscall exit to syscall_exit_work. */
export const SYSCALL_WORK_EXIT =
  SYSCALL_WORK_SYSCALL_TRACEPOINT | SYSCALL_WORK_SYSCALL_TRACE | SYSCALL_WORK_SYSCALL_AUDIT |
  SYSCALL_WORK_SYSCALL_USER_DISPATCH | SYSCALL_WORK_SYSCALL_EXIT_TRAP;

/**
 * A flags word (`thread_info->flags`, `thread_info->syscall_work`):
 * set_ti_thread_flag / clear_ti_thread_flag / read_thread_flags on masks.
 */
export class WorkFlags {
  constructor(private bits = 0) {}

  /** read_thread_flags(): the whole word. */
  read(): number {
    return this.bits;
  }

  /** True when any bit of `mask` is set. */
  test(mask: number): boolean {
    return (this.bits & mask) !== 0;
  }

  set(mask: number): void {
    this.bits = (this.bits | mask) >>> 0;
  }

  clear(mask: number): void {
    this.bits = (this.bits & ~mask) >>> 0;
  }
}

/** Names of the generic TIF bits set in `work`, for traces (`SIGPENDING|NEED_RESCHED`). */
export function describeWork(work: number): string {
  const names: [number, string][] = [
    [_TIF_NOTIFY_RESUME, 'NOTIFY_RESUME'], [_TIF_SIGPENDING, 'SIGPENDING'],
    [_TIF_NEED_RESCHED, 'NEED_RESCHED'], [_TIF_NEED_RESCHED_LAZY, 'NEED_RESCHED_LAZY'],
    [_TIF_UPROBE, 'UPROBE'], [_TIF_PATCH_PENDING, 'PATCH_PENDING'], [_TIF_NOTIFY_SIGNAL, 'NOTIFY_SIGNAL'],
  ];
  let rest = work >>> 0;
  const out: string[] = [];
  for (const [mask, name] of names) {
    if (rest & mask) out.push(name);
    rest &= ~mask;
  }
  if (rest) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out.length ? out.join('|') : '0';
}
