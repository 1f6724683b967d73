/**
 * Kernel access to user memory: access_ok() and the copy routines, each a
 * user-access section (STAC … CLAC) whose faults end in -EFAULT through the
 * exception-table fixup (NativeRuntime.userAccess).
 * @kernel arch/x86/include/asm/uaccess.h access_ok, arch/x86/lib/usercopy_64.c, lib/strncpy_from_user.c
 */
import { TASK_SIZE_MAX } from './memory-map.js';
import type { NativeRuntime } from './native.js';

/** access_ok(addr, size): the range lies below TASK_SIZE_MAX (valid_user_address) without wrapping. */
export function accessOk(address: number, size: number): boolean {
  return Number.isSafeInteger(address) && address >= 0 && size >= 0 && address + size <= TASK_SIZE_MAX;
}

/** copy_from_user: the bytes, or null (-EFAULT). */
export function copyFromUser(rt: NativeRuntime, address: number, size: number): Uint8Array | null {
  if (!accessOk(address, size)) return null;
  if (size === 0) return new Uint8Array(0);
  const cpu = rt.cpu;
  return rt.userAccess(() => rt.access(() => cpu.mmu.readBytes(address, size, cpu.dataMode)));
}

/** copy_to_user: true, or false (-EFAULT). */
export function copyToUser(rt: NativeRuntime, address: number, bytes: Uint8Array): boolean {
  if (!accessOk(address, bytes.length)) return false;
  if (bytes.length === 0) return true;
  const cpu = rt.cpu;
  return rt.userAccess(() => {
    rt.access(() => cpu.mmu.writeBytes(address, bytes, cpu.dataMode));
    return true;
  }) ?? false;
}

/**
 * strncpy_from_user: a NUL-terminated string of at most `max` bytes (the
 * NUL not counted); null on a fault, 'too-long' when no NUL comes within `max`.
 */
export function strncpyFromUser(rt: NativeRuntime, address: number, max: number): Uint8Array | null | 'too-long' {
  const out: number[] = [];
  for (let a = address; out.length <= max; a++) {
    const b = copyFromUser(rt, a, 1);
    if (b === null) return null;
    if (b[0] === 0) return Uint8Array.from(out);
    out.push(b[0]!);
  }
  return 'too-long';
}
