/**
 * `kentry run [--design NAME] [--trace entry|insn] [--max-insns N] -- PROG [ARGS...]`: a static
 * x86-64 Linux program on the modelled kernel; its stdout/stderr pass
 * through; the exit status is the program's (128 + signal when a signal
 * killed it, as a shell reports it).
 */
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { RSP } from '../src/cpu/core.js';
import { enableCoreDump, type CoreDumpHandle } from '../src/kernel/coredump/coredump.js';
import type { LinuxProcess } from '../src/kernel/syscalls/process.js';
import { signalName } from '../src/abi/signal-numbers.js';
import { decodeInsn } from '../src/cpu/decode/decoder.js';
import { formatInsn } from '../src/cpu/decode/format.js';
import { newDecodedInsn } from '../src/cpu/decode/insn.js';
import type { Design } from '../src/design/build.js';
import type { EntryTraceSink } from '../src/kernel/arch/x86/entry-trace.js';
import { CORE_DUMPING } from '../src/abi/signal-numbers.js';
import { bootKernel, type Kernel, type Task } from '../src/kernel/boot.js';
import { startProgram } from '../src/kernel/exec/program.js';
import { UsageError } from '../src/lib/errors.js';
import { NodeConsole } from './console.js';
import type { InsnTraceSink } from './trace-format.js';

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
  /** Receives every retired instruction and every entry into kernel C (--trace insn). */
  readonly insnTrace?: InsnTraceSink;
  /**
   * Core dumps: 'rlimit' (default) as the kernel does with core_pattern
   * "core" — a file `core` in the current directory once the program raised
   * RLIMIT_CORE (its default is 0); a path: always, to that file (--core
   * FILE); 'none': never (--no-core).
   */
  readonly core?: 'rlimit' | 'none' | { readonly path: string };
}

/** Registers the program's core dump as `policy` says (null: none). */
function coreDump(k: Kernel, proc: LinuxProcess, policy: RunOptions['core']): CoreDumpHandle | null {
  if (policy === 'none') return null;
  const path = policy === undefined || policy === 'rlimit' ? 'core' : policy.path;
  const write = (bytes: Uint8Array): string => {
    try {
      writeFileSync(path, bytes);
    } catch (e) {
      throw new Error(`cannot write '${path}': ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return path;
  };
  const limit = policy === undefined || policy === 'rlimit' ? 'rlimit' : 'unlimited';
  return enableCoreDump({ platform: k.platform, proc, limit, write }, k.platform.cpu.reg64(RSP));
}

/** The end of the `kentry:` line for a core-dumping signal: what became of the core. */
function coreNote(core: CoreDumpHandle | null): string {
  const r = core?.result;
  if (!r) return ', core not written';
  if (r.kind === 'not-written') return `, core not written (${r.reason})`;
  return `, core dumped to ${r.where}${r.truncatedFrom !== null ? ` (cut at RLIMIT_CORE: ${r.size} of ${r.truncatedFrom} bytes)` : ''}`;
}

/**
 * Lines for a file descriptor, written in 64 KiB batches: one write(2) per
 * traced instruction would dominate `--trace insn`. The caller flushes
 * before anything else can write to the same file (the guest writes only
 * from kernel C, so before each native call) and at the end.
 */
export class LineBuffer {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}

  write(line: string): void {
    this.parts.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= 65536) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length;) {
      try {
        off += writeSync(this.fd, buf, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
    }
  }
}

/**
 * Asks the CPU for an event per retired instruction (`cpu.sink` with
 * `instructions`: the run loop then takes its one-instruction path, blocks
 * included) and turns each into a formatted line. Decodes are cached by
 * address and checked against the bytes (self-modifying code, a new program).
 * After an instruction whose next RIP is in the host-call range, the CPU is
 * about to stop for kernel C: one `native` event names the function.
 */
function attachInsnTrace(k: Kernel, out: InsnTraceSink): void {
  const { cpu, native } = k.platform;
  const rec = newDecodedInsn();
  const cache = new Map<number, { bytes: Uint8Array; text: string; symbol: string | null }>();
  cpu.sink = {
    instructions: true,
    emit: (e) => {
      if (e.kind !== 'insn') return;
      let c = cache.get(e.rip);
      if (c === undefined || (c.bytes !== e.bytes && !sameBytes(c.bytes, e.bytes))) {
        decodeInsn(rec, e.bytes, 0, e.bytes.length, e.rip);
        c = { bytes: e.bytes, text: formatInsn(rec), symbol: e.cpl === 0 ? k.platform.symbolize(e.rip) : null };
        cache.set(e.rip, c);
      }
      const pid = k.current.pid;
      out({ kind: 'insn', pid, cpl: e.cpl, rip: e.rip, bytes: e.bytes, text: c.text, symbol: c.symbol });
      const next = cpu.nextRip;
      if (next >= cpu.hostcallStart && next < cpu.hostcallEnd) {
        const sym = native.symbolize(next) ?? `0x${BigInt.asUintN(64, BigInt(next)).toString(16)}`;
        const plus = sym.lastIndexOf('+0x');
        const name = plus < 0 ? sym : sym.slice(0, plus);
        out({ kind: 'native', pid, rip: next, function: name, resumed: plus >= 0 && !sym.endsWith('+0x0') });
      }
    },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
  if (o.insnTrace) attachInsnTrace(k, o.insnTrace);
  const env = Object.entries(process.env).map(([key, v]) => `${key}=${v ?? ''}`);
  const { task, process: proc } = startProgram(k, k.allocPid(), file, {
    argv: [path, ...args], envp: env, execfn: path, exePath: resolve(path), console: new NodeConsole(),
  });
  const core = coreDump(k, proc, o.core);
  const end = k.platform.cpu.instructions + maxInsns;
  // The run lasts while any of the program's processes lives (orphans run on after the first exits, as in a
  // shell's background), or until none of them can ever run again (all asleep with nothing to wake them).
  const userTasks = (): Task[] => k.sched.tasks.filter((t) => t.kind === 'user' && t.state !== 'dead');
  const stuck = (): boolean => userTasks().every((t) => t.state === 'sleeping' && t.wakeAt === Infinity);
  while (k.platform.cpu.instructions < end) {
    const r = k.run(Math.min(1_000_000, end - k.platform.cpu.instructions));
    if (task.exit && (userTasks().length === 0 || stuck())) break;
    if (r.kind !== 'budget' && r.kind !== 'task-exit') throw new Error(`the CPU stopped: ${r.kind}`);
  }
  const exit = task.exit;
  if (!exit) return { status: EXIT_BUDGET, message: `kentry: ${path}: instruction budget of ${maxInsns} exhausted (--max-insns)` };
  if (exit.kind === 'exited') return { status: exit.code, message: null };
  const addr = exit.addr ? ` at 0x${exit.addr.toString(16)}` : '';
  return {
    status: 128 + exit.signal,
    message: `kentry: ${path}: killed by ${signalName(exit.signal)} (si_code ${exit.code}${addr})${CORE_DUMPING.has(exit.signal) ? coreNote(core) : ''}`,
  };
}
