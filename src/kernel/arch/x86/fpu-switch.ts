/**
 * A user task's FPU registers across context switches and fork: saved into
 * its thread.fpu (an XSAVE standard-format image of every user feature,
 * PKRU included) when it is switched out, restored when it is switched back
 * in. Linux defers the restore to the return to user mode
 * (TIF_NEED_FPU_LOAD, switch_fpu_return); kentry's kernel threads never use
 * the FPU, so restoring at the switch is the same state by the time user
 * code runs.
 *
 * @kernel arch/x86/include/asm/fpu/sched.h switch_fpu_prepare, switch_fpu_finish
 * @kernel arch/x86/kernel/fpu/core.c fpu_clone, save_fpregs_to_fpstate
 */
import type { CpuCore as Cpu } from '../../../cpu/core.js';
import { xsaveSize } from '../../../cpu/cpuid.js';
import { xrstorFrom, xsaveInto, type XsaveArea } from '../../../cpu/ops/fpu-state.js';

function areaOf(image: Uint8Array): XsaveArea {
  return {
    read: (offset, size) => image.slice(offset, offset + size),
    write: (offset, bytes) => image.set(bytes, offset),
  };
}

/** save_fpregs_to_fpstate: the CPU's user FPU state as a fresh XSAVE image. */
export function fpuSave(cpu: Cpu): Uint8Array {
  const image = new Uint8Array(xsaveSize(cpu.xcr0));
  xsaveInto(cpu, areaOf(image), cpu.xcr0);
  return image;
}

/** restore_fpregs_from_fpstate: the CPU's user FPU state from `image`. */
export function fpuRestore(cpu: Cpu, image: Uint8Array): void {
  xrstorFrom(cpu, areaOf(image), cpu.xcr0);
}
