/**
 * `kentry run --trace entry` and `--json-trace`: the system calls static
 * glibc's start-up makes, in the order the host kernel sees them (strace on
 * the host shows the same sequence for the same binary), the fault and the
 * signal that ended a program, and bad input as one line with exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kentry } from '../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from './guest-build.js';

describe.skipIf(SKIP_HOST_ORACLE)('kentry run --trace', () => {
  it('prints one line per system call, strace-like, ending with the exit', () => {
    const exe = buildGuest('faults', ['-static']);
    const r = kentry('run', '--trace', 'entry', exe, '--', 'exit');
    expect(r.status).toBe(9);
    const lines = r.stderr.trim().split('\n');
    const calls = lines.map((l) => /^\[1\] (\w+)\(/.exec(l)?.[1]).filter((c): c is string => c !== undefined);
    // The oracle: the host kernel's view of the same binary, through strace (.ci/run installs it).
    const host = spawnSync('strace', ['-qq', '-e', 'trace=all', exe, 'exit'], { encoding: 'utf8' });
    expect(host.error).toBeUndefined();
    const hostCalls = host.stderr.split('\n').map((l) => /^(\w+)\(/.exec(l)?.[1]).filter((c): c is string => c !== undefined);
    expect(hostCalls[0]).toBe('execve'); // strace shows the execve; kentry starts after it
    expect(calls.concat('exit_group')).toEqual(hostCalls.slice(1));
    expect(lines.some((l) => /^\[1\] rseq\(.*\) = -1 ENOSYS$/.test(l))).toBe(true); // the host's rseq succeeds; kentry has none
    expect(lines.at(-1)).toBe('[1] +++ exited with 9 +++');
    // Decoded as strace prints them: the write's buffer quoted, flags and codes by name.
    expect(lines).toContain('[1] write(1, "about to: exit\\n", 15) = 15');
    expect(lines.some((l) => /^\[1\] arch_prctl\(ARCH_SET_FS, 0x[0-9a-f]+\) = 0$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\[1\] mprotect\(0x[0-9a-f]+, \d+, PROT_READ\) = 0$/.test(l))).toBe(true);
    expect(lines).toContain('[1] brk(NULL) = ' + /brk\(NULL\) = (0x[0-9a-f]+)/.exec(r.stderr)![1]);
  });

  it('--json-trace writes the #PF and the signal that killed the program', () => {
    const exe = buildGuest('faults', ['-static']);
    const file = join(mkdtempSync(join(tmpdir(), 'kentry-trace-')), 'trace.jsonl');
    const r = kentry('run', '--json-trace', file, exe, '--', 'null');
    expect(r.status).toBe(139);
    const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const pf = events.find((e) => e['kind'] === 'exception');
    expect(pf).toMatchObject({ name: '#PF', vector: 14, cpl: 3, address: 0, errorCode: 6 }); // user write, not present
    expect(events.at(-1)).toMatchObject({ kind: 'signal', signal: 11, code: 1, action: 'core' });
  });
});

describe.skipIf(SKIP_HOST_ORACLE)('kentry run: a handled signal in the trace', () => {
  it('tgkill, then the delivery to the handler with its frame, then rt_sigreturn — in strace\'s order', () => {
    const exe = buildGuest('handler', ['-static']);
    const host = runNative(exe, [], {});
    const r = kentry('run', '--trace', 'entry', exe);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(host.stdout);
    const lines = r.stderr.split('\n');
    const kill = lines.findIndex((l) => /^\[1\] tgkill\(1, 1, SIGUSR1\) = 0$/.test(l));
    expect(kill).toBeGreaterThan(0);
    expect(lines[kill + 1]).toMatch(/^\[1\] --- SIGUSR1 \{si_code -6, si_addr 0x0\} handler 0x[0-9a-f]+ frame 0x7ff[0-9a-f]+8 fpstate 0x7ff[0-9a-f]+[048c]0 ---$/);
    expect(lines.slice(kill + 2).some((l) => /^\[1\] rt_sigreturn\(/.test(l))).toBe(true);
  });
});

describe('kentry run: bad input is one line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kentry-badrun-'));
  const text = join(dir, 'not-elf');
  writeFileSync(text, 'hello, I am not an executable\n');
  it.each([
    [['run', join(dir, 'missing')], /cannot read .*no such file/],
    [['run', text], /not an ELF file/],
    [['run', '--trace', 'everything', text], /--trace/],
    [['run', '--max-insns', 'many', text], /--max-insns must be a positive integer/],
  ])('%j', (args, message) => {
    const r = kentry(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
