/**
 * The initial user stack of a new x86-64 process, byte for byte as Linux
 * builds it (x86-64 SysV ABI §3.4.1). Pure: returns the bytes of
 * [rsp, stackTop) and the initial RSP; the kernel layer copies them in.
 *
 * High addresses first, as fs/exec.c and fs/binfmt_elf.c create_elf_tables()
 * lay it out (with randomization off, arch_align_stack() only rounds):
 *
 *   stackTop ->  8 zero bytes          (bprm->p = vm_end - sizeof(void *))
 *                execfn "\0"           (copy_string_kernel(bprm->filename): AT_EXECFN)
 *                envp strings "\0"...  (copy_strings(envc), last string highest)
 *                argv strings "\0"...  (copy_strings(argc), argv[0] lowest)
 *                -- arch_align_stack(): minus a random 0..8191, rounded down to 16
 *                platform "x86_64\0"   (AT_PLATFORM)
 *                16 random bytes       (AT_RANDOM, not aligned)
 *                zero padding          (STACK_ROUND to 16)
 *                auxv pairs ... AT_NULL 0
 *                NULL, envp[envc-1] ... envp[0]
 *                NULL, argv[argc-1] ... argv[0]
 *   rsp ->       argc                  (16-byte aligned)
 */
import { InternalError, UsageError, assert } from '../lib/errors.js';
import {
  AT_BASE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_FLAGS, AT_GID, AT_HWCAP, AT_HWCAP2,
  AT_MINSIGSTKSZ, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PLATFORM, AT_RANDOM,
  AT_RSEQ_ALIGN, AT_RSEQ_FEATURE_SIZE, AT_SECURE, AT_SYSINFO_EHDR, AT_UID, CLOCKS_PER_SEC,
  ELF_EXEC_PAGESIZE, ELF_PLATFORM,
} from './auxv.js';
import type { LoadPlan } from './load-plan.js';

export type ArgString = string | Uint8Array;

export interface InitialStackInput {
  /** End (exclusive) of the stack VMA; page aligned (setup_arg_pages()). */
  readonly stackTop: number;
  /** An empty argv becomes [""], as fs/exec.c does since Linux 5.18. */
  readonly argv: readonly ArgString[];
  readonly envp: readonly ArgString[];
  /** The path given to execve (bprm->filename): AT_EXECFN. */
  readonly execfn: ArgString;
  readonly plan: Pick<LoadPlan, 'phdrAddr' | 'phent' | 'phnum' | 'entry'>;
  /** AT_RANDOM's 16 bytes (get_random_bytes() in create_elf_tables()). */
  readonly random: Uint8Array;
  readonly hwcap: number;
  readonly hwcap2: number;
  /** AT_MINSIGSTKSZ: get_sigframe_size(), the signal frame size of this CPU. */
  readonly minsigstksz: number;
  readonly uid: number;
  readonly euid: number;
  readonly gid: number;
  readonly egid: number;
  /** AT_PLATFORM string; ELF_PLATFORM "x86_64" by default. */
  readonly platform?: string;
  /** AT_SECURE (bprm->secureexec); 0 by default. */
  readonly secure?: number;
  /** AT_SYSINFO_EHDR: only emitted when a vDSO is mapped (vdso64_enabled). */
  readonly vdso?: number;
  /** AT_RSEQ_FEATURE_SIZE / AT_RSEQ_ALIGN: only emitted by a kernel with CONFIG_RSEQ. */
  readonly rseq?: { readonly featureSize: number; readonly align: number };
  /** arch_align_stack()'s random subtraction (0..8191); 0 = randomization off. */
  readonly alignStackRandom?: number;
}

export interface InitialStack {
  /** The initial RSP: points at argc, 16-byte aligned. */
  readonly rsp: number;
  /** Contents of [rsp, stackTop). */
  readonly bytes: Uint8Array;
  /** The auxiliary vector as written, AT_NULL included. */
  readonly auxv: readonly (readonly [type: number, value: number])[];
  readonly argv: readonly number[];
  readonly envp: readonly number[];
  readonly execfn: number;
  readonly platform: number;
  readonly random: number;
  /** mm->arg_start: the lowest string byte. */
  readonly argStart: number;
}

/** include/linux/binfmts.h MAX_ARG_STRLEN: PAGE_SIZE * 32, NUL included. */
export const MAX_ARG_STRLEN = 4096 * 32;
/** fs/exec.c bprm_stack_limits(): min(_STK_LIM / 4 * 3, rlimit / 4) with the default 8 MiB rlimit. */
const ARG_SPACE = (8 * 1024 * 1024) / 4;

const utf8 = new TextEncoder();

function cString(s: ArgString, what: string): Uint8Array {
  const bytes = typeof s === 'string' ? utf8.encode(s) : s;
  if (bytes.includes(0)) throw new UsageError(`${what} contains a NUL byte`);
  // copy_strings(): "if (!valid_arg_len(bprm, len)) goto out;" -> -E2BIG
  if (bytes.length + 1 > MAX_ARG_STRLEN) throw new UsageError(`${what} is too long (E2BIG: over ${MAX_ARG_STRLEN} bytes)`);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Builds the initial stack. Throws `UsageError` for arguments execve would refuse. */
export function buildInitialStack(input: InitialStackInput): InitialStack {
  const { stackTop } = input;
  assert(Number.isSafeInteger(stackTop) && stackTop % 4096 === 0, `stack top ${stackTop} is not page aligned`);
  assert(input.random.length === 16, 'AT_RANDOM needs exactly 16 bytes');
  const alignRandom = input.alignStackRandom ?? 0;
  assert(Number.isInteger(alignRandom) && alignRandom >= 0 && alignRandom < 8192, 'arch_align_stack() subtracts 0..8191');

  // fs/exec.c do_execveat_common(): argc == 0 gets an empty argv[0].
  const argvIn = input.argv.length === 0 ? [''] : input.argv;
  const argv = argvIn.map((s, i) => cString(s, `argv[${i}]`));
  const envp = input.envp.map((s, i) => cString(s, `envp[${i}]`));
  const execfn = cString(input.execfn, 'the program path');
  const strings = [...argv, ...envp].reduce((n, s) => n + s.length, 0);
  // bprm_stack_limits() runs before the path is copied, so it counts too.
  if (strings + execfn.length + (argv.length + envp.length) * 8 > ARG_SPACE) {
    throw new UsageError(`argument list too long (E2BIG: argv and envp need over ${ARG_SPACE} bytes)`);
  }

  // Strings from the top down: execfn, then envp and argv, each list copied
  // last-first so that it reads in order upwards.
  const writes: { at: number; bytes: Uint8Array }[] = [];
  let p = stackTop - 8;
  p -= execfn.length;
  const execfnAddr = p;
  writes.push({ at: p, bytes: execfn });
  const place = (list: Uint8Array[]): number[] => {
    const addrs = new Array<number>(list.length);
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i];
      if (!s) throw new InternalError('argument list changed');
      p -= s.length;
      addrs[i] = p;
      writes.push({ at: p, bytes: s });
    }
    return addrs;
  };
  const envpAddrs = place(envp);
  const argvAddrs = place(argv);
  const argStart = p;

  // create_elf_tables(): p = arch_align_stack(p) (arch/x86/kernel/process.c:
  // subtract a random 0..8191 when randomizing, then "return sp & ~0xf").
  p = Math.floor((p - alignRandom) / 16) * 16;
  const platform = cString(input.platform ?? ELF_PLATFORM, 'the platform string');
  p -= platform.length;
  const platformAddr = p;
  writes.push({ at: p, bytes: platform });
  p -= 16;
  const randomAddr = p;
  writes.push({ at: p, bytes: input.random });

  const auxv = auxvEntries(input, randomAddr, execfnAddr, platformAddr);
  // sp = STACK_ADD(p, ei_index); items = (argc + 1) + (envc + 1) + 1;
  // bprm->p = STACK_ROUND(sp, items): round down to 16 below all of it.
  const sp = p - auxv.length * 16;
  const items = argv.length + 1 + (envp.length + 1) + 1;
  const rsp = Math.floor((sp - items * 8) / 16) * 16;

  const bytes = new Uint8Array(stackTop - rsp);
  const view = new DataView(bytes.buffer);
  const put = (addr: number, value: number): void => view.setBigUint64(addr - rsp, BigInt(value), true);
  let q = rsp;
  put(q, argv.length); q += 8;
  for (const a of argvAddrs) { put(q, a); q += 8; }
  put(q, 0); q += 8;
  for (const a of envpAddrs) { put(q, a); q += 8; }
  put(q, 0); q += 8;
  for (const [type, value] of auxv) { put(q, type); put(q + 8, value); q += 16; }
  for (const w of writes) bytes.set(w.bytes, w.at - rsp);

  return {
    rsp, bytes, auxv, argv: argvAddrs, envp: envpAddrs, execfn: execfnAddr, platform: platformAddr, random: randomAddr, argStart,
  };
}

/**
 * The auxiliary vector in the order create_elf_tables() emits it: x86's
 * ARCH_DLINFO first (arch/x86/include/asm/elf.h: AT_SYSINFO_EHDR when the
 * vDSO is mapped, then AT_MINSIGSTKSZ), then the generic entries. AT_BASE is
 * 0 (no interpreter), AT_FLAGS 0, no AT_BASE_PLATFORM or AT_EXECFD on x86.
 */
function auxvEntries(input: InitialStackInput, random: number, execfn: number, platform: number): [number, number][] {
  const { plan } = input;
  const out: [number, number][] = [];
  if (input.vdso !== undefined) out.push([AT_SYSINFO_EHDR, input.vdso]);
  out.push(
    [AT_MINSIGSTKSZ, input.minsigstksz],
    [AT_HWCAP, input.hwcap],
    [AT_PAGESZ, ELF_EXEC_PAGESIZE],
    [AT_CLKTCK, CLOCKS_PER_SEC],
    [AT_PHDR, plan.phdrAddr],
    [AT_PHENT, plan.phent],
    [AT_PHNUM, plan.phnum],
    [AT_BASE, 0],
    [AT_FLAGS, 0],
    [AT_ENTRY, plan.entry],
    [AT_UID, input.uid],
    [AT_EUID, input.euid],
    [AT_GID, input.gid],
    [AT_EGID, input.egid],
    [AT_SECURE, input.secure ?? 0],
    [AT_RANDOM, random],
    [AT_HWCAP2, input.hwcap2],
    [AT_EXECFN, execfn],
    [AT_PLATFORM, platform],
  );
  if (input.rseq) out.push([AT_RSEQ_FEATURE_SIZE, input.rseq.featureSize], [AT_RSEQ_ALIGN, input.rseq.align]);
  out.push([AT_NULL, 0]);
  for (const [t, v] of out) assert(Number.isSafeInteger(v) && v >= 0, `auxv entry ${t} has value ${v}`);
  return out;
}
