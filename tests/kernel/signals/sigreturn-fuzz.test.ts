/**
 * rt_sigreturn with random frames (guest/sigreturn-fuzz.c, one seed per
 * run) never hurts the host — the bar: a guest's faults become guest
 * signals, never host exceptions — and ends the way the host kernel ends
 * the same program: a bad frame is SIGSEGV (signal_fault), a bad CS/SS fails
 * at IRET and fixup_bad_iret makes it a user fault, a wild RIP faults in
 * user mode. Odd seeds carry a valid CS/SS, a small uc_flags and a NULL or
 * zeroed fpstate, so restore_sigcontext and fpu__restore_sig are reached;
 * seeds ≡ 3 (mod 4) also carry a good RIP and RSP: those pass every check and
 * exit(7), or trap on their random TF (SIGTRAP) — the host decides which.
 * Runs in-process (no CLI spawn per frame), with the entry invariants checked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { bootKernel } from '../../../src/kernel/boot.js';
import { startProgram } from '../../../src/kernel/exec/program.js';
import { MemoryConsole } from '../../../src/kernel/syscalls/host.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from '../../run/guest-build.js';

const SEEDS = Array.from({ length: 64 }, (_, i) => i + 1);
const REQUIRED = new Set(['upstream', 'state-ref', 'extended', 'aux']);

/** The exit status `kentry run` would report: the code, 128 + signal, or 124 for the budget. */
function runInKentry(design: (typeof BUILTIN_DESIGNS)[number], file: Uint8Array, seed: number): { status: number; violations: readonly unknown[] } {
  const k = bootKernel(design, { timerEvery: 1_000_000 });
  const { task } = startProgram(k, k.allocPid(), file, {
    argv: ['sigreturn-fuzz', String(seed)], envp: [], execfn: 'sigreturn-fuzz', console: new MemoryConsole(),
  });
  for (let n = 0; n < 5 && task.exit === null; n++) {
    const r = k.run(200_000);
    expect(['task-exit', 'budget']).toContain(r.kind);
  }
  const exit = task.exit;
  const status = exit === null ? 124 : exit.kind === 'exited' ? exit.code : 128 + exit.signal;
  return { status, violations: k.violations() };
}

describe.skipIf(SKIP_HOST_ORACLE)('rt_sigreturn with random frames vs the host kernel', () => {
  const exe = buildGuest('sigreturn-fuzz', ['-static']);
  const file = readFileSync(exe);
  const host = new Map(SEEDS.map((s) => [s, runNative(exe, [String(s)], {}).status]));

  it.each(BUILTIN_DESIGNS.filter((d) => REQUIRED.has(d.name)).map((d) => [d.name, d] as const))('%s: same end as the host for every seed, no oops, no violation', (_n, design) => {
    for (const seed of SEEDS) {
      const model = runInKentry(design, file, seed);
      expect({ seed, status: model.status }).toEqual({ seed, status: host.get(seed) });
      expect(model.violations).toEqual([]);
    }
    // The oracle's own spread: frames that pass and frames that fail both occur.
    expect(new Set(host.values())).toEqual(new Set([7, 128 + 5, 128 + 11]));
  });
});
