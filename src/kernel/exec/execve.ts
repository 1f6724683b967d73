/**
 * execve for a static ELF: a fresh address space with the image and its
 * initial stack (binfmt-elf.ts), the old one dropped (or handed back to a
 * vfork parent, which wakes), handlers reset to SIG_DFL, the FPU and LDT
 * to their initial state, and start_thread's registers in pt_regs so the
 * system call "returns" at the new entry point.
 *
 * The file comes from the process's own executable (/proc/self/exe or its
 * path) or from the host through HostConsole.readFile; close-on-exec file
 * descriptors are not modelled (kentry's descriptors are the console and
 * read-only in-memory files).
 *
 * @kernel fs/exec.c do_execveat_common, begin_new_exec, flush_signal_handlers
 * @kernel arch/x86/kernel/process_64.c start_thread_common
 */
import { ENOENT, ENOEXEC, ENOMEM } from '../../abi/errno.js';
import { cpuid } from '../../cpu/cpuid.js';
import { KentryError } from '../../lib/errors.js';
import { fpuClearUserStates } from '../arch/x86/fpu-signal.js';
import { USER_CS, USER_DS } from '../arch/x86/memory-map.js';
import type { PtRegs } from '../arch/x86/regs.js';
import type { Kernel } from '../boot.js';
import { UserMm } from '../mm.js';
import type { LinuxProcess } from '../syscalls/process.js';
import { loadElf, type ExecImage, type ExecOptions } from './binfmt-elf.js';
import type { WorldState } from './world-state.js';

/** What exec passes to binfmt-elf besides what the CPU tells (XCR0, CPUID). */
export type ImageArgs = Omit<ExecOptions, 'xcr0' | 'cpuid1Edx'>;

/** A new mm holding `file`'s image and initial stack (throws the loader's one-line error on a bad file). */
export function loadImage(k: Kernel, file: Uint8Array, a: ImageArgs): { mm: UserMm; image: ExecImage } {
  const { platform } = k;
  const cpu = platform.cpu;
  const mm = new UserMm(platform.space, cpu.mmu);
  try {
    const image = loadElf(mm, (pa, bytes) => platform.phys.writeBytes(pa, bytes), file, {
      ...a, xcr0: cpu.xcr0, cpuid1Edx: cpuid(cpu, 1, 0)[3],
    });
    return { mm, image };
  } catch (e) {
    mm.release();
    throw e;
  }
}

const GPRS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di'] as const;
const X86_EFLAGS_IF = 0x200n;
const SIG_IGN = 1n;

/** The executable at `path`, as this process can reach files: its own image, or the host's through the console. */
function openExec(p: LinuxProcess, path: string): Uint8Array | null {
  if (path === '/proc/self/exe' || path === p.exePath) return p.exe;
  return p.console.readFile?.(path) ?? null;
}

export function execProcess(
  k: Kernel, world: WorldState, p: LinuxProcess, regs: PtRegs, path: string,
  argv: readonly Uint8Array[], envp: readonly Uint8Array[],
): number {
  const file = openExec(p, path);
  if (file === null) return -ENOENT;
  const exePath = path.startsWith('/') ? path : `/${path}`;
  let loaded: { mm: UserMm; image: ExecImage };
  try {
    loaded = loadImage(k, file, { argv, envp, execfn: path, exePath, random: p.random(16) });
  } catch (e) {
    if (e instanceof KentryError) return /memory/.test(e.message) ? -ENOMEM : -ENOEXEC;
    throw e;
  }
  // The point of no return (begin_new_exec): the old mm goes, or back to the vfork parent.
  const cpu = k.platform.cpu;
  const old = p.mm;
  p.mm = loaded.mm;
  p.task.userMm = loaded.mm;
  cpu.mmu.setCr3(loaded.mm.root);
  if (p.vforkParent) {
    world.wake(p.vforkParent.task);
    p.vforkParent = null;
  } else if (![...world.byPid.values()].some((q) => q !== p && q.mm === old && q.task.state !== 'dead')) {
    old.release();
  }
  p.exe = file;
  p.exePath = exePath;
  p.clearChildTid = 0;
  p.robustList = null;
  // flush_signal_handlers: caught signals go back to SIG_DFL; ignored ones stay ignored. The alternate stack goes.
  for (const act of p.task.signals.actions) {
    if (act.handler !== SIG_IGN) act.handler = 0n;
    act.flags = 0n;
    act.restorer = 0n;
    act.mask = 0n;
  }
  Object.assign(p.task.signals.altstack, { sp: 0, size: 0, flags: 2 /* SS_DISABLE: sas_ss_reset */ });
  fpuClearUserStates(cpu);
  cpu.lldt(0);
  cpu.fsBase = 0;
  cpu.kernelGsBase = 0; // the user GS base, while in the kernel
  // start_thread_common: zeroed registers (ELF_PLAT_INIT), the entry point and stack, user CS/SS, IF.
  for (const r of GPRS) regs.set(r, 0n);
  regs.set('ip', BigInt(loaded.image.entry));
  regs.set('sp', BigInt(loaded.image.rsp));
  regs.set('cs', BigInt(USER_CS));
  regs.set('ss', BigInt(USER_DS));
  regs.set('flags', X86_EFLAGS_IF);
  return 0;
}
