/**
 * What the context switch touches of a task, declared once: the frame
 * __switch_to_asm leaves on a sleeping task's stack, and the part of
 * task_struct / thread_struct the switch reads and writes.
 *
 * @kernel arch/x86/include/asm/switch_to.h struct inactive_task_frame, struct fork_frame (x86-64)
 * @kernel arch/x86/include/asm/processor.h struct thread_struct (sp, fsbase, gsbase)
 *
 * The thread's PKRS (PKS V9 thread.pkrs) stays in the PKS model's thread
 * object (pks-core.ts), its one home.
 *
 * The kernel's task_struct is large and config-dependent; kentry's has only
 * the members the model uses, so TASK_threadsp here is the model's
 * asm-offset, not a kernel build's.
 */
import { int, member, struct, ulongs, unsignedLong } from '../ctype.js';

/**
 * The callee-saved registers __switch_to_asm pushes (rbp first, r15 last)
 * and the return address of the switch: in a sleeping task, the resume
 * point of its schedule() call; in a new task, ret_from_fork_asm.
 */
export const inactiveTaskFrame = struct('inactive_task_frame', ulongs('r15', 'r14', 'r13', 'r12', 'bx', 'bp', 'ret_addr'));

/** thread_struct members the switch uses: the saved kernel RSP and the user FS/GS bases (save_fsgs / x86_fsgsbase_load). */
export const threadStruct = struct('thread_struct', [
  member('sp', unsignedLong),
  member('fsbase', unsignedLong),
  member('gsbase', unsignedLong),
]);

/** kentry's task_struct: pid, and the arch thread state where __switch_to_asm finds thread.sp (TASK_threadsp). */
export const taskStruct = struct('task_struct', [
  member('pid', int),
  member('thread', threadStruct),
]);
