/**
 * Error conventions (STYLE.md §2.4): every error kentry throws on purpose
 * extends `KentryError` and carries a literal string `code`, so callers and
 * the CLI switch on `code`, never on message text.
 *
 * - `UsageError`     bad input from a user (unknown struct, design, file) —
 *                    the CLI prints its message as one line and exits 2.
 * - `InternalError`  a broken model invariant; never turned into a guest
 *                    signal, always propagates (a bug in kentry).
 */
export abstract class KentryError extends Error {
  abstract readonly code: string;
}

/** Bad input from a user of kentry (CLI argument, file, JSON spec). */
export class UsageError extends KentryError {
  readonly code = 'usage' as const;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Something a guest program asked for that kentry does not model yet (said plainly, never faked). */
export class NotModelledError extends KentryError {
  readonly code = 'not-modelled' as const;
  constructor(message: string) {
    super(message);
    this.name = 'NotModelledError';
  }
}

/** A kentry bug: an invariant of the model does not hold. */
export class InternalError extends KentryError {
  readonly code = 'internal' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

/** Throws `InternalError` when `cond` is false; for model invariants only. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InternalError(message);
}
