/**
 * `npm run bench [-- --seconds N] [--json] [NAME-FILTER]`: runs the
 * benchmarks of suites.ts and prints operations per second.
 */
import { formatRate, runBenchmark, type BenchResult } from './harness.js';
import { CPU_BENCHMARK } from './cpu.js';
import { IRQ_BENCHMARK, SYSCALL_BENCHMARK } from './entry.js';
import { BENCHMARKS } from './suites.js';

function parseArgs(argv: readonly string[]): { seconds: number; json: boolean; filter: string | null } {
  let seconds = 1;
  let json = false;
  let filter: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--seconds') {
      seconds = Number(argv[++i]);
      if (!(seconds > 0 && seconds <= 600)) {
        process.stderr.write('bench: --seconds takes a number from 0 to 600\n');
        process.exit(2);
      }
    } else if (a.startsWith('-')) {
      process.stderr.write(`bench: unknown option '${a}' (valid: --seconds N, --json, a name filter)\n`);
      process.exit(2);
    } else filter = a;
  }
  return { seconds, json, filter };
}

const opts = parseArgs(process.argv.slice(2));
const chosen = BENCHMARKS.filter((b) => opts.filter === null || b.name.includes(opts.filter));
if (chosen.length === 0) {
  process.stderr.write(`bench: no benchmark matches '${opts.filter}' (have: ${BENCHMARKS.map((b) => b.name).join('; ')})\n`);
  process.exit(2);
}
const results: BenchResult[] = [];
if (!opts.json) process.stdout.write(`kentry bench — node ${process.version}, ${opts.seconds}s per benchmark\n`);
for (const b of chosen) {
  const r = runBenchmark(b, opts.seconds);
  results.push(r);
  if (!opts.json) process.stdout.write(`  ${r.name.padEnd(44)} ${formatRate(r.opsPerSecond).padStart(12)}  (${r.unit})\n`);
}
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
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}
