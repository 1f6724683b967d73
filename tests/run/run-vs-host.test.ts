/**
 * `kentry run` against the host kernel (DESIGN.md §5, oracle 2): the same
 * static programs (guest/, built now with gcc -static and -static-pie, and a
 * -nostdlib one) run natively and on the modelled kernel through the CLI;
 * stdout, the program's stderr and the exit status must match. argv[0] is
 * the path both ways. Fault programs end with 128 + signal both ways.
 */
import { describe, expect, it } from 'vitest';
import { kentry } from '../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from './guest-build.js';

const ENV = { KENTRY_TEST: 'value with spaces' };

function kentryRun(path: string, args: string[], design = 'aux'): { status: number | null; stdout: string; stderr: string } {
  return kentry('run', '--design', design, path, '--', ...args);
}

/** The program's own stderr: kentry adds one line of its own when a signal kills the program. */
function guestStderr(stderr: string): string {
  return stderr.split('\n').filter((l) => !l.startsWith('kentry: ')).join('\n');
}

describe.skipIf(SKIP_HOST_ORACLE)('kentry run vs the host kernel', () => {
  it.each([['-static', ''], ['-static-pie', '-pie']])('printf-heavy program (%s) prints the same and exits the same', (flag, suffix) => {
    const exe = buildGuest('printf', [flag], suffix);
    for (const args of [[], ['one', 'two words']]) {
      const host = runNative(exe, args, ENV);
      // The guest inherits the CLI's environment: give it the variable the program prints.
      const model = spawnWithEnv(exe, args);
      expect(model.stdout).toBe(host.stdout);
      expect(guestStderr(model.stderr)).toBe(host.stderr);
      expect(model.status).toBe(host.status);
    }
  });

  it('a -nostdlib program: raw write and exit_group', () => {
    const exe = buildGuest('nostdlib', ['-static', '-nostdlib']);
    const host = runNative(exe, [], ENV);
    const model = kentryRun(exe, []);
    expect(host.stdout).toBe('freestanding hello\n');
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(5);
    expect(host.status).toBe(5);
  });

  it.each(['ud2', 'hlt', 'int3', 'int2d', 'div0', 'null', 'text', 'exit', 'none'])('fault program "%s": same output and status', (what) => {
    const exe = buildGuest('faults', ['-static']);
    const host = runNative(exe, [what], ENV);
    const model = kentryRun(exe, [what]);
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
    if (host.status > 128) expect(model.stderr).toMatch(/^kentry: .*killed by SIG/);
  });
});

describe.skipIf(SKIP_HOST_ORACLE)('files a program may open vs the host kernel', () => {
  it('its own executable and /proc/self/maps: fds, reads, lseek, close, errors, the maps lines', () => {
    const exe = buildGuest('files', ['-static']);
    const host = runNative(exe, [], ENV);
    const model = kentryRun(exe, []);
    expect(host.stdout).toContain('maps: stack 1, heap 1, image lines yes');
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });
});

describe.skipIf(SKIP_HOST_ORACLE)('virtual time vs the host kernel', () => {
  it.each(['sleep', 'alarm'])('"%s": nanosleep moves the clock; alarm() ends pause() with SIGALRM', (what) => {
    const exe = buildGuest('timers', ['-static']);
    const host = runNative(exe, [what], ENV);
    const model = kentryRun(exe, [what]);
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });
});

describe.skipIf(SKIP_HOST_ORACLE)('signals without handlers vs the host kernel', () => {
  it.each(['term', 'ignored', 'blocked', 'chld', 'abort', 'badsig', 'esrch', 'none'])('"%s": same output and status', (what) => {
    const exe = buildGuest('signals', ['-static']);
    const host = runNative(exe, [what], ENV);
    const model = kentryRun(exe, [what]);
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });
});

/** `kentry run` with KENTRY_TEST in its environment (the guest inherits the CLI's environment). */
function spawnWithEnv(exe: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const prev = process.env['KENTRY_TEST'];
  process.env['KENTRY_TEST'] = ENV.KENTRY_TEST;
  try {
    return kentry('run', exe, '--', ...args);
  } finally {
    if (prev === undefined) delete process.env['KENTRY_TEST'];
    else process.env['KENTRY_TEST'] = prev;
  }
}
