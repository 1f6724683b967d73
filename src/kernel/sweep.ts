/**
 * Injection at each instruction boundary of an entry-text routine in turn
 * (issue M3 item 7; the fuzzer builds on it): for nth = 1, 2, … a fresh
 * kernel gets the event at the nth boundary where RIP lies inside the
 * routine, runs, and is judged. The sweep ends at the first nth that a run
 * never reaches — every boundary of the routine on the driven path has
 * then been hit once.
 */
import type { InjectedEvent } from './arch/x86/inject.js';
import type { Kernel } from './boot.js';
import { InternalError } from '../lib/errors.js';

export interface SweepPoint {
  /** 1-based boundary inside the routine. */
  readonly nth: number;
  /** Where it landed: `label+0xoff (boundary n)`. */
  readonly at: string;
}

export interface SweepOptions {
  /** A fresh kernel, set up to reach the routine (user program started, handlers registered). */
  boot(): Kernel;
  /** The routine's entry-text label, e.g. `entry_SYSCALL_64` or `__switch_to_asm`. */
  readonly label: string;
  readonly event: InjectedEvent;
  /** Runs the kernel far enough for the injection and its consequences (e.g. `k.run(50_000)`). */
  drive(k: Kernel): void;
  /** Judges one run (throw or use test assertions); called only when the event fired. */
  check(k: Kernel, point: SweepPoint): void;
  /** Safety stop: at most this many boundaries (default 512). */
  readonly limit?: number;
}

/** Sweeps every boundary of `label`; returns the points hit, in order. */
export function sweepRoutine(o: SweepOptions): SweepPoint[] {
  const limit = o.limit ?? 512;
  const points: SweepPoint[] = [];
  for (let nth = 1; nth <= limit; nth++) {
    const k = o.boot();
    k.injector.schedule(o.event, { inStub: o.label, nth });
    const before = k.injector.fired.length;
    o.drive(k);
    const fired = k.injector.fired.slice(before);
    if (fired.length === 0) return points;
    const point = { nth, at: fired[0]!.at };
    o.check(k, point);
    points.push(point);
  }
  throw new InternalError(`${o.label}: more than ${limit} boundaries; raise the limit or drive a shorter path`);
}
