/**
 * Interrupted sleeps return the kernel's restart codes and leave the
 * restart block restart_syscall resumes (kernel/time/hrtimer.c
 * do_nanosleep/hrtimer_nanosleep, kernel/futex/waitwake.c futex_wait,
 * kernel/signal.c sys_pause). A signal handler is what a guest program
 * would need to see these, so the calls run here directly, with SIGALRM
 * from ITIMER_REAL as the interrupting signal; "dequeuing" it is taking it
 * off the task's queue, as the signal code does.
 */
import { describe, expect, it } from 'vitest';
import { EAGAIN, EINTR, ERESTARTNOHAND, ERESTARTSYS, ERESTART_RESTARTBLOCK } from '../../../src/abi/errno.js';
import { SIGALRM } from '../../../src/abi/signal-numbers.js';
import { complete } from '../../../src/kernel/generic/index.js';
import { sysFutex } from '../../../src/kernel/syscalls/futex.js';
import { sysClockNanosleep, sysNanosleep, sysPause, sysRestartSyscall } from '../../../src/kernel/syscalls/time.js';
import { checkTimers, nowNs, sysAlarm, sysGetitimer, sysSetitimer } from '../../../src/kernel/syscalls/timers.js';
import { USER_PAGE, argRegs, testProcess, type TestProcess } from './harness.js';

const MS = 1_000_000;
const ETIMEDOUT = 110;
const REQ = USER_PAGE;
const REM = USER_PAGE + 0x100;
const ITV = USER_PAGE + 0x200;
const WORD = USER_PAGE + 0x300;

function timespecAt(t: TestProcess, a: number, ns: number): void {
  t.writeU64(a, BigInt(Math.floor(ns / 1e9)));
  t.writeU64(a + 8, BigInt(ns % 1e9));
}

function remAt(t: TestProcess, a: number): number {
  return Number(t.readU64(a)) * 1e9 + Number(t.readU64(a + 8));
}

/** setitimer(ITIMER_REAL, {interval, value}) in ns (multiples of 1 µs). */
function realTimer(t: TestProcess, valueNs: number, intervalNs = 0): void {
  t.writeU64(ITV, BigInt(Math.floor(intervalNs / 1e9)));
  t.writeU64(ITV + 8, BigInt((intervalNs % 1e9) / 1000));
  t.writeU64(ITV + 16, BigInt(Math.floor(valueNs / 1e9)));
  t.writeU64(ITV + 24, BigInt((valueNs % 1e9) / 1000));
  expect(sysSetitimer(t.p, argRegs(0, ITV, 0))).toBe(0);
}

const sigalrmPending = (t: TestProcess): boolean => t.p.task.pendingSignals.some((s) => s.sig === SIGALRM);
function dequeue(t: TestProcess): void {
  t.p.task.pendingSignals.length = 0;
}

describe('nanosleep and restart_syscall', () => {
  it('an uninterrupted sleep moves the clock by the request and returns 0', () => {
    const t = testProcess();
    timespecAt(t, REQ, 30 * MS);
    expect(complete(sysNanosleep(t.p, argRegs(REQ, REM)))).toBe(0);
    expect(nowNs(t.p)).toBe(30 * MS);
    expect(t.p.restartBlock ?? null).toBeNull();
  });

  it('interrupted by SIGALRM: -ERESTART_RESTARTBLOCK, the rest in rem, and restart_syscall sleeps to the same expiry', () => {
    const t = testProcess();
    t.run(1000);
    realTimer(t, 10 * MS);
    timespecAt(t, REQ, 30 * MS);
    expect(complete(sysNanosleep(t.p, argRegs(REQ, REM)))).toBe(-ERESTART_RESTARTBLOCK);
    expect(nowNs(t.p)).toBe(1000 + 10 * MS);
    expect(sigalrmPending(t)).toBe(true);
    expect(remAt(t, REM)).toBe(20 * MS);
    expect(t.p.restartBlock).toEqual({ kind: 'nanosleep', expires: 1000 + 30 * MS, rmtp: REM });
    dequeue(t);
    t.run(5 * MS); // the way back to user mode and into restart_syscall took some time
    expect(complete(sysRestartSyscall(t.p))).toBe(0);
    expect(nowNs(t.p)).toBe(1000 + 30 * MS);
  });

  it('a restarted sleep interrupted again writes rem again and keeps its restart block', () => {
    const t = testProcess();
    realTimer(t, 10 * MS, 10 * MS);
    timespecAt(t, REQ, 35 * MS);
    expect(complete(sysNanosleep(t.p, argRegs(REQ, REM)))).toBe(-ERESTART_RESTARTBLOCK);
    dequeue(t);
    checkTimers(t.p); // the dequeue re-arms the periodic ITIMER_REAL
    expect(t.p.clock.alarmAt).toBe(20 * MS);
    expect(complete(sysRestartSyscall(t.p))).toBe(-ERESTART_RESTARTBLOCK);
    expect(remAt(t, REM)).toBe(15 * MS);
    expect(t.p.restartBlock).toMatchObject({ kind: 'nanosleep', expires: 35 * MS });
  });

  it('without rem the interrupted sleep still returns -ERESTART_RESTARTBLOCK', () => {
    const t = testProcess();
    realTimer(t, 1 * MS);
    timespecAt(t, REQ, 2 * MS);
    expect(complete(sysNanosleep(t.p, argRegs(REQ, 0)))).toBe(-ERESTART_RESTARTBLOCK);
  });

  it('restart_syscall with nothing stored is do_no_restart_syscall: -EINTR', () => {
    const t = testProcess();
    expect(complete(sysRestartSyscall(t.p))).toBe(-EINTR);
    t.p.restartBlock = null; // what rt_sigreturn leaves
    expect(complete(sysRestartSyscall(t.p))).toBe(-EINTR);
  });

  it('a blocked SIGALRM does not interrupt the sleep', () => {
    const t = testProcess();
    t.p.task.signals.blocked = 1n << BigInt(SIGALRM - 1);
    realTimer(t, 1 * MS, 1 * MS);
    timespecAt(t, REQ, 10 * MS);
    expect(complete(sysNanosleep(t.p, argRegs(REQ, REM)))).toBe(0);
    expect(nowNs(t.p)).toBe(10 * MS);
    expect(sigalrmPending(t)).toBe(true);
  });
});

describe('clock_nanosleep and pause', () => {
  it('TIMER_ABSTIME interrupted: -ERESTARTNOHAND, no restart block, rem untouched', () => {
    const t = testProcess();
    realTimer(t, 5 * MS);
    timespecAt(t, REQ, 20 * MS);
    t.writeU64(REM, 77n);
    expect(complete(sysClockNanosleep(t.p, argRegs(1, 1, REQ, REM)))).toBe(-ERESTARTNOHAND);
    expect(t.p.restartBlock ?? null).toBeNull();
    expect(t.readU64(REM)).toBe(77n);
  });

  it('relative and interrupted: -ERESTART_RESTARTBLOCK with rem', () => {
    const t = testProcess();
    realTimer(t, 5 * MS);
    timespecAt(t, REQ, 20 * MS);
    expect(complete(sysClockNanosleep(t.p, argRegs(0, 0, REQ, REM)))).toBe(-ERESTART_RESTARTBLOCK);
    expect(remAt(t, REM)).toBe(15 * MS);
  });

  it('pause: the alarm ends it with -ERESTARTNOHAND; with no timer it sleeps for good', () => {
    const t = testProcess();
    expect(sysAlarm(t.p, argRegs(2))).toBe(0);
    expect(complete(sysPause(t.p))).toBe(-ERESTARTNOHAND);
    expect(nowNs(t.p)).toBe(2e9);
    expect(t.slept.forever).toBe(false);
    const u = testProcess();
    complete(sysPause(u.p));
    expect(u.slept.forever).toBe(true);
  });
});

describe('futex waits', () => {
  it('no timeout, interrupted: -ERESTARTSYS; with a timeout: -ERESTART_RESTARTBLOCK and futex_wait_restart', () => {
    const t = testProcess();
    t.writeU64(WORD, 7n);
    realTimer(t, 3 * MS);
    expect(complete(sysFutex(t.p, argRegs(WORD, 128, 7, 0, 0, 0)))).toBe(-ERESTARTSYS);
    dequeue(t);
    realTimer(t, 3 * MS);
    timespecAt(t, REQ, 10 * MS);
    const start = nowNs(t.p);
    expect(complete(sysFutex(t.p, argRegs(WORD, 128, 7, REQ, 0, 0)))).toBe(-ERESTART_RESTARTBLOCK);
    expect(t.p.restartBlock).toMatchObject({ kind: 'futex', uaddr: WORD, val: 7, expires: start + 10 * MS });
    dequeue(t);
    expect(complete(sysRestartSyscall(t.p))).toBe(-ETIMEDOUT); // the same absolute timeout
    expect(nowNs(t.p)).toBe(start + 10 * MS);
    expect(t.p.restartBlock ?? null).toBeNull();
  });

  it('the restarted wait compares the value again', () => {
    const t = testProcess();
    t.writeU64(WORD, 7n);
    realTimer(t, 1 * MS);
    timespecAt(t, REQ, 10 * MS);
    expect(complete(sysFutex(t.p, argRegs(WORD, 128, 7, REQ, 0, 0)))).toBe(-ERESTART_RESTARTBLOCK);
    dequeue(t);
    t.writeU64(WORD, 8n);
    expect(complete(sysRestartSyscall(t.p))).toBe(-EAGAIN);
  });

  it('no timeout and no timer: sleeps like pause', () => {
    const t = testProcess();
    t.writeU64(WORD, 7n);
    complete(sysFutex(t.p, argRegs(WORD, 0, 7, 0, 0, 0)));
    expect(t.slept.forever).toBe(true);
  });
});

describe('interval timers', () => {
  it('ITIMER_REAL re-arms by whole intervals once its SIGALRM is dequeued; alarm() shares it', () => {
    const t = testProcess();
    realTimer(t, 10 * MS, 4 * MS);
    t.run(10 * MS);
    checkTimers(t.p);
    expect(sigalrmPending(t)).toBe(true);
    expect(t.p.clock.alarmAt).toBeNull(); // idle until dequeued
    t.run(9 * MS);
    dequeue(t);
    checkTimers(t.p);
    expect(t.p.clock.alarmAt).toBe(22 * MS); // hrtimer_forward past now (19 ms)
    expect(sysAlarm(t.p, argRegs(0))).toBe(1); // 3 ms left: never 0 while pending
    expect(sysGetitimer(t.p, argRegs(0, ITV))).toBe(0);
    expect([t.readU64(ITV), t.readU64(ITV + 8), t.readU64(ITV + 16), t.readU64(ITV + 24)]).toEqual([0n, 0n, 0n, 0n]);
  });
});
