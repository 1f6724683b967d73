/**
 * futex(2) for a single-threaded process: nobody else can wake a waiter,
 * so FUTEX_WAIT sleeps until its timeout or a signal, and FUTEX_WAKE finds
 * no one (0). The checks and results follow the kernel: a misaligned
 * address is EINVAL, an unreadable word EFAULT, a value that differs
 * EAGAIN (EWOULDBLOCK), a timeout ETIMEDOUT, a signal ERESTARTSYS (no
 * timeout) or ERESTART_RESTARTBLOCK with a restart block (with one).
 * Other commands (requeue, wake-op, PI, FUTEX_FD) are -ENOSYS here.
 * @kernel kernel/futex/syscalls.c sys_futex, do_futex, futex_init_timeout; kernel/futex/waitwake.c futex_wait,
 *         __futex_wait, futex_wait_setup, futex_wake, futex_wait_restart; kernel/futex/core.c get_futex_key
 */
import { EAGAIN, EFAULT, EINVAL, ENOSYS, ERESTARTSYS, ERESTART_RESTARTBLOCK } from '../../abi/errno.js';
import { TASK_SIZE_MAX } from '../arch/x86/memory-map.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { copyFromUser } from '../arch/x86/uaccess.js';
import type { MaySleep } from '../generic/index.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../mm.js';
import { arg, argInt, argU64 } from './args.js';
import type { LinuxProcess, RestartBlock } from './process.js';
import { readTimespec, sleepInterruptible } from './sleep.js';
import { nowNs } from './timers.js';

const ETIMEDOUT = 110;
const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_WAIT_REQUEUE_PI = 11;
const FUTEX_LOCK_PI = 6;
const FUTEX_LOCK_PI2 = 13;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;
const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
const FUTEX_BITSET_MATCH_ANY = 0xffff_ffff;

/** futex_cmd_has_timeout */
function hasTimeout(cmd: number): boolean {
  return cmd === FUTEX_WAIT || cmd === FUTEX_WAIT_BITSET || cmd === FUTEX_LOCK_PI || cmd === FUTEX_LOCK_PI2 || cmd === FUTEX_WAIT_REQUEUE_PI;
}

/**
 * get_futex_key: the word must be 4-byte aligned (EINVAL) and below
 * TASK_SIZE (access_ok: EFAULT). A private futex is keyed by its address
 * alone; a shared one needs the page (get_user_pages_fast: EFAULT when it
 * is not mapped with some access).
 */
function futexKey(p: LinuxProcess, uaddr: number, shared: boolean): number {
  if (uaddr % 4 !== 0) return -EINVAL;
  if (uaddr < 0 || uaddr + 4 > TASK_SIZE_MAX) return -EFAULT;
  if (shared) {
    const v = p.mm.find(uaddr);
    if (!v || (v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) === 0) return -EFAULT;
  }
  return 0;
}

/**
 * futex_wait(uaddr, flags, val, abs_time, bitset) on the absolute expiry
 * `expires` (null: none). futex_wait_setup reads the word (EFAULT) and
 * compares it (EAGAIN); then the task waits for the timeout or a signal.
 */
function* futexWait(p: LinuxProcess, uaddr: number, shared: boolean, val: number, expires: number | null, bitset: number): MaySleep<number> {
  if (bitset === 0) return -EINVAL;
  const key = futexKey(p, uaddr, shared);
  if (key) return key;
  const word = copyFromUser(p.rt, uaddr, 4);
  if (word === null) return -EFAULT;
  if (new DataView(word.buffer, word.byteOffset, 4).getUint32(0, true) !== val) return -EAGAIN;
  if ((yield* sleepInterruptible(p, expires)) === 'timeout') return -ETIMEDOUT;
  if (expires === null) return -ERESTARTSYS;
  p.restartBlock = { kind: 'futex', uaddr, val, expires, bitset, shared };
  return -ERESTART_RESTARTBLOCK; // set_restart_fn(restart, futex_wait_restart)
}

/** futex_wait_restart: the stored wait again, to the same absolute timeout; the block is cleared first. */
export function* futexWaitRestart(p: LinuxProcess, rb: Extract<RestartBlock, { kind: 'futex' }>): MaySleep<number> {
  p.restartBlock = null;
  return yield* futexWait(p, rb.uaddr, rb.shared, rb.val, rb.expires, rb.bitset);
}

/** futex_wake: nobody else can wait here, so nobody is woken (after the key checks). */
function futexWake(p: LinuxProcess, uaddr: number, shared: boolean, bitset: number): number {
  if (bitset === 0) return -EINVAL;
  const key = futexKey(p, uaddr, shared);
  return key || 0;
}

/**
 * futex(uaddr, op, val, utime, uaddr2, val3). The timeout is read first
 * (EFAULT, EINVAL when invalid): relative for FUTEX_WAIT, absolute for
 * FUTEX_WAIT_BITSET (CLOCK_MONOTONIC, or CLOCK_REALTIME with
 * FUTEX_CLOCK_REALTIME — the same virtual clock here). FUTEX_CLOCK_REALTIME
 * on anything but a bitset wait or the PI commands is ENOSYS.
 */
export function* sysFutex(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const uaddr = arg(regs, 0);
  const op = argInt(regs, 1);
  const val = Number(BigInt.asUintN(32, argU64(regs, 2)));
  const utime = arg(regs, 3);
  const val3 = Number(BigInt.asUintN(32, argU64(regs, 5)));
  const cmd = op & FUTEX_CMD_MASK;
  let expires: number | null = null;
  if (utime !== 0 && hasTimeout(cmd)) {
    const ns = readTimespec(p, utime);
    if (ns === null) return -EFAULT;
    if (ns === 'invalid') return -EINVAL;
    expires = cmd === FUTEX_WAIT ? nowNs(p) + ns : ns;
  }
  const shared = (op & FUTEX_PRIVATE_FLAG) === 0;
  if (op & FUTEX_CLOCK_REALTIME && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT_REQUEUE_PI && cmd !== FUTEX_LOCK_PI2) return -ENOSYS;
  switch (cmd) {
    case FUTEX_WAIT:
      return yield* futexWait(p, uaddr, shared, val, expires, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAIT_BITSET:
      return yield* futexWait(p, uaddr, shared, val, expires, val3);
    case FUTEX_WAKE:
      return futexWake(p, uaddr, shared, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET:
      return futexWake(p, uaddr, shared, val3);
    default:
      return -ENOSYS;
  }
}
