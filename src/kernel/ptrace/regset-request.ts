/**
 * PTRACE_GETREGSET / PTRACE_SETREGSET: `addr` names the regset by core
 * note type (an unsigned int: the upper half of addr is ignored), `data`
 * points at the tracer's struct iovec.
 *
 *   1. the iovec is read (access_ok + __get_user of both words): -EFAULT
 *   2. ptrace_regset: -EINVAL for a note type the task's view lacks or an
 *      iov_len that is not a multiple of the regset's word size; iov_len
 *      is clamped to n * size; the regset is copied to or from iov_base
 *      (copy_regset_to_user / copy_regset_from_user, their own errors)
 *   3. only when that succeeded: the clamped iov_len is written back
 *      (__put_user: -EFAULT)
 *
 * @kernel kernel/ptrace.c ptrace_request (PTRACE_GETREGSET, PTRACE_SETREGSET), ptrace_regset
 */
import { EFAULT, EINVAL } from '../../abi/errno.js';
import { PTRACE_GETREGSET } from '../../abi/ptrace.js';
import { readLE } from '../../lib/bytes.js';
import { copyFromTracer, putUserLong, type TracerMemory } from '../arch/x86/ptrace-tracer.js';
import { copyRegsetFromUser, copyRegsetToUser, findRegset, taskUserRegsetView } from '../arch/x86/regset-view.js';
import type { RegsetTarget } from '../arch/x86/regset-thread.js';

/** sizeof(struct iovec) and offsetof(struct iovec, iov_len). */
const IOVEC_SIZE = 16;
const IOV_LEN = 8;

/** ptrace_regset(task, req, type, kiov): 0 or a negative errno; `kiov.len` clamped in place. */
function ptraceRegset(t: RegsetTarget, req: number, type: number, kiov: { base: bigint; len: bigint }, tracer: TracerMemory): number {
  const regset = findRegset(taskUserRegsetView(t), type);
  if (!regset || kiov.len % BigInt(regset.size) !== 0n) return -EINVAL;
  const max = BigInt(regset.n(t) * regset.size);
  if (kiov.len > max) kiov.len = max;
  const size = Number(kiov.len);
  return req === PTRACE_GETREGSET
    ? copyRegsetToUser(t, regset, size, tracer, kiov.base)
    : copyRegsetFromUser(t, regset, size, tracer, kiov.base);
}

/** PTRACE_GETREGSET (req) or PTRACE_SETREGSET: the syscall's return value. */
export function ptraceRegsetRequest(t: RegsetTarget, req: number, addr: bigint, data: bigint, tracer: TracerMemory): number {
  const iov = copyFromTracer(tracer, data, IOVEC_SIZE);
  if (iov === null) return -EFAULT;
  const kiov = { base: readLE(iov.subarray(0, 8), false), len: readLE(iov.subarray(IOV_LEN, IOVEC_SIZE), false) };
  const type = Number(BigInt.asUintN(32, addr));
  const ret = ptraceRegset(t, req, type, kiov, tracer);
  if (ret !== 0) return ret;
  return putUserLong(tracer, BigInt.asUintN(64, data) + BigInt(IOV_LEN), kiov.len) ? 0 : -EFAULT;
}
