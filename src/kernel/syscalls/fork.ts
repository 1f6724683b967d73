/**
 * fork, vfork, clone, clone3 and execve: the arguments as the system calls
 * take them; the work is the process world's (exec/fork.ts, exec/execve.ts).
 * @kernel kernel/fork.c sys_fork, sys_vfork, sys_clone, sys_clone3, copy_clone_args_from_user, clone3_args_valid, clone3_stack_valid
 * @kernel lib/usercopy.c copy_struct_from_user, check_zeroed_user
 * @kernel fs/exec.c sys_execve, copy_strings, get_user_arg_ptr
 */
import { E2BIG, EFAULT, EINVAL, ENAMETOOLONG } from '../../abi/errno.js';
import { SIGCHLD } from '../../abi/signal-numbers.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { accessOk, copyFromUser, strncpyFromUser } from '../arch/x86/uaccess.js';
import type { MaySleep } from '../generic/index.js';
import { arg } from './args.js';
import type { LinuxProcess } from './process.js';
import {
  CLONE_CLEAR_SIGHAND, CLONE_DETACHED, CLONE_INTO_CGROUP, CLONE_LEGACY_FLAGS, CLONE_NEWTIME, CLONE_PARENT, CLONE_SIGHAND,
  CLONE_THREAD, CLONE_VFORK, CLONE_VM, CSIGNAL,
} from '../../abi/clone.js';

/** CLONE_ARGS_SIZE_VER0: clone3's smallest struct clone_args (flags .. tls); VER2 (with cgroup) is the whole of it. */
const CLONE_ARGS_SIZE_VER0 = 64;
const CLONE_ARGS_SIZE_VER2 = 88;
/** MAX_PID_NS_LEVEL: set_tid has at most one entry per pid namespace level. */
const MAX_PID_NS_LEVEL = 32n;
const PAGE_SIZE = 4096;
/** _NSIG: exit_signal must be a signal number. */
const NSIG = 64;
/** PATH_MAX, MAX_ARG_STRLEN (32 pages) and a bound on argv + envp (the kernel's is the stack rlimit / 4). */
const PATH_MAX = 4096;
const MAX_ARG_STRLEN = 32 * 4096;
const MAX_ARG_STRINGS = 0x7fff_ffff;
const ARG_BYTES_MAX = 2 * 1024 * 1024;

/** fork(): clone with SIGCHLD and nothing shared. */
export function sysFork(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  return p.world.clone(p, regs, { flags: 0n, exitSignal: SIGCHLD, stack: 0, parentTid: 0, childTid: 0, tls: 0n });
}

/** vfork(): CLONE_VFORK | CLONE_VM, SIGCHLD; the parent sleeps until the child execs or exits. */
export function sysVfork(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  return p.world.clone(p, regs, { flags: CLONE_VFORK | CLONE_VM, exitSignal: SIGCHLD, stack: 0, parentTid: 0, childTid: 0, tls: 0n });
}

/**
 * clone(flags, newsp, parent_tid, child_tid, tls) — x86-64's argument
 * order. Only the low 32 bits of `flags` count (lower_32_bits), and the
 * exit signal is their low byte unchecked: an invalid one is never sent
 * (do_notify_parent's valid_signal).
 */
export function sysClone(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const flags = regs.get('di') & CLONE_LEGACY_FLAGS;
  return p.world.clone(p, regs, {
    flags: flags & ~CSIGNAL, exitSignal: Number(flags & CSIGNAL), stack: arg(regs, 1),
    parentTid: arg(regs, 2), childTid: arg(regs, 3), tls: regs.get('r8'),
  });
}

/**
 * clone3(uargs, size): struct clone_args from user memory
 * (copy_clone_args_from_user: a larger struct than the kernel knows must
 * end in zeros, copy_struct_from_user's -E2BIG), then clone3_args_valid.
 */
export function* sysClone3(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const uargs = arg(regs, 0);
  const size = arg(regs, 1);
  if (size > PAGE_SIZE) return -E2BIG;
  if (size < CLONE_ARGS_SIZE_VER0) return -EINVAL;
  const bytes = copyFromUser(p.rt, uargs, Math.min(size, CLONE_ARGS_SIZE_VER2));
  if (!bytes) return -EFAULT;
  if (size > CLONE_ARGS_SIZE_VER2) {
    const tail = copyFromUser(p.rt, uargs + CLONE_ARGS_SIZE_VER2, size - CLONE_ARGS_SIZE_VER2);
    if (!tail) return -EFAULT;
    if (tail.some((b) => b !== 0)) return -E2BIG;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (i: number): bigint => (i * 8 + 8 <= bytes.length ? dv.getBigUint64(i * 8, true) : 0n);
  const flags = u64(0);
  const exitSignal = u64(4);
  let stack = u64(5);
  const stackSize = u64(6);
  const setTid = u64(8);
  const setTidSize = u64(9);
  const cgroup = u64(10);
  // copy_clone_args_from_user's checks.
  if (setTidSize > MAX_PID_NS_LEVEL || (setTid === 0n) !== (setTidSize === 0n)) return -EINVAL;
  if (exitSignal > BigInt(NSIG)) return -EINVAL; // also catches bits above CSIGNAL
  if ((flags & CLONE_INTO_CGROUP) !== 0n && (cgroup > 0x7fff_ffffn || size < CLONE_ARGS_SIZE_VER2)) return -EINVAL;
  // clone3_args_valid.
  if ((flags & ~(CLONE_LEGACY_FLAGS | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)) !== 0n) return -EINVAL;
  // CLONE_DETACHED and the CSIGNAL bits are reserved for reuse by clone3 (all but CLONE_NEWTIME).
  if ((flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME))) !== 0n) return -EINVAL;
  if ((flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) === (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) return -EINVAL;
  if ((flags & (CLONE_THREAD | CLONE_PARENT)) !== 0n && exitSignal !== 0n) return -EINVAL;
  // clone3_stack_valid: both or neither; the stack grows down, so the child starts at its top.
  if ((stack === 0n) !== (stackSize === 0n)) return -EINVAL;
  if (stack !== 0n) {
    if (!accessOk(Number(stack), Number(stackSize))) return -EINVAL;
    stack += stackSize;
  }
  if (setTid !== 0n) return -EINVAL; // choosing the child's pid (pid namespaces, checkpoint/restore) is not modelled
  return yield* p.world.clone(p, regs, {
    flags, exitSignal: Number(exitSignal), stack: Number(stack),
    parentTid: Number(u64(3)), childTid: Number(u64(2)), tls: u64(7),
  });
}

/** get_user_arg_ptr + copy_strings: a NULL-terminated array of string pointers, or a negative errno. */
function copyStrings(p: LinuxProcess, address: number): Uint8Array[] | number {
  const out: Uint8Array[] = [];
  if (address === 0) return out; // a NULL argv or envp is an empty one
  let total = 0;
  for (let i = 0; i < MAX_ARG_STRINGS; i++) {
    const ptr = copyFromUser(p.rt, address + i * 8, 8);
    if (!ptr) return -EFAULT;
    const at = Number(new DataView(ptr.buffer, ptr.byteOffset).getBigUint64(0, true));
    if (at === 0) return out;
    const s = strncpyFromUser(p.rt, at, MAX_ARG_STRLEN);
    if (s === null) return -EFAULT;
    if (s === 'too-long') return -E2BIG;
    total += s.length + 1 + 8;
    if (total > ARG_BYTES_MAX) return -E2BIG;
    out.push(s);
  }
  return -E2BIG;
}

/** execve(filename, argv, envp): may stop for a tracer after the new image is in (PTRACE_EVENT_EXEC). */
export function* sysExecve(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const name = strncpyFromUser(p.rt, arg(regs, 0), PATH_MAX - 1);
  if (name === null) return -EFAULT;
  if (name === 'too-long') return -ENAMETOOLONG;
  const argv = copyStrings(p, arg(regs, 1));
  if (typeof argv === 'number') return argv;
  const envp = copyStrings(p, arg(regs, 2));
  if (typeof envp === 'number') return envp;
  const path = new TextDecoder().decode(name);
  return yield* p.world.exec(p, regs, path, argv, envp);
}
