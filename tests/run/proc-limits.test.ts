/**
 * Where a guest meets kentry's limit of 64 live tasks it gets what Linux
 * gives at its own (fork's EAGAIN), and kentry never fails with an internal
 * error. (The 1 GiB memory limit under copy-on-write is
 * tests/kernel/mm-oom.test.ts: filling 1 GiB through the CLI takes ~45 s;
 * `kentry run guest/proc-limits cow-oom` shows the child's SIGKILL.)
 */
import { describe, expect, it } from 'vitest';
import { kentry } from '../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest } from './guest-build.js';

describe.skipIf(SKIP_HOST_ORACLE)('kentry run at its limits', () => {
  it('a fork bomb: fork fails with EAGAIN once every task slot is taken', () => {
    const exe = buildGuest('proc-limits', ['-static']);
    const r = kentry('run', '--max-insns', '200000000', exe, '--', 'fork-bomb');
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).toMatch(/^fork \d+ failed: Resource temporarily unavailable$/m);
    expect(r.status).toBe(128 + 9); // kill(0, SIGKILL) takes the bomber too
  });

});
