/**
 * execve of a static ELF64 executable into a fresh process: the load plan
 * (src/elf) mapped page by page the way load_elf_binary() maps it, the
 * brk heap placed after the image, the stack VMA with the initial stack
 * of create_elf_tables(), and the initial register state of reference §8.
 * @kernel fs/binfmt_elf.c load_elf_binary, elf_load, padzero; fs/exec.c setup_arg_pages; arch/x86/kernel/process_64.c start_thread
 */
import { layoutOf } from '../../abi/layout.js';
import { rtSigframe } from '../../abi/structs/signal.js';
import { xsaveSize } from '../../cpu/cpuid.js';
import { buildInitialStack, planLoad, type ArgString, type LoadPlan } from '../../elf/index.js';
import { PAGE_SIZE } from '../arch/x86/memory-map.js';
import { UsageError } from '../../lib/errors.js';
import { PROT_READ, PROT_WRITE, UserMm, pageDown, pageUp } from '../mm.js';

/** STACK_TOP with randomization off: TASK_SIZE_LOW = 0x7ffffffff000 (the 47-bit user half minus a guard page). */
export const STACK_TOP = 0x7fff_ffff_f000;
/** The stack VMA the model maps at exec: RLIMIT_STACK's default 8 MiB (Linux grows it on demand; here it is all there). */
export const STACK_SIZE = 8 * 1024 * 1024;

export interface ExecImage {
  readonly plan: LoadPlan;
  readonly rsp: number;
  readonly entry: number;
  readonly auxv: readonly (readonly [number, number])[];
}

export interface ExecOptions {
  readonly argv: readonly ArgString[];
  readonly envp: readonly ArgString[];
  /** The path execve was given (AT_EXECFN). */
  readonly execfn: string;
  /** The executable's absolute path (what /proc/self/maps names the image's mappings). */
  readonly exePath: string;
  /** AT_RANDOM's 16 bytes. */
  readonly random: Uint8Array;
  /** XCR0 of the CPU (the XSAVE area size in AT_MINSIGSTKSZ). */
  readonly xcr0: number;
  /** For AT_HWCAP/AT_HWCAP2: CPUID.1:EDX as Linux reports it. */
  readonly cpuid1Edx: number;
}

/** The image does not fit the machine's memory (kentry backs every page at once): a clear load error. */
function outOfMemory(bytes: number): never {
  throw new UsageError(`cannot load the program: a ${Math.ceil(bytes / 1048576)} MiB mapping does not fit the machine's memory`);
}

/** sizeof(struct sigframe_ia32): the largest frame when IA32 emulation is built (arch/x86/include/asm/sigframe.h). */
export const SIGFRAME_IA32_SIZE = 732;
/** sizeof(struct fregs_state): the fsave header ia32 frames carry in front of the FXSAVE image. */
const FREGS_STATE_SIZE = 112;

/**
 * get_sigframe_size() (AT_MINSIGSTKSZ): init_sigframe_size's max_frame_size —
 * the largest frame struct + 15 (MAX_FRAME_PADDING) + fpu__get_fpstate_size()
 * (the XSAVE area, FP_XSTATE_MAGIC2, and the fsave header with IA32
 * emulation) + 63 (MAX_XSAVE_PADDING), rounded up to 16. kentry's kernel has
 * no IA32 emulation (no 32-bit system calls), so its largest frame is the
 * 64-bit rt_sigframe; with `ia32` the formula gives what a distribution kernel
 * reports (the test checks it against the host's auxv).
 * @kernel arch/x86/kernel/signal.c init_sigframe_size, arch/x86/kernel/fpu/signal.c fpu__get_fpstate_size
 */
export function maxFrameSize(xstateSize: number, ia32 = false): number {
  const frame = ia32 ? Math.max(SIGFRAME_IA32_SIZE, layoutOf(rtSigframe).size) : layoutOf(rtSigframe).size;
  const fpstate = xstateSize + 4 + (ia32 ? FREGS_STATE_SIZE : 0);
  return Math.ceil((frame + 15 + fpstate + 63) / 16) * 16;
}

/**
 * Maps the image into `mm` and writes the initial stack. Each segment
 * covers whole file pages (elf_map maps from the page holding p_offset):
 * bytes before p_vaddr and after p_filesz in a file page come from the
 * file, except that the page where .bss starts is cleared past p_filesz
 * (padzero); later pages up to p_memsz are anonymous zero pages. A page
 * two segments share belongs to the later one, as the later mmap wins.
 */
export function loadElf(mm: UserMm, writePhys: (pa: number, bytes: Uint8Array) => void, file: Uint8Array, o: ExecOptions): ExecImage {
  const plan = planLoad(file);
  for (const s of plan.segments) {
    const fileStart = s.offset - (s.vaddr - s.mapStart); // the file position of the first mapped byte
    const frames = mm.map(s.mapStart, s.mapEnd, s.prot, o.exePath, fileStart) ?? outOfMemory(s.mapEnd - s.mapStart);
    const fileEnd = s.offset + s.filesz;
    frames.forEach((pa, i) => {
      const from = fileStart + i * PAGE_SIZE;
      if (from >= fileEnd && s.bss > 0) return; // an anonymous .bss page
      const to = Math.min(from + PAGE_SIZE, file.length, s.bss > 0 ? fileEnd : Infinity);
      if (to > from) writePhys(pa, file.subarray(from, to));
    });
  }
  const imageEnd = Math.max(...plan.segments.map((s) => s.vaddr + s.memsz));
  mm.startBrk = mm.brk = plan.brk !== 0 ? plan.brk : pageUp(imageEnd);
  const stack = buildInitialStack({
    stackTop: STACK_TOP,
    argv: o.argv,
    envp: o.envp,
    execfn: o.execfn,
    plan,
    random: o.random,
    hwcap: o.cpuid1Edx,
    hwcap2: 0,
    minsigstksz: maxFrameSize(xsaveSize(o.xcr0)),
    uid: 0, euid: 0, gid: 0, egid: 0,
  });
  const frames = mm.map(STACK_TOP - STACK_SIZE, STACK_TOP, PROT_READ | PROT_WRITE, '[stack]') ?? outOfMemory(STACK_SIZE);
  const base = STACK_TOP - STACK_SIZE;
  for (let off = 0; off < stack.bytes.length;) {
    const a = stack.rsp + off;
    const page = pageDown(a);
    const n = Math.min(stack.bytes.length - off, page + PAGE_SIZE - a);
    writePhys(frames[(page - base) / PAGE_SIZE]! + (a - page), stack.bytes.subarray(off, off + n));
    off += n;
  }
  return { plan, rsp: stack.rsp, entry: plan.entry, auxv: stack.auxv };
}

