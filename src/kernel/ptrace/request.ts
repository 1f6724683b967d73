/**
 * The ptrace *data* requests: what sys_ptrace does once ptrace_check_attach
 * has found the tracee stopped — arch_ptrace first (the USER area, the
 * register blocks, PTRACE_ARCH_PRCTL: arch/x86/ptrace-arch.ts), then
 * ptrace_request's data requests:
 *
 *   PEEKTEXT/PEEKDATA  a word of the tracee's memory (access_process_vm with
 *                      FOLL_FORCE): -EIO unless all 8 bytes are read; the
 *                      word is put_user'd at `data` (-EFAULT) and 0 returned —
 *                      glibc's ptrace() passes a pointer and returns the word
 *   POKETEXT/POKEDATA  `data` written as a word (FOLL_FORCE|FOLL_WRITE): -EIO
 *   GETREGSET/SETREGSET  regset-request.ts
 *   GETSIGINFO         -EINVAL outside a signal stop (no last_siginfo), else
 *                      copy_siginfo_to_user (-EFAULT)
 *   SETSIGINFO         copy_siginfo_from_user first (-EFAULT, -E2BIG), then
 *                      -EINVAL without last_siginfo, else it is replaced
 *   GETSIGMASK/SETSIGMASK  addr must be sizeof(sigset_t) (-EINVAL); the mask
 *                      is saved_sigmask while TIF_RESTORE_SIGMASK is set, else
 *                      blocked; a new one loses SIGKILL and SIGSTOP and
 *                      clears TIF_RESTORE_SIGMASK
 *
 * Everything else — the stop/resume requests, attach/detach, options,
 * PEEKSIGINFO, the thread-area requests — is the caller's (null).
 *
 * @kernel kernel/ptrace.c ptrace_request, generic_ptrace_peekdata, generic_ptrace_pokedata, ptrace_getsiginfo, ptrace_setsiginfo
 * @kernel arch/x86/kernel/ptrace.c arch_ptrace
 */
import { E2BIG, EFAULT, EINVAL, EIO } from '../../abi/errno.js';
import {
  PTRACE_GETREGSET, PTRACE_GETSIGINFO, PTRACE_GETSIGMASK, PTRACE_PEEKDATA, PTRACE_PEEKTEXT, PTRACE_POKEDATA,
  PTRACE_POKETEXT, PTRACE_SETREGSET, PTRACE_SETSIGINFO, PTRACE_SETSIGMASK,
} from '../../abi/ptrace.js';
import { SIGKILL } from '../../abi/signal-numbers.js';
import { readLE, writeLE } from '../../lib/bytes.js';
import { archPtrace } from '../arch/x86/ptrace-arch.js';
import { copyFromTracer, copyToTracer, putUserLong, type TracerMemory } from '../arch/x86/ptrace-tracer.js';
import type { RegsetTarget } from '../arch/x86/regset-thread.js';
import { ptraceRegsetRequest } from './regset-request.js';
import { KERNEL_SIGINFO_SIZE, SIGINFO_SIZE, expansionMustBeZero, siginfoToUser } from './siginfo-copy.js';

export type { TracerMemory } from '../arch/x86/ptrace-tracer.js';

/** A stopped tracee, as the data requests reach it. */
export interface PtraceTracee {
  /** Its registers (regsetTarget(platform, task, false): a tracee is never the running task). */
  readonly regs: RegsetTarget;
  /** access_process_vm(addr, len, FOLL_FORCE): the bytes, or null when not all of them could be read. */
  readMemory(addr: number, len: number): Uint8Array | null;
  /** access_process_vm with FOLL_FORCE|FOLL_WRITE (writes read-only text too): true when every byte was written. */
  writeMemory(addr: number, bytes: Uint8Array): boolean;
  /**
   * child->last_siginfo while it is in a signal stop (128 bytes, siginfo_t;
   * the kernel keeps the first 48), null otherwise. PTRACE_SETSIGINFO
   * writes into this buffer.
   */
  readonly siginfo: Uint8Array | null;
}

/** sizeof(sigset_t) on x86-64. */
const SIGSET_SIZE = 8n;
const SIGSTOP = 19;
/** sigmask(SIGKILL) | sigmask(SIGSTOP). */
const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));

/** A tracee address as a number, or null when no user mapping can hold `len` bytes there. */
function traceeAddress(addr: bigint, len: number): number | null {
  const a = BigInt.asUintN(64, addr);
  return a + BigInt(len) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a) : null;
}

/** generic_ptrace_peekdata. */
function peekData(tracee: PtraceTracee, addr: bigint, data: bigint, tracer: TracerMemory): number {
  const a = traceeAddress(addr, 8);
  const word = a === null ? null : tracee.readMemory(a, 8);
  if (word === null || word.length !== 8) return -EIO;
  return putUserLong(tracer, data, readLE(word, false)) ? 0 : -EFAULT;
}

/** generic_ptrace_pokedata. */
function pokeData(tracee: PtraceTracee, addr: bigint, data: bigint): number {
  const a = traceeAddress(addr, 8);
  return a !== null && tracee.writeMemory(a, writeLE(BigInt.asUintN(64, data), 8)) ? 0 : -EIO;
}

/** PTRACE_GETSIGINFO: ptrace_getsiginfo, then copy_siginfo_to_user. */
function getSiginfo(tracee: PtraceTracee, data: bigint, tracer: TracerMemory): number {
  if (tracee.siginfo === null) return -EINVAL;
  return copyToTracer(tracer, data, siginfoToUser(tracee.siginfo)) ? 0 : -EFAULT;
}

/** PTRACE_SETSIGINFO: copy_siginfo_from_user (the expansion only for an unknown layout), then ptrace_setsiginfo. */
function setSiginfo(tracee: PtraceTracee, data: bigint, tracer: TracerMemory): number {
  const kinfo = copyFromTracer(tracer, data, KERNEL_SIGINFO_SIZE);
  if (kinfo === null) return -EFAULT;
  if (expansionMustBeZero(kinfo)) {
    const expansion = copyFromTracer(tracer, BigInt.asUintN(64, data) + BigInt(KERNEL_SIGINFO_SIZE), SIGINFO_SIZE - KERNEL_SIGINFO_SIZE);
    if (expansion === null) return -EFAULT;
    if (expansion.some((b) => b !== 0)) return -E2BIG;
  }
  if (tracee.siginfo === null) return -EINVAL;
  const info = siginfoToUser(kinfo); // copy_siginfo: the kernel_siginfo, nothing above it
  tracee.siginfo.set(info.subarray(0, Math.min(info.length, tracee.siginfo.length)));
  return 0;
}

/** PTRACE_GETSIGMASK. */
function getSigmask(t: RegsetTarget, addr: bigint, data: bigint, tracer: TracerMemory): number {
  if (BigInt.asUintN(64, addr) !== SIGSET_SIZE) return -EINVAL;
  const s = t.task.signals;
  return copyToTracer(tracer, data, writeLE(s.savedMask ?? s.blocked, 8)) ? 0 : -EFAULT;
}

/** PTRACE_SETSIGMASK. */
function setSigmask(t: RegsetTarget, addr: bigint, data: bigint, tracer: TracerMemory): number {
  if (BigInt.asUintN(64, addr) !== SIGSET_SIZE) return -EINVAL;
  const bytes = copyFromTracer(tracer, data, 8);
  if (bytes === null) return -EFAULT;
  const s = t.task.signals;
  s.blocked = readLE(bytes, false) & ~UNBLOCKABLE;
  s.savedMask = null; // clear_tsk_restore_sigmask
  return 0;
}

/**
 * The data requests of sys_ptrace on a stopped tracee: arch_ptrace, then
 * ptrace_request's. `addr` and `data` are the syscall's u64 arguments.
 * Returns the syscall's return value (0, or a negative errno), or null when
 * `request` is not one of them (the caller handles it).
 */
export function ptraceDataRequest(request: number, tracee: PtraceTracee, addr: bigint, data: bigint, tracer: TracerMemory): bigint | null {
  const arch = archPtrace(request, tracee.regs, addr, data, tracer);
  if (arch !== null) return arch;
  switch (request) {
    case PTRACE_PEEKTEXT:
    case PTRACE_PEEKDATA:
      return BigInt(peekData(tracee, addr, data, tracer));
    case PTRACE_POKETEXT:
    case PTRACE_POKEDATA:
      return BigInt(pokeData(tracee, addr, data));
    case PTRACE_GETREGSET:
    case PTRACE_SETREGSET:
      return BigInt(ptraceRegsetRequest(tracee.regs, request, addr, data, tracer));
    case PTRACE_GETSIGINFO:
      return BigInt(getSiginfo(tracee, data, tracer));
    case PTRACE_SETSIGINFO:
      return BigInt(setSiginfo(tracee, data, tracer));
    case PTRACE_GETSIGMASK:
      return BigInt(getSigmask(tracee.regs, addr, data, tracer));
    case PTRACE_SETSIGMASK:
      return BigInt(setSigmask(tracee.regs, addr, data, tracer));
    default:
      return null;
  }
}
