/**
 * The unwinder's types (unwind.ts walks, unwind-format.ts renders): the
 * start state, options, and the innermost-first frames it reports.
 */
import type { Platform } from './platform.js';

/** What to unwind: a Platform, or anything that has one (a Kernel). */
export type UnwindTarget = Platform | { readonly platform: Platform };

/** CPU state inside a native function: its frame pointer and an address in it (entry or resume point). */
export interface UnwindStart {
  readonly rbp: number;
  readonly rip: number;
}

export interface UnwindOptions {
  /**
   * The compiler's frame layout: native function name → offset of its
   * irqentry_state_t local within its locals (from the bottom of the
   * locals, `frame - fn.locals`). Only state-ref needs it to find PKRS.
   */
  readonly frameLayouts?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /**
   * The device vector of an IRQ entry: it travels in %rsi only (orig_ax is
   * -1 once the stub has read it), so the stack cannot tell; a caller that
   * knows it (the handler's argument) may say so, by pt_regs address.
   */
  readonly irqVectorOf?: (regs: number) => number | undefined;
  /** Sanity limit on frames (default 64). */
  readonly maxFrames?: number;
}

export type EntryKind =
  | { readonly kind: 'syscall'; readonly nr: number; readonly name: string | null }
  | { readonly kind: 'exception'; readonly vector: number; readonly name: string; readonly label: string }
  | { readonly kind: 'irq'; readonly vector: number | null }
  | { readonly kind: 'nmi' };

/** Where this frame's saved PKRS was found, if anywhere. */
export type PkrsFinding =
  | {
      readonly found: true;
      readonly value: bigint;
      readonly address: number;
      readonly via: 'extension' | 'pt_regs member' | 'C frame';
      /** Human text: `via container_of(regs) at regs-0x8` etc. */
      readonly where: string;
    }
  | { readonly found: false; readonly reason: 'not saved' | 'not saved on the syscall path' | 'not reachable from this frame' | 'unreadable' };

export interface NativeUnwindFrame {
  readonly kind: 'native';
  readonly index: number;
  readonly function: string;
  /** The address in the function (its entry, or its resume point). */
  readonly pc: number;
  /** `function+0xoff`. */
  readonly symbol: string;
  /** The frame's RBP. */
  readonly frame: number;
}

export interface PtRegsUnwindFrame {
  readonly kind: 'pt_regs';
  readonly index: number;
  /** Address of struct pt_regs. */
  readonly regs: number;
  readonly entry: EntryKind;
  /** The C function the stub called (the native frame just inside this one). */
  readonly handler: string;
  /** Where in the stub that call returns to, as `label+0xoff`. */
  readonly calledFrom: string;
  readonly ip: number;
  /** The interrupted RIP: `label+0xoff` in kernel text, `user 0x...` below the user limit. */
  readonly ipSymbol: string;
  readonly cs: number;
  readonly cpl: number;
  readonly ss: number;
  readonly sp: number;
  readonly bp: number;
  readonly flags: bigint;
  readonly origAx: bigint;
  readonly pkrs: PkrsFinding;
}

export type UnwindFrame = NativeUnwindFrame | PtRegsUnwindFrame;

export interface Unwind {
  readonly design: string;
  /** Innermost first. */
  readonly frames: readonly UnwindFrame[];
  /** Null when the walk reached a user-mode pt_regs; otherwise `unwind stopped: ...`. */
  readonly stopped: string | null;
}

