/**
 * Kernel C that "might sleep" (might_sleep(), kernel/sched/core.c): a call
 * chain that can reach schedule() and be switched away from, to continue
 * only when the scheduler picks the task again. In the model such a chain
 * is a generator: schedule() yields a request that the arch layer turns
 * into a real context switch (__switch_to_asm on the guest stacks), and the
 * chain resumes where it yielded when the task is switched back in. Generic
 * code only forwards the request (`yield*`); what it is, is the arch's.
 *
 * A chain that is driven where no switch is possible (tests, nested kernel
 * work) runs with `complete`, which insists that nothing yields.
 */
import { InternalError } from '../../lib/errors.js';

/** A kernel C function that might sleep, returning T. */
export type MaySleep<T = void> = Generator<unknown, T, undefined>;

/** A service that may either return at once or sleep (a generator). */
export type MaybeSleeping = MaySleep | void;

/** Runs a chain that must not switch here to its end and returns its result. */
export function complete<T>(chain: MaySleep<T>): T {
  const step = chain.next();
  if (!step.done) throw new InternalError('a kernel call chain tried to schedule where no context switch is possible');
  return step.value;
}

/** `yield*` target for a service result that may or may not be a sleeping chain. */
export function* sleepIn(result: MaybeSleeping): MaySleep {
  if (result) yield* result;
}
