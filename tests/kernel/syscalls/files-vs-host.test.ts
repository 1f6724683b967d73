/**
 * /dev/null, the hugetlb pool files, pipes and vmsplice (model-files.ts,
 * pipe.ts) against the host kernel: guest/sys-files.c built now with gcc
 * -static runs natively and under `kentry run`; stdout and the exit status
 * must match. The program prints results and errno names, never addresses.
 * These are what the kernel selftests syscall_numbering (/dev/null) and
 * protection_keys (pipes, vmsplice, nr_hugepages) open and call.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kentry } from '../../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from '../../run/guest-build.js';

/** -mpku: the pkey case writes PKRU with the RDPKRU/WRPKRU builtins. */
const FLAGS = ['-static', '-mpku'];

/** Whether this CPU and kernel have user protection keys (then the host is the oracle for the pkey case too). */
const HOST_PKU = (() => {
  try {
    return /\bospke\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
})();

/** Opening nr_hugepages for writing needs root (its mode is 0644), on the host as in kentry (which runs as root). */
const ROOT = process.getuid?.() === 0;

describe.skipIf(SKIP_HOST_ORACLE)('model files and pipes vs the host kernel', () => {
  it.each(['null', 'pipes'])('"%s": same output and status', (what) => {
    const exe = buildGuest('sys-files', FLAGS);
    const host = runNative(exe, [what], {});
    const model = kentry('run', exe, '--', what);
    expect(host.stdout).toMatch(/\S/);
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });

  it.skipIf(!ROOT)('"hugepages": nr_hugepages opens read-write for root and refuses a non-number', () => {
    const exe = buildGuest('sys-files', FLAGS);
    const host = runNative(exe, ['hugepages'], {});
    expect(host.stdout).toContain('open nr_hugepages O_RDWR: ok');
    expect(kentry('run', exe, '--', 'hugepages').stdout).toBe(host.stdout);
  });

  it('"pkey": the kernel faults on an access-disabled page for vmsplice and pipe reads, not for /dev/null', () => {
    const exe = buildGuest('sys-files', FLAGS);
    const model = kentry('run', exe, '--', 'pkey');
    expect(model.stdout).toContain('vmsplice from it         -1 EFAULT');
    if (HOST_PKU) expect(model.stdout).toBe(runNative(exe, ['pkey'], {}).stdout);
  });
});
