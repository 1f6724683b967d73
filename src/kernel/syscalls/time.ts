/**
 * Time for a process on kentry's virtual clock: retired instructions at
 * `nsPerInstruction`, plus the time the process slept. There is no wall
 * clock and nothing else runs while a program sleeps, so a sleep moves the
 * clock ahead at once (as an idle CPU would reach the wake-up). alarm()'s
 * SIGALRM is raised when the clock passes the deadline: checked on every
 * system call and on every timer tick.
 * @kernel kernel/time/hrtimer.c hrtimer_nanosleep, kernel/time/itimer.c alarm_setitimer, kernel/signal.c sys_pause
 */
import { EFAULT, EINTR, EINVAL } from '../../abi/errno.js';
import { SIGALRM } from '../../abi/signal-numbers.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { sendSignal } from '../arch/x86/signal.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import type { MaySleep } from '../generic/index.js';
import { arg, argInt } from './args.js';
import type { LinuxProcess } from './process.js';

const NS = 1_000_000_000;
const TIMER_ABSTIME = 1;
/** si_code SI_KERNEL for alarm's SIGALRM (it_real_fn sends SIGALRM with SEND_SIG_PRIV). */
const SI_KERNEL = 0x80;

export function nowNs(p: LinuxProcess): number {
  return p.instructions() * p.nsPerInstruction + p.clock.sleptNs;
}

/** Raises SIGALRM once the deadline has passed (it_real_fn). */
export function checkAlarm(p: LinuxProcess): void {
  if (p.clock.alarmAt !== null && nowNs(p) >= p.clock.alarmAt) {
    p.clock.alarmAt = null;
    sendSignal(p.task, SIGALRM, SI_KERNEL);
  }
}

function timespec(ns: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(ns / NS)), true);
  dv.setBigInt64(8, BigInt(Math.floor(ns % NS)), true);
  return b;
}

/** Reads a struct timespec; null on a fault, 'invalid' for a bad one. */
function readTimespec(p: LinuxProcess, address: number): number | null | 'invalid' {
  const b = copyFromUser(p.rt, address, 16);
  if (b === null) return null;
  const dv = new DataView(b.buffer, b.byteOffset);
  const sec = dv.getBigInt64(0, true);
  const nsec = dv.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= BigInt(NS)) return 'invalid';
  return Number(sec) * NS + Number(nsec);
}

/** Sleeps `ns`; an alarm due sooner ends the sleep there with its signal (-EINTR, the remaining time in `rem`). */
function sleepFor(p: LinuxProcess, ns: number, rem: number): number {
  const now = nowNs(p);
  if (p.clock.alarmAt !== null && p.clock.alarmAt < now + ns) {
    p.clock.sleptNs += Math.max(0, p.clock.alarmAt - now);
    checkAlarm(p);
    if (rem !== 0 && !copyToUser(p.rt, rem, timespec(now + ns - nowNs(p)))) return -EFAULT;
    return -EINTR;
  }
  p.clock.sleptNs += ns;
  return 0;
}

/** nanosleep(req, rem) */
export function sysNanosleep(p: LinuxProcess, regs: PtRegs): number {
  const ns = readTimespec(p, arg(regs, 0));
  if (ns === null) return -EFAULT;
  if (ns === 'invalid') return -EINVAL;
  return sleepFor(p, ns, arg(regs, 1));
}

/** clock_nanosleep(clockid, flags, req, rem): every clock is the virtual one; TIMER_ABSTIME sleeps until `req`. */
export function sysClockNanosleep(p: LinuxProcess, regs: PtRegs): number {
  const id = argInt(regs, 0);
  if (id < 0 || id > 11) return EINVAL; // positive: clock_nanosleep returns the error number
  const ns = readTimespec(p, arg(regs, 2));
  if (ns === null) return -EFAULT;
  if (ns === 'invalid') return -EINVAL;
  const abs = (argInt(regs, 1) & TIMER_ABSTIME) !== 0;
  return sleepFor(p, abs ? Math.max(0, ns - nowNs(p)) : ns, abs ? 0 : arg(regs, 3));
}

/** alarm(seconds): the previous alarm's remaining seconds (rounded as alarm_setitimer does). */
export function sysAlarm(p: LinuxProcess, regs: PtRegs): number {
  const now = nowNs(p);
  let prev = 0;
  if (p.clock.alarmAt !== null) {
    const left = p.clock.alarmAt - now;
    prev = Math.floor(left / NS);
    if ((prev === 0 && left > 0) || left % NS >= NS / 2) prev++;
  }
  const seconds = Number(BigInt.asUintN(32, regs.get('di')));
  p.clock.alarmAt = seconds === 0 ? null : now + seconds * NS;
  return prev;
}

/** pause(): sleeps until a signal — the pending alarm's, at once; with none, for ever. */
export function* sysPause(p: LinuxProcess): MaySleep<number> {
  if (p.clock.alarmAt !== null) {
    p.clock.sleptNs += Math.max(0, p.clock.alarmAt - nowNs(p));
    checkAlarm(p);
    return -EINTR;
  }
  yield* p.sleepForever();
  return -EINTR;
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
