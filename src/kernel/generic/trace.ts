/**
 * Trace events of the generic entry layer. `call` brackets a kernel
 * function (enter/exit); `step` marks one numbered step inside it that
 * changes modelled state or is a named kernel call (lockdep_hardirqs_off,
 * ct_irq_enter, schedule, ...). Events carry the kernel symbol, not the
 * camelCase name (STYLE §2.2). Emitted only when a sink is attached.
 *
 * The event types are part of the `TraceEvent` union (src/trace/events.ts),
 * so any `TraceSink` can serve as the generic sink.
 */

import type { GenericTraceEvent } from '../../trace/events.js';

export type { GenericCallEvent, GenericStepEvent, GenericTraceEvent } from '../../trace/events.js';

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
