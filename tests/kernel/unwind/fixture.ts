/**
 * A platform (no generic entry code) with one user task, for driving the
 * unwinder through real stubs: the caller supplies the C bodies and their
 * locals, and `save` writes a PKRS copy where the design says irqentry_enter
 * would have saved it, so the test knows what the unwinder should find.
 */
import type { Design } from '../../../src/design/build.js';
import type { EntryCFunction } from '../../../src/kernel/arch/x86/entry/index.js';
import type { NativeBody, NativeCall, NativeRuntime } from '../../../src/kernel/arch/x86/native.js';
import { bootPlatform, type Platform } from '../../../src/kernel/arch/x86/platform.js';
import { startUserTask } from '../../../src/kernel/arch/x86/user-task.js';
import { THREAD_SIZE, taskStackBottom, taskStackTop } from '../../../src/kernel/arch/x86/memory-map.js';

/** Offset of irqentry_state_t within the locals of every fixture handler (the "compiler's" choice). */
export const STATE_OFFSET = 8;
export const LOCALS = 32;

export function bootWithUser(
  design: Design,
  bodies: Partial<Record<EntryCFunction, NativeBody>>,
  userSource: string,
): Platform {
  const locals: Partial<Record<EntryCFunction, number>> = {};
  for (const name of Object.keys(bodies) as EntryCFunction[]) locals[name] = LOCALS;
  const p = bootPlatform({ design, entryFunctions: bodies, locals });
  // Task slot 1's kernel stack (no scheduler here: the one user task runs on it).
  p.space.mapNew(taskStackBottom(1), THREAD_SIZE, { writable: true, noExec: true });
  startUserTask(p, userSource, taskStackTop(1));
  return p;
}

/** Runs, dispatching native calls, for `budget` instructions or until the CPU stops otherwise. */
export function run(p: Platform, budget: number): void {
  const end = p.cpu.instructions + budget;
  for (;;) {
    const left = end - p.cpu.instructions;
    if (left <= 0) return;
    const exit = p.cpu.run(left);
    if (exit.kind === 'budget') return;
    if (exit.kind !== 'hostcall') throw new Error(`unexpected exit ${exit.kind}`);
    p.native.dispatch(exit.address);
  }
}

/**
 * Saves `value` as the interrupted PKRS where the design keeps it for the
 * entry whose pt_regs is the call's first argument (what irqentry_enter's
 * arch hook would do); returns the address, or null when the design keeps none.
 */
export function save(design: Design, rt: NativeRuntime, call: NativeCall, value: number): number | null {
  const slot = design.slots.pkrs;
  if (!slot) return null;
  const regs = call.address(0);
  const base =
    slot.root === 'extension' ? regs - (design.extension?.belowPtRegs ?? 0)
      : slot.root === 'pt_regs' ? regs
        : call.locals + STATE_OFFSET;
  const at = base + slot.offset;
  if (slot.size === 8) rt.write64(at, value);
  else rt.write32(at, value);
  return at;
}
