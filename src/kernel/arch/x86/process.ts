/**
 * Tasks on the x86 side: task_struct and a new task's first stack frame
 * (copy_thread), the C half of the context switch (__switch_to), the new
 * task's schedule_tail, and the start of a switch that schedule() asked for.
 *
 * @kernel arch/x86/kernel/process.c copy_thread
 * @kernel arch/x86/kernel/process_64.c __switch_to, save_fsgs, x86_fsgsbase_load
 * @kernel arch/x86/include/asm/switch_to.h update_task_stack
 */
import { layoutOf } from '../../../abi/layout.js';
import { inactiveTaskFrame, taskStruct } from '../../../abi/structs/sched.js';
import { StructView } from '../../../abi/view.js';
import { RDI, RSI } from '../../../cpu/core.js';
import { linearStore } from '../../../cpu/linear-store.js';
import { MODE_SUPERVISOR } from '../../../cpu/mmu.js';
import { InternalError } from '../../../lib/errors.js';
import { KernelOops } from './native.js';
import { createEntryTask } from '../../generic/index.js';
import { KERNEL_DATA, PAGE_SIZE, THREAD_SIZE, taskStackBottom, taskStackTop } from './memory-map.js';
import { fpuRestore, fpuSave } from './fpu-switch.js';
import { loadMmLdt } from './ldt.js';
import type { NativeBody } from './native.js';
import { pksNewThread, x86PkrsLoad, type PksKernel } from './pks.js';
import type { Platform } from './platform.js';
import { SwitchRequest, defaultSignals, type Scheduler, type Task, type TaskKind } from './sched.js';
import { publishStackTop } from './user-task.js';

const TASK_LAYOUT = layoutOf(taskStruct);
const FRAME_LAYOUT = layoutOf(inactiveTaskFrame);
/** task_structs live in one kernel data page, one 64-byte slot per pid. */
const TASK_STRUCT_AREA = KERNEL_DATA + PAGE_SIZE;
const TASK_STRUCT_SLOT = 64;
const MAX_TASKS = PAGE_SIZE / TASK_STRUCT_SLOT;

if (TASK_LAYOUT.size > TASK_STRUCT_SLOT) throw new InternalError('task_struct outgrew its slot');

function kernelView(platform: Platform, layout: typeof TASK_LAYOUT, address: number): StructView {
  return new StructView(layout, linearStore(platform.cpu.mmu, MODE_SUPERVISOR), address);
}

/** A task's task_struct: pid and thread. */
export function taskStructView(platform: Platform, task: Task): StructView {
  return kernelView(platform, TASK_LAYOUT, task.taskStruct);
}

/** Free task slots per machine: a slot is a task_struct and a kernel stack, reused once its task is reaped. */
const taskSlots = new WeakMap<Platform, { free: number[]; next: number }>();

/**
 * A task slot: its task_struct place and its THREAD_SIZE kernel stack
 * (mapped the first time the slot is used; a reused slot's stack stays
 * mapped, as a vmalloc'd stack cached for the next fork would be).
 */
function allocTaskSlot(platform: Platform): number {
  let s = taskSlots.get(platform);
  if (!s) taskSlots.set(platform, (s = { free: [], next: 0 }));
  const reused = s.free.pop();
  if (reused !== undefined) return reused;
  if (s.next >= MAX_TASKS) throw new KernelOops(`fork: kentry models at most ${MAX_TASKS} live tasks`);
  const slot = s.next++;
  platform.space.mapNew(taskStackBottom(slot), THREAD_SIZE, { writable: true, noExec: true });
  return slot;
}

/** Task slots still free (fork fails with -EAGAIN when none is: kentry's stand-in for RLIMIT_NPROC / pid_max). */
export function taskSlotsLeft(platform: Platform): number {
  const s = taskSlots.get(platform);
  return s ? s.free.length + (MAX_TASKS - s.next) : MAX_TASKS;
}

/** Allocates a task_struct and kernel stack for pid `pid` (the caller fills the stack). */
export function newTask(platform: Platform, pid: number, name: string, kind: TaskKind): Task {
  const slot = allocTaskSlot(platform);
  const taskStructAddress = TASK_STRUCT_AREA + slot * TASK_STRUCT_SLOT;
  const task: Task = {
    pid, name, kind,
    entry: createEntryTask({ isIdle: kind === 'idle' }),
    pks: pksNewThread(),
    stackTop: taskStackTop(slot),
    taskStruct: taskStructAddress,
    state: 'running',
    wakeAt: 0,
    switchIns: 0,
    pendingSignals: [],
    exit: null,
    signals: defaultSignals(),
    userMm: null,
    fpu: null,
  };
  // A reused slot starts as a fresh task_struct would (dup_task_struct then copies what it inherits).
  linearStore(platform.cpu.mmu, MODE_SUPERVISOR).writeBytes(taskStructAddress, new Uint8Array(TASK_STRUCT_SLOT));
  kernelView(platform, TASK_LAYOUT, taskStructAddress).set('pid', pid);
  return task;
}

/** release_task → put_task_stack: a reaped task's slot (task_struct and stack) is free again. */
export function releaseTaskSlot(platform: Platform, task: Task): void {
  taskSlots.get(platform)?.free.push((task.taskStruct - TASK_STRUCT_AREA) / TASK_STRUCT_SLOT);
}

/**
 * copy_thread for a kernel thread: below the (unused) pt_regs at the top of
 * its stack, a fork frame whose inactive_task_frame makes the first switch
 * to it "return" into ret_from_fork_asm with %rbx = fn and %r12 = arg;
 * thread.sp points at that frame. (Linux stores an encoded frame pointer
 * in bp; kentry stores 0, the end of the frame-pointer chain.)
 */
export function spawnKernelThread(
  platform: Platform, ptRegsSize: number, pid: number, name: string, kind: 'idle' | 'kthread', fn: number, arg: number,
): Task {
  const task = newTask(platform, pid, name, kind);
  const frameAddress = task.stackTop - ptRegsSize - FRAME_LAYOUT.size;
  const frame = kernelView(platform, FRAME_LAYOUT, frameAddress);
  frame.set('bx', BigInt.asUintN(64, BigInt(fn)));
  frame.set('r12', BigInt.asUintN(64, BigInt(arg)));
  frame.set('bp', 0);
  frame.set('ret_addr', BigInt.asUintN(64, BigInt(label(platform, 'ret_from_fork_asm'))));
  kernelView(platform, TASK_LAYOUT, task.taskStruct).set('thread.sp', BigInt.asUintN(64, BigInt(frameAddress)));
  return task;
}

/**
 * copy_thread for a forked user task: the parent's pt_regs (and the
 * design's extension below them: the child leaves through the same exit
 * path, which reads it) copied to the top of the child's stack, ax = 0 (the
 * child's fork returns 0), sp = `stack` when clone gave one, and below them
 * a fork frame whose return address is ret_from_fork_asm with fn = 0 (the
 * user path). The FS/GS bases come from the parent's live ones (save_fsgs)
 * unless CLONE_SETTLS gave a TLS base.
 */
export function copyThreadUser(
  platform: Platform, parentRegs: number, child: Task, opts: { readonly stack: number; readonly tls: bigint | null },
): void {
  const design = platform.design;
  const size = design.ptRegs.size;
  const aux = design.extension?.belowPtRegs ?? 0;
  const memory = linearStore(platform.cpu.mmu, MODE_SUPERVISOR);
  const childRegs = child.stackTop - size;
  memory.writeBytes(childRegs - aux, memory.readBytes(parentRegs - aux, size + aux));
  const regs = new StructView(design.ptRegs, memory, childRegs);
  regs.set('ax', 0n);
  if (opts.stack !== 0) regs.set('sp', BigInt.asUintN(64, BigInt(opts.stack)));
  const frameAddress = childRegs - aux - FRAME_LAYOUT.size;
  const frame = kernelView(platform, FRAME_LAYOUT, frameAddress);
  frame.set('bx', 0n);
  frame.set('r12', 0n);
  frame.set('bp', 0n);
  frame.set('ret_addr', BigInt.asUintN(64, BigInt(label(platform, 'ret_from_fork_asm'))));
  const thread = kernelView(platform, TASK_LAYOUT, child.taskStruct);
  thread.set('thread.sp', BigInt.asUintN(64, BigInt(frameAddress)));
  const cpu = platform.cpu;
  thread.set('thread.fsbase', opts.tls ?? BigInt.asUintN(64, BigInt(cpu.fsBase)));
  thread.set('thread.gsbase', BigInt.asUintN(64, BigInt(cpu.kernelGsBase)));
}

function label(platform: Platform, name: string): number {
  const a = platform.symbols.get(name);
  if (a === undefined) throw new InternalError(`entry text lacks ${name}`);
  return a;
}

/**
 * context_switch → switch_to(prev, next): schedule()'s call chain is
 * suspended with its resume point pushed; continue in guest code as
 * `call __switch_to_asm` with %rdi = prev, %rsi = next.
 */
export function startSwitch(platform: Platform, request: unknown): void {
  if (!(request instanceof SwitchRequest)) throw new InternalError('a native body yielded something other than a switch');
  const cpu = platform.cpu;
  switchMm(platform, request.next);
  setReg64(platform, RDI, request.prev.taskStruct);
  setReg64(platform, RSI, request.next.taskStruct);
  const target = label(platform, '__switch_to_asm');
  cpu.rip = target;
  cpu.nextRip = target;
}

/**
 * switch_mm_irqs_off (context_switch, before switch_to): a user task's own
 * page tables into CR3 (a bare user task of the scenarios runs on
 * init_mm's); a kernel thread borrows the previous mm (lazy TLB, no load).
 */
function switchMm(platform: Platform, next: Task): void {
  if (next.kind !== 'user') return;
  const root = next.userMm ? next.userMm.root : platform.space.root;
  if (platform.cpu.mmu.cr3 === root) return;
  platform.cpu.mmu.setCr3(root);
  // switch_ldt: the next mm's LDT (or none) in LDTR.
  if (next.userMm) loadMmLdt(platform.native, next.userMm);
}

function setReg64(platform: Platform, r: number, value: number): void {
  const v = BigInt.asUintN(64, BigInt(value));
  platform.cpu.lo[r] = Number(v & 0xffff_ffffn) | 0;
  platform.cpu.hi[r] = Number(v >> 32n) | 0;
}

/**
 * __switch_to(prev, next), on next's stack already:
 * 1. save_fsgs(prev): FS base and the user GS base (in KERNEL_GS_BASE while
 *    in the kernel) into prev->thread;
 * 2. x86_fsgsbase_load(prev, next);
 * 3. x86_pkrs_load(&next->thread) (PKS V9: through the per-CPU cache);
 * 4. this_cpu_write(current_task, next); top_of_stack and TSS.RSP0
 *    (update_task_stack);
 * returns prev (in %rax: ret_from_fork_asm passes it to schedule_tail).
 */
export function switchToBody(platform: Platform, sched: Scheduler, pks: PksKernel, onCurrent: (t: Task) => void): NativeBody {
  return (_rt, call) => {
    const prev = sched.byTaskStruct(call.address(0));
    const next = sched.byTaskStruct(call.address(1));
    const cpu = platform.cpu;
    const prevThread = taskStructView(platform, prev);
    prevThread.set('thread.fsbase', BigInt.asUintN(64, BigInt(cpu.fsBase)));
    prevThread.set('thread.gsbase', BigInt.asUintN(64, BigInt(cpu.kernelGsBase)));
    const nextThread = taskStructView(platform, next);
    cpu.fsBase = Number(BigInt.asIntN(64, nextThread.get('thread.fsbase')));
    cpu.kernelGsBase = Number(BigInt.asIntN(64, nextThread.get('thread.gsbase')));
    // switch_fpu_prepare / switch_fpu_finish: a user task's FPU registers are its own.
    if (prev.kind === 'user' && prev.state !== 'dead') prev.fpu = fpuSave(cpu);
    if (next.kind === 'user' && next.fpu) {
      fpuRestore(cpu, next.fpu);
      next.fpu = null;
    }
    x86PkrsLoad(pks, next.pks);
    pks.current = next.pks;
    sched.current = next;
    onCurrent(next);
    publishStackTop(platform, next.stackTop);
    return BigInt.asUintN(64, BigInt(prev.taskStruct));
  };
}

/** schedule_tail(prev): a new task's first finish_task_switch, then preempt_enable. */
export function scheduleTailBody(sched: Scheduler, preemptEnable: () => void): NativeBody {
  return () => {
    sched.finishTaskSwitch();
    preemptEnable();
  };
}
