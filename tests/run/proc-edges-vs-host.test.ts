/**
 * The edges of the process system calls against the host kernel
 * (DESIGN.md §5, oracle 2): guest/proc-edges.c — clone/clone3 argument
 * checks, wait4/waitid options and what waitid writes, SIGKILL/SIGSEGV
 * status words, autoreap (SIG_IGN, SA_NOCLDWAIT), exit signals other than
 * SIGCHLD, copy-on-write of 64 pages, MAP_SHARED, mprotect/munmap after
 * fork, pipes between processes, kill on zombies and reaped pids, execve
 * errors and argv/envp, fork in a handler — prints the same natively and
 * under `kentry run`. Threads are left out: kentry refuses them with ENOSYS
 * (tests/kernel/syscalls/clone-threads.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { kentry } from '../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from './guest-build.js';

describe.skipIf(SKIP_HOST_ORACLE)('process system call edges vs the host kernel', () => {
  it.each(['aux', 'upstream'])('proc-edges under %s: same output and status as the host', (design) => {
    const exe = buildGuest('proc-edges', ['-static']);
    const host = runNative(exe, [], {});
    const model = kentry('run', '--design', design, exe);
    expect(host.stdout).toMatch(/\ndone\n$/);
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });
});
