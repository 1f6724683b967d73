/**
 * Where get_signal reaches the core dumper: vfs_coredump calls
 * mm->binfmt->core_dump, which the loader set at exec. kentry's ELF core
 * writer lives above the arch layer (src/kernel/coredump, the regsets' main
 * user besides ptrace), so it installs itself per task here and the signal
 * code calls through this one slot.
 * @kernel fs/coredump.c vfs_coredump (binfmt->core_dump); kernel/signal.c get_signal
 */
import type { PendingSignal, Task } from './sched.js';

/** binfmt->core_dump for one task: true when a core was written. */
export type CoreDumper = (sig: PendingSignal) => boolean;

const dumpers = new WeakMap<Task, CoreDumper>();

/** Installs (or with null removes) the task's core dumper. */
export function setCoreDumper(task: Task, dumper: CoreDumper | null): void {
  if (dumper) dumpers.set(task, dumper);
  else dumpers.delete(task);
}

/** vfs_coredump(siginfo) for the current task: false when it has no dumper or none was written. */
export function vfsCoredump(task: Task, sig: PendingSignal): boolean {
  return dumpers.get(task)?.(sig) ?? false;
}
