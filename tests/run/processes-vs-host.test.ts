/**
 * Processes and ptrace against the host kernel (DESIGN.md §5, oracle 2):
 * guest/proc-fork.c (fork, vfork, copy-on-write, MAP_SHARED across fork,
 * wait4/waitid status words, SIGCHLD, execve), guest/proc-jobctl.c (stop
 * signals, SIGCONT, WUNTRACED/WCONTINUED, CLD_STOPPED/CLD_CONTINUED) and guest/ptrace-requests.c
 * (TRACEME/ATTACH, PEEK/POKE, PEEKUSER/POKEUSER, GET/SETREGS with the
 * -EIO rules, FPREGS, the three regsets, GETSIGINFO, SYSCALL stops,
 * SINGLESTEP, CONT, KILL) print the same natively and under `kentry run`
 * for every design that keeps pt_regs' uapi layout; under pks-in-pt_regs
 * the offset-indexed register requests read other members, and the run
 * says so by differing.
 */
import { describe, expect, it } from 'vitest';
import { kentry } from '../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from './guest-build.js';

const SAME_LAYOUT = ['upstream', 'state-ref', 'extended', 'aux'];

describe.skipIf(SKIP_HOST_ORACLE)('processes and ptrace vs the host kernel', () => {
  it.each(SAME_LAYOUT)('proc-fork under %s: same output and status as the host', (design) => {
    const exe = buildGuest('proc-fork', ['-static']);
    const host = runNative(exe, [], {});
    const model = kentry('run', '--design', design, exe);
    expect(host.stdout).toContain('four children: sum=10');
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });

  it.each(SAME_LAYOUT)('proc-jobctl under %s: stops, continues and their SIGCHLDs as the host reports them', (design) => {
    const exe = buildGuest('proc-jobctl', ['-static']);
    const host = runNative(exe, [], {});
    const model = kentry('run', '--design', design, exe);
    expect(host.stdout).toContain('killed while stopped: signaled=1 sig=9');
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });

  it.each(SAME_LAYOUT)('ptrace-requests under %s: same output and status as the host', (design) => {
    const exe = buildGuest('ptrace-requests', ['-static']);
    const host = runNative(exe, [], {});
    const model = kentry('run', '--design', design, exe);
    expect(host.stdout).toMatch(/SINGLESTEP: stopped 1/);
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });

  it.each(SAME_LAYOUT)('ptrace-exec under %s: exec under a tracer (legacy SIGTRAP, PTRACE_EVENT_EXEC), TRACESYSGOOD, a resume signal', (design) => {
    const exe = buildGuest('ptrace-exec', ['-static']);
    const host = runNative(exe, [], {});
    const model = kentry('run', '--design', design, exe);
    expect(host.stdout).toContain('event: stopped=1 sig=5 event=4 msg_is_pid=1');
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });

  it.each(SAME_LAYOUT)('proc-ldt under %s: the LDT copied at fork and switched with the mm (lines sorted: the two interleave)', (design) => {
    const exe = buildGuest('proc-ldt', ['-static']);
    const sorted = (out: string): string[] => out.split('\n').filter((l) => l !== '').sort();
    const host = runNative(exe, [], {});
    const model = kentry('run', '--design', design, exe);
    expect(sorted(host.stdout)).toContain('child: ldt bytes 65536, gs=0x7 loads 1');
    expect(sorted(model.stdout)).toEqual(sorted(host.stdout));
    expect(model.status).toBe(host.status);
  });

  it.each(SAME_LAYOUT)('ptrace-fork under %s: fork/vfork/vfork-done/exit events, children born traced, deaths told to the tracer first', (design) => {
    const exe = buildGuest('ptrace-fork', ['-static']);
    const host = runNative(exe, [], {});
    const model = kentry('run', '--design', design, exe);
    expect(host.stdout).toContain('G: stop(19) event6(msg 0xb00) exit(11)');
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });

  it('ptrace-requests under pks-in-pt_regs: the register requests see other members than the host', () => {
    const exe = buildGuest('ptrace-requests', ['-static']);
    const host = runNative(exe, [], {});
    const model = kentry('run', '--design', 'pks-in-pt_regs', exe);
    expect(model.stdout).not.toBe(host.stdout);
  });
});
