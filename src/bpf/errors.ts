/**
 * BPF errors (STYLE.md §2.4): a literal `code` and the PC they concern.
 * Messages follow the kernel verifier log lines (kernel/bpf/verifier.c
 * verbose()) and end in "at PC n" as ubpf's do, so a log line and a PC
 * can be matched either way.
 */
import { KentryError } from '../lib/errors.js';

/** Bad bytecode or object file: truncated, unknown section, bad relocation. */
export class BpfLoadError extends KentryError {
  readonly code = 'bpf-load' as const;
  constructor(
    readonly reason: string,
    /** Instruction index, when the problem is at one; else null. */
    readonly pc: number | null,
  ) {
    super(pc === null ? reason : `${reason} at PC ${pc}`);
    this.name = 'BpfLoadError';
  }
}

/** The verifier refused the program (the kernel's -EINVAL/-EACCES from bpf_check()). */
export class BpfVerifyError extends KentryError {
  readonly code = 'bpf-verify' as const;
  constructor(
    /** The kernel-style log line, e.g. "invalid bpf_context access off=168 size=8". */
    readonly reason: string,
    readonly pc: number,
  ) {
    super(`${reason} at PC ${pc}`);
    this.name = 'BpfVerifyError';
  }
}

/**
 * A run-time failure of the interpreter: only reachable for programs that did
 * not go through the verifier (ubpf's bounds checks), or a step budget spent.
 */
export class BpfRuntimeError extends KentryError {
  readonly code = 'bpf-runtime' as const;
  constructor(
    readonly reason: string,
    readonly pc: number,
  ) {
    super(`${reason} at PC ${pc}`);
    this.name = 'BpfRuntimeError';
  }
}
