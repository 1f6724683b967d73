/**
 * The processes of one kernel: the system-call table each one reaches
 * (dispatched on `current`), and their life cycle — fork (fork.ts), exec
 * (execve.ts), death (exit_notify: the parent told with its exit signal
 * and woken, children handed to the first process) and reaping — plus the
 * hooks the entry and signal paths call for them: ptrace's stops
 * (ptrace/stops.ts) and job control's parent notifications.
 *
 * @kernel kernel/exit.c exit_notify, forget_original_parent, release_task, do_notify_parent
 * @kernel kernel/signal.c do_notify_parent (autoreap when SIGCHLD is ignored or SA_NOCLDWAIT)
 */
import { ENOSYS } from '../../abi/errno.js';
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD, SIGCONT, SIGKILL, SI_KERNEL } from '../../abi/signal-numbers.js';
import { releaseTaskSlot } from '../arch/x86/process.js';
import type { Task } from '../arch/x86/sched.js';
import { sendSignal } from '../arch/x86/signal.js';
import type { SyscallFn } from '../arch/x86/syscall64.js';
import type { Kernel, TraceHooks } from '../boot.js';
import { _TIF_NEED_RESCHED } from '../generic/index.js';
import { flushPtraceHwBreakpoint } from '../arch/x86/ptrace-debugreg.js';
import { PTRACE_O_EXITKILL, links, ptraceEventExec, ptraceEventExit, ptraceSignal, ptraceUnlink, syscallExitWork, syscallTraceEnter } from '../ptrace/stops.js';
import { sysPtrace } from '../ptrace/syscall.js';
import { tracees } from '../syscalls/wait.js';
import type { LinuxProcess } from '../syscalls/process.js';
import { checkAlarm } from '../syscalls/time.js';
import { LOCAL_TIMER_VECTOR } from '../arch/x86/entry/symbols.js';
import { copyProcess } from './fork.js';
import { execProcess } from './execve.js';
import type { WorldState } from './world-state.js';
export { addProcess } from './world-state.js';

/** SA_NOCLDSTOP (include/uapi/asm-generic/signal-defs.h). */
const SA_NOCLDSTOP = 1n;

/** SA_NOCLDWAIT (include/uapi/asm-generic/signal-defs.h). */
const SA_NOCLDWAIT = 2n;
const SIG_IGN = 1n;
/** _NSIG: valid_signal's bound. */
const NSIG = 64;

const worlds = new WeakMap<Kernel, WorldState>();

/** The process world of `k`, made (and wired into the syscall table, the timer and task exit) on first use. */
export function worldOf(k: Kernel): WorldState {
  const existing = worlds.get(k);
  if (existing) return existing;
  const tables = new Map<Task, ReadonlyMap<number, SyscallFn>>();
  const processOf = new Map<Task, LinuxProcess>();
  const world: WorldState = {
    byPid: new Map(),
    tables,
    processOf,
    clone: (parent, regs, args) => copyProcess(k, world, parent, regs, args),
    exec: function* exec(p, regs, path, argv, envp) {
      const r = execProcess(k, world, p, regs, path, argv, envp);
      if (r === 0) {
        flushPtraceHwBreakpoint(p.task);
        yield* ptraceEventExec(k, p);
      }
      return r;
    },
    wake: (task) => {
      if (task.state === 'dead') return;
      // (A signal sent just before may have woken it already: signal_wake_up.)
      task.state = task.state === 'sleeping' ? 'running' : task.state;
      // check_preempt_wakeup: a woken sleeper gets the CPU at the running task's next preemption point.
      if (k.current !== task) k.current.entry.flags.set(_TIF_NEED_RESCHED);
    },
    reap: (child) => reap(k, world, child),
    notifyParent: (child) => notifyParent(k, world, child),
    ptrace: (tracer, request, pid, addr, data) => sysPtrace(k, tracer, request, pid, addr, data),
    wire: () => wire(),
  };
  worlds.set(k, world);
  // The table every process shares, dispatched on current: a task without a process (a bare scenario task) keeps boot's.
  const bootTable = new Map(k.syscalls);
  let wired = false;
  const wire = (): void => {
    if (wired) return;
    wired = true;
    const sample = [...(tables.values().next().value ?? new Map<number, SyscallFn>()).keys()];
    for (const nr of new Set([...sample, ...bootTable.keys()])) {
      k.syscalls.set(nr, (regs) => {
        const p = processOf.get(k.current);
        const fn = (p ? tables.get(p.task)?.get(nr) : undefined) ?? bootTable.get(nr);
        if (!fn) return -ENOSYS;
        freeDeadTasks(k);
        // Every system call first sees whether alarm()'s deadline has passed (so does every timer tick).
        if (p) checkAlarm(p);
        return fn(regs);
      });
    }
    const tick = k.irqHandlers.get(LOCAL_TIMER_VECTOR);
    k.irqHandlers.set(LOCAL_TIMER_VECTOR, (rt, regs, vector) => {
      tick?.(rt, regs, vector);
      freeDeadTasks(k);
      for (const p of world.byPid.values()) if (p.task.state !== 'dead') checkAlarm(p);
    });
    k.exitHooks.push((task) => {
      const p = processOf.get(task);
      if (p) exitNotify(k, world, p);
    });
    // ptrace's stops in the entry and signal paths.
    const processOfTask = (t: Task): LinuxProcess | undefined => processOf.get(t);
    Object.assign(k.traceHooks, {
      syscallTraceEnter: (regs, nr, work) => syscallTraceEnter(k, processOfTask, regs, nr, work),
      syscallExitWork: (_regs, work) => syscallExitWork(k, processOfTask, work),
      signalStop: (t, sig) => ptraceSignal(k, processOfTask, t, sig),
      exitEvent: function* exitEvent(t, e) {
        const p = processOf.get(t);
        if (p) yield* ptraceEventExit(k, p, e.kind === 'exited' ? (e.code & 0xff) << 8 : e.signal & 0x7f);
      },
      jobControl: {
        stopped: (t, sig) => notifyParentCldstop(world, processOf.get(t), CLD_STOPPED, sig),
        continued: (t) => notifyParentCldstop(world, processOf.get(t), CLD_CONTINUED, SIGCONT),
      },
    } satisfies TraceHooks);
  };
  return world;
}

/**
 * do_notify_parent_cldstop: the parent gets SIGCHLD (CLD_STOPPED or
 * CLD_CONTINUED) unless its SIGCHLD action has SA_NOCLDSTOP, and its wait
 * looks again either way.
 */
function notifyParentCldstop(world: WorldState, p: LinuxProcess | undefined, code: number, status: number): void {
  const parent = p?.parent;
  if (!p || !parent) return;
  if ((parent.task.signals.actions[SIGCHLD - 1]!.flags & SA_NOCLDSTOP) === 0n) sendSignal(parent.task, SIGCHLD, code, p.pid, status);
  world.wake(parent.task);
}

/** The status word wait4 reports for a dead task (WEXITSTATUS / WTERMSIG / WCOREDUMP). */
export function exitStatusWord(task: Task): number {
  const e = task.exit;
  if (!e) return 0;
  return e.kind === 'exited' ? (e.code & 0xff) << 8 : (e.signal & 0x7f) | (e.coreDumped ? 0x80 : 0);
}

/** SIGCHLD's si_code and si_status for a dead task. */
export function childExitInfo(task: Task): { code: number; status: number } {
  const e = task.exit;
  if (!e || e.kind === 'exited') return { code: CLD_EXITED, status: e ? e.code & 0xff : 0 };
  return { code: e.coreDumped ? CLD_DUMPED : CLD_KILLED, status: e.signal };
}

/** The mm is dropped when no live process uses it (a vfork child borrows its parent's). */
function releaseMm(k: Kernel, world: WorldState, p: LinuxProcess): void {
  const users = [...world.byPid.values()].filter((q) => q !== p && q.mm === p.mm && q.task.state !== 'dead');
  if (users.length > 0) return;
  // exit_mm: leave the dying mm's tables for init_mm's before they are freed.
  const cpu = k.platform.cpu;
  if (cpu.mmu.cr3 === p.mm.root) cpu.mmu.setCr3(k.platform.space.root);
  p.mm.release();
}

/**
 * exit_notify for a process whose task just died: its mm goes, its
 * children go to the first process (or nobody: they are reaped when they
 * die), a vfork parent wakes, and the parent gets the exit signal and is
 * woken from wait — unless it ignores SIGCHLD (or set SA_NOCLDWAIT), when
 * the child reaps itself.
 */
function exitNotify(k: Kernel, world: WorldState, p: LinuxProcess): void {
  // exit_ptrace: a dying tracer lets its tracees go (PTRACE_O_EXITKILL: kills them); a dying tracee leaves its tracer.
  for (const t of [...(tracees.get(p) ?? [])]) {
    if (((links.get(t)?.options ?? 0) & PTRACE_O_EXITKILL) !== 0) sendSignal(t.task, SIGKILL, SI_KERNEL);
    ptraceUnlink(t, null);
  }
  const tracer = links.get(p)?.tracer;
  // A tracer that is not the parent hears of the death first (do_notify_parent to the tracer); the real
  // parent is told when the tracer has collected it (wait.ts → notifyParent). The tracer's own child just unlinks.
  const tracerFirst = tracer !== undefined && tracer !== p.parent;
  if (!tracerFirst) ptraceUnlink(p, null);
  releaseMm(k, world, p);
  // exit_files: a table no other live process shares is closed, each file's last reference releasing it.
  if (![...world.byPid.values()].some((q) => q !== p && q.files === p.files && q.task.state !== 'dead')) {
    for (const f of p.files.values()) if (f.kind === 'ops' && --f.refs === 0) f.ops.release?.(f);
    p.files.clear();
  }
  const init = [...world.byPid.values()].find((q) => q.parent === null && q !== p && q.task.state !== 'dead') ?? null;
  for (const c of p.children.splice(0)) {
    c.parent = init;
    if (init) init.children.push(c);
    if (c.task.state === 'dead' && !init) reap(k, world, c);
  }
  if (p.vforkParent) {
    world.wake(p.vforkParent.task);
    p.vforkParent = null;
  }
  if (tracerFirst) {
    const { code, status } = childExitInfo(p.task);
    sendSignal(tracer.task, SIGCHLD, code, p.pid, status);
    world.wake(tracer.task);
    return;
  }
  notifyParent(k, world, p);
}

/** do_notify_parent for a dead child: its exit signal to the parent (or autoreap), and the parent's wait woken. */
function notifyParent(k: Kernel, world: WorldState, p: LinuxProcess): void {
  const parent = p.parent;
  if (!parent) return;
  const act = parent.task.signals.actions[SIGCHLD - 1]!;
  // do_notify_parent: SIGCHLD ignored or SA_NOCLDWAIT autoreaps (an ignored SIGCHLD is not even sent);
  // only a valid, nonzero exit signal is sent (clone's CSIGNAL byte may hold anything).
  const autoreap = p.exitSignal === SIGCHLD && (act.handler === SIG_IGN || (act.flags & SA_NOCLDWAIT) !== 0n);
  const sig = autoreap && act.handler === SIG_IGN ? 0 : p.exitSignal;
  if (sig > 0 && sig <= NSIG) {
    const { code, status } = childExitInfo(p.task);
    sendSignal(parent.task, sig, code, p.pid, status);
  }
  world.wake(parent.task); // __wake_up_parent: its wait4 looks again
  if (autoreap) reap(k, world, p);
}

/**
 * release_task: off the parent's list and the pid table. The task itself
 * (its scheduler entry and task_struct slot) goes once it is not running:
 * a child that reaps itself (SIGCHLD ignored, SA_NOCLDWAIT) does so in
 * exit_notify while still current, and __switch_to away from it still
 * reads its task_struct — finish_task_switch drops the last reference of a
 * TASK_DEAD prev only after the switch (put_task_struct_rcu_user).
 * @kernel kernel/exit.c release_task; kernel/sched/core.c finish_task_switch
 */
function reap(k: Kernel, world: WorldState, child: LinuxProcess): void {
  if (child.reaped) return;
  child.reaped = true;
  const siblings = child.parent?.children;
  if (siblings) siblings.splice(siblings.indexOf(child), 1);
  world.byPid.delete(child.pid);
  world.processOf.delete(child.task);
  world.tables.delete(child.task);
  deadTasks(k).push(child.task);
  freeDeadTasks(k);
}

const deadTaskLists = new WeakMap<Kernel, Task[]>();

function deadTasks(k: Kernel): Task[] {
  let list = deadTaskLists.get(k);
  if (!list) deadTaskLists.set(k, (list = []));
  return list;
}

/** The put_task_struct of finish_task_switch: reaped tasks other than the running one leave the scheduler, their slots free. */
function freeDeadTasks(k: Kernel): void {
  const list = deadTasks(k);
  for (const task of list.splice(0)) {
    if (task === k.current) {
      list.push(task);
      continue;
    }
    const i = k.sched.tasks.indexOf(task);
    if (i >= 0) k.sched.tasks.splice(i, 1);
    releaseTaskSlot(k.platform, task);
  }
}
