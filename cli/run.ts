/**
 * `kentry run [--design NAME] [--max-insns N] -- PROG [ARGS...]`: a static
 * x86-64 Linux program on the modelled kernel; its stdout/stderr pass
 * through; the exit status is the program's (128 + signal when a signal
 * killed it, as a shell reports it).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { signalName } from '../src/abi/signal-numbers.js';
import type { Design } from '../src/design/build.js';
import type { EntryTraceSink } from '../src/kernel/arch/x86/entry-trace.js';
import { bootKernel } from '../src/kernel/boot.js';
import { startProgram } from '../src/kernel/exec/program.js';
import { UsageError } from '../src/lib/errors.js';
import { NodeConsole } from './console.js';

/** Exit status when the instruction budget runs out (as timeout(1) reports a timeout). */
export const EXIT_BUDGET = 124;

export interface RunOutcome {
  readonly status: number;
  /** One line for stderr, or null. */
  readonly message: string | null;
}

export interface RunOptions {
  readonly maxInsns: number;
  /** Receives every kernel entry (--trace entry, --json-trace). */
  readonly trace?: EntryTraceSink;
}

export function runProgram(design: Design, path: string, args: readonly string[], o: RunOptions): RunOutcome {
  const maxInsns = o.maxInsns;
  let file: Uint8Array;
  try {
    file = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code}`);
  }
  // The local APIC timer ticks every millisecond of virtual time (1 ns per instruction): HZ=1000.
  const k = bootKernel(design, { timerEvery: 1_000_000 });
  if (o.trace) k.setTrace(o.trace);
  const env = Object.entries(process.env).map(([key, v]) => `${key}=${v ?? ''}`);
  const { task } = startProgram(k, k.allocPid(), file, {
    argv: [path, ...args], envp: env, execfn: path, exePath: resolve(path), console: new NodeConsole(),
  });
  const end = k.platform.cpu.instructions + maxInsns;
  while (k.platform.cpu.instructions < end) {
    const r = k.run(Math.min(1_000_000, end - k.platform.cpu.instructions));
    if (r.kind === 'task-exit' && r.task === task) break;
    if (r.kind !== 'budget' && r.kind !== 'task-exit') throw new Error(`the CPU stopped: ${r.kind}`);
  }
  const exit = task.exit;
  if (!exit) return { status: EXIT_BUDGET, message: `kentry: ${path}: instruction budget of ${maxInsns} exhausted (--max-insns)` };
  if (exit.kind === 'exited') return { status: exit.code, message: null };
  const addr = exit.addr ? ` at 0x${exit.addr.toString(16)}` : '';
  return {
    status: 128 + exit.signal,
    message: `kentry: ${path}: killed by ${signalName(exit.signal)} (si_code ${exit.code}${addr})${exit.coreDumped ? ', core not written' : ''}`,
  };
}
