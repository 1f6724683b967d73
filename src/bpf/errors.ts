/**
 * BPF errors (STYLE.md §2.4): a literal `code` and the PC they concern.
 * Messages follow the kernel verifier log lines (kernel/bpf/verifier.c
 * verbose()) and end in "at PC n" as ubpf's do, so a log line and a PC
 * can be matched either way.
 */
import { KentryError } from '../lib/errors.js';

/** A BPF error at an instruction (or, for loading, possibly none): the message ends with "at PC n". */
abstract class BpfPcError extends KentryError {
  constructor(
    readonly reason: string,
    readonly pc: number | null,
    name: string,
  ) {
    super(pc === null ? reason : `${reason} at PC ${pc}`);
    this.name = name;
  }
}

/** Bad bytecode or object file: truncated, unknown section, bad relocation. */
export class BpfLoadError extends BpfPcError {
  readonly code = 'bpf-load' as const;
  constructor(reason: string, /** Instruction index, when the problem is at one; else null. */ pc: number | null) {
    super(reason, pc, 'BpfLoadError');
  }
}

/** The verifier refused the program (the kernel's -EINVAL/-EACCES from bpf_check()). */
export class BpfVerifyError extends BpfPcError {
  readonly code = 'bpf-verify' as const;
  declare readonly pc: number;
  /** `reason`: the kernel-style log line, e.g. "invalid bpf_context access off=168 size=8". */
  constructor(reason: string, pc: number) {
    super(reason, pc, 'BpfVerifyError');
  }
}

/**
 * A run-time failure of the interpreter: only reachable for programs that did
 * not go through the verifier (ubpf's bounds checks), or a step budget spent.
 */
export class BpfRuntimeError extends BpfPcError {
  readonly code = 'bpf-runtime' as const;
  declare readonly pc: number;
  constructor(reason: string, pc: number) {
    super(reason, pc, 'BpfRuntimeError');
  }
}
