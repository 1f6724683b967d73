/**
 * Scheduled interrupts and NMIs for tests, the demo and the fuzzer
 * (issue M3 item 7): an event is made pending on the CPU when the retired
 * instruction count reaches N (checked by the kernel's run loop — not inside
 * nested native work), or when a named native C function starts its body or
 * reaches one of its `boundary()` calls. A pending event is delivered by the
 * CPU at the next instruction boundary that allows it (NMI: not blocked;
 * IRQ: RFLAGS.IF set), exactly as a device asserting a line would be.
 */
import type { Cpu } from '../../../cpu/exec.js';
import { InternalError } from '../../../lib/errors.js';

export type InjectedEvent = { readonly kind: 'irq'; readonly vector: number } | { readonly kind: 'nmi' };

export type InjectionTrigger =
  | { readonly atInstruction: number }
  /** `when: 'start'`: as the body starts (its first instruction boundary); 'boundary': its nth boundary() (1-based, default 1). */
  | { readonly atFunction: string; readonly when: 'start' | 'boundary'; readonly nth?: number }
  /**
   * The nth instruction boundary (1-based, default 1) at which RIP lies in
   * the entry-text routine `inStub` (from its label to the next global
   * label), counted over its first visit only: the visit ends when control
   * leaves the routine for anything but kernel C (a called native function
   * returning into it continues the visit). While such a trigger waits, the
   * kernel runs one instruction at a time.
   */
  | { readonly inStub: string; readonly nth?: number };

/** [start, end) of an entry-text routine by label (the kernel resolves it from the assembled symbols). */
export type StubRange = (label: string) => readonly [number, number];

interface Pending {
  readonly event: InjectedEvent;
  readonly trigger: InjectionTrigger;
  seen: number;
  fired: boolean;
  /** Stub triggers: the first visit to the routine is over (control left it for code other than kernel C). */
  visitOver: boolean;
}

/** What was injected where (for reports). */
export interface InjectionRecord {
  readonly event: InjectedEvent;
  readonly at: string;
  readonly instructions: number;
}

/** A device that interrupts periodically (the local APIC timer in periodic mode, its period counted in instructions). */
interface Periodic {
  readonly vector: number;
  readonly period: number;
  next: number;
  count: number;
}

export class Injector {
  private readonly pending: Pending[] = [];
  private readonly periodic: Periodic[] = [];
  readonly fired: InjectionRecord[] = [];

  private readonly ranges = new Map<string, readonly [number, number]>();

  constructor(
    private readonly cpu: Cpu,
    private readonly stubRange: StubRange = (label) => {
      throw new InternalError(`no entry text to find ${label} in`);
    },
  ) {}

  /** Whether any trigger names a native function (beginEntry skips the lookup otherwise). */
  get hasFunctionTriggers(): boolean {
    for (const p of this.pending) if (!p.fired && 'atFunction' in p.trigger) return true;
    return false;
  }

  schedule(event: InjectedEvent, trigger: InjectionTrigger): void {
    if ('inStub' in trigger && !this.ranges.has(trigger.inStub)) this.ranges.set(trigger.inStub, this.stubRange(trigger.inStub));
    this.pending.push({ event, trigger, seen: 0, fired: false, visitOver: false });
  }

  /** Whether a trigger waits for an instruction boundary inside a stub (the kernel then steps one instruction at a time). */
  private stepping(): boolean {
    for (const p of this.pending) if (!p.fired && !p.visitOver && 'inStub' in p.trigger) return true;
    return false;
  }

  /** Interrupt `vector` (e.g. LOCAL_TIMER_VECTOR) at a trigger. */
  irq(vector: number, trigger: InjectionTrigger): void {
    this.schedule({ kind: 'irq', vector }, trigger);
  }

  nmi(trigger: InjectionTrigger): void {
    this.schedule({ kind: 'nmi' }, trigger);
  }

  /**
   * Interrupt `vector` every `period` retired instructions from now (the
   * model's clock: time is instructions). Periodic firings are counted,
   * not logged in `fired`.
   */
  every(vector: number, period: number): void {
    if (!Number.isSafeInteger(period) || period < 1) throw new InternalError(`timer period ${period} is not a positive integer`);
    this.periodic.push({ vector, period, next: this.cpu.instructions + period, count: 0 });
  }

  /** How often periodic `vector` has fired. */
  periodicCount(vector: number): number {
    return this.periodic.filter((p) => p.vector === vector).reduce((n, p) => n + p.count, 0);
  }

  /** The smallest instruction count at which an instruction trigger is still due, or Infinity. */
  nextInstructionStop(): number {
    if (this.stepping()) return this.cpu.instructions + 1;
    let next = Infinity;
    for (const p of this.periodic) if (p.next < next) next = p.next;
    for (const p of this.pending) {
      if (!p.fired && 'atInstruction' in p.trigger && p.trigger.atInstruction < next) next = p.trigger.atInstruction;
    }
    return next;
  }

  /** Fires instruction triggers that are due at the CPU's current count, and stub triggers at the current RIP. */
  fireDue(): void {
    if (this.stepping()) this.stubBoundary();
    for (const p of this.periodic) {
      if (this.cpu.instructions < p.next) continue;
      // A tick that comes while the last is still pending merges with it, as an edge-triggered line would.
      this.cpu.injectInterrupt(p.vector);
      p.count++;
      p.next += p.period * Math.max(1, Math.ceil((this.cpu.instructions - p.next + 1) / p.period));
    }
    for (const p of this.pending) {
      if (!p.fired && 'atInstruction' in p.trigger && this.cpu.instructions >= p.trigger.atInstruction) {
        this.fire(p, `instruction ${p.trigger.atInstruction}`);
      }
    }
  }

  /** The CPU stands at an instruction boundary (RIP not yet executed): count it for every stub it lies in. */
  private stubBoundary(): void {
    const rip = this.cpu.rip;
    if (this.lastBoundary === this.cpu.instructions && this.lastRip === rip) return; // the same boundary, seen again
    this.lastBoundary = this.cpu.instructions;
    this.lastRip = rip;
    const inKernelC = rip >= this.cpu.hostcallStart && rip < this.cpu.hostcallEnd;
    for (const p of this.pending) {
      const t = p.trigger;
      if (p.fired || p.visitOver || !('inStub' in t)) continue;
      const [start, end] = this.ranges.get(t.inStub)!;
      if (rip < start || rip >= end) {
        if (p.seen > 0 && !inKernelC) p.visitOver = true;
        continue;
      }
      p.seen++;
      if (p.seen === (t.nth ?? 1)) this.fire(p, `${t.inStub}+0x${(rip - start).toString(16)} (boundary ${p.seen})`);
    }
  }

  private lastBoundary = -1;
  private lastRip = 0;

  /** How many boundaries of stub triggers have been counted (a sweep stops when nth exceeds what a run reaches). */
  stubBoundariesSeen(): number {
    let n = 0;
    for (const p of this.pending) if ('inStub' in p.trigger) n = Math.max(n, p.seen);
    return n;
  }

  /** A native function's body starts (returns whether anything was made pending). */
  functionStart(name: string): boolean {
    return this.matchFunction(name, 'start');
  }

  /** A native function is about to expose an instruction boundary. */
  boundary(name: string): boolean {
    return this.matchFunction(name, 'boundary');
  }

  private matchFunction(name: string, when: 'start' | 'boundary'): boolean {
    let any = false;
    for (const p of this.pending) {
      const t = p.trigger;
      if (p.fired || !('atFunction' in t) || t.atFunction !== name || t.when !== when) continue;
      p.seen++;
      if (p.seen === (t.nth ?? 1)) {
        this.fire(p, `${name} ${when}${when === 'boundary' ? ` #${p.seen}` : ''}`);
        any = true;
      }
    }
    return any;
  }

  private fire(p: Pending, at: string): void {
    p.fired = true;
    if (p.event.kind === 'nmi') this.cpu.injectNmi();
    else this.cpu.injectInterrupt(p.event.vector);
    this.fired.push({ event: p.event, at, instructions: this.cpu.instructions });
  }
}
