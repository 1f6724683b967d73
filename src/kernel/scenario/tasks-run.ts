/**
 * The built-in multitasking run behind `kentry tasks`: the idle task,
 * kentry's two kernel threads (kthread_spin counts with eleven registers
 * under check; kthread_pks opens PKS key 1 and reads a key-1 page every
 * round) and a user task (getpid in a loop, checking its own FS and GS
 * bases), preempted by a timer every N instructions. Reports what each task
 * did, the PKRS each was interrupted with, and the switches.
 */
import type { Design } from '../../design/build.js';
import { UsageError } from '../../lib/errors.js';
import { LOCAL_TIMER_VECTOR } from '../arch/x86/entry/symbols.js';
import type { SwitchEvent, Task, TaskKind } from '../arch/x86/sched.js';
import { formatUnwind } from '../arch/x86/unwind.js';
import { unwindSleepingTask } from '../arch/x86/unwind-task.js';
import { KTHREAD_DATA, bootKernel } from '../boot.js';

/** The FS and GS bases the user task sets for itself (and checks after every syscall). */
export const USER_FS = 0x7000_0000_00;
export const USER_GS = 0x6000_0000_00;

/** getpid in a loop; after each call the FS and GS bases must still be the task's own (ud2 otherwise). */
export const TASKS_USER_PROGRAM = `
  mov $${USER_FS}, %rbx
  wrfsbase %rbx
  mov $${USER_GS}, %rbp
  wrgsbase %rbp
1:
  mov $39, %eax
  syscall
  rdfsbase %rcx
  cmp %rbx, %rcx
  jne 2f
  rdgsbase %rcx
  cmp %rbp, %rcx
  jne 2f
  jmp 1b
2:
  ud2
`;

export interface TasksRunOptions {
  /** Instructions to run (default 200 000). */
  readonly instructions?: number;
  /** Timer period in instructions (default 2 000). */
  readonly timerEvery?: number;
}

export interface TaskReport {
  readonly pid: number;
  readonly name: string;
  readonly kind: TaskKind;
  readonly state: Task['state'];
  readonly current: boolean;
  readonly switchIns: number;
  /** thread.pkrs now. */
  readonly threadPkrs: number;
  /** Distinct PKRS values the timer found when it interrupted this task. */
  readonly pkrsAtTicks: readonly number[];
  /** Loop rounds (kthreads, from their guest counters) or system calls (the user task). */
  readonly work: number;
  /** Its kernel stack as the unwinder finds it from task_struct (not for the running task), innermost first. */
  readonly stack: readonly string[];
}

export interface TasksRunResult {
  readonly design: string;
  readonly instructions: number;
  readonly timerEvery: number;
  readonly ticks: number;
  readonly switches: number;
  readonly switchesVia: Readonly<Record<SwitchEvent['via'], number>>;
  readonly deferred: number;
  /** WRMSR(IA32_PKRS) the per-CPU cache let through. */
  readonly pkrsMsrWrites: number;
  readonly tasks: readonly TaskReport[];
  readonly firstSwitches: readonly SwitchEvent[];
  /** Generic entry code's balance/WARN findings (empty when all is well). */
  readonly violations: readonly string[];
}

function positive(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`${name} must be a positive integer, not ${v}`);
  return v;
}

export function runTasks(design: Design, options: TasksRunOptions = {}): TasksRunResult {
  const instructions = positive('--insns', options.instructions ?? 200_000);
  const timerEvery = positive('--timer', options.timerEvery ?? 2_000);
  const k = bootKernel(design, { kthreads: true, timerEvery });
  const seen = new Map<number, Set<number>>();
  const tick = k.irqHandlers.get(LOCAL_TIMER_VECTOR);
  k.irqHandlers.set(LOCAL_TIMER_VECTOR, (rt, regs, vector) => {
    const rec = k.log.innermost('irq');
    if (rec) {
      const s = seen.get(k.current.pid) ?? new Set<number>();
      seen.set(k.current.pid, s.add(rec.pkrsAtEntry >>> 0));
    }
    tick?.(rt, regs, vector);
  });
  const user = k.startUser(TASKS_USER_PROGRAM, 'user');
  k.run(instructions);
  const work = (name: string): number => {
    if (name === 'kspin') return Number(k.platform.native.read64(KTHREAD_DATA));
    if (name === 'kpks') return Number(k.platform.native.read64(KTHREAD_DATA + 8));
    if (name === user.name) return k.log.finishedCount.syscall;
    return 0;
  };
  const via = { schedule: 0, preempt_schedule_irq: 0, schedule_idle: 0 };
  for (const e of k.sched.log) via[e.via]++;
  return {
    design: design.name,
    instructions: k.platform.cpu.instructions,
    timerEvery,
    ticks: k.sched.ticks,
    switches: k.sched.switches,
    switchesVia: via,
    deferred: k.sched.deferred,
    pkrsMsrWrites: k.pks.cpu.msrWrites,
    tasks: k.sched.tasks.map((t) => ({
      pid: t.pid, name: t.name, kind: t.kind, state: t.state, current: t === k.current, switchIns: t.switchIns,
      threadPkrs: t.pks.pkrs >>> 0,
      pkrsAtTicks: [...(seen.get(t.pid) ?? [])].sort((a, b) => a - b),
      work: work(t.name),
      stack: t === k.current ? [] : formatUnwind(unwindSleepingTask(k.platform, t.taskStruct)).trimEnd().split('\n'),
    })),
    firstSwitches: k.sched.log.slice(0, 8),
    violations: k.violations().map((v) => `${v.code}: ${v.message}`),
  };
}
