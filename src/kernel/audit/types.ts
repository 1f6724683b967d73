/**
 * What `kentry audit` reports (issue 6 item 7; DESIGN.md §4 invariant 6):
 * one row per ABI consumer of pt_regs, each the result of running that
 * consumer under a design and under `upstream` and comparing the values
 * it produced.
 */

/** How a consumer reaches pt_regs. */
export type PtRegsReach =
  | 'named field'
  | 'offset index'
  | 'fixed compiled offset'
  | 'relocated offset';

/** same/differs: values compared; not modelled: no run exists yet (no fake result). */
export type AuditStatus = 'same' | 'differs' | 'not modelled';

export interface AuditRow {
  /** Short id (stable for tools): signal-frame, sigreturn, regset-core, ptrace, perf-fixed, perf-rebuilt, bpf-fixed, bpf-relocated. */
  readonly id: string;
  /** What the consumer is, as a reader knows it. */
  readonly consumer: string;
  readonly reach: PtRegsReach;
  readonly status: AuditStatus;
  /** What differs, one item each ("r15 reads pkrs (0x55555554, upstream 0x...)"); empty when same. */
  readonly differences: readonly string[];
  /** What was compared (or why nothing was). */
  readonly note: string;
}

export interface AuditReport {
  readonly design: string;
  readonly against: 'upstream';
  readonly rows: readonly AuditRow[];
  /** True when some consumer's values differ from upstream's (`kentry audit` exits 1). */
  readonly differs: boolean;
}

/** 0x-hex of a 64-bit value. */
export function hex(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16)}`;
}
