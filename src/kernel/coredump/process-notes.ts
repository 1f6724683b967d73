/**
 * The contents of a core's notes other than the register sets: the thread
 * status around pr_reg (fill_prstatus), the process summary (fill_psinfo),
 * the fatal signal's siginfo (fill_siginfo_note), the saved auxv
 * (fill_auxv_note) and the file mappings (fill_files_note).
 *
 * What kentry's process lacks, and what stands in:
 *   - no parent task: pr_ppid 0 (getppid says 0 too); the process leads
 *     its own group and session (pr_pgrp = pr_sid = pid);
 *   - no user/system time accounting: the virtual clock counts every
 *     retired instruction, entry stubs included, so a time from it would
 *     differ between designs whose stubs differ; pr_utime, pr_stime,
 *     pr_cutime and pr_cstime are 0 (the note stays a function of the
 *     program alone, which invariant 6 compares);
 *   - pr_flag: PF_SIGNALED | PF_DUMPCORE, what get_signal and vfs_coredump
 *     set before the dump (no PF_RANDOMIZE: kentry does not randomize).
 *
 * @kernel fs/binfmt_elf.c fill_prstatus, fill_psinfo, fill_siginfo_note, fill_auxv_note, fill_files_note
 */
import { layoutOf } from '../../abi/layout.js';
import {
  ELF_PRARGSZ, TASK_COMM_LEN, elfPrpsinfo, elfPrstatus,
} from '../../abi/structs/elfcore.js';
import { StructView, field } from '../../abi/view.js';
import { PAGE_SIZE } from '../arch/x86/memory-map.js';
import type { Platform } from '../arch/x86/platform.js';
import type { PendingSignal, Task } from '../arch/x86/sched.js';
import { siginfoBytes } from '../arch/x86/signal-frame.js';
import type { Vma } from '../mm.js';
import type { ExecInfo } from './exec-info.js';
import { readUserPhys } from './user-pages.js';

/** include/linux/sched.h */
const PF_DUMPCORE = 0x200;
const PF_SIGNALED = 0x400;

const bit = (sig: number): bigint => 1n << BigInt(sig - 1);

/** What the notes describe: the dumping task and its process. */
export interface DumpSubject {
  readonly platform: Platform;
  readonly task: Task;
  readonly pid: number;
  readonly exec: ExecInfo;
}

/**
 * fill_prstatus + the NT_PRSTATUS regset: pr_info.si_signo = pr_cursig =
 * the signal, pending (after the fatal one was dequeued) and blocked masks,
 * ids, times (0: see above), `prReg` (genregs_get's user_regs_struct) and pr_fpvalid.
 */
export function prstatusBytes(s: DumpSubject, signr: number, prReg: Uint8Array, fpvalid: boolean): Uint8Array {
  const v = StructView.zeroed(layoutOf(elfPrstatus));
  v.set('common.pr_info.si_signo', signr);
  v.set('common.pr_cursig', signr);
  v.set('common.pr_sigpend', s.task.pendingSignals.reduce((m: bigint, p: PendingSignal) => m | bit(p.sig), 0n));
  v.set('common.pr_sighold', s.task.signals.blocked);
  v.set('common.pr_pid', s.pid);
  v.set('common.pr_ppid', 0);
  v.set('common.pr_pgrp', s.pid);
  v.set('common.pr_sid', s.pid);
  v.store.writeBytes(field(v.layout, 'pr_reg').offset, prReg);
  v.set('pr_fpvalid', fpvalid ? 1 : 0);
  return v.bytes();
}

/**
 * fill_psinfo: state 0 (running: 'R'), nice 0, the task flags, uid/gid 0,
 * comm (TASK_COMM_LEN - 1 characters), and the first ELF_PRARGSZ - 1
 * bytes of [arg_start, arg_end) with NULs turned into spaces.
 */
export function psinfoBytes(s: DumpSubject): Uint8Array {
  const layout = layoutOf(elfPrpsinfo);
  const v = StructView.zeroed(layout);
  v.set('pr_state', 0);
  v.set('pr_sname', 'R'.charCodeAt(0));
  v.set('pr_flag', PF_SIGNALED | PF_DUMPCORE);
  v.set('pr_pid', s.pid);
  v.set('pr_pgrp', s.pid);
  v.set('pr_sid', s.pid);
  v.store.writeBytes(field(layout, 'pr_fname').offset, new TextEncoder().encode(s.task.name).subarray(0, TASK_COMM_LEN - 1));
  const len = Math.min(Math.max(0, s.exec.argEnd - s.exec.argStart), ELF_PRARGSZ - 1);
  const args = readUserPhys(s.platform, s.exec.argStart, len).map((b) => (b === 0 ? 0x20 : b));
  v.store.writeBytes(field(layout, 'pr_psargs').offset, args);
  return v.bytes();
}

/** fill_siginfo_note: the siginfo of the fatal signal, as copy_siginfo_to_user lays it out (128 bytes). */
export function siginfoNoteBytes(sig: PendingSignal): Uint8Array {
  return siginfoBytes(sig);
}

/** fill_auxv_note: mm->saved_auxv up to and including AT_NULL. */
export function auxvBytes(exec: ExecInfo): Uint8Array {
  const out = new Uint8Array(exec.savedAuxv.length * 16);
  const dv = new DataView(out.buffer);
  exec.savedAuxv.forEach(([t, v], i) => {
    dv.setBigUint64(i * 16, t, true);
    dv.setBigUint64(i * 16 + 8, v, true);
  });
  return out;
}

/**
 * fill_files_note: count, page size, then (start, end, pgoff) of each
 * file-backed VMA, then their paths, NUL-terminated; null when there are none.
 */
export function filesBytes(vmas: readonly Vma[]): Uint8Array | null {
  const files = vmas.filter((v) => v.name.startsWith('/'));
  if (files.length === 0) return null;
  const enc = new TextEncoder();
  const names = files.map((v) => enc.encode(v.name + '\0'));
  const head = (2 + 3 * files.length) * 8;
  const out = new Uint8Array(head + names.reduce((n, b) => n + b.length, 0));
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(files.length), true);
  dv.setBigUint64(8, BigInt(PAGE_SIZE), true);
  files.forEach((v, i) => {
    dv.setBigUint64(16 + i * 24, BigInt(v.start), true);
    dv.setBigUint64(24 + i * 24, BigInt(v.end), true);
    dv.setBigUint64(32 + i * 24, BigInt(Math.floor(v.offset / PAGE_SIZE)), true);
  });
  let at = head;
  for (const b of names) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
