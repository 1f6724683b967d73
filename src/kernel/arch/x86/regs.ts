/**
 * `struct pt_regs *` for kernel code: the generic EntryRegs questions and
 * field access by name at the design's layout, through the native runtime
 * (supervisor rights, current PKRS; faults become nested exceptions).
 */
import type { RecordLayout } from '../../../abi/layout.js';
import { field } from '../../../abi/view.js';
import type { EntryRegs } from '../../generic/index.js';
import type { NativeRuntime } from './native.js';

const IF = 1n << 9n;

export class PtRegs implements EntryRegs {
  constructor(
    private readonly rt: NativeRuntime,
    private readonly layout: RecordLayout,
    readonly address: number,
  ) {}

  /** regs->name as an unsigned 64-bit value. */
  get(name: string): bigint {
    return this.rt.read64(this.address + field(this.layout, name).offset);
  }

  set(name: string, value: bigint | number): void {
    this.rt.write64(this.address + field(this.layout, name).offset, value);
  }

  /** user_mode(regs): (regs->cs & 3) != 0 (arch/x86/include/asm/ptrace.h). */
  userMode(): boolean {
    return (this.get('cs') & 3n) !== 0n;
  }

  /** regs_irqs_disabled(regs): !(regs->flags & X86_EFLAGS_IF). */
  irqsDisabled(): boolean {
    return (this.get('flags') & IF) === 0n;
  }
}
