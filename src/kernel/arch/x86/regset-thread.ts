/**
 * What the x86 regsets read besides pt_regs: the task's FS/GS bases and its
 * data segment selectors, live in the CPU while the task runs (it is
 * `current`), in thread_struct while it does not.
 *
 * kentry's thread_struct has fsbase and gsbase (save_fsgs / __switch_to in
 * process.ts keep them) but not ds, es, fsindex, gsindex: a stopped task's
 * selectors are kept here, beside it, until it has them (a 64-bit task's
 * are all 0, which is what a fresh entry holds).
 *
 * @kernel arch/x86/kernel/process_64.c x86_fsbase_read_task, x86_gsbase_read_task, x86_fsbase_write_task, x86_gsbase_write_task
 * @kernel arch/x86/kernel/ptrace.c get_segment_reg (the task == current branch reads the live selector)
 */
import type { Platform } from './platform.js';
import { taskStructView } from './process.js';
import type { Task } from './sched.js';

/** The task whose registers a regset reads or writes. */
export interface RegsetTarget {
  readonly platform: Platform;
  readonly task: Task;
  /** target == current: its FS/GS bases and selectors are the CPU's. */
  readonly current: boolean;
}

/** A regset target for `task`; `current` says whether it is the running task. */
export function regsetTarget(platform: Platform, task: Task, current: boolean): RegsetTarget {
  return { platform, task, current };
}

/**
 * task_pt_regs(task): the pt_regs its last entry from user mode built at
 * the top of its kernel stack (TOP_OF_KERNEL_STACK_PADDING is 0 on x86-64),
 * sizeof(struct pt_regs) of the design below the top.
 * @kernel arch/x86/include/asm/processor.h task_pt_regs
 */
export function taskPtRegs(t: RegsetTarget): number {
  return t.task.stackTop - t.platform.design.ptRegs.size;
}

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));

/** x86_fsbase_read_task: RDFSBASE for current, else thread.fsbase. */
export function fsbaseReadTask(t: RegsetTarget): bigint {
  return t.current ? u64(t.platform.cpu.fsBase) : taskStructView(t.platform, t.task).get('thread.fsbase');
}

/**
 * x86_gsbase_read_task: for current the *inactive* GS base (the kernel ran
 * SWAPGS on entry, so the user's is in MSR_KERNEL_GS_BASE), else thread.gsbase.
 */
export function gsbaseReadTask(t: RegsetTarget): bigint {
  return t.current ? u64(t.platform.cpu.kernelGsBase) : taskStructView(t.platform, t.task).get('thread.gsbase');
}

/** x86_fsbase_write_task / x86_gsbase_write_task: thread.fsbase or thread.gsbase (never current: WARN_ON_ONCE). */
export function basesWriteTask(t: RegsetTarget, which: 'fsbase' | 'gsbase', value: bigint): void {
  taskStructView(t.platform, t.task).set(`thread.${which}`, value);
}

export type SelectorName = 'ds' | 'es' | 'fs' | 'gs';

interface ThreadSelectors {
  ds: number;
  es: number;
  fs: number;
  gs: number;
}

/** thread.ds, thread.es, thread.fsindex, thread.gsindex of tasks that are not running. */
const threadSelectors = new WeakMap<Task, ThreadSelectors>();

function selectorsOf(task: Task): ThreadSelectors {
  let s = threadSelectors.get(task);
  if (!s) threadSelectors.set(task, (s = { ds: 0, es: 0, fs: 0, gs: 0 }));
  return s;
}

/** get_segment_reg for ds/es/fs/gs: MOV from the segment register for current, else the thread's copy. */
export function threadSelector(t: RegsetTarget, name: SelectorName): number {
  return t.current ? t.platform.cpu[name] & 0xffff : selectorsOf(t.task)[name];
}

/** set_segment_reg's store for ds/es/fs/gs: thread.ds/es/fsindex/gsindex (the caller checked the value). */
export function setThreadSelector(t: RegsetTarget, name: SelectorName, value: number): void {
  selectorsOf(t.task)[name] = value & 0xffff;
}
