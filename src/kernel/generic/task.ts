/**
 * What generic entry code reads of `current`: the thread_info work words
 * and whether it is the idle task. The scheduler and the arch layer own the
 * task itself; entry code only ever sees it through `EntryDeps.current()`.
 */
import { WorkFlags } from './work.js';

export interface EntryTask {
  /** thread_info->flags: TIF work bits (work.ts). */
  readonly flags: WorkFlags;
  /** thread_info->syscall_work: SYSCALL_WORK bits (work.ts). */
  readonly syscallWork: WorkFlags;
  /** is_idle_task(current). */
  readonly isIdle: boolean;
}

export interface EntryTaskInit {
  readonly flags?: number;
  readonly syscallWork?: number;
  readonly isIdle?: boolean;
}

export function createEntryTask(init: EntryTaskInit = {}): EntryTask {
  return {
    flags: new WorkFlags(init.flags ?? 0),
    syscallWork: new WorkFlags(init.syscallWork ?? 0),
    isIdle: init.isIdle ?? false,
  };
}
