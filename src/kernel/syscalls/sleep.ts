/**
 * Interruptible sleep on the virtual clock, and struct timespec in and out
 * of user memory: what nanosleep, clock_nanosleep, pause and futex share.
 * @kernel kernel/time/hrtimer.c do_nanosleep (the sleep loop), kernel/time/time.c get_timespec64, put_timespec64
 */
import { signalsDeliverable } from '../arch/x86/signal.js';
import { copyFromUser } from '../arch/x86/uaccess.js';
import type { MaySleep } from '../generic/index.js';
import type { LinuxProcess } from './process.js';
import { NS, checkTimers, nowNs } from './timers.js';

export function timespec(ns: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(ns / NS)), true);
  dv.setBigInt64(8, BigInt(Math.floor(ns % NS)), true);
  return b;
}

/** get_timespec64 + timespec64_valid: ns, null on a fault, 'invalid' for a negative second or tv_nsec outside [0, 1e9). */
export function readTimespec(p: LinuxProcess, address: number): number | null | 'invalid' {
  const b = copyFromUser(p.rt, address, 16);
  if (b === null) return null;
  const dv = new DataView(b.buffer, b.byteOffset);
  const sec = dv.getBigInt64(0, true);
  const nsec = dv.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= BigInt(NS)) return 'invalid';
  return Number(sec) * NS + Number(nsec);
}

/** signal_pending(current), as recalc_sigpending would leave TIF_SIGPENDING. */
function signalPending(p: LinuxProcess): boolean {
  return signalsDeliverable(p.task);
}

/**
 * An interruptible sleep (TASK_INTERRUPTIBLE + schedule) until the virtual
 * clock reaches `until` (null: no end) or a signal can be taken. Only
 * ITIMER_REAL runs while the process sleeps (CPU time stands still), so the
 * clock jumps from one of its expiries to the next. With no end and no
 * timer, the task sleeps for good (nothing else can wake it yet).
 */
export function* sleepInterruptible(p: LinuxProcess, until: number | null): MaySleep<'timeout' | 'signal'> {
  for (;;) {
    if (signalPending(p)) return 'signal';
    const now = nowNs(p);
    if (until !== null && now >= until) return 'timeout';
    const next = p.clock.alarmAt;
    if (next === null || (until !== null && next > until)) {
      if (until === null) {
        yield* p.sleepForever();
        return 'signal';
      }
      p.clock.sleptNs += until - now;
      return 'timeout';
    }
    p.clock.sleptNs += Math.max(0, next - now);
    checkTimers(p); // fires (or disarms) ITIMER_REAL: the loop cannot spin
  }
}
