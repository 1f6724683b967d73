/**
 * Time for a process on kentry's virtual clock: retired instructions at
 * `nsPerInstruction`, plus the time the process slept. There is no wall
 * clock and nothing else runs while a program sleeps, so a sleep moves the
 * clock ahead at once (as an idle CPU would reach the wake-up). The timers
 * (timers.ts: ITIMER_REAL, which alarm() shares, and the CPU-time itimers)
 * fire when the clock passes their expiry — checked on every system call,
 * on every timer tick, and at each expiry inside a sleep.
 *
 * An interrupted sleep returns the kernel's restart code and leaves a
 * restart block; the signal code turns the code into -EINTR (a handler ran)
 * or a restart (restart_syscall resumes the block: sysRestartSyscall).
 * @kernel kernel/time/hrtimer.c hrtimer_nanosleep, do_nanosleep, hrtimer_nanosleep_restart;
 *         kernel/time/posix-timers.c sys_clock_nanosleep; kernel/signal.c sys_pause, sys_restart_syscall, do_no_restart_syscall
 */
import { EFAULT, EINTR, EINVAL, ERESTARTNOHAND, ERESTART_RESTARTBLOCK } from '../../abi/errno.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { copyToUser } from '../arch/x86/uaccess.js';
import type { MaySleep } from '../generic/index.js';
import { arg, argInt } from './args.js';
import { futexWaitRestart } from './futex.js';
import type { LinuxProcess } from './process.js';
import { readTimespec, sleepInterruptible, timespec } from './sleep.js';
import { NS, nowNs } from './timers.js';

export { checkTimers as checkAlarm, nowNs } from './timers.js';

const TIMER_ABSTIME = 1;
const EOPNOTSUPP = 95;

/**
 * do_nanosleep on an absolute expiry: 0 when it passes; interrupted, the
 * remaining time goes to `rmtp` (nanosleep_copyout, when the call gave one)
 * and the result is -ERESTART_RESTARTBLOCK (-EFAULT when rmtp faults).
 */
function* doNanosleep(p: LinuxProcess, expires: number, rmtp: number): MaySleep<number> {
  if ((yield* sleepInterruptible(p, expires)) === 'timeout') return 0;
  if (rmtp !== 0) {
    const rem = expires - nowNs(p);
    if (rem <= 0) return 0;
    if (!copyToUser(p.rt, rmtp, timespec(rem))) return -EFAULT;
  }
  return -ERESTART_RESTARTBLOCK;
}

/**
 * hrtimer_nanosleep: a relative sleep stores its restart block (the
 * absolute expiry and rmtp) when interrupted; an absolute one does not
 * restart that way and updates no rmtp: -ERESTARTNOHAND.
 */
function* hrtimerNanosleep(p: LinuxProcess, ns: number, abs: boolean, rmtp: number): MaySleep<number> {
  const expires = abs ? ns : nowNs(p) + ns;
  const r = yield* doNanosleep(p, expires, abs ? 0 : rmtp);
  if (r !== -ERESTART_RESTARTBLOCK) return r;
  if (abs) return -ERESTARTNOHAND;
  p.restartBlock = { kind: 'nanosleep', expires, rmtp };
  return r;
}

/** nanosleep(req, rem) */
export function* sysNanosleep(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const ns = readTimespec(p, arg(regs, 0));
  if (ns === null) return -EFAULT;
  if (ns === 'invalid') return -EINVAL;
  p.restartBlock = null; // restart_block.fn = do_no_restart_syscall until this sleep stores its own
  return yield* hrtimerNanosleep(p, ns, false, arg(regs, 1));
}

/**
 * clock_nanosleep(clockid, flags, req, rem): every clock that can sleep is
 * the virtual one. Clocks without nsleep (MONOTONIC_RAW, the COARSE ones)
 * are -EOPNOTSUPP; THREAD_CPUTIME and unknown ids -EINVAL. The CPU-time
 * clock (PROCESS_CPUTIME_ID) sleeps as the others do here.
 */
export function* sysClockNanosleep(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const id = argInt(regs, 0);
  if (id < 0 || id > 11 || id === 3 || id === 10) return -EINVAL; // clockid_to_kclock; thread_cpu_nsleep
  if (id === 4 || id === 5 || id === 6) return -EOPNOTSUPP;
  const ns = readTimespec(p, arg(regs, 2));
  if (ns === null) return -EFAULT;
  if (ns === 'invalid') return -EINVAL;
  const abs = (argInt(regs, 1) & TIMER_ABSTIME) !== 0;
  p.restartBlock = null;
  return yield* hrtimerNanosleep(p, ns, abs, abs ? 0 : arg(regs, 3));
}

/** pause(): while (!signal_pending) schedule(); then -ERESTARTNOHAND (EINTR once a handler ran). */
export function* sysPause(p: LinuxProcess): MaySleep<number> {
  yield* sleepInterruptible(p, null);
  return -ERESTARTNOHAND;
}

/**
 * restart_syscall(): restart_block->fn — hrtimer_nanosleep_restart resumes
 * the stored sleep to its absolute expiry (writing rmtp again if it is
 * interrupted again), futex_wait_restart the stored futex wait;
 * do_no_restart_syscall (nothing stored) is -EINTR. The signal code sends
 * a -ERESTART_RESTARTBLOCK call here when no handler ran.
 */
export function* sysRestartSyscall(p: LinuxProcess): MaySleep<number> {
  const rb = p.restartBlock;
  if (!rb) return -EINTR;
  if (rb.kind === 'nanosleep') return yield* doNanosleep(p, rb.expires, rb.rmtp);
  return yield* futexWaitRestart(p, rb);
}

/** clock_gettime(clockid, tp) */
export function sysClockGettime(p: LinuxProcess, regs: PtRegs): number {
  const id = argInt(regs, 0);
  if (id < 0 || id > 11) return -EINVAL;
  return copyToUser(p.rt, arg(regs, 1), timespec(nowNs(p))) ? 0 : -EFAULT;
}

/** gettimeofday(tv, tz): struct timeval from the same clock. */
export function sysGettimeofday(p: LinuxProcess, regs: PtRegs): number {
  const tv = arg(regs, 0);
  if (tv === 0) return 0;
  const ns = nowNs(p);
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(ns / NS)), true);
  dv.setBigInt64(8, BigInt(Math.floor((ns % NS) / 1000)), true);
  return copyToUser(p.rt, tv, b) ? 0 : -EFAULT;
}

/** time(tloc) */
export function sysTime(p: LinuxProcess, regs: PtRegs): number {
  const t = Math.floor(nowNs(p) / NS);
  const at = arg(regs, 0);
  if (at !== 0) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(t), true);
    if (!copyToUser(p.rt, at, b)) return -EFAULT;
  }
  return t;
}
