/**
 * The process's interval timers on kentry's virtual clock. ITIMER_REAL is
 * one hrtimer that alarm() shares; when it fires it sends SIGALRM and stays
 * idle until that SIGALRM is dequeued, which re-arms it by whole intervals
 * past the dequeue time (posixtimer_rearm_itimer) — so an ignored SIGALRM
 * stops a periodic ITIMER_REAL, and a blocked one holds it. kentry notices
 * the dequeue at its next check (every system call and timer tick).
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time: every
 * retired instruction (kentry does not split user from system time, so the
 * two run alike); they reload at expiry (check_cpu_itimer) and, as Linux
 * does, add one tick (TICK_NSEC) to a new value.
 * @kernel kernel/time/itimer.c do_setitimer, do_getitimer, itimer_get_remtime, set_cpu_itimer, get_cpu_itimer,
 *         it_real_fn, alarm_setitimer; kernel/time/posix-cpu-timers.c check_cpu_itimer, set_process_cpu_timer
 */
import { EFAULT, EINVAL } from '../../abi/errno.js';
import { SIGALRM } from '../../abi/signal-numbers.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { sendSignal } from '../arch/x86/signal.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import { arg, argInt } from './args.js';
import type { CpuTimer, LinuxProcess } from './process.js';

export const NS = 1_000_000_000;
/** TICK_NSEC at HZ = 1000. */
const TICK_NSEC = 1_000_000;
/** si_code SI_KERNEL: it_real_fn and check_cpu_itimer send with SEND_SIG_PRIV. */
const SI_KERNEL = 0x80;
const SIGVTALRM = 26;
const SIGPROF = 27;
const ITIMER_REAL = 0;
const ITIMER_VIRTUAL = 1;
const ITIMER_PROF = 2;

/** The virtual clock: retired instructions plus the time slept. */
export function nowNs(p: LinuxProcess): number {
  return p.instructions() * p.nsPerInstruction + p.clock.sleptNs;
}

/** The process's CPU time (both CPU-time itimers count it). */
function cpuNs(p: LinuxProcess): number {
  return p.instructions() * p.nsPerInstruction;
}

function sigalrmPending(p: LinuxProcess): boolean {
  return p.task.pendingSignals.some((s) => s.sig === SIGALRM && !s.synchronous);
}

function cpuTimers(p: LinuxProcess): CpuTimer[] {
  return (p.clock.cpuTimers ??= [{ at: null, intervalNs: 0 }, { at: null, intervalNs: 0 }]);
}

/**
 * Fires what is due: ITIMER_REAL (it_real_fn: SIGALRM), re-armed once its
 * SIGALRM was dequeued; then the CPU-time timers (check_cpu_itimer). Called
 * on every system call, every timer tick and inside sleeps.
 */
export function checkTimers(p: LinuxProcess): void {
  const c = p.clock;
  const now = nowNs(p);
  const iv = c.realIntervalNs ?? 0;
  if (c.realFiredAt != null && !sigalrmPending(p)) {
    // hrtimer_forward(timer, now, it_real_incr): the first expiry after now, in whole intervals.
    if (iv > 0 && c.alarmAt === null) c.alarmAt = c.realFiredAt + iv * (Math.floor((now - c.realFiredAt) / iv) + 1);
    c.realFiredAt = null;
  }
  if (c.alarmAt !== null && now >= c.alarmAt) {
    const at = c.alarmAt;
    c.alarmAt = null;
    sendSignal(p.task, SIGALRM, SI_KERNEL);
    c.realFiredAt = iv > 0 && sigalrmPending(p) ? at : null;
  }
  if (!c.cpuTimers) return;
  const cpu = cpuNs(p);
  c.cpuTimers.forEach((t, i) => {
    if (t.at === null || cpu < t.at) return;
    t.at = t.intervalNs > 0 ? t.at + t.intervalNs : null;
    sendSignal(p.task, i === 0 ? SIGVTALRM : SIGPROF, SI_KERNEL);
  });
}

interface ItimerVal {
  value: number;
  interval: number;
}

/** itimer_get_remtime: 0 when the hrtimer is idle; at least 1 µs while it is queued. */
function realRemaining(p: LinuxProcess): number {
  if (p.clock.alarmAt === null) return 0;
  const rem = p.clock.alarmAt - nowNs(p);
  return rem <= 0 ? 1000 : rem;
}

function doGetitimer(p: LinuxProcess, which: number): ItimerVal | null {
  if (which === ITIMER_REAL) return { value: realRemaining(p), interval: p.clock.realIntervalNs ?? 0 };
  if (which !== ITIMER_VIRTUAL && which !== ITIMER_PROF) return null;
  const t = cpuTimers(p)[which - 1]!;
  const cpu = cpuNs(p);
  const value = t.at === null ? 0 : t.at < cpu ? TICK_NSEC : t.at - cpu; // get_cpu_itimer
  return { value, interval: t.intervalNs };
}

/** do_setitimer: the old setting, or null for an unknown timer (EINVAL). */
function doSetitimer(p: LinuxProcess, which: number, v: ItimerVal): ItimerVal | null {
  const c = p.clock;
  const old = doGetitimer(p, which);
  if (old === null) return null;
  if (which === ITIMER_REAL) {
    c.realFiredAt = null; // hrtimer_try_to_cancel
    c.alarmAt = v.value !== 0 ? nowNs(p) + v.value : null;
    c.realIntervalNs = v.value !== 0 ? v.interval : 0;
    return old;
  }
  // set_cpu_itimer: the old expiry made relative (TICK_NSEC when about to fire), the new one absolute plus a tick.
  const t = cpuTimers(p)[which - 1]!;
  const cpu = cpuNs(p);
  const oldValue = t.at === null ? 0 : t.at <= cpu ? TICK_NSEC : t.at - cpu;
  t.at = v.value > 0 ? cpu + v.value + TICK_NSEC : null;
  const oldInterval = t.intervalNs;
  t.intervalNs = v.interval;
  return { value: oldValue, interval: oldInterval };
}

/** struct __kernel_old_itimerval: two struct timeval (interval first), µs truncated from ns (put_itimerval). */
function itimerval(v: ItimerVal): Uint8Array {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  [v.interval, v.value].forEach((ns, i) => {
    dv.setBigInt64(i * 16, BigInt(Math.floor(ns / NS)), true);
    dv.setBigInt64(i * 16 + 8, BigInt(Math.floor((ns % NS) / 1000)), true);
  });
  return b;
}

/** get_itimerval: EFAULT, or EINVAL when a timeval is invalid (timeval_valid), else the ns values. */
function readItimerval(p: LinuxProcess, address: number): ItimerVal | number {
  const b = copyFromUser(p.rt, address, 32);
  if (b === null) return -EFAULT;
  const dv = new DataView(b.buffer, b.byteOffset, 32);
  const ns: number[] = [];
  for (const off of [0, 16]) {
    const sec = dv.getBigInt64(off, true);
    const usec = dv.getBigInt64(off + 8, true);
    if (sec < 0n || usec < 0n || usec >= 1_000_000n) return -EINVAL;
    ns.push(Number(sec) * NS + Number(usec) * 1000);
  }
  return { interval: ns[0]!, value: ns[1]! };
}

/** getitimer(which, value) */
export function sysGetitimer(p: LinuxProcess, regs: PtRegs): number {
  const v = doGetitimer(p, argInt(regs, 0));
  if (v === null) return -EINVAL;
  return copyToUser(p.rt, arg(regs, 1), itimerval(v)) ? 0 : -EFAULT;
}

/** setitimer(which, value, ovalue): the new value is read and checked first; a NULL value disarms (the kernel warns once). */
export function sysSetitimer(p: LinuxProcess, regs: PtRegs): number {
  const at = arg(regs, 1);
  const v = at === 0 ? { value: 0, interval: 0 } : readItimerval(p, at);
  if (typeof v === 'number') return v;
  const old = doSetitimer(p, argInt(regs, 0), v);
  if (old === null) return -EINVAL;
  const oat = arg(regs, 2);
  return oat === 0 || copyToUser(p.rt, oat, itimerval(old)) ? 0 : -EFAULT;
}

/** alarm(seconds) = alarm_setitimer: ITIMER_REAL one-shot; the old value in seconds, rounded up from a half and never 0 while pending. */
export function sysAlarm(p: LinuxProcess, regs: PtRegs): number {
  const seconds = Number(BigInt.asUintN(32, regs.get('di')));
  const old = doSetitimer(p, ITIMER_REAL, { value: seconds * NS, interval: 0 })!;
  let sec = Math.floor(old.value / NS);
  const nsec = old.value % NS;
  if ((sec === 0 && nsec !== 0) || nsec >= NS / 2) sec++;
  return sec;
}
