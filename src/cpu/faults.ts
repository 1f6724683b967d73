/**
 * Guest-visible CPU exceptions (STYLE.md §2.4). A `CpuFault` is not a host
 * error: the run loop catches it once and delivers it through the IDT. It
 * therefore does not extend `KentryError`, so generic host-error handlers
 * never swallow one by accident; like every kentry error it has a literal
 * `code`.
 */
import { VEC_PF, describePfErrorCode } from './arch.js';
import { hex } from '../lib/u64.js';

/** An x86 exception raised by the modelled CPU. */
export class CpuFault extends Error {
  readonly code = 'cpu-fault' as const;
  constructor(
    /** IDT vector (SDM Vol. 3A §6.3.1), e.g. 14 for #PF. */
    readonly vector: number,
    /** The error code pushed on delivery; 0 for vectors without one. */
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CpuFault';
  }
}

/**
 * INT n, INT3 and INTO: software interrupts. They are delivered like
 * traps (the pushed RIP is the next instruction), push no error code, and
 * check the gate's DPL against CPL (#GP(vector × 8 + 2) when it is lower).
 * @see Intel SDM Vol. 3A §6.12.1.1, Vol. 2 "INT n/INTO/INT3/INT1"
 */
export class SoftwareInterrupt extends CpuFault {
  constructor(vector: number) {
    super(vector, 0, `int $${vector}`);
    this.name = 'SoftwareInterrupt';
  }
}

/**
 * #PF (vector 14). `address` is the linear address the CPU loads into CR2:
 * the sign-extended canonical value as a JS number (see mmu.ts for the
 * address contract). `errorCode` is exact per SDM Vol. 3A §4.7.
 */
export class PageFault extends CpuFault {
  constructor(
    errorCode: number,
    readonly address: number,
  ) {
    super(VEC_PF, errorCode, `#PF at ${formatLinear(address)} error ${hex(errorCode)} (${describePfErrorCode(errorCode)})`);
    this.name = 'PageFault';
  }
}

/** Hex of a sign-extended linear address as its 64-bit unsigned value. */
export function formatLinear(la: number): string {
  return Number.isSafeInteger(la) ? hex(BigInt(la), 16) : String(la);
}
