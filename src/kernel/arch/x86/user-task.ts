/**
 * Loading a user program and leaving for it, as the first return to user
 * mode would: the program's text and stack mapped, the task's kernel stack
 * mapped and published (per-CPU top_of_stack, TSS.RSP0), and the CPU in
 * CPL 3 at the program's first instruction with interrupts enabled.
 */
import { assemble } from '../../../asm/index.js';
import { linearStore } from '../../../cpu/linear-store.js';
import { MODE_SUPERVISOR } from '../../../cpu/mmu.js';
import { writeLE } from '../../../lib/bytes.js';
import {
  PER_CPU_BASE, USER_CS, USER_DS, USER_STACK_SIZE, USER_STACK_TOP, USER_TEXT,
} from './memory-map.js';
import { PER_CPU, type Platform } from './platform.js';

/** The running task's stack top where entry code finds it: per-CPU top_of_stack and TSS.RSP0 (update_task_stack). */
export function publishStackTop(platform: Platform, stackTop: number): void {
  const kernelMemory = linearStore(platform.cpu.mmu, MODE_SUPERVISOR);
  const write64 = (address: number, value: number): void => kernelMemory.writeBytes(address, writeLE(BigInt(value), 8));
  write64(PER_CPU_BASE + PER_CPU.topOfStack, stackTop);
  write64(platform.cpu.tssBase + 4, stackTop); // TSS.RSP0 (SDM Vol. 3A §8.7, 64-bit TSS)
}

/** Maps and loads `source` for the task whose kernel stack ends at `stackTop`, and enters user mode at its first instruction. */
export function startUserTask(platform: Platform, source: string, stackTop: number): void {
  const { space, phys } = platform;
  const code = assemble(source, { origin: USER_TEXT }).bytes;
  phys.writeBytes(space.mapNew(USER_TEXT, Math.ceil(code.length / 4096) * 4096 || 4096, { user: true }), code);
  space.mapNew(USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, { user: true, writable: true, noExec: true });
  enterUserMode(platform, USER_TEXT, USER_STACK_TOP, stackTop, false);
}

/**
 * Leaves for user mode at `rip` with `rsp`, as the first return to user
 * mode would: the task's kernel stack published (top_of_stack, TSS.RSP0),
 * the user GS base loaded with the kernel's in KERNEL_GS_BASE, CS/SS user,
 * RFLAGS 0x202. With `clearRegs`, every general register is 0 and the FS/GS
 * bases too (start_thread; reference §8's initial state).
 */
export function enterUserMode(platform: Platform, rip: number, rsp: number, kernelStackTop: number, clearRegs: boolean): void {
  const cpu = platform.cpu;
  publishStackTop(platform, kernelStackTop);
  if (clearRegs) {
    for (let r = 0; r < 16; r++) {
      cpu.lo[r] = 0;
      cpu.hi[r] = 0;
    }
    cpu.fsBase = 0;
  }
  cpu.kernelGsBase = PER_CPU_BASE;
  cpu.gsBase = 0;
  cpu.setCs(USER_CS);
  cpu.ss = USER_DS;
  cpu.flags.set(0x202); // IF, and the always-one bit 1
  cpu.updateDataMode();
  cpu.rip = rip;
  cpu.nextRip = rip;
  cpu.setRspNumber(rsp);
}
