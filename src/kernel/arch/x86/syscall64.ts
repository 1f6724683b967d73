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

/** TASK_SIZE_MAX with 4-level paging: (1 << 47) - PAGE_SIZE, as its two 32-bit halves. */
const TASK_SIZE_MAX_HI = 0x7fff;
const TASK_SIZE_MAX_LO = 0xffff_f000;
const X86_EFLAGS_TF = 1 << 8;
const X86_EFLAGS_RF = 1 << 16;
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
export function* doSyscall64(
  d: EntryDeps, table: ReadonlyMap<number, SyscallFn>, regs: PtRegs, nrArg: number, onResult?: () => void,
): MaySleep<boolean> {
  const nr = yield* syscallEnterFromUserMode(d, regs, nrArg);
  const fn = nr >= 0 ? table.get(nr) : undefined;
  if (fn) {
    const r = fn(regs);
    regs.set('ax', typeof r === 'object' ? yield* r : r);
  }
  else if (nr !== -1) regs.set('ax', -ENOSYS);
  // The sys_exit tracepoint (syscall_exit_work) sees the result before signal work can change it.
  onResult?.();
  yield* syscallExitToUserMode(d, regs);
  return sysretAllowed(regs);
}

/**
 * The checks entry_64.S/syscall_64.c make before choosing SYSRET over IRET
 * (read as 32-bit halves: this runs on every system call).
 */
export function sysretAllowed(regs: PtRegs): boolean {
  const ipLo = regs.lo('ip');
  const ipHi = regs.hi;
  if (regs.lo('cx') !== ipLo || regs.hi !== ipHi) return false; // RCX == RIP
  const flagsLo = regs.lo('flags');
  const flagsHi = regs.hi;
  if (regs.lo('r11') !== flagsLo || regs.hi !== flagsHi) return false; // R11 == RFLAGS
  if (regs.lo('cs') !== USER_CS || regs.hi !== 0) return false;
  if (regs.lo('ss') !== USER_DS || regs.hi !== 0) return false;
  // ip < TASK_SIZE_MAX (unsigned; a kernel address has bit 63 set, so hi >>> 0 is large)
  const hiU = ipHi >>> 0;
  if (hiU > TASK_SIZE_MAX_HI || (hiU === TASK_SIZE_MAX_HI && ipLo >>> 0 >= TASK_SIZE_MAX_LO)) return false;
  return (flagsLo & (X86_EFLAGS_TF | X86_EFLAGS_RF)) === 0;
}
