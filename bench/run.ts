/**
 * `npm run bench [-- --seconds N] [--json] [--design NAME] [NAME-FILTER]`:
 * runs the benchmarks of suites.ts and prints operations per second, then
 * the whole-program benchmarks of programs.ts (wall seconds natively, under
 * qemu and under kentry with design NAME).
 */
import type { Design } from '../src/design/build.js';
import { builtinDesign, DEFAULT_DESIGN } from '../src/design/registry.js';
import { formatRate, runBenchmark, type BenchResult } from './harness.js';
import { CPU_BENCHMARK } from './cpu.js';
import { IRQ_BENCHMARK, SYSCALL_BENCHMARK } from './entry.js';
import { CFLAGS, formatProgramResult, PROGRAM_BENCHMARKS, runPrograms, type ProgramResult } from './programs.js';
import { BENCHMARKS } from './suites.js';

function parseArgs(argv: readonly string[]): { seconds: number; json: boolean; design: string; filter: string | null } {
  let seconds = 1;
  let json = false;
  let design = DEFAULT_DESIGN;
  let filter: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--design') design = argv[++i] ?? '';
    else if (a === '--seconds') {
      seconds = Number(argv[++i]);
      if (!(seconds > 0 && seconds <= 600)) {
        process.stderr.write('bench: --seconds takes a number from 0 to 600\n');
        process.exit(2);
      }
    } else if (a.startsWith('-')) {
      process.stderr.write(`bench: unknown option '${a}' (valid: --seconds N, --json, --design NAME, a name filter)\n`);
      process.exit(2);
    } else filter = a;
  }
  return { seconds, json, design, filter };
}

const opts = parseArgs(process.argv.slice(2));
let design: Design;
try {
  design = builtinDesign(opts.design);
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(2);
}
const matches = (name: string): boolean => opts.filter === null || name.includes(opts.filter);
const chosen = BENCHMARKS.filter((b) => matches(b.name));
const chosenPrograms = PROGRAM_BENCHMARKS.filter((p) => matches(p.name));
if (chosen.length === 0 && chosenPrograms.length === 0) {
  const all = [...BENCHMARKS, ...PROGRAM_BENCHMARKS].map((b) => b.name).join('; ');
  process.stderr.write(`bench: no benchmark matches '${opts.filter}' (have: ${all})\n`);
  process.exit(2);
}
const results: BenchResult[] = [];
if (!opts.json && chosen.length > 0) process.stdout.write(`kentry bench — node ${process.version}, ${opts.seconds}s per benchmark\n`);
for (const b of chosen) {
  const r = runBenchmark(b, opts.seconds);
  results.push(r);
  if (!opts.json) process.stdout.write(`  ${r.name.padEnd(44)} ${formatRate(r.opsPerSecond).padStart(12)}  (${r.unit})\n`);
}
// Progress (a qemu install, the long kentry runs) goes to stderr: in --json mode stdout is one JSON document.
const log = (line: string): void => void process.stderr.write(line + '\n');
const programs = chosenPrograms.length === 0 ? null : runPrograms({
  design,
  chosen: chosenPrograms,
  log,
  ...(opts.json ? {} : {
    onStart: (compiler: string, qemu: string) =>
      void process.stdout.write(`whole programs, wall seconds — ${compiler}, ${CFLAGS.join(' ')}; qemu: ${qemu}; kentry design ${design.name}\n`),
    onResult: (r: ProgramResult) => void process.stdout.write(formatProgramResult(r) + '\n'),
  }),
});
if (programs && 'skipped' in programs) log(`bench: whole-program benchmarks skipped: ${programs.skipped}`);
if (opts.json) {
  // cpu_mips: guest million instructions per second of the compute-bound loop (issue M2 item 8).
  const cpu = results.find((r) => r.name === CPU_BENCHMARK.name);
  const sys = results.find((r) => r.name === SYSCALL_BENCHMARK.name);
  const irq = results.find((r) => r.name === IRQ_BENCHMARK.name);
  const summary = {
    cpu_mips: cpu ? Number((cpu.opsPerSecond / 1e6).toFixed(2)) : null,
    entry_syscall_per_s: sys ? Math.round(sys.opsPerSecond) : null,
    entry_irq_per_s: irq ? Math.round(irq.opsPerSecond) : null,
    node: process.version,
    results,
    // Whole programs (issue M4 item 8): seconds natively, under qemu and kentry, and the ratios.
    programs,
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}
if (programs && 'failures' in programs && programs.failures.length > 0) {
  // Different output means the runners did different work: the figures are meaningless, so fail.
  process.stderr.write(`bench: FAILED — a guest program's output differs between native, qemu and kentry, or kentry failed:\n`);
  for (const m of programs.failures) process.stderr.write(`  ${m}\n`);
  process.exitCode = 1;
}
