/**
 * do_syscall_64 and the SYSRET decision (reference §1.5).
 * @kernel arch/x86/entry/syscall_64.c do_syscall_64, arch/x86/entry/entry_64.S
 */
import type { EntryDeps, MaySleep } from '../../generic/index.js';
import { syscallEnterFromUserMode, syscallExitToUserMode } from '../../generic/index.js';
import { USER_CS, USER_DS } from './memory-map.js';
import type { PtRegs } from './regs.js';

/** One system call: (regs) → return value for regs->ax; a call that might sleep returns a chain (generic/sleep.ts). */
export type SyscallFn = (regs: PtRegs) => bigint | number | MaySleep<bigint | number>;

/** TASK_SIZE_MAX with 4-level paging: (1 << 47) - PAGE_SIZE. */
const TASK_SIZE_MAX = (1n << 47n) - 4096n;
const X86_EFLAGS_TF = 1n << 8n;
const X86_EFLAGS_RF = 1n << 16n;
const ENOSYS = 38;

/**
 * do_syscall_64(regs, nr): enter work, dispatch through the table, exit
 * work; returns true when the SYSRET exit is safe. The five conditions of
 * reference §1.5 (Xen PV never applies here).
 *
 * 1. nr = syscall_enter_from_user_mode(regs, nr)
 * 2. (unsigned)nr < NR_syscalls: regs->ax = sys_call_table[nr](regs); nr != -1 otherwise: -ENOSYS
 * 3. syscall_exit_to_user_mode(regs)
 * 4. the SYSRET conditions
 */
export function* doSyscall64(d: EntryDeps, table: ReadonlyMap<number, SyscallFn>, regs: PtRegs, nrArg: number): MaySleep<boolean> {
  const nr = syscallEnterFromUserMode(d, regs, nrArg);
  const fn = nr >= 0 ? table.get(nr) : undefined;
  if (fn) {
    const r = fn(regs);
    regs.set('ax', typeof r === 'object' ? yield* r : r);
  }
  else if (nr !== -1) regs.set('ax', -ENOSYS);
  yield* syscallExitToUserMode(d, regs);
  return sysretAllowed(regs);
}

/** The checks entry_64.S/syscall_64.c make before choosing SYSRET over IRET. */
export function sysretAllowed(regs: PtRegs): boolean {
  const ip = regs.get('ip');
  const flags = regs.get('flags');
  return (
    regs.get('cx') === ip && regs.get('r11') === flags &&
    regs.get('cs') === BigInt(USER_CS) && regs.get('ss') === BigInt(USER_DS) &&
    ip < TASK_SIZE_MAX &&
    (flags & (X86_EFLAGS_TF | X86_EFLAGS_RF)) === 0n
  );
}
