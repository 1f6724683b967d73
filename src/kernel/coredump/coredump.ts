/**
 * vfs_coredump for kentry: when a signal's default action dumps core
 * (get_signal, sig_kernel_coredump), the process's core is made by
 * elf_core_dump and handed to whoever started the program (cli/run.ts
 * writes the file: src/ uses no Node built-ins).
 *
 * The starter registers each process it wants dumpable (`enableCoreDump`),
 * with what mm_struct keeps for the dump (the saved auxv and argument
 * range, exec-info.ts) and the core size limit:
 *   - 'rlimit': RLIMIT_CORE's soft limit. kentry's default is the kernel's
 *     INIT_RLIMITS value, 0 — no core — until the program raises it
 *     (setrlimit/prlimit64 store it in LinuxProcess.rlimits). Below
 *     min_coredump (ELF_EXEC_PAGESIZE) nothing is written; a core larger
 *     than the limit is cut where the kernel's first refused dump_emit is;
 *   - 'unlimited': the user asked for the core (--core FILE).
 * A process nobody registered dumps nothing (no binfmt->core_dump).
 *
 * @kernel fs/coredump.c vfs_coredump (do_coredump), dump_emit; kernel/signal.c get_signal
 * @kernel include/asm-generic/resource.h INIT_RLIMITS ([RLIMIT_CORE] = { 0, RLIM_INFINITY })
 */
import { PAGE_SIZE } from '../arch/x86/memory-map.js';
import type { Platform } from '../arch/x86/platform.js';
import { setCoreDumper } from '../arch/x86/regset-coredump.js';
import { regsetTarget } from '../arch/x86/regset-thread.js';
import type { PendingSignal, Task } from '../arch/x86/sched.js';
import type { LinuxProcess } from '../syscalls/process.js';
import { elfCoreDump, type CoreImage } from './elf-core.js';
import { readExecInfo, type ExecInfo } from './exec-info.js';

/** RLIMIT_CORE (include/uapi/asm-generic/resource.h). */
export const RLIMIT_CORE = 4;
/** binfmt->min_coredump for ELF: ELF_EXEC_PAGESIZE. */
const MIN_COREDUMP = PAGE_SIZE;

/** How a core dump went. */
export type CoreDumpResult =
  | { readonly kind: 'written'; readonly where: string; readonly size: number; readonly truncatedFrom: number | null }
  | { readonly kind: 'not-written'; readonly reason: string };

export interface CoreDumpSetup {
  readonly platform: Platform;
  /** The process (its task, mm, rlimits, pid). */
  readonly proc: LinuxProcess;
  readonly limit: 'rlimit' | 'unlimited';
  /** Stores the core (the file core_pattern names); returns where it went, or throws an Error whose message says why not. */
  readonly write: (bytes: Uint8Array) => string;
}

interface Registration extends CoreDumpSetup {
  readonly exec: ExecInfo;
  result: CoreDumpResult | null;
  image: CoreImage | null;
}


/** What `enableCoreDump` returns: the outcome once the process died (null: no core-dumping signal killed it). */
export interface CoreDumpHandle {
  readonly result: CoreDumpResult | null;
  /** The image as made (before any RLIMIT_CORE cut), for tests and reports. */
  readonly image: CoreImage | null;
}

/**
 * Makes the process dumpable. Call right after exec, before it runs: the
 * saved auxv and the argument range are read off its initial stack (`rsp`).
 */
export function enableCoreDump(setup: CoreDumpSetup, rsp: number): CoreDumpHandle {
  const reg: Registration = { ...setup, exec: readExecInfo(setup.platform, rsp), result: null, image: null };
  setCoreDumper(setup.proc.task, (sig) => elfCoredump(reg, setup.proc.task, sig));
  return {
    get result() { return reg.result; },
    get image() { return reg.image; },
  };
}

function coreLimit(reg: Registration): bigint {
  if (reg.limit === 'unlimited') return BigInt(Number.MAX_SAFE_INTEGER);
  return reg.proc.rlimits?.get(RLIMIT_CORE)?.[0] ?? 0n;
}

/**
 * vfs_coredump(siginfo) → binfmt->core_dump for `task`, the current task,
 * killed by `sig`: true when a core was written. get_signal calls it
 * (regset-coredump.ts) before do_group_exit, while the task's registers
 * (task_pt_regs) and memory are intact.
 */
function elfCoredump(reg: Registration, task: Task, sig: PendingSignal): boolean {
  const limit = coreLimit(reg);
  if (limit < BigInt(MIN_COREDUMP)) {
    reg.result = { kind: 'not-written', reason: `RLIMIT_CORE is ${limit}` };
    return false;
  }
  const image = elfCoreDump(
    { platform: reg.platform, task, pid: reg.proc.pid, exec: reg.exec },
    regsetTarget(reg.platform, task, true),
    sig,
    reg.proc.mm.vmas,
  );
  reg.image = image;
  let size = image.bytes.length;
  if (BigInt(size) > limit) size = image.pieces.filter((end) => BigInt(end) <= limit).pop() ?? 0;
  try {
    const where = reg.write(image.bytes.subarray(0, size));
    reg.result = { kind: 'written', where, size, truncatedFrom: size < image.bytes.length ? image.bytes.length : null };
    return true;
  } catch (e) {
    reg.result = { kind: 'not-written', reason: e instanceof Error ? e.message : String(e) };
    return false;
  }
}
