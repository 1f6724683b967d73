/**
 * The state of a kernel's process world (world.ts builds it): the
 * ProcessWorld services plus the per-process system-call tables.
 */
import type { Task } from '../arch/x86/sched.js';
import type { SyscallFn } from '../arch/x86/syscall64.js';
import type { LinuxProcess, ProcessWorld } from '../syscalls/process.js';
import { linuxSyscalls } from '../syscalls/table.js';

/** What the kernel keeps per world beyond ProcessWorld: the per-process tables. */
export interface WorldState extends ProcessWorld {
  readonly tables: Map<Task, ReadonlyMap<number, SyscallFn>>;
  readonly processOf: Map<Task, LinuxProcess>;
  /** Installs the dispatching table, the timer's alarm check and the exit hook (once, with the first process). */
  wire(): void;
}

/** Adds `p` to the world with its system-call table; the scheduler learns of its task from the caller. */
export function addProcess(world: WorldState, p: LinuxProcess): void {
  world.byPid.set(p.pid, p);
  world.processOf.set(p.task, p);
  world.tables.set(p.task, new Map(linuxSyscalls(p, p.rt.cpu)));
  world.wire();
}
