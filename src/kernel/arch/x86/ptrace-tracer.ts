/**
 * The tracer's side of a ptrace request: its memory, reached the way the
 * kernel reaches a system call's pointer arguments — access_ok on the
 * address first (below TASK_SIZE_MAX, no wrap), then the copy, a fault
 * becoming -EFAULT. Request arguments arrive as the u64 syscall registers.
 *
 * @kernel arch/x86/include/asm/uaccess.h access_ok, put_user, get_user; include/linux/uaccess.h copy_to_user, copy_from_user
 */
import { writeLE } from '../../../lib/bytes.js';
import { accessOk } from './uaccess.js';

/** The calling (tracer) task's memory: copy_from_user / copy_to_user, null or false on a fault. */
export interface TracerMemory {
  read(addr: number, len: number): Uint8Array | null;
  write(addr: number, bytes: Uint8Array): boolean;
}

/** A user pointer argument as an address, or null when access_ok refuses `len` bytes there. */
export function userPointer(ptr: bigint, len: number): number | null {
  const p = BigInt.asUintN(64, ptr);
  if (p > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return accessOk(Number(p), len) ? Number(p) : null;
}

/** copy_to_user: true, or false for -EFAULT. */
export function copyToTracer(tracer: TracerMemory, ptr: bigint, bytes: Uint8Array): boolean {
  const a = userPointer(ptr, bytes.length);
  return a !== null && (bytes.length === 0 || tracer.write(a, bytes));
}

/** copy_from_user: the bytes, or null for -EFAULT. */
export function copyFromTracer(tracer: TracerMemory, ptr: bigint, len: number): Uint8Array | null {
  const a = userPointer(ptr, len);
  if (a === null) return null;
  return len === 0 ? new Uint8Array(0) : tracer.read(a, len);
}

/** put_user of an unsigned long: true, or false for -EFAULT. */
export function putUserLong(tracer: TracerMemory, ptr: bigint, value: bigint): boolean {
  return copyToTracer(tracer, ptr, writeLE(BigInt.asUintN(64, value), 8));
}
