/**
 * A stopped tracee for the request-layer tests: a booted kernel whose user
 * task is given registers in its pt_regs (named members at the design's
 * layout, as the entry code writes them) and is addressed as not running;
 * a tracer whose memory is a 64 KiB buffer at TRACER_BASE (anything else
 * faults, as copy_to_user would on an unmapped page).
 */
import { field } from '../../../src/abi/view.js';
import { builtinDesign } from '../../../src/design/registry.js';
import { linearStore } from '../../../src/cpu/linear-store.js';
import { MODE_SUPERVISOR, MODE_SUPERVISOR_AC } from '../../../src/cpu/mmu.js';
import { bootKernel, type Kernel } from '../../../src/kernel/boot.js';
import { regsetTarget, taskPtRegs } from '../../../src/kernel/arch/x86/regset-thread.js';
import type { Task } from '../../../src/kernel/arch/x86/sched.js';
import { ptraceDataRequest, type PtraceTracee, type TracerMemory } from '../../../src/kernel/ptrace/request.js';
import { readLE, writeLE } from '../../../src/lib/bytes.js';

export const TRACER_BASE = 0x7000_0000;
const TRACER_SIZE = 0x1_0000;

export class FakeTracer implements TracerMemory {
  readonly mem = new Uint8Array(TRACER_SIZE);
  private inside(addr: number, len: number): boolean {
    return addr >= TRACER_BASE && addr + len <= TRACER_BASE + TRACER_SIZE;
  }
  read(addr: number, len: number): Uint8Array | null {
    return this.inside(addr, len) ? this.mem.slice(addr - TRACER_BASE, addr - TRACER_BASE + len) : null;
  }
  write(addr: number, bytes: Uint8Array): boolean {
    if (!this.inside(addr, bytes.length)) return false;
    this.mem.set(bytes, addr - TRACER_BASE);
    return true;
  }
  /** The tracer's bytes at `addr` (test access). */
  bytes(addr: number, len: number): Uint8Array {
    return this.mem.slice(addr - TRACER_BASE, addr - TRACER_BASE + len);
  }
  u64(addr: number): bigint {
    return readLE(this.bytes(addr, 8), false);
  }
  put(addr: number, bytes: Uint8Array): void {
    this.mem.set(bytes, addr - TRACER_BASE);
  }
  putU64(addr: number, v: bigint): void {
    this.put(addr, writeLE(BigInt.asUintN(64, v), 8));
  }
}

/** user_regs_struct order of the members pt_regs shares with it (0..160). */
export const PT_REGS_ORDER = [
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs',
  'flags', 'sp', 'ss',
] as const;

export interface Stopped {
  readonly k: Kernel;
  readonly task: Task;
  readonly tracee: PtraceTracee & { siginfo: Uint8Array | null };
  readonly tracer: FakeTracer;
  /** task_pt_regs(task)->name, read and written by name (what the entry code and the named-member paths see). */
  readonly regs: { get(name: string): bigint; set(name: string, v: bigint): void };
  /** ptrace(request, tracee, addr, data) as sys_ptrace's data-request part. */
  ptrace(request: number, addr: bigint | number, data: bigint | number): bigint | null;
}

/** A stopped task whose pt_regs member i (user_regs_struct order) holds 0x1000 + 8 * i; cs 0x33, ss 0x2b, flags 0x246, ip 0x401000. */
export function stopped(design: string): Stopped {
  const k = bootKernel(builtinDesign(design));
  const task = k.startUser('spin: jmp spin', 'tracee');
  const t = regsetTarget(k.platform, task, false);
  const mem = linearStore(k.platform.cpu.mmu, MODE_SUPERVISOR);
  const at = (name: string): number => taskPtRegs(t) + field(k.design.ptRegs, name).offset;
  const regs = {
    get: (name: string): bigint => readLE(mem.readBytes(at(name), 8), false),
    set: (name: string, v: bigint): void => mem.writeBytes(at(name), writeLE(BigInt.asUintN(64, v), 8)),
  };
  PT_REGS_ORDER.forEach((name, i) => regs.set(name, 0x1000n + 8n * BigInt(i)));
  regs.set('cs', 0x33n);
  regs.set('ss', 0x2bn);
  regs.set('flags', 0x246n);
  regs.set('ip', 0x40_1000n);
  if (design === 'pks-in-pt_regs') regs.set('pkrs', 0x5555_5554n);
  // access_process_vm for the test: a kernel access to the task's user pages (STAC: SMAP allows it); a fault is a short copy.
  const user = linearStore(k.platform.cpu.mmu, MODE_SUPERVISOR_AC);
  const tracee = {
    regs: t,
    readMemory(addr: number, len: number): Uint8Array | null {
      try {
        return user.readBytes(addr, len);
      } catch {
        return null;
      }
    },
    writeMemory(addr: number, bytes: Uint8Array): boolean {
      try {
        user.writeBytes(addr, bytes);
        return true;
      } catch {
        return false;
      }
    },
    siginfo: null as Uint8Array | null,
  };
  const tracer = new FakeTracer();
  return {
    k, task, tracee, tracer, regs,
    ptrace: (request, addr, data) => ptraceDataRequest(request, tracee, BigInt(addr), BigInt(data), tracer),
  };
}
