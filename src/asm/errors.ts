/**
 * The assembler's one error class. Every message names the source line and
 * quotes the statement, so a user of a generated stub or a test snippet can
 * find it: "line 12: unknown instruction 'movz' in 'movz %al, %eax'".
 * `assemble` throws it and returns nothing: there is never partial output.
 */
import { KentryError } from '../lib/errors.js';

export class AsmError extends KentryError {
  readonly code = 'asm' as const;
  /** 1-based source line of the offending statement. */
  readonly line: number;
  /** What is wrong, without the line prefix. */
  readonly detail: string;
  /** The statement text (comments removed, trimmed). */
  readonly statement: string;

  constructor(line: number, statement: string, detail: string) {
    super(`line ${line}: ${detail} in '${statement}'`);
    this.name = 'AsmError';
    this.line = line;
    this.detail = detail;
    this.statement = statement;
  }
}

/**
 * Thrown by the parsing and encoding helpers, which do not know which line
 * they work on; the driver catches it and rethrows it as an `AsmError` with
 * the line. Never escapes `assemble`.
 */
export class StatementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatementError';
  }
}

/** Shorthand for helpers: `fail('bad register')` never returns. */
export function fail(message: string): never {
  throw new StatementError(message);
}
