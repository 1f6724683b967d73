/**
 * The parsed program: one item per thing a statement contributes, in source
 * order. Parsing fixes every size except branches (rel8 or rel32) and
 * alignment padding, which layout.ts settles.
 */
import type { Fixup } from './encode.js';
import type { Expr } from './expr.js';

/** Where an item came from, for error messages and the listing. */
export interface Origin {
  /** Index of the statement in source order. */
  readonly stmt: number;
  readonly line: number;
  readonly text: string;
}

export type ListingKind = 'instruction' | 'data' | 'align' | 'label' | 'directive';

export type Item =
  | { readonly kind: 'label'; readonly name: string; readonly at: Origin }
  /** A symbol set to an expression that needs layout (mentions labels or `.`). */
  | { readonly kind: 'set'; readonly name: string; readonly expr: Expr; readonly at: Origin }
  /** Fixed bytes with fields filled after layout; `dataDot` makes `.` the address of each field (data directives). */
  | { readonly kind: 'bytes'; readonly bytes: readonly number[]; readonly fixups: readonly Fixup[]; readonly listing: ListingKind; readonly dataDot: boolean; readonly at: Origin }
  | { readonly kind: 'branch'; readonly short: readonly number[] | null; readonly long: readonly number[]; readonly target: Expr; readonly at: Origin }
  /** Pad to a multiple of `align` with `fill` (null: NOPs as GNU as emits them), skipping if more than `max` bytes. */
  | { readonly kind: 'align'; readonly align: number; readonly fill: number | null; readonly max: number | null; readonly at: Origin };
