/**
 * A design says where per-entry state lives (DESIGN.md §2). It is plain,
 * JSON-shaped data: the built-in designs are written in this form, users
 * may load their own from a file, and every layout, entry-stub size and
 * state slot is derived from it — never from `if (design === ...)`.
 */

/** A member declaration: a scalar/array, `struct pt_regs`, or a nested record. */
export type FieldSpec = ScalarFieldSpec | RecordFieldSpec;

export interface ScalarFieldSpec {
  readonly name: string;
  /** A C type name from SCALAR_TYPE_NAMES, or `struct pt_regs` (extensions only). */
  readonly type: string;
  /** Makes it an array of `count` elements. */
  readonly count?: number;
  /** `__aligned(N)` on the member. */
  readonly aligned?: number;
}

export interface RecordFieldSpec {
  /** Absent for an anonymous struct/union member (C11). */
  readonly name?: string;
  readonly kind?: 'struct' | 'union';
  /** The struct tag, e.g. `arch_extended_pt_regs`; absent for a tagless record. */
  readonly tag?: string;
  readonly fields: readonly FieldSpec[];
  readonly aligned?: number;
}

/**
 * A reference to a state slot: `<root>.<member path>`, root one of
 * `pt_regs`, `extension`, `irqentry_state`.
 */
export type SlotRef = string;

export type SlotRoot = 'pt_regs' | 'extension' | 'irqentry_state';
export const SLOT_ROOTS: readonly SlotRoot[] = ['pt_regs', 'extension', 'irqentry_state'];

export interface DesignSpec {
  /** Lower-case identifier used on the command line. */
  readonly name: string;
  /** One line: what it is and whose. */
  readonly title: string;
  readonly summary: string;
  /** Message-IDs or kernel paths the design is taken from. */
  readonly sources: readonly string[];
  /** Members placed before r15 in struct pt_regs (pushed last by the stub). */
  readonly ptRegsLeading: readonly FieldSpec[];
  /**
   * A struct laid out on the entry stack with `struct pt_regs` as its last
   * member, so its other members sit just below pt_regs and are reached
   * with container_of. Null when the design has none.
   */
  readonly extension: { readonly tag: string; readonly fields: readonly FieldSpec[] } | null;
  /**
   * irqentry_state_t, the generic entry code's state in the handler's C
   * frame; null when the design moved that state into the extension.
   */
  readonly irqentryState: {
    readonly fields: readonly FieldSpec[];
    /** `value`: irqentry_enter returns it; `reference`: the caller passes &state. */
    readonly passing: 'value' | 'reference';
  } | null;
  readonly slots: {
    /** Where the interrupted context's PKRS is saved; null: not saved. */
    readonly pkrs: SlotRef | null;
    readonly exitRcu: SlotRef;
    readonly lockdep: SlotRef;
  };
}
