/**
 * Trace events of the generic entry layer. `call` brackets a kernel
 * function (enter/exit); `step` marks one numbered step inside it that
 * changes modelled state or is a named kernel call (lockdep_hardirqs_off,
 * ct_irq_enter, schedule, ...). Events carry the kernel symbol, not the
 * camelCase name (STYLE §2.2). Emitted only when a sink is attached.
 *
 * These belong in the `TraceEvent` union of src/trace/events.ts; until they
 * are added there, generic code emits them to its own `GenericTraceSink`
 * (which a `TraceSink` satisfies once the union includes them).
 */

export interface GenericCallEvent {
  readonly kind: 'call';
  readonly layer: 'generic';
  /** Kernel symbol, e.g. `irqentry_enter`. */
  readonly symbol: string;
  readonly phase: 'enter' | 'exit';
  /** e.g. `user`, `exit_rcu=1`, `nr=39`. */
  readonly detail?: string;
}

export interface GenericStepEvent {
  readonly kind: 'step';
  readonly layer: 'generic';
  readonly symbol: string;
  readonly detail?: string;
}

export type GenericTraceEvent = GenericCallEvent | GenericStepEvent;

export interface GenericTraceSink {
  emit(event: GenericTraceEvent): void;
}

interface Traced {
  readonly trace?: GenericTraceSink | undefined;
}

export function traceCall(d: Traced, symbol: string, phase: 'enter' | 'exit', detail?: string): void {
  if (!d.trace) return;
  d.trace.emit(detail === undefined
    ? { kind: 'call', layer: 'generic', symbol, phase }
    : { kind: 'call', layer: 'generic', symbol, phase, detail });
}

export function traceStep(d: Traced, symbol: string, detail?: string): void {
  if (!d.trace) return;
  d.trace.emit(detail === undefined
    ? { kind: 'step', layer: 'generic', symbol }
    : { kind: 'step', layer: 'generic', symbol, detail });
}
