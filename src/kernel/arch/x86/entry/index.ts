/**
 * The x86-64 entry stubs of a design as one AT&T source (arch/x86/entry/
 * entry_64.S and calling.h, generated from the design's pt_regs layout and
 * extension), assembled by the boot code with src/asm.
 *
 * Stack of one entry at the C call (DESIGN.md §2):
 *
 *   SS RSP RFLAGS CS RIP        hardware frame (CPU, or the SYSCALL stub)
 *   orig_ax                     -1, the syscall nr (error code / vector go to %rsi)
 *   di si dx cx ax r8..r11 bx bp r12..r15 [leading design members]   <- %rdi
 *   extension (PTREGS_AUX_SIZE bytes, one copy per C call)            <- %rsp at the call
 */
import type { Design } from '../../../../design/build.js';
import { UsageError } from '../../../../lib/errors.js';
import { offsetPrelude, ptRegsFrame } from './calling.js';
import { errorEntry, irqStubs, plainExceptionStubs, returnPaths } from './idtentry.js';
import { istStubs, paranoidData, paranoidEntry, paranoidExit } from './paranoid.js';
import { LOCAL_TIMER_VECTOR, symbolPrelude, type EntrySymbols } from './symbols.js';
import { switchText } from './switch.js';
import { syscallEntry } from './syscall.js';
import { fmt } from './text.js';
import { entryVectors, type IdtEntry } from './vectors.js';

export { ptRegsFrame, type PtRegsFrame } from './calling.js';
export { KTHREAD_NAP_MASK, KTHREAD_NAP_TICKS, KTHREAD_SPIN_PATTERNS } from './switch.js';
export {
  ENTRY_C_FUNCTIONS, ENTRY_C_FUNCTION_NAMES, LINUX_SELECTORS, LOCAL_TIMER_VECTOR,
  type EntryCFunction, type EntrySymbols,
} from './symbols.js';
export { EXCEPTIONS, IST_DB, IST_DF, IST_MCE, IST_NMI, irqEntryLabel, type ExceptionEntry, type IdtEntry } from './vectors.js';

/** Labels the boot code and the unwinder need, besides the IDT gates. */
export const ENTRY_SYSCALL_LABEL = 'entry_SYSCALL_64';

/**
 * Other global labels: the SYSCALL gap (ip_within_syscall_gap: from
 * entry_SYSCALL_64 to entry_SYSCALL_64_safe_stack, and from
 * entry_SYSRETQ_unsafe_stack to entry_SYSRETQ_end), and the internal
 * entry/exit paths.
 */
export const ENTRY_INTERNAL_LABELS = [
  'entry_SYSCALL_64_safe_stack', 'entry_SYSCALL_64_after_hwframe', 'syscall_return_via_sysret',
  'entry_SYSRETQ_unsafe_stack', 'entry_SYSRETQ_end', 'irq_entries_start', 'asm_common_interrupt',
  'error_entry', 'error_return', 'paranoid_entry', 'paranoid_exit',
  'swapgs_restore_regs_and_return_to_usermode', 'restore_regs_and_return_to_kernel', 'native_irq_return_iret',
] as const;

function irqVectorsOf(sym: EntrySymbols): readonly number[] {
  const vectors = sym.irqVectors ?? [LOCAL_TIMER_VECTOR];
  for (const v of vectors) {
    if (!Number.isInteger(v) || v < 32 || v > 255) throw new UsageError(`IRQ vector ${v} is not in 32..255`);
  }
  if (new Set(vectors).size !== vectors.length) throw new UsageError('duplicate IRQ vector');
  return vectors;
}

/** The IDT gates to fill: every exception stub and IRQ stub with its vector, IST field and DPL. */
export function entryIdt(sym: EntrySymbols): IdtEntry[] {
  return entryVectors(irqVectorsOf(sym));
}

/** One self-contained AT&T source with every stub of the design. */
export function generateEntryText(design: Design, sym: EntrySymbols): string {
  const f = ptRegsFrame(design);
  const bad = sym.fixupBadIret !== undefined && sym.fixupBadIret !== null;
  const lines = [
    `/* kentry entry text for design "${design.name}" (generated; arch/x86/entry/entry_64.S, calling.h) */`,
    '/* EntrySymbols and asm-offsets */',
    ...symbolPrelude(sym),
    ...offsetPrelude(f),
    ...syscallEntry(f),
    ...plainExceptionStubs(f),
    ...istStubs(f),
    ...irqStubs(f, irqVectorsOf(sym)),
    ...errorEntry(f, bad),
    ...paranoidEntry(f, sym.fsgsbase),
    ...paranoidExit(sym.fsgsbase),
    ...returnPaths(f, !!sym.espfix),
    ...paranoidData(),
    ...switchText(f),
  ];
  return fmt(lines).join('\n') + '\n';
}
