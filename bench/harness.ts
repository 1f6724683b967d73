/**
 * A small benchmark harness: each benchmark is a function that does a batch
 * of work and says how many operations it did; the harness repeats it for
 * a fixed wall-clock budget after a warm-up and reports operations/second.
 * The budget is split into rounds measured separately and the median
 * round's rate is the figure (a round slowed by a neighbour process or a
 * major GC moves it less than a mean); every round's rate is kept.
 * Results are single-process figures on this machine, printed with the Node
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
  /** Operations over all rounds. */
  readonly ops: number;
  /** Seconds measured over all rounds. */
  readonly seconds: number;
  /** The median round's operations per second. */
  readonly opsPerSecond: number;
  /** Each round's operations per second, in order. */
  readonly rounds: readonly number[];
}

/** Rounds the budget is split into (each at least one batch). */
export const DEFAULT_ROUNDS = 5;

export function runBenchmark(b: Benchmark, budgetSeconds: number, rounds = DEFAULT_ROUNDS): BenchResult {
  const batch = b.setup();
  const warmEnd = performance.now() + (b.warmupSeconds ?? 0.2) * 1000;
  while (performance.now() < warmEnd) batch();
  let ops = 0;
  let seconds = 0;
  const rates: number[] = [];
  const roundMs = (budgetSeconds * 1000) / rounds;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    const end = start + roundMs;
    let now = start;
    while (now < end) {
      n += batch();
      now = performance.now();
    }
    const s = (now - start) / 1000;
    ops += n;
    seconds += s;
    rates.push(n / s);
  }
  return { name: b.name, unit: b.unit, ops, seconds, opsPerSecond: median(rates), rounds: rates };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e9) return `${(perSecond / 1e9).toFixed(2)} G/s`;
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(2)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}
