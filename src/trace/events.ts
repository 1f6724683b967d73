/**
 * Trace events: what kentry reports to whoever watches (the CLI's
 * `--trace`, the visualizer, golden-trace tests). A typed union with a
 * `kind` and the `layer` that emits it (STYLE.md §2.2); kernel events carry
 * the kernel symbol name as data. Emitters call a sink only when one is
 * attached, so tracing costs nothing otherwise.
 */

/** Who emitted an event. */
export type TraceLayer = 'cpu' | 'entry-stub' | 'generic' | 'arch' | 'bpf';

/** An instruction retired (emitted only when a sink asks for instructions). */
export interface InsnEvent {
  readonly kind: 'insn';
  readonly layer: 'cpu';
  /** Linear address, as the CPU's sign-extended number. */
  readonly rip: number;
  readonly cpl: number;
  readonly mnemonic: string;
  readonly bytes: Uint8Array;
}

/** The CPU delivered an exception, interrupt or NMI through the IDT. */
export interface DeliveryEvent {
  readonly kind: 'delivery';
  readonly layer: 'cpu';
  readonly vector: number;
  /** 'fault' | 'trap' | 'software' | 'external' | 'nmi'. */
  readonly cause: 'fault' | 'trap' | 'software' | 'external' | 'nmi';
  readonly errorCode: number;
  /** The RIP pushed in the frame. */
  readonly returnRip: number;
  /** CPL before delivery. */
  readonly fromCpl: number;
}

/** A kernel function of the generic entry layer begins or ends (kernel/entry/common.c). */
export interface GenericCallEvent {
  readonly kind: 'call';
  readonly layer: 'generic';
  /** Kernel symbol, e.g. `irqentry_enter`. */
  readonly symbol: string;
  readonly phase: 'enter' | 'exit';
  /** e.g. `user`, `exit_rcu=1`, `nr=39`. */
  readonly detail?: string;
}

/** One named step inside a generic entry function (lockdep_hardirqs_off, ct_irq_enter, schedule, ...). */
export interface GenericStepEvent {
  readonly kind: 'step';
  readonly layer: 'generic';
  readonly symbol: string;
  readonly detail?: string;
}

export type GenericTraceEvent = GenericCallEvent | GenericStepEvent;

export type TraceEvent = InsnEvent | DeliveryEvent | GenericTraceEvent;

export interface TraceSink {
  /** Whether per-instruction events are wanted (they are costly to produce). */
  readonly instructions: boolean;
  emit(event: TraceEvent): void;
}
