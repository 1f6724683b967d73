/**
 * The composition root (STYLE.md §2.1): boots the x86 platform for a design
 * and wires the generic entry code to it — per-CPU entry state, the x86 arch
 * hooks (PKS save/restore in the design's slot), IRQ control over RFLAGS.IF,
 * `current`, the syscall table — and the native C functions the entry stubs
 * call. User tasks run real x86-64 code at CPL 3.
 */
import type { CpuExit } from '../cpu/exits.js';
import { IF } from '../cpu/flags.js';
import { MODE_SUPERVISOR } from '../cpu/mmu.js';
import { linearStore } from '../cpu/linear-store.js';
import type { Design } from '../design/build.js';
import {
  PREEMPT_OFFSET, checkEntryCpu, createEntryCpu, createEntryDeps, needResched, syscallExitToUserMode,
  type ArchEntryHooks, type EntryCpu, type EntryDeps, type EntryViolation, type IrqControl, type MaySleep,
} from './generic/index.js';
import { LOCAL_TIMER_VECTOR } from './arch/x86/entry/symbols.js';
import { Injector } from './arch/x86/inject.js';
import { commonInterrupt, timerInterrupt } from './arch/x86/irq.js';
import {
  EntryLog, beginEntry, compileCFrames, endEntry,
  type CEntryContext, type CFrameLayout, type IrqHandler, type NmiHandler,
} from './arch/x86/kernel-c.js';
import { excNmi } from './arch/x86/nmi.js';
import { USER_TRAPS, excPageFault, userTrap } from './arch/x86/traps.js';
import { excInt3 } from './arch/x86/kprobe-int3.js';
import { KERNEL_DATA } from './arch/x86/memory-map.js';
import { KernelOops, type NativeBody } from './arch/x86/native.js';
import { writeLE } from '../lib/bytes.js';
import { UsageError } from '../lib/errors.js';
import { bootPlatform, type Platform } from './arch/x86/platform.js';
import {
  corePksHardware, createPksKernel, pksRestorePtRegs, pksSavePtRegs, pksSetReadwrite, pksSetup,
  type PksKernel,
} from './arch/x86/pks.js';
import { newTask, scheduleTailBody, spawnKernelThread, startSwitch, switchToBody } from './arch/x86/process.js';
import { Scheduler, type PendingSignal, type Task, type TaskExit } from './arch/x86/sched.js';
import { archDoSignalOrRestart, doGroupExit } from './arch/x86/signal.js';
import type { EntryTraceSink } from './arch/x86/entry-trace.js';
import { syscallName } from '../abi/syscall-names.js';
import { decodeSyscallArgs } from './syscalls/decode.js';
import { PtRegs } from './arch/x86/regs.js';
import { startUserTask } from './arch/x86/user-task.js';
import { doSyscall64, type SyscallFn } from './arch/x86/syscall64.js';

/** x86-64 syscall numbers (reference §7). */
export const NR_sched_yield = 24;
export const NR_getpid = 39;
export const NR_exit = 60;
export const NR_exit_group = 231;

/** A kernel data page mapped with PKS key 1 at boot (PKS_INIT_VALUE: access-disabled by default). */
export const PKS_KEY1_PAGE = KERNEL_DATA + 0x10_0000;

/** The C handlers whose frames hold an irqentry_state_t local (where the design has one). */
export const STATE_HANDLERS: readonly string[] = ['common_interrupt', 'exc_page_fault', 'exc_nmi', ...USER_TRAPS.map((t) => t.cFunction)];

export type { Task } from './arch/x86/sched.js';

/** Why Kernel.run returned: the CPU's exit, or a task died (its `exit` says how). */
export type KernelExit = CpuExit | { readonly kind: 'task-exit'; readonly task: Task };

/** Guest data of the built-in kthreads: kthread_spin's counter, then kthread_pks' counter and page pointer. */
export const KTHREAD_DATA = KERNEL_DATA + 0x100;

/** The places entry and signal code stop a traced task (kernel/ptrace.c, the process layer's ptrace.ts). */
export interface TraceHooks {
  /** syscall_trace_enter: may stop; returns the number to run (-1: skip). */
  syscallTraceEnter?: (regs: PtRegs, nr: number, work: number) => number | MaySleep<number>;
  /** syscall_exit_work: may stop. */
  syscallExitWork?: (regs: PtRegs, work: number) => void | MaySleep;
  /** ptrace_signal in get_signal: the signal to deliver instead (null: none). */
  signalStop?: (task: Task, sig: PendingSignal) => MaySleep<PendingSignal | null>;
  /** ptrace_event(PTRACE_EVENT_EXIT) in do_exit: may stop. */
  exitEvent?: (task: Task, exit: TaskExit) => MaySleep;
  /** do_notify_parent_cldstop for job control: a task stopped (CLD_STOPPED) or was continued (CLD_CONTINUED). */
  jobControl?: { stopped(task: Task, sig: number): void; continued(task: Task): void };
}

export interface BootOptions {
  /** Seed of the model's "compiler": where each handler's irqentry_state_t sits in its frame (default 1). */
  readonly compilerSeed?: number;
  /** Arch hooks replacing the PKS ones (e.g. a deliberately broken restore, to show a check is alive). */
  readonly archHooks?: Partial<ArchEntryHooks>;
  /** Starts kentry's two kernel threads (kthread_spin, kthread_pks) beside the idle task (default false). */
  readonly kthreads?: boolean;
  /** The local APIC timer fires every this many retired instructions (default: no periodic timer). */
  readonly timerEvery?: number;
}

export interface Kernel {
  readonly platform: Platform;
  readonly design: Design;
  readonly entryCpu: EntryCpu;
  readonly deps: EntryDeps;
  readonly pks: PksKernel;
  readonly syscalls: Map<number, SyscallFn>;
  /** `current`: the task running now. */
  readonly current: Task;
  /** The tasks and the scheduler's choices (idle first). */
  readonly sched: Scheduler;
  /** Maps `source` (AT&T) as a user program and makes it the current task, in user mode. */
  startUser(source: string, name?: string): Task;
  /** A fresh pid. */
  allocPid(): number;
  /** Makes a new task the current one (its CPU state is the caller's to set: it enters user mode next). */
  adopt(task: Task): void;
  /** Runs until `budget` instructions retired, or an exit the kernel does not handle (halt). */
  run(budget: number): KernelExit;
  /** Tasks that have died (exit_group or a fatal signal), in order. */
  readonly exited: readonly Task[];
  /** Called as each task dies, before it schedules away for good (the process layer's exit_notify). */
  readonly exitHooks: ((t: Task) => void)[];
  /** ptrace's stops in the entry paths, installed by the process layer (empty: no tracing). */
  readonly traceHooks: TraceHooks;
  /** Sends every kernel entry's event to `sink` (null: stop). */
  setTrace(sink: EntryTraceSink | null): void;
  /** Generic entry code's balance and WARN checks (DESIGN.md §4 invariant 5). */
  violations(): EntryViolation[];
  /** Kernel entries running now (innermost last) and finished ones. */
  readonly log: EntryLog;
  /** Scheduled interrupts/NMIs (at an instruction count or a native function). */
  readonly injector: Injector;
  /** vector_irq[]: the timer (LOCAL_TIMER_VECTOR) is registered at boot; tests add more. */
  readonly irqHandlers: Map<number, IrqHandler>;
  /** NMI handlers, run by exc_nmi in order. */
  readonly nmiHandlers: NmiHandler[];
  /** The compiler's frame layout of each C handler (irqentry_state_t offset: compiler-chosen). */
  readonly cFrames: ReadonlyMap<string, CFrameLayout>;
  /** What the C handlers share (for fault callbacks that call pks_update_exception). */
  readonly c: CEntryContext;
}

/** [start, end) of the entry-text routine at `label`: up to the next global label. */
function routineRange(platform: Platform, label: string): readonly [number, number] {
  const start = platform.symbols.get(label);
  if (start === undefined || !/^[A-Za-z_]/.test(label)) throw new UsageError(`no entry-text routine named '${label}'`);
  let end = Infinity;
  for (const [name, a] of platform.symbols) {
    if (a > start && a < end && /^[A-Za-z_]/.test(name)) end = a;
  }
  return [start, end];
}

/** A native body standing in until boot wires the real one (reaching it is a kernel bug). */
function oopsBody(name: string): NativeBody {
  return () => {
    throw new KernelOops(`${name} called before boot finished`);
  };
}

/** IRQ control over the CPU's RFLAGS.IF (arch_local_irq_enable/disable: STI/CLI). */
function cpuIrqControl(p: Platform): IrqControl {
  return {
    enable: () => { p.cpu.flags.raw |= IF; },
    disable: () => { p.cpu.flags.raw &= ~IF; },
    disabled: () => (p.cpu.flags.raw & IF) === 0,
  };
}

export function bootKernel(design: Design, options: BootOptions = {}): Kernel {
  let kernel: Kernel | undefined;
  const k = (): Kernel => {
    if (!kernel) throw new KernelOops('kernel used before boot finished');
    return kernel;
  };
  const cFrames = compileCFrames(design, STATE_HANDLERS, options.compilerSeed ?? 1);
  const c = (): CEntryContext => k().c;
  // The C handlers, built once the kernel context exists (the first call).
  let commonInterruptFn: NativeBody | undefined;
  let excPageFaultFn: NativeBody | undefined;
  let excNmiFn: NativeBody | undefined;
  let excInt3Fn: NativeBody | undefined;
  let switchToFn: NativeBody | undefined;
  let scheduleTailFn: NativeBody | undefined;
  const switchTo = (): NativeBody => switchToFn ?? oopsBody('__switch_to');
  const scheduleTail = (): NativeBody => scheduleTailFn ?? oopsBody('schedule_tail');
  const platform = bootPlatform({
    design,
    entryFunctions: {
      do_syscall_64: function* doSyscall64Body(rt, call) {
        const rec = beginEntry(c(), rt, call, 'syscall', 'do_syscall_64', null);
        rec.pkrsAtHandler = rec.pkrsAtEntry;
        const regs = new PtRegs(rt, design.ptRegs, rec.regs);
        const nr = call.argInt(1);
        const sink = trace.sink;
        const args = sink ? (['di', 'si', 'dx', 'r10', 'r8', 'r9'] as const).map((m) => regs.get(m)) : [];
        const name = syscallName(nr);
        const decoded = sink && name ? decodeSyscallArgs(cpu.mmu, name, args) : null;
        const pid = sched.current.pid;
        const sysret = yield* doSyscall64(k().deps, k().syscalls, regs, nr, sink ? () => sink({
          kind: 'syscall', pid, nr, name, args, decoded,
          result: BigInt.asIntN(64, regs.get('ax')), rip: Number(BigInt.asIntN(64, regs.get('ip'))),
        }) : undefined);
        endEntry(c(), rec);
        return sysret;
      },
      common_interrupt: (rt, call) => (commonInterruptFn ??= commonInterrupt(c()))(rt, call),
      exc_page_fault: (rt, call) => (excPageFaultFn ??= excPageFault(c()))(rt, call),
      exc_nmi: (rt, call) => (excNmiFn ??= excNmi(c()))(rt, call),
      ...Object.fromEntries(USER_TRAPS.map((t) => {
        let body: NativeBody | undefined;
        return [t.cFunction, ((rt, call) => (body ??= userTrap(c(), t))(rt, call)) satisfies NativeBody];
      })),
      // exc_int3: user mode as USER_TRAPS says; kernel mode → kprobe_int3_handler (kprobe-int3.ts).
      exc_int3: (rt, call) => (excInt3Fn ??= excInt3(c()))(rt, call),
      // ret_from_fork for a forked user task: syscall_exit_to_user_mode(regs), then the IRET path (switch.ts).
      ret_from_fork_user: function* retFromForkUser(rt, call) {
        yield* syscallExitToUserMode(k().deps, new PtRegs(rt, design.ptRegs, call.address(0)));
      },
      __switch_to: (rt, call) => switchTo()(rt, call),
      schedule_tail: (rt, call) => scheduleTail()(rt, call),
      ct_cpuidle_enter: () => { k().entryCpu.ct.ctIdleEnter(); },
      ct_cpuidle_exit: () => { k().entryCpu.ct.ctIdleExit(); },
      tif_need_resched: () => needResched(k().current.entry),
      schedule_idle: () => k().sched.scheduleIdle(),
      schedule_timeout_uninterruptible: (_rt, call) => k().sched.sleepTicks(Number(call.arg(0) & 0xffff_ffffn)),
      pks_set_readwrite: (_rt, call) => pksSetReadwrite(k().pks, Number(call.arg(0) & 0xffn)),
    },
    locals: Object.fromEntries([...cFrames].map(([name, f]) => [name, f.locals])),
  });
  const { cpu, space, phys } = platform;
  const traceHooks: TraceHooks = {};
  const asPtRegs = (regs: { readonly address: number }): PtRegs =>
    regs instanceof PtRegs ? regs : new PtRegs(platform.native, design.ptRegs, regs.address);
  // The CPU boots straight into the first user task: context tracking USER, hardirqs on.
  const entryCpu = createEntryCpu({ context: 'user', hardirqsEnabled: true });
  const memory = linearStore(cpu.mmu, MODE_SUPERVISOR);
  const pks = createPksKernel({
    design,
    hw: corePksHardware(cpu),
    memory,
    initMm: { phys, pgd: space.root },
    featurePresent: true,
  });
  pksSetup(pks);
  const deps = createEntryDeps({
    cpu: entryCpu,
    irq: cpuIrqControl(platform),
    current: () => sched.current.entry,
    services: {
      schedule: () => sched.schedule(),
      preemptScheduleIrq: () => sched.preemptScheduleIrq(),
      // syscall_trace_enter / syscall_exit_work: ptrace's syscall stops, when the process layer installed them.
      syscallTraceEnter: (regs, nr, work) => traceHooks.syscallTraceEnter?.(asPtRegs(regs), nr, work) ?? nr,
      syscallExitWork: (regs, work) => traceHooks.syscallExitWork?.(asPtRegs(regs), work),
    },
    hooks: {
      // PKS V9 27/45: pks_save_pt_regs / pks_restore_pt_regs in the design's slot.
      archSaveAuxPtRegs: (regs, store) => {
        pksSavePtRegs(pks, { regs: regs.address, ...stateOf(store) });
      },
      archRestoreAuxPtRegs: (regs, store) => {
        pksRestorePtRegs(pks, { regs: regs.address, ...stateOf(store) });
      },
      archDoSignalOrRestart: (regs) => archDoSignalOrRestart(
        {
          sched, rt: platform.native, onExit: noteExit, trace: trace.sink,
          ptraceSignal: traceHooks.signalStop ?? null, jobControl: traceHooks.jobControl ?? null,
          exitEvent: traceHooks.exitEvent ?? null,
        },
        asPtRegs(regs),
      ),
      ...options.archHooks,
    },
  });
  // The PKS-protected page of the demo: key 1, supervisor read/write (pks_mk_noaccess by default).
  space.mapNew(PKS_KEY1_PAGE, 4096, { writable: true, noExec: true, key: 1 });
  const log = new EntryLog();
  const injector = new Injector(cpu, (label) => routineRange(platform, label));
  platform.native.clock = { fireDue: () => injector.fireDue(), nextStop: () => injector.nextInstructionStop() };
  if (options.timerEvery !== undefined) injector.every(LOCAL_TIMER_VECTOR, options.timerEvery);
  const irqHandlers = new Map<number, IrqHandler>();
  const nmiHandlers: NmiHandler[] = [];

  const trace: { sink: EntryTraceSink | null } = { sink: null };
  const exited: Task[] = [];
  const newlyExited: Task[] = [];
  const exitHooks: ((t: Task) => void)[] = [];
  const noteExit = (t: Task): void => {
    if (t.exit?.kind === 'exited') trace.sink?.({ kind: 'exit', pid: t.pid, code: t.exit.code });
    exited.push(t);
    newlyExited.push(t);
    for (const hook of exitHooks) hook(t);
  };
  // Tasks: the idle task (pid 0, "swapper") runs cpu_idle_loop when nothing else can run.
  const symbol = (name: string): number => {
    const a = platform.symbols.get(name);
    if (a === undefined) throw new KernelOops(`entry text lacks ${name}`);
    return a;
  };
  const idle = spawnKernelThread(platform, design.ptRegs.size, 0, 'swapper/0', 'idle', symbol('cpu_idle_loop'), 0);
  const sched = new Scheduler({
    deps,
    canSuspend: () => platform.native.canSuspend(),
    instructions: () => cpu.instructions,
  }, idle);
  let nextPid = 1;
  if (options.kthreads) {
    memory.writeBytes(KTHREAD_DATA + 16, writeLE(BigInt.asUintN(64, BigInt(PKS_KEY1_PAGE)), 8));
    sched.add(spawnKernelThread(platform, design.ptRegs.size, nextPid++, 'kspin', 'kthread', symbol('kthread_spin'), KTHREAD_DATA));
    sched.add(spawnKernelThread(platform, design.ptRegs.size, nextPid++, 'kpks', 'kthread', symbol('kthread_pks'), KTHREAD_DATA + 8));
  }
  switchToFn = switchToBody(platform, sched, pks, () => {});
  scheduleTailFn = scheduleTailBody(sched, () => entryCpu.preempt.sub(PREEMPT_OFFSET));
  platform.native.onSuspend = (request) => startSwitch(platform, request);
  /** sys_exit_group(code): the status is code & 0xff; never returns to user mode. */
  function* exitSyscall(regs: PtRegs): MaySleep<number> {
    yield* doGroupExit(sched, sched.current, { kind: 'exited', code: Number(regs.get('di') & 0xffn) }, noteExit, traceHooks.exitEvent);
    throw new KernelOops('a dead task was scheduled again');
  }
  const syscalls = new Map<number, SyscallFn>([
    // exit and exit_group: one task per process here, so both end it (do_exit / do_group_exit).
    [NR_exit, exitSyscall],
    [NR_exit_group, exitSyscall],
    [NR_getpid, () => k().current.pid],
    // do_sched_yield: give way to the next runnable task; returns 0.
    [NR_sched_yield, function* schedYield() {
      yield* sched.schedule();
      return 0;
    }],
  ]);

  kernel = {
    platform,
    design,
    entryCpu,
    deps,
    pks,
    syscalls,
    get current() {
      return sched.current;
    },
    sched,
    startUser(source, name = 'user') {
      const pid = nextPid++;
      const task = newTask(platform, pid, name, 'user');
      startUserTask(platform, source, task.stackTop);
      this.adopt(task);
      return task;
    },
    allocPid: () => nextPid++,
    adopt(task) {
      sched.add(task);
      sched.current = task;
      pks.current = task.pks;
    },
    run(budget) {
      const end = cpu.instructions + budget;
      for (;;) {
        injector.fireDue();
        const left = Math.min(end, injector.nextInstructionStop()) - cpu.instructions;
        if (left <= 0) return { kind: 'budget' };
        const exit = cpu.run(left);
        if (exit.kind === 'budget') continue;
        if (exit.kind !== 'hostcall') return exit;
        platform.native.dispatch(exit.address);
        const died = newlyExited.shift();
        if (died) return { kind: 'task-exit', task: died };
      }
    },
    exited,
    exitHooks,
    traceHooks,
    setTrace: (sink) => {
      trace.sink = sink;
    },
    violations: () => checkEntryCpu(entryCpu),
    log,
    injector,
    irqHandlers,
    nmiHandlers,
    cFrames,
    c: {
      design, deps, pks, cpu, log, injector, frames: cFrames, irqHandlers, nmiHandlers,
      tick: () => sched.tick(), currentTask: () => sched.current, trace,
    },
  };
  irqHandlers.set(LOCAL_TIMER_VECTOR, timerInterrupt(kernel.c));
  return kernel;
}

/** The irqentry_state_t address a design that keeps PKRS there needs (state-ref). */
function stateOf(store: { rootAddress(root: 'irqentry_state'): number | null }): { state?: number } {
  const a = store.rootAddress('irqentry_state');
  return a === null ? {} : { state: a };
}
