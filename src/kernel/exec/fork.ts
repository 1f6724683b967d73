/**
 * kernel_clone → copy_process for a process without threads: a new task
 * whose registers are the parent's (its fork returns 0), a copy of the
 * address space shared copy-on-write (or the parent's own, for vfork's
 * CLONE_VM), the open files, signal dispositions and blocked mask; the
 * child runs when the scheduler picks it, and a vfork parent sleeps until
 * the child execs or exits.
 *
 * Not modelled (the call fails with -ENOSYS, said in the README): threads —
 * CLONE_THREAD, CLONE_SIGHAND, or CLONE_VM without CLONE_VFORK — and
 * namespaces, pidfds, cgroups (-EINVAL).
 *
 * @kernel kernel/fork.c kernel_clone, copy_process, copy_mm, copy_files, copy_sighand, wait_for_vfork_done
 * @kernel kernel/signal.c flush_signal_handlers (CLONE_CLEAR_SIGHAND)
 */
import { EAGAIN, EINVAL, ENOSYS } from '../../abi/errno.js';
import { ldtDupContext } from '../arch/x86/ldt.js';
import { copyThreadUser, newTask, taskSlotsLeft } from '../arch/x86/process.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { fpuSave } from '../arch/x86/fpu-switch.js';
import { copyToUser } from '../arch/x86/uaccess.js';
import type { Kernel } from '../boot.js';
import type { MaySleep } from '../generic/index.js';
import type { CloneArgs, LinuxProcess } from '../syscalls/process.js';
import { addProcess, type WorldState } from './world-state.js';
import {
  PTRACE_EVENT_CLONE, PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK, PTRACE_EVENT_VFORK_DONE, ptraceEvent, ptraceEventEnabled, ptraceInheritTracer,
} from '../ptrace/stops.js';
import { SIGCHLD } from '../../abi/signal-numbers.js';
import {
  CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_CLEAR_SIGHAND, CLONE_DETACHED, CLONE_FILES, CLONE_FS, CLONE_PARENT,
  CLONE_PARENT_SETTID, CLONE_PTRACE, CLONE_SETTLS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_UNTRACED, CLONE_VFORK, CLONE_VM,
} from '../../abi/clone.js';

const SIG_DFL = 0n;
const SIG_IGN = 1n;

/** The flags kentry models (besides CSIGNAL); anything else asks for namespaces, pidfds, cgroups or threads. */
const MODELLED = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_VFORK | CLONE_PARENT | CLONE_SYSVSEM | CLONE_SETTLS |
  CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_PTRACE |
  CLONE_CLEAR_SIGHAND;

const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

export function* copyProcess(
  k: Kernel, world: WorldState, parent: LinuxProcess, regs: PtRegs, args: CloneArgs,
): MaySleep<number> {
  const f = args.flags;
  // copy_process's consistency checks.
  if ((f & CLONE_THREAD) !== 0n && (f & CLONE_SIGHAND) === 0n) return -EINVAL;
  if ((f & CLONE_SIGHAND) !== 0n && (f & CLONE_VM) === 0n) return -EINVAL;
  if ((f & (CLONE_THREAD | CLONE_SIGHAND)) !== 0n) return -ENOSYS;
  if ((f & CLONE_VM) !== 0n && (f & CLONE_VFORK) === 0n) return -ENOSYS;
  // The exit signal is not checked here: clone3 checked its own, and clone's low byte may be any (never sent if invalid).
  if ((f & ~MODELLED) !== 0n) return -EINVAL;

  const platform = k.platform;
  // copy_process's -EAGAIN (RLIMIT_NPROC, pid_max): here, when every task slot is taken.
  if (taskSlotsLeft(platform) === 0) return -EAGAIN;
  const pid = k.allocPid();
  const task = newTask(platform, pid, parent.task.name, 'user');
  const mm = (f & CLONE_VM) !== 0n ? parent.mm : parent.mm.dup();
  if (mm !== parent.mm) ldtDupContext(parent.mm, mm);
  task.userMm = mm;
  copySignals(parent, task, (f & CLONE_CLEAR_SIGHAND) !== 0n);
  copyThreadUser(platform, regs.address, task, { stack: args.stack, tls: (f & CLONE_SETTLS) !== 0n ? args.tls : null });
  task.fpu = fpuSave(platform.cpu); // fpu_clone: the parent's registers, PKRU among them
  const realParent = (f & CLONE_PARENT) !== 0n && parent.parent ? parent.parent : parent;
  const child: LinuxProcess = {
    ...parent,
    pid, task, mm,
    files: (f & CLONE_FILES) !== 0n ? parent.files : dupFd(parent.files),
    clearChildTid: (f & CLONE_CHILD_CLEARTID) !== 0n ? args.childTid : 0,
    robustList: null,
    clock: { sleptNs: parent.clock.sleptNs, alarmAt: null }, // timers are not inherited (fork(2))
    ...(parent.rlimits ? { rlimits: new Map(parent.rlimits) } : {}),
    restartBlock: null,
    parent: realParent,
    children: [],
    exitSignal: (f & CLONE_PARENT) !== 0n ? parent.exitSignal : args.exitSignal,
    vforkParent: (f & CLONE_VFORK) !== 0n ? parent : null,
    reaped: false,
  };
  // kernel_clone: put_user(nr, args->parent_tid), its result ignored — a bad address still gets a child.
  if ((f & CLONE_PARENT_SETTID) !== 0n) copyToUser(parent.rt, args.parentTid, u32(pid));
  if ((f & CLONE_CHILD_SETTID) !== 0n) mm.accessForce(args.childTid, 4, u32(pid)); // schedule_tail's put_user, in the child's mm
  realParent.children.push(child);
  addProcess(world, child);
  // kernel_clone: which ptrace event this is, if the tracer asked for it — then the child is born traced.
  const event = (f & CLONE_VFORK) !== 0n ? PTRACE_EVENT_VFORK : args.exitSignal !== SIGCHLD ? PTRACE_EVENT_CLONE : PTRACE_EVENT_FORK;
  const traced = ptraceEventEnabled(parent, event);
  if (traced) ptraceInheritTracer(parent, child);
  k.sched.add(task);
  if (traced) yield* ptraceEvent(k, parent, event, BigInt(pid));
  // wait_for_vfork_done: the parent sleeps until the child execs or exits (killable; kentry sends no SIGKILL to it there).
  while (child.vforkParent === parent) yield* k.sched.sleepTicks(Infinity);
  if ((f & CLONE_VFORK) !== 0n && ptraceEventEnabled(parent, PTRACE_EVENT_VFORK_DONE)) {
    yield* ptraceEvent(k, parent, PTRACE_EVENT_VFORK_DONE, BigInt(pid));
  }
  return pid;
}

/** dup_fd: the same open files under the same numbers, each with one more reference. */
function dupFd(files: LinuxProcess['files']): LinuxProcess['files'] {
  for (const f of files.values()) if (f.kind === 'ops') f.refs++;
  return new Map(files);
}

/**
 * copy_sighand / copy_signal: the child's dispositions and blocked mask
 * are the parent's; nothing is pending. CLONE_CLEAR_SIGHAND then resets
 * the handlers as exec does (flush_signal_handlers(p, 0)).
 */
function copySignals(parent: LinuxProcess, task: LinuxProcess['task'], clearHandlers: boolean): void {
  const from = parent.task.signals;
  from.actions.forEach((a, i) => Object.assign(task.signals.actions[i]!, a));
  if (clearHandlers) {
    for (const act of task.signals.actions) {
      if (act.handler !== SIG_IGN) act.handler = SIG_DFL;
      Object.assign(act, { flags: 0n, restorer: 0n, mask: 0n });
    }
  }
  task.signals.blocked = from.blocked;
  Object.assign(task.signals.altstack, from.altstack);
}

