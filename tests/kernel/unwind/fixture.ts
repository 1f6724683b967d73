/**
 * A platform (no generic entry code) with one user task, for driving the
 * unwinder through real stubs: the caller supplies the C bodies and their
 * locals, and `save` writes a PKRS copy where the design says irqentry_enter
 * would have saved it, so the test knows what the unwinder should find.
 */
import { assemble } from '../../../src/asm/index.js';
import { MODE_SUPERVISOR } from '../../../src/cpu/mmu.js';
import type { Design } from '../../../src/design/build.js';
import type { EntryCFunction } from '../../../src/kernel/arch/x86/entry/index.js';
import {
  PER_CPU_BASE, THREAD_SIZE, USER_CS, USER_DS, USER_STACK_SIZE, USER_STACK_TOP, USER_TEXT, taskStackBottom, taskStackTop,
} from '../../../src/kernel/arch/x86/memory-map.js';
import type { NativeBody, NativeCall, NativeRuntime } from '../../../src/kernel/arch/x86/native.js';
import { PER_CPU, bootPlatform, type Platform } from '../../../src/kernel/arch/x86/platform.js';

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
  const { cpu, space, phys } = p;
  const code = assemble(userSource, { origin: USER_TEXT }).bytes;
  phys.writeBytes(space.mapNew(USER_TEXT, Math.ceil(code.length / 4096) * 4096 || 4096, { user: true }), code);
  space.mapNew(USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, { user: true, writable: true, noExec: true });
  space.mapNew(taskStackBottom(1), THREAD_SIZE, { writable: true, noExec: true });
  const top = taskStackTop(1);
  const hi = Math.floor(top / 2 ** 32);
  cpu.mmu.write64Halves(PER_CPU_BASE + PER_CPU.topOfStack, (top - hi * 2 ** 32) | 0, hi | 0, MODE_SUPERVISOR);
  cpu.mmu.write64Halves(cpu.tssBase + 4, (top - hi * 2 ** 32) | 0, hi | 0, MODE_SUPERVISOR);
  cpu.kernelGsBase = PER_CPU_BASE;
  cpu.gsBase = 0;
  cpu.setCs(USER_CS);
  cpu.ss = USER_DS;
  cpu.flags.set(0x202);
  cpu.updateDataMode();
  cpu.rip = USER_TEXT;
  cpu.nextRip = USER_TEXT;
  cpu.setRspNumber(USER_STACK_TOP);
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
