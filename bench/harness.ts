/**
 * A small benchmark harness: each benchmark is a function that does a batch
 * of work and says how many operations it did; the harness repeats it for
 * a fixed wall-clock budget after a warm-up and reports operations/second.
 * Results are single-run figures on this machine, printed with the Node
 * version so numbers from different runs can be told apart.
 */
export interface Benchmark {
  readonly name: string;
  /** What one operation is, e.g. "guest instruction", "TLB-hit read". */
  readonly unit: string;
  /**
   * Seconds of warm-up before measuring (default 0.2). The interpreter needs
   * about two: V8 keeps re-optimising the run loop and its handlers for the
   * first second or so, and steady-state speed is what long runs see.
   */
  readonly warmupSeconds?: number;
  /** Prepares state and returns the batch function (returns operations done). */
  setup(): () => number;
}

export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
}

export function runBenchmark(b: Benchmark, budgetSeconds: number): BenchResult {
  const batch = b.setup();
  const warmEnd = performance.now() + (b.warmupSeconds ?? 0.2) * 1000;
  while (performance.now() < warmEnd) batch();
  let ops = 0;
  const start = performance.now();
  const end = start + budgetSeconds * 1000;
  let now = start;
  while (now < end) {
    ops += batch();
    now = performance.now();
  }
  const seconds = (now - start) / 1000;
  return { name: b.name, unit: b.unit, ops, seconds, opsPerSecond: ops / seconds };
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e9) return `${(perSecond / 1e9).toFixed(2)} G/s`;
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(2)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}
