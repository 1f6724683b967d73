/**
 * Whole-program benchmarks (issue M4 item 8): guest programs of our own
 * (guest/bench-*.c), built at bench time with the system C compiler as
 * static -O2 executables, timed natively, under qemu-x86_64 (user-mode
 * emulation, the nearest thing to compare an emulator with) and under
 * kentry, from the same run so the ratios compare like with like. The three
 * must print the same stdout and exit alike, or the figures would time
 * different work: a mismatch fails the bench.
 *
 * kentry runs in this process through the library (boot, execve of the ELF,
 * the run loop `kentry run` uses), with the guest's streams kept in memory so
 * they can be compared and do not mix with the bench's own output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Design } from '../src/design/build.js';
import { bootKernel } from '../src/kernel/boot.js';
import { startProgram } from '../src/kernel/exec/program.js';
import { MemoryConsole } from '../src/kernel/syscalls/host.js';
import { NotModelledError } from '../src/lib/errors.js';

export interface ProgramBenchmark {
  readonly name: string;
  /** guest/<source>.c */
  readonly source: string;
  readonly args: readonly string[];
}

export const PROGRAM_BENCHMARKS: readonly ProgramBenchmark[] = [
  // Scale 1: ~0.06 s natively, ~15 s under kentry at ~30 MIPS.
  { name: 'program: compute (guest/bench-compute.c)', source: 'bench-compute', args: [] },
  // 20 thousand SA_SIGINFO deliveries, each a frame, a handler and rt_sigreturn.
  { name: 'program: signals (guest/bench-signals.c, 20k deliveries)', source: 'bench-signals', args: ['20'] },
  // 500 fork + _exit + waitpid rounds: dup_mmap's copy-on-write sharing, a context switch each way, exit_mmap, reaping.
  { name: 'program: fork (guest/bench-fork.c, 500 fork/exit/waitpid)', source: 'bench-fork', args: ['500'] },
];

/** Build flags: static (kentry runs static executables only) and optimised like real code. */
export const CFLAGS = ['-static', '-O2'] as const;

/** Native and qemu runs are cheap: the median of a few hides a slow process start. */
const HOST_RUNS = 3;

/** One `kentry run`'s default budget: far beyond any bench program, only a guard against a hang. */
const MAX_INSNS = 100_000_000_000;

/** The guest environment, the same for all three so no output depends on the caller's. */
const GUEST_ENV: Readonly<Record<string, string>> = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };

export interface ProgramResult {
  readonly name: string;
  readonly program: string;
  readonly args: readonly string[];
  /** Median wall seconds natively (process start to exit, as spawned from Node). */
  readonly native_s: number;
  /** Median wall seconds under qemu-x86_64, or null when qemu is not available. */
  readonly qemu_s: number | null;
  /** Wall seconds under kentry (boot, ELF load and run), or null when it could not run the program. */
  readonly kentry_s: number | null;
  /** "ok", or why kentry has no figure ("not modelled yet: …"). */
  readonly kentry_status: string;
  /** The guest's exit status under kentry, or null when it did not finish. */
  readonly kentry_exit_status: number | null;
  readonly kentry_instructions: number | null;
  /** Guest million instructions per second over the whole run, start-up and V8 warm-up included. */
  readonly kentry_mips: number | null;
  readonly kentry_over_native: number | null;
  readonly kentry_over_qemu: number | null;
  /** The guest's stdout (the same from every runner that finished). */
  readonly stdout: string;
  readonly exit_status: number;
}

export interface ProgramsReport {
  readonly compiler: string;
  readonly cflags: readonly string[];
  /** qemu-x86_64's version line, or "not available (why)". */
  readonly qemu: string;
  readonly design: string;
  readonly results: readonly ProgramResult[];
  /** Every place the runners disagreed or kentry failed with an error; non-empty fails the bench. */
  readonly failures: readonly string[];
}

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

const GUEST_DIR = fileURLToPath(new URL('../../guest/', import.meta.url));

/** The first line a tool prints for --version, or null when it cannot be run. */
function versionLine(cmd: string): string | null {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split('\n')[0]!.trim();
}

/**
 * qemu-x86_64, installed with apt-get (Debian's qemu-user) when missing and
 * we are root or have password-less sudo; otherwise "not available". apt's
 * chatter goes to stderr so --json output stays one JSON document.
 */
export function findQemu(log: (line: string) => void): { cmd: string; version: string } | { missing: string } {
  const cmd = 'qemu-x86_64';
  const have = versionLine(cmd);
  if (have) return { cmd, version: have };
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root && !sudo) return { missing: 'not available (qemu-x86_64 not installed; apt-get needs root or sudo)' };
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return { missing: 'not available (qemu-x86_64 not installed; no apt-get)' };
  const apt = (args: readonly string[]): boolean => {
    const argv = sudo ? ['sudo', '-n', 'apt-get', ...args] : ['apt-get', ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 2, 2],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return r.status === 0;
  };
  log('bench: qemu-x86_64 is missing; installing qemu-user with apt-get');
  const install = ['install', '-y', '-q', '--no-install-recommends', 'qemu-user'];
  // A stale or empty package index is the usual reason the first try fails.
  if (!apt(install) && !(apt(['update', '-q']) && apt(install))) return { missing: 'not available (apt-get install qemu-user failed)' };
  const now = versionLine(cmd);
  return now ? { cmd, version: now } : { missing: 'not available (installed qemu-user has no qemu-x86_64)' };
}

function spawnTimed(cmd: string, args: readonly string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: GUEST_ENV, maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error) throw new Error(`bench: cannot run ${cmd}: ${r.error.message}`);
  // A signal death reads as a shell shows it (and as `kentry run` exits): 128 + signal.
  const status = r.signal ? 128 + (SIGNALS[r.signal] ?? 0) : (r.status ?? -1);
  return { status, stdout: r.stdout, stderr: r.stderr, seconds };
}

const SIGNALS: Readonly<Record<string, number>> = constants.signals;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

type KentryRun = (Run & { readonly instructions: number }) | { readonly notModelled: string } | { readonly error: string };

/**
 * What `kentry run` does (cli/run.ts: boot with a 1 ms timer, execve, run
 * until the task exits), with an in-memory console instead of the host's
 * streams. cli/run.ts writes straight to the host's stdout, hence this copy.
 */
function runKentry(design: Design, path: string, args: readonly string[]): KentryRun {
  const file = readFileSync(path);
  try {
    return runKentryUnchecked(design, path, file, args);
  } catch (e) {
    // Signal handlers are being modelled; until then the signal bench reports that instead of a figure.
    if (e instanceof NotModelledError) return { notModelled: e.message };
    // Any other error is a kentry bug: a failed bench, but the other programs' figures are still worth reporting.
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

function runKentryUnchecked(design: Design, path: string, file: Uint8Array, args: readonly string[]): KentryRun {
  const t0 = performance.now();
  const k = bootKernel(design, { timerEvery: 1_000_000 });
  const console = new MemoryConsole();
  const { task } = startProgram(k, k.allocPid(), file, {
    argv: [path, ...args],
    envp: Object.entries(GUEST_ENV).map(([key, v]) => `${key}=${v}`),
    execfn: path,
    exePath: path,
    console,
  });
  const cpu = k.platform.cpu;
  const first = cpu.instructions;
  const end = first + MAX_INSNS;
  while (cpu.instructions < end) {
    const r = k.run(Math.min(1_000_000, end - cpu.instructions));
    if (r.kind === 'task-exit' && r.task === task) break;
    if (r.kind !== 'budget' && r.kind !== 'task-exit') throw new Error(`the CPU stopped: ${r.kind}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const exit = task.exit;
  // Exit statuses as `kentry run` gives them: 124 when the budget ran out, 128 + signal when killed.
  const status = !exit ? 124 : exit.kind === 'exited' ? exit.code : 128 + exit.signal;
  return { status, stdout: console.text(1), stderr: console.text(2), seconds, instructions: cpu.instructions - first };
}

function describe(who: string, r: Run): string {
  const err = r.stderr.trim() ? `, stderr ${JSON.stringify(r.stderr.trim().slice(0, 200))}` : '';
  return `${who}: exit ${r.status}, stdout ${JSON.stringify(r.stdout.slice(0, 300))}${err}`;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export interface ProgramsOptions {
  readonly design: Design;
  readonly chosen: readonly ProgramBenchmark[];
  /** Progress lines (stderr in --json mode). */
  readonly log: (line: string) => void;
  /** Called once the compiler and qemu are known, before anything runs. */
  readonly onStart?: (compiler: string, qemu: string) => void;
  /** Called with each result as soon as it is measured (the compute one takes a while). */
  readonly onResult?: (r: ProgramResult) => void;
}

/** Builds, runs and compares every chosen program; skipped when there is no C compiler. */
export function runPrograms(o: ProgramsOptions): ProgramsReport | { skipped: string } {
  const cc = process.env['CC'] ?? 'gcc';
  const compiler = versionLine(cc);
  if (!compiler) return { skipped: `no C compiler ('${cc}' cannot be run; set CC)` };
  const qemu = findQemu(o.log);
  const qemuText = 'version' in qemu ? qemu.version : qemu.missing;
  o.onStart?.(compiler, qemuText);
  const dir = mkdtempSync(join(tmpdir(), 'kentry-bench-'));
  const results: ProgramResult[] = [];
  const failures: string[] = [];
  try {
    for (const p of o.chosen) {
      const exe = join(dir, p.source);
      const built = spawnSync(cc, [...CFLAGS, '-o', exe, join(GUEST_DIR, `${p.source}.c`)], { encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`bench: building guest/${p.source}.c failed:\n${built.stderr}`);
      const native = Array.from({ length: HOST_RUNS }, () => spawnTimed(exe, p.args));
      const ref = native[0]!;
      const fails: string[] = [];
      const same = (who: string, r: Run): void => {
        if (r.status !== ref.status || r.stdout !== ref.stdout) fails.push(`${p.name}: ${describe(who, r)}; natively ${describe('', ref).slice(2)}`);
      };
      native.forEach((r, i) => same(`native run ${i + 1}`, r));
      const qemuRuns = 'cmd' in qemu ? Array.from({ length: HOST_RUNS }, () => spawnTimed(qemu.cmd, [exe, ...p.args])) : [];
      qemuRuns.forEach((r, i) => same(`qemu run ${i + 1}`, r));
      o.log(`bench: ${p.name}: running under kentry (design ${o.design.name})`);
      const k = runKentry(o.design, exe, p.args);
      if ('status' in k) same('kentry', k);
      if ('error' in k) fails.push(`${p.name}: kentry failed: ${k.error}`);
      failures.push(...fails);
      const nativeS = median(native.map((r) => r.seconds));
      const qemuS = qemuRuns.length ? median(qemuRuns.map((r) => r.seconds)) : null;
      const ran = 'status' in k && fails.length === 0;
      const kentryS = ran ? k.seconds : null;
      const result: ProgramResult = {
        name: p.name,
        program: `guest/${p.source}.c`,
        args: p.args,
        native_s: round(nativeS, 4),
        qemu_s: qemuS === null ? null : round(qemuS, 4),
        kentry_s: kentryS === null ? null : round(kentryS, 3),
        kentry_status: 'notModelled' in k ? `not modelled yet: ${k.notModelled}` : 'error' in k ? `error: ${k.error}` : fails.length ? 'output differs' : 'ok',
        kentry_exit_status: 'status' in k ? k.status : null,
        kentry_instructions: 'instructions' in k ? k.instructions : null,
        kentry_mips: 'instructions' in k ? round(k.instructions / k.seconds / 1e6, 2) : null,
        kentry_over_native: kentryS === null ? null : round(kentryS / nativeS, 1),
        kentry_over_qemu: kentryS === null || qemuS === null ? null : round(kentryS / qemuS, 2),
        stdout: ref.stdout,
        exit_status: ref.status,
      };
      results.push(result);
      o.onResult?.(result);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { compiler, cflags: [...CFLAGS], qemu: qemuText, design: o.design.name, results, failures };
}

/** Human-readable lines for one result. */
export function formatProgramResult(r: ProgramResult): string {
  const s = (x: number | null, unit = ' s'): string => (x === null ? '—' : `${x}${unit}`);
  const lines = [`  ${r.name}`];
  lines.push(`    native ${s(r.native_s)}   qemu ${r.qemu_s === null ? 'not available' : s(r.qemu_s)}   ` +
    (r.kentry_s !== null ? `kentry ${s(r.kentry_s)} (${(r.kentry_instructions! / 1e6).toFixed(0)}M insns, ${r.kentry_mips} MIPS)`
      : r.kentry_status.startsWith('not modelled yet') ? 'kentry: not modelled yet' : `kentry: ${r.kentry_status}${r.kentry_status === 'output differs' ? ` (exit ${r.kentry_exit_status})` : ''}`));
  // The reason on a line of its own: the kernel's message is long.
  if (r.kentry_s === null && r.kentry_status.startsWith('not modelled yet')) lines.push(`    (${r.kentry_status.replace(/^not modelled yet: /, '')})`);
  if (r.kentry_s !== null) lines.push(`    kentry/native ${s(r.kentry_over_native, '×')}   kentry/qemu ${s(r.kentry_over_qemu, '×')}`);
  return lines.join('\n');
}
