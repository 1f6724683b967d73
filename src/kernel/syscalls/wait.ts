/**
 * wait4 and waitid: a child that has died is reported (and reaped, unless
 * WNOWAIT) with its status as Linux encodes it; with none ready the caller
 * sleeps until a child's death or a signal wakes it (WNOHANG: 0 at once).
 * A traced child stopped for its tracer (ptrace/stops.ts) is reported to
 * it, WUNTRACED or not; job-control stops (signal.ts do_signal_stop) with
 * WUNTRACED/WSTOPPED, continues with WCONTINUED.
 *
 * Process groups are not modelled: every process is in one group, so
 * pid 0 and pid < -1 (wait4) and P_PGID (waitid) mean "any child".
 *
 * @kernel kernel/exit.c kernel_wait4, sys_waitid, kernel_waitid, do_wait, wait_task_zombie, wait_task_stopped, eligible_pid
 */
import { EBADF, ECHILD, EFAULT, EINVAL, ERESTARTSYS, ESRCH } from '../../abi/errno.js';
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_TRAPPED, SIGCHLD, SIGCONT } from '../../abi/signal-numbers.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { signalsDeliverable } from '../arch/x86/signal.js';
import { copyToUser } from '../arch/x86/uaccess.js';
import type { MaySleep } from '../generic/index.js';
import { arg, argInt } from './args.js';
import type { LinuxProcess } from './process.js';

export const WNOHANG = 1;
export const WUNTRACED = 2;
export const WSTOPPED = 2;
export const WEXITED = 4;
export const WCONTINUED = 8;
export const WNOWAIT = 0x0100_0000;
const __WNOTHREAD = 0x2000_0000;
const __WALL = 0x4000_0000;
const __WCLONE = 0x8000_0000;
/** sizeof(struct rusage): the model keeps no resource usage, so a zeroed one. */
const RUSAGE_SIZE = 144;
const P_ALL = 0;
const P_PID = 1;
const P_PGID = 2;
const P_PIDFD = 3;

/** What a child has to report. */
export interface ChildReport {
  readonly child: LinuxProcess;
  /** The wait4 status word. */
  readonly status: number;
  /** waitid's si_code and si_status. */
  readonly code: number;
  readonly siStatus: number;
  /** What is reported: a death (reaped unless WNOWAIT), a ptrace stop, a job-control stop or continue (consumed unless WNOWAIT). */
  readonly kind: 'dead' | 'ptrace' | 'stop' | 'continue';
}

/** A child's stop that its tracer (or, with WUNTRACED, its parent) may collect; set by ptrace.ts. */
export interface StopReport {
  /** The wait status: (sig << 8) | 0x7f, with a ptrace event in bits 16..23. */
  readonly status: number;
  readonly signal: number;
  /** Only the tracer collects a ptrace stop. */
  readonly tracer: LinuxProcess;
}

/** Stops waiting to be collected, by the stopped process (ptrace.ts fills it, wait consumes it). */
export const pendingStops = new WeakMap<LinuxProcess, StopReport>();
/** The processes traced by each tracer (ptrace.ts), which wait also reports. */
export const tracees = new WeakMap<LinuxProcess, Set<LinuxProcess>>();
/** Each traced process's tracer (ptrace.ts keeps it with `tracees`). */
export const tracerOf = new WeakMap<LinuxProcess, LinuxProcess>();

function report(child: LinuxProcess, options: number, waiter: LinuxProcess): ChildReport | null {
  const t = child.task;
  const tracer = tracerOf.get(child);
  if (t.state === 'dead') {
    // A traced child's death goes to its tracer first (the parent hears of it once the tracer has collected it).
    if ((options & WEXITED) === 0 || (tracer !== undefined && tracer !== waiter)) return null;
    const e = t.exit!;
    if (e.kind === 'exited') return { child, status: (e.code & 0xff) << 8, code: CLD_EXITED, siStatus: e.code & 0xff, kind: 'dead' };
    return {
      child, status: (e.signal & 0x7f) | (e.coreDumped ? 0x80 : 0), code: e.coreDumped ? CLD_DUMPED : CLD_KILLED, siStatus: e.signal, kind: 'dead',
    };
  }
  // wait_task_stopped: a tracer collects its tracee's ptrace stops whatever the options.
  const stop = pendingStops.get(child);
  if (stop && stop.tracer === waiter) return { child, status: stop.status, code: CLD_TRAPPED, siStatus: stop.signal, kind: 'ptrace' };
  if ((options & WSTOPPED) !== 0 && t.stopReport) {
    return { child, status: (t.stopReport << 8) | 0x7f, code: CLD_STOPPED, siStatus: t.stopReport, kind: 'stop' };
  }
  // wait_task_continued
  if ((options & WCONTINUED) !== 0 && t.continueReport) return { child, status: 0xffff, code: CLD_CONTINUED, siStatus: SIGCONT, kind: 'continue' };
  return null;
}

/**
 * do_wait: the first eligible child (own children and tracees) with
 * something to report, 0 when there are eligible ones but none is ready
 * (WNOHANG), -ECHILD when there are none; sleeps otherwise.
 */
function* doWait(p: LinuxProcess, eligible: (c: LinuxProcess) => boolean, options: number): MaySleep<ChildReport | number> {
  for (;;) {
    const candidates = [...p.children, ...(tracees.get(p) ?? [])].filter((c) => !c.reaped && eligible(c));
    // __WCLONE picks children whose exit signal is not SIGCHLD, by default only those that send SIGCHLD; __WALL both.
    const kind = candidates.filter((c) => (options & __WALL) !== 0 || ((options & __WCLONE) !== 0) === (c.exitSignal !== SIGCHLD));
    if (kind.length === 0) return -ECHILD;
    for (const c of kind) {
      const r = report(c, options, p);
      if (!r) continue;
      if ((options & WNOWAIT) === 0) {
        if (r.kind === 'dead' && tracerOf.get(c) === p && c.parent !== p) {
          // A tracer collecting a tracee that is not its child lets it go to its parent (__ptrace_detach).
          tracees.get(p)?.delete(c);
          tracerOf.delete(c);
          p.world.notifyParent(c);
        } else if (r.kind === 'dead') p.world.reap(c);
        else if (r.kind === 'ptrace') pendingStops.delete(c);
        else if (r.kind === 'stop') c.task.stopReport = 0;
        else c.task.continueReport = false;
      }
      return r;
    }
    if ((options & WNOHANG) !== 0) return 0;
    if (signalsDeliverable(p.task)) return -ERESTARTSYS;
    yield* p.sleepForever();
  }
}

/** wait4(pid, wstatus, options, rusage). */
export function* sysWait4(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const pid = argInt(regs, 0);
  const statusAddr = arg(regs, 1);
  const options = argInt(regs, 2) >>> 0;
  const rusage = arg(regs, 3);
  if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) !== 0) return -EINVAL;
  // INT_MIN has no process group to negate into: -ESRCH in the kernel.
  if (pid === -0x8000_0000) return -ESRCH;
  const r = yield* doWait(p, (c) => pid <= 0 || c.pid === pid, options | WEXITED);
  if (typeof r === 'number') return r;
  const word = new Uint8Array(4);
  new DataView(word.buffer).setInt32(0, r.status, true);
  if (statusAddr !== 0 && !copyToUser(p.rt, statusAddr, word)) return -EFAULT;
  if (rusage !== 0 && !copyToUser(p.rt, rusage, new Uint8Array(RUSAGE_SIZE))) return -EFAULT;
  return r.child.pid;
}

/**
 * waitid(idtype, id, infop, options, rusage): 0 with the child's report,
 * or an error. Whatever kernel_waitid said (an error too, or nothing ready
 * under WNOHANG), sys_waitid then writes the six fields it always writes —
 * si_signo (SIGCHLD or 0), si_errno, si_code, si_pid, si_uid, si_status —
 * and no other byte of *infop; an unwritable infop makes the call -EFAULT.
 * The rusage is written only with a report.
 */
export function* sysWaitid(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const infop = arg(regs, 2);
  const rusage = arg(regs, 4);
  const r = yield* kernelWaitid(p, argInt(regs, 0), argInt(regs, 1), argInt(regs, 3) >>> 0);
  const got = typeof r !== 'number';
  if (got && rusage !== 0 && !copyToUser(p.rt, rusage, new Uint8Array(RUSAGE_SIZE))) return -EFAULT;
  if (infop === 0) return got ? 0 : r;
  // si_signo, si_errno, si_code at 0, 4, 8; then _sigchld's si_pid, si_uid, si_status at 16, 20, 24 (uid 0: kentry runs all as root).
  const fields: readonly [number, number][] = [
    [0, got ? SIGCHLD : 0], [4, 0], [8, got ? r.code : 0], [16, got ? r.child.pid : 0], [20, 0], [24, got ? r.siStatus : 0],
  ];
  for (const [at, v] of fields) {
    const word = new Uint8Array(4);
    new DataView(word.buffer).setInt32(0, v, true);
    if (!copyToUser(p.rt, infop + at, word)) return -EFAULT;
  }
  return got ? 0 : r;
}

/**
 * kernel_waitid: the idtype and options checked, then do_wait. P_PGID is
 * any child (one process group); P_PIDFD can name nothing — kentry has no
 * pidfds, so every descriptor is -EBADF (pidfd_get_pid).
 */
function* kernelWaitid(p: LinuxProcess, which: number, id: number, options: number): MaySleep<ChildReport | number> {
  if ((options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) !== 0) return -EINVAL;
  if ((options & (WEXITED | WSTOPPED | WCONTINUED)) === 0) return -EINVAL;
  let eligible: (c: LinuxProcess) => boolean;
  if (which === P_ALL) eligible = () => true;
  else if (which === P_PID) {
    if (id <= 0) return -EINVAL;
    eligible = (c) => c.pid === id;
  } else if (which === P_PGID) {
    if (id < 0) return -EINVAL;
    eligible = () => true;
  } else if (which === P_PIDFD) {
    return id < 0 ? -EINVAL : -EBADF;
  } else return -EINVAL;
  return yield* doWait(p, eligible, options);
}
