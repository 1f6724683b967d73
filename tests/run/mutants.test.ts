/**
 * Robustness of the whole path (M4 item 1): mutated copies of a real static
 * executable, loaded and run by the modelled kernel. Each one must end in
 * a clear load error (ElfLoadError, a UsageError: exit 2 in the CLI), a
 * guest exit, a guest signal, or the instruction budget — never another
 * host exception. Seeded and reproducible (KENTRY_MUTANT_SEED).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../src/design/registry.js';
import { bootKernel } from '../../src/kernel/boot.js';
import { startProgram } from '../../src/kernel/exec/program.js';
import { MemoryConsole } from '../../src/kernel/syscalls/host.js';
import { UsageError } from '../../src/lib/errors.js';
import { mulberry32 } from '../../src/lib/prng.js';
import { SKIP_HOST_ORACLE, buildGuest } from './guest-build.js';

const MUTANTS = 250;
const BUDGET = 30_000;

type Outcome = 'load-error' | 'exited' | 'killed' | 'budget';

function runMutant(file: Uint8Array): Outcome {
  const k = bootKernel(builtinDesign('aux'));
  let task;
  try {
    task = startProgram(k, k.allocPid(), file, { argv: ['m'], envp: [], execfn: '/m', console: new MemoryConsole() }).task;
  } catch (e) {
    if (e instanceof UsageError) return 'load-error';
    throw e;
  }
  const r = k.run(BUDGET);
  if (r.kind === 'task-exit') return task.exit?.kind === 'exited' ? 'exited' : 'killed';
  if (r.kind !== 'budget') throw new Error(`the CPU stopped with ${r.kind}`);
  return 'budget';
}

describe.skipIf(SKIP_HOST_ORACLE)('mutated executables on the modelled kernel', () => {
  it(`${MUTANTS} mutants end in a load error, an exit, a signal or the budget — never a host exception`, () => {
    const original = new Uint8Array(readFileSync(buildGuest('nostdlib', ['-static', '-nostdlib'], '-mut')));
    expect(runMutant(original)).toBe('exited');
    const seed = Number(process.env['KENTRY_MUTANT_SEED'] ?? 7);
    const rand = mulberry32(seed);
    const seen = new Map<Outcome, number>();
    for (let i = 0; i < MUTANTS; i++) {
      const m = original.slice();
      // Headers get most of the damage (the first 0x200 bytes), the rest lands anywhere (code, data).
      const flips = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < flips; j++) {
        const at = rand() < 0.7 ? Math.floor(rand() * Math.min(0x200, m.length)) : Math.floor(rand() * m.length);
        m[at] = rand() < 0.5 ? m[at]! ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
      }
      let outcome: Outcome;
      try {
        outcome = runMutant(m);
      } catch (e) {
        throw new Error(`mutant ${i} (seed ${seed}) crashed the host: ${(e as Error).stack ?? String(e)}`);
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    }
    // The mix shows the mutants reach every stage: some refused, some run.
    expect(seen.get('load-error') ?? 0).toBeGreaterThan(10);
    expect((seen.get('exited') ?? 0) + (seen.get('killed') ?? 0)).toBeGreaterThan(10);
  });
});
