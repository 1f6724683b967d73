/**
 * `struct pt_regs *` for kernel code: the generic EntryRegs questions and
 * field access by name at the design's layout, through the native runtime
 * (supervisor rights, current PKRS; faults become nested exceptions).
 */
import type { RecordLayout } from '../../../abi/layout.js';
import { field } from '../../../abi/view.js';
import type { EntryRegs } from '../../generic/index.js';
import type { NativeRuntime } from './native.js';

const IF = 1 << 9;

const offsetTables = new WeakMap<RecordLayout, Readonly<Record<string, number>>>();

/** Member name → offset for a pt_regs layout, built once (every entry reads several members). */
function offsetTable(layout: RecordLayout): Readonly<Record<string, number>> {
  let t = offsetTables.get(layout);
  if (!t) {
    const m: Record<string, number> = {};
    for (const x of layout.members) m[x.name] = field(layout, x.name).offset;
    offsetTables.set(layout, (t = m));
  }
  return t;
}

export class PtRegs implements EntryRegs {
  private readonly offsets: Readonly<Record<string, number>>;

  constructor(
    private readonly rt: NativeRuntime,
    private readonly layout: RecordLayout,
    readonly address: number,
  ) {
    this.offsets = offsetTable(layout);
  }

  private offsetOf(name: string): number {
    return this.offsets[name] ?? field(this.layout, name).offset; // nested paths go the long way
  }

  /** regs->name as an unsigned 64-bit value. */
  get(name: string): bigint {
    return this.rt.read64(this.address + this.offsetOf(name));
  }

  /** Bits 31:0 of regs->name (an int32 pattern); bits 63:32 are left in `hi` (no BigInt on hot paths). */
  lo(name: string): number {
    const v = this.rt.read64Lo(this.address + this.offsetOf(name));
    this.hi = this.rt.readHi;
    return v;
  }

  /** Bits 63:32 of the last `lo` read. */
  hi = 0;

  set(name: string, value: bigint | number): void {
    this.rt.write64(this.address + this.offsetOf(name), value);
  }

  /** user_mode(regs): (regs->cs & 3) != 0 (arch/x86/include/asm/ptrace.h). */
  userMode(): boolean {
    return (this.lo('cs') & 3) !== 0;
  }

  /** regs_irqs_disabled(regs): !(regs->flags & X86_EFLAGS_IF). */
  irqsDisabled(): boolean {
    return (this.lo('flags') & IF) === 0;
  }
}
