/**
 * The kernel stack of a task that is not running, from its task_struct
 * alone (as /proc/PID/stack and show_state() see it): thread.sp points at
 * the inactive_task_frame __switch_to_asm left, whose saved RBP is the
 * frame of the C function that called schedule() and whose return address
 * is that function's resume point; from there the frame-pointer unwinder
 * walks on as usual. A task that never ran returns into ret_from_fork_asm.
 * @kernel arch/x86/kernel/unwind_frame.c __unwind_start (task != current), arch/x86/include/asm/switch_to.h
 */
import { layoutOf, offsetOf } from '../../../abi/layout.js';
import { inactiveTaskFrame, taskStruct } from '../../../abi/structs/sched.js';
import { MODE_SUPERVISOR } from '../../../cpu/mmu.js';
import type { Platform } from './platform.js';
import { hexAddress, symbolizeAddress, unwindKernelStack, type Unwind, type UnwindOptions } from './unwind.js';

const THREAD_SP = offsetOf(layoutOf(taskStruct), 'thread.sp');
const FRAME = layoutOf(inactiveTaskFrame);
const FRAME_BP = offsetOf(FRAME, 'bp');
const FRAME_RET = offsetOf(FRAME, 'ret_addr');

function read(p: Platform, at: number): number {
  return Number(BigInt.asIntN(64, p.mmu.read64(at, MODE_SUPERVISOR)));
}

/** Unwinds the stack of the task whose task_struct is at `taskStructAddress` (it must not be running). */
export function unwindSleepingTask(p: Platform, taskStructAddress: number, opts: UnwindOptions = {}): Unwind {
  let sp: number;
  let bp: number;
  let ret: number;
  try {
    sp = read(p, taskStructAddress + THREAD_SP);
    bp = read(p, sp + FRAME_BP);
    ret = read(p, sp + FRAME_RET);
  } catch {
    return { design: p.design.name, frames: [], stopped: `unwind stopped: task_struct at ${hexAddress(taskStructAddress)} or its thread.sp is unreadable` };
  }
  if (p.symbols.get('ret_from_fork_asm') === ret) {
    return { design: p.design.name, frames: [], stopped: 'not started yet: its first switch-in returns to ret_from_fork_asm' };
  }
  if (!p.native.symbolize(ret)) {
    return { design: p.design.name, frames: [], stopped: `unwind stopped: switch frame returns to ${symbolizeAddress(p, ret)}, not into kernel C` };
  }
  return unwindKernelStack(p, { rbp: bp, rip: ret }, opts);
}
