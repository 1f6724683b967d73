/**
 * user_x86_64_view: the x86-64 regsets by note type, each with its size in
 * words (n) and bytes per word (size), its get and (when it has one) set;
 * and copy_regset_to_user / copy_regset_from_user, through which
 * PTRACE_GETREGS/SETREGS/GETFPREGS/SETFPREGS and PTRACE_GETREGSET/SETREGSET
 * reach them.
 *
 *   NT_PRSTATUS    27 x 8   genregs_get / genregs_set (putreg word by word)
 *   NT_PRFPREG     64 x 8   xfpregs_get / xfpregs_set
 *   NT_X86_XSTATE  max_size/8 x 8   xstateregs_get / xstateregs_set
 *   NT_386_IOPERM  1024 x 8  ioperm_get: -ENXIO (kentry has no ioperm(), so
 *                  thread.io_bitmap is always NULL); no set (-EOPNOTSUPP)
 *   NT_X86_SHSTK   1 x 8    ssp_get / ssp_set: -ENODEV (kentry's CPU has no
 *                  user shadow stack); present as in a CONFIG_X86_USER_SHADOW_STACK=y kernel
 *
 * task_user_regset_view picks the 32-bit view for a task whose saved CS is
 * not __USER_CS (user_64bit_mode); kentry does not model that view and
 * says so (NotModelledError) rather than answer with the 64-bit one.
 *
 * @kernel arch/x86/kernel/ptrace.c x86_64_regsets, user_x86_64_view, task_user_regset_view, ioperm_get, update_regset_xstate_info
 * @kernel include/linux/regset.h copy_regset_to_user, copy_regset_from_user; kernel/regset.c regset_get_alloc, __regset_get
 * @kernel arch/x86/kernel/fpu/regset.c ssp_get, ssp_set
 * @kernel arch/x86/include/asm/user.h user_64bit_mode
 */
import { EFAULT, ENODEV, ENXIO, EOPNOTSUPP } from '../../../abi/errno.js';
import { NT_386_IOPERM, NT_PRFPREG, NT_PRSTATUS, NT_X86_SHSTK, NT_X86_XSTATE } from '../../../abi/structs/elfcore.js';
import { NotModelledError } from '../../../lib/errors.js';
import { USER_CS } from './memory-map.js';
import { copyToTracer, userPointer, type TracerMemory } from './ptrace-tracer.js';
import { USER_REGS_SIZE, genregsGet, genregsSet, taskPtRegsGet } from './regset.js';
import type { RegsetSource } from './regset-copyin.js';
import { xfpregsGet, xfpregsSet, xstateUserSize, xstateregsGet, xstateregsSet } from './regset-fpu.js';
import type { RegsetTarget } from './regset-thread.js';

/** One struct user_regset. */
export interface UserRegset {
  readonly noteType: number;
  readonly name: string;
  /** regset->n (NT_X86_XSTATE's depends on the CPU's user features). */
  n(t: RegsetTarget): number;
  /** regset->size: bytes per word. */
  readonly size: number;
  /** regset_get: the regset's bytes, or a negative errno. */
  get(t: RegsetTarget): Uint8Array | number;
  /** regset->set, or null when the regset has none. */
  readonly set: ((t: RegsetTarget, pos: number, count: number, source: RegsetSource) => number) | null;
}

/** IO_BITMAP_LONGS: the 65536-bit I/O permission bitmap in longs. */
const IO_BITMAP_LONGS = 65536 / 64;

/**
 * genregs_set from a source: a word at a time (__get_user, then putreg),
 * stopping at the first fault (-EFAULT) or refused word; earlier words stay.
 */
function genregsSetFrom(t: RegsetTarget, pos: number, count: number, source: RegsetSource): number {
  for (let i = 0; i + 8 <= count; i += 8) {
    const word = source.read(i, 8);
    if (word === null) return -EFAULT;
    const r = genregsSet(t, word, pos + i);
    if (r !== 0) return r;
  }
  return 0;
}

const X86_64_REGSETS: readonly UserRegset[] = [
  { noteType: NT_PRSTATUS, name: 'REGSET64_GENERAL', n: () => USER_REGS_SIZE / 8, size: 8, get: genregsGet, set: genregsSetFrom },
  { noteType: NT_PRFPREG, name: 'REGSET64_FP', n: () => 512 / 8, size: 8, get: xfpregsGet, set: xfpregsSet },
  {
    noteType: NT_X86_XSTATE, name: 'REGSET64_XSTATE', n: (t) => xstateUserSize(t) / 8, size: 8,
    get: (t) => xstateregsGet(t), set: xstateregsSet,
  },
  { noteType: NT_386_IOPERM, name: 'REGSET64_IOPERM', n: () => IO_BITMAP_LONGS, size: 8, get: () => -ENXIO, set: null },
  { noteType: NT_X86_SHSTK, name: 'REGSET64_SSP', n: () => 1, size: 8, get: () => -ENODEV, set: () => -ENODEV },
];

/** The regsets PTRACE_GETREGS and friends name directly (arch_ptrace's REGSET_GENERAL, REGSET_FP). */
export const REGSET_GENERAL = X86_64_REGSETS[0]!;
export const REGSET_FP = X86_64_REGSETS[1]!;

/**
 * task_user_regset_view(task): user_x86_64_view while task_pt_regs(task)->cs
 * (a named read) is __USER_CS.
 */
export function taskUserRegsetView(t: RegsetTarget): readonly UserRegset[] {
  const cs = taskPtRegsGet(t, 'cs');
  if (cs !== BigInt(USER_CS)) {
    throw new NotModelledError(`regsets of a task whose CS is 0x${cs.toString(16)}: the 32-bit user_regset_view`);
  }
  return X86_64_REGSETS;
}

/** find_regset(view, type): the regset with that core note type, or null. */
export function findRegset(view: readonly UserRegset[], type: number): UserRegset | null {
  return view.find((r) => r.noteType === type) ?? null;
}

/**
 * copy_regset_to_user(target, view, setno, 0, size, ptr): the regset's get
 * cut to `size` (at most n * size; the get runs even for size 0), then
 * copied to the tracer. Returns 0 or a negative errno.
 */
export function copyRegsetToUser(t: RegsetTarget, regset: UserRegset, size: number, tracer: TracerMemory, ptr: bigint): number {
  const all = regset.get(t);
  if (typeof all === 'number') return all;
  const bytes = all.subarray(0, Math.min(size, regset.n(t) * regset.size));
  if (bytes.length === 0) return 0;
  return copyToTracer(tracer, ptr, bytes) ? 0 : -EFAULT;
}

/**
 * copy_regset_from_user(target, view, setno, 0, size, ptr): -EOPNOTSUPP
 * without a set, -EFAULT unless access_ok(ptr, size), then the set reading
 * the tracer's buffer as it goes. Returns 0 or a negative errno.
 */
export function copyRegsetFromUser(t: RegsetTarget, regset: UserRegset, size: number, tracer: TracerMemory, ptr: bigint): number {
  if (!regset.set) return -EOPNOTSUPP;
  const base = userPointer(ptr, size);
  if (base === null) return -EFAULT;
  const source: RegsetSource = {
    read: (offset, len) => (offset + len <= size ? (len === 0 ? new Uint8Array(0) : tracer.read(base + offset, len)) : null),
  };
  return regset.set(t, 0, size, source);
}
