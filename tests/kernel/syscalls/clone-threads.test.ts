/**
 * Threads are not modelled (src/kernel/exec/fork.ts, README): clone and
 * clone3 asking for a thread — CLONE_VM without CLONE_VFORK, or
 * CLONE_THREAD|CLONE_SIGHAND|CLONE_VM — fail with -ENOSYS, after the
 * checks copy_process makes of every clone (CLONE_THREAD needs
 * CLONE_SIGHAND, CLONE_SIGHAND needs CLONE_VM: -EINVAL, which the host
 * comparison guest/proc-edges.c pins). Nothing is created: no pid, no child.
 */
import { describe, expect, it } from 'vitest';
import { EINVAL, ENOSYS } from '../../../src/abi/errno.js';
import { SIGCHLD } from '../../../src/abi/signal-numbers.js';
import { sysClone, sysClone3 } from '../../../src/kernel/syscalls/fork.js';
import type { MaySleep } from '../../../src/kernel/generic/index.js';
import { USER_PAGE, argRegs, testProcess } from './harness.js';

const CLONE_VM = 0x100n;
const CLONE_SIGHAND = 0x800n;
const CLONE_VFORK = 0x4000n;
const CLONE_THREAD = 0x1_0000n;
const THREAD = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;

/** Runs a system call that must not sleep; its result. */
function now(call: MaySleep<number>): number {
  const r = call.next();
  expect(r.done).toBe(true);
  return r.value as number;
}

describe('clone and clone3 asking for a thread', () => {
  it.each([
    ['CLONE_VM', CLONE_VM | BigInt(SIGCHLD)],
    ['CLONE_VM|CLONE_SIGHAND', CLONE_VM | CLONE_SIGHAND | BigInt(SIGCHLD)],
    ['CLONE_THREAD|CLONE_SIGHAND|CLONE_VM', THREAD],
  ])('clone(%s): -ENOSYS, no child', (_name, flags) => {
    const { p } = testProcess();
    expect(now(sysClone(p, argRegs(flags, USER_PAGE + 0x800)))).toBe(-ENOSYS);
    expect(p.children).toEqual([]);
    expect(p.world.byPid.size).toBe(1);
  });

  it.each([
    ['CLONE_VM', CLONE_VM, BigInt(SIGCHLD)],
    ['CLONE_THREAD|CLONE_SIGHAND|CLONE_VM', THREAD, 0n],
  ])('clone3(%s) with a stack: -ENOSYS, no child', (_name, flags, exitSignal) => {
    const { p, writeU64 } = testProcess();
    // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls.
    const args = [flags, 0n, 0n, 0n, exitSignal, BigInt(USER_PAGE + 0x800), 0x400n, 0n];
    args.forEach((v, i) => writeU64(USER_PAGE + i * 8, v));
    expect(now(sysClone3(p, argRegs(USER_PAGE, 64)))).toBe(-ENOSYS);
    expect(p.children).toEqual([]);
  });

  it('inconsistent thread flags are -EINVAL before any -ENOSYS', () => {
    const { p } = testProcess();
    expect(now(sysClone(p, argRegs(CLONE_THREAD | CLONE_VM)))).toBe(-EINVAL);
    expect(now(sysClone(p, argRegs(CLONE_SIGHAND | CLONE_VFORK)))).toBe(-EINVAL);
  });
});
