/**
 * A PKU violation handled in user space (issue 5 items 3 and 5; reference
 * §4.9): SEGV_PKUERR with si_pkey and si_addr, the interrupted PKRU in the
 * frame's XSAVE area (XSTATE_BV bit 9 set), init_pkru_value in the handler,
 * and the frame's PKRU restored by sigreturn. The oracle is the host kernel
 * when its CPU has PKU (OSPKE in /proc/cpuinfo); the expected output below
 * (what Linux does per arch/x86/kernel/fpu/xstate.h update_pkru_in_sigframe
 * and arch/x86/kernel/fpu/core.c fpu__clear_user_states, checked against a
 * 6.18 host with PKU) stands in on hosts without it. Every design must give
 * the same.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kentry } from '../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from './guest-build.js';

const HOST_PKU = (() => {
  try {
    return /\bospke\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
})();

const EXPECTED = `PKRU at start 0x55555554
pkey_alloc 1, PKRU 0x55555550
pkey_mprotect 0
si_code 4 si_pkey 1 si_addr is the page 1
frame PKRU 0x5555555c (the code's: 1), XSTATE_BV has PKRU 1
handler PKRU 0x55555554
after sigreturn PKRU 0, the write landed 1
`;

describe.skipIf(SKIP_HOST_ORACLE)('a PKU violation caught by a handler', () => {
  const exe = buildGuest('sig-pkeys', ['-static']);
  it.each(['upstream', 'state-ref', 'extended', 'aux'])('under %s', (design) => {
    const r = kentry('run', '--design', design, exe);
    expect(r.stdout).toBe(EXPECTED);
    expect(r.status).toBe(0);
  });
  it.runIf(HOST_PKU)('the host kernel agrees', () => {
    expect(runNative(exe, [], {}).stdout).toBe(EXPECTED);
  });
});
