/**
 * A LinuxProcess for calling system call functions directly: a booted
 * kernel's task and native runtime, a UserMm with one read-write page at
 * USER_PAGE, a virtual clock the test moves, and regs that hold only the
 * arguments (the functions read nothing else). sleepForever records that
 * it was reached instead of switching away.
 */
import { builtinDesign } from '../../../src/design/registry.js';
import { bootKernel } from '../../../src/kernel/boot.js';
import type { PtRegs } from '../../../src/kernel/arch/x86/regs.js';
import { MODE_USER } from '../../../src/cpu/mmu.js';
import { PROT_READ, PROT_WRITE, UserMm } from '../../../src/kernel/mm.js';
import { MemoryConsole } from '../../../src/kernel/syscalls/host.js';
import type { LinuxProcess } from '../../../src/kernel/syscalls/process.js';
import { worldOf } from '../../../src/kernel/exec/world.js';

export const USER_PAGE = 0x40_0000;

export interface TestProcess {
  readonly p: LinuxProcess;
  /** Retire `n` more instructions (moves the virtual clock by n ns). */
  run(n: number): void;
  /** Whether sleepForever was reached. */
  readonly slept: { forever: boolean };
  readU64(address: number): bigint;
  writeU64(address: number, v: bigint): void;
  /** The high half of the leaf PTE mapping `address` (XD, the key in bits 30:27). */
  pteHi(address: number): number;
}

export function testProcess(): TestProcess {
  const k = bootKernel(builtinDesign('upstream'));
  const task = k.startUser('spin: jmp spin', 'test');
  const mm = new UserMm(k.platform.space, k.platform.cpu.mmu);
  mm.map(USER_PAGE, USER_PAGE + 0x1000, PROT_READ | PROT_WRITE, '');
  // The process's own tables in CR3, as switch_mm would leave them (the bare task ran on init_mm's).
  task.userMm = mm;
  k.platform.cpu.mmu.setCr3(mm.root);
  let insns = 0;
  const slept = { forever: false };
  const p: LinuxProcess = {
    pid: task.pid, task, rt: k.platform.native, mm, console: new MemoryConsole(), exePath: '/t', exe: new Uint8Array(0),
    files: new Map(), clearChildTid: 0, robustList: null, nsPerInstruction: 1,
    instructions: () => insns,
    random: (n) => new Uint8Array(n),
    clock: { sleptNs: 0, alarmAt: null },
    *sleepForever() {
      slept.forever = true;
    },
    world: worldOf(k), parent: null, children: [], exitSignal: 0, vforkParent: null, reaped: false,
  };
  p.world.byPid.set(p.pid, p);
  const mmu = k.platform.cpu.mmu;
  return {
    p, slept,
    run: (n) => void (insns += n),
    pteHi: (a) => mm.pte(a)?.hi ?? 0,
    readU64: (a) => new DataView(mmu.readBytes(a, 8, MODE_USER).buffer).getBigUint64(0, true),
    writeU64: (a, v) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      mmu.writeBytes(a, b, MODE_USER);
    },
  };
}

/** pt_regs with only the argument registers (rdi, rsi, rdx, r10, r8, r9). */
export function argRegs(...args: (number | bigint)[]): PtRegs {
  const names = ['di', 'si', 'dx', 'r10', 'r8', 'r9'];
  const get = (name: string): bigint => BigInt.asUintN(64, BigInt(args[names.indexOf(name)] ?? 0));
  return { get } as unknown as PtRegs;
}
