/**
 * Starting a static Linux program as the kernel's user process: a task, its
 * address space with the ELF image and initial stack (binfmt-elf.ts), the
 * system call table, and the first return to user mode.
 */
import { mulberry32 } from '../../lib/prng.js';
import type { ArgString } from '../../elf/index.js';
import { fpuClearUserStates } from '../arch/x86/fpu-signal.js';
import { newTask } from '../arch/x86/process.js';
import { enterUserMode } from '../arch/x86/user-task.js';
import type { Kernel, Task } from '../boot.js';
import type { HostConsole } from '../syscalls/host.js';
import type { LinuxProcess } from '../syscalls/process.js';
import type { FdTable } from '../syscalls/files.js';
import { loadImage } from './execve.js';
import { addProcess, worldOf } from './world.js';

export interface ProgramOptions {
  readonly argv: readonly ArgString[];
  readonly envp: readonly ArgString[];
  /** The path execve was given (AT_EXECFN). */
  readonly execfn: string;
  /** The executable's absolute path on the host (/proc/self/exe); default: execfn made absolute under '/'. */
  readonly exePath?: string;
  readonly console: HostConsole;
  /** Seed of AT_RANDOM and getrandom (runs repeat exactly; default 1). */
  readonly seed?: number;
}

export interface Program {
  readonly task: Task;
  readonly process: LinuxProcess;
}

/** Loads `file` (ELF bytes) as pid `pid`'s program and leaves for user mode at its entry. */
export function startProgram(k: Kernel, pid: number, file: Uint8Array, o: ProgramOptions): Program {
  const { platform } = k;
  const cpu = platform.cpu;
  const rand = mulberry32(o.seed ?? 1);
  const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  const exePath = o.exePath ?? (o.execfn.startsWith('/') ? o.execfn : `/${o.execfn}`);
  const { mm, image } = loadImage(k, file, { argv: o.argv, envp: o.envp, execfn: o.execfn, exePath, random: random(16) });
  const files: FdTable = new Map();
  for (const fd of [0, 1, 2]) if (o.console.kind(fd) !== 'closed') files.set(fd, { kind: 'console', fd });
  const task = newTask(platform, pid, o.execfn.split('/').pop() || 'program', 'user');
  task.userMm = mm;
  const world = worldOf(k);
  const process: LinuxProcess = {
    pid, task, rt: platform.native, mm, console: o.console, exePath, exe: file, files,
    clearChildTid: 0, robustList: null, nsPerInstruction: 1,
    instructions: () => cpu.instructions,
    random,
    clock: { sleptNs: 0, alarmAt: null },
    sleepForever: () => k.sched.sleepTicks(Infinity),
    napTick: () => k.sched.sleepTicks(1),
    schedYield: () => k.sched.schedule(),
    world, parent: null, children: [], exitSignal: 0, vforkParent: null, reaped: false,
  };
  addProcess(world, process);
  k.adopt(task);
  // switch_mm to the new process's tables, then the first return to user mode (start_thread).
  cpu.mmu.setCr3(mm.root);
  // fpu_flush_thread at exec: the user FPU state to init, PKRU = init_pkru_value (pkru_write_default).
  fpuClearUserStates(cpu);
  // The new mm has no LDT (load_mm_ldt → clear_LDT: a null LDTR).
  cpu.lldt(0);
  enterUserMode(platform, image.entry, image.rsp, task.stackTop, true);
  return { task, process };
}
