/**
 * Which exception vectors get which entry stub, and the IDT gate each
 * needs (reference §1.2 and §1.4; arch/x86/include/asm/idtentry.h,
 * arch/x86/kernel/idt.c def_idts). The boot code fills the IDT from
 * `entryVectors()`.
 */
import type { EntryCFunction } from './symbols.js';

/**
 * How the stub is built (idtentry.h):
 * - `idtentry`: error_entry + idtentry_body (RAW variants differ only in C);
 * - `mce_db`: IST; paranoid from kernel mode, idtentry_body on the thread stack from user mode;
 * - `df`: IST, always paranoid, with an error code;
 * - `nmi`: the dedicated asm_exc_nmi.
 */
export type StubKind = 'idtentry' | 'mce_db' | 'df' | 'nmi';

export interface ExceptionEntry {
  readonly vector: number;
  /** X86_TRAP_* mnemonic. */
  readonly name: string;
  readonly label: string;
  readonly kind: StubKind;
  /** The CPU pushes an error code (EXCEPTION_ERRCODE_MASK). */
  readonly errorCode: boolean;
  readonly cfunc: EntryCFunction;
  /** From-user variant (`noist_` C function) for mce_db. */
  readonly noistCfunc?: EntryCFunction;
  /** The gate's IST field: Linux ISTG() stores IST_INDEX_* + 1 (0 = no stack switch). */
  readonly ist: number;
  /** Gate DPL: 3 for the system gates INT3 and INTO (idt.c SYSG). */
  readonly dpl: number;
}

/** IST_INDEX_DF 0, IST_INDEX_NMI 1, IST_INDEX_DB 2, IST_INDEX_MCE 3 (cpu_entry_area.h), as gate fields. */
export const IST_DF = 1;
export const IST_NMI = 2;
export const IST_DB = 3;
export const IST_MCE = 4;

const e = (
  vector: number, name: string, label: string, kind: StubKind, errorCode: boolean, cfunc: EntryCFunction,
  extra: { ist?: number; dpl?: number; noistCfunc?: EntryCFunction } = {},
): ExceptionEntry => ({ vector, name, label, kind, errorCode, cfunc, ist: extra.ist ?? 0, dpl: extra.dpl ?? 0, ...(extra.noistCfunc ? { noistCfunc: extra.noistCfunc } : {}) });

/** Vectors 0..31 the entry text handles (OLD_MF 9, SPURIOUS 15, VE 20, CP 21, VC 29 are not modelled). */
export const EXCEPTIONS: readonly ExceptionEntry[] = [
  e(0, 'DE', 'asm_exc_divide_error', 'idtentry', false, 'exc_divide_error'),
  e(1, 'DB', 'asm_exc_debug', 'mce_db', false, 'exc_debug', { ist: IST_DB, noistCfunc: 'noist_exc_debug' }),
  e(2, 'NMI', 'asm_exc_nmi', 'nmi', false, 'exc_nmi', { ist: IST_NMI }),
  e(3, 'BP', 'asm_exc_int3', 'idtentry', false, 'exc_int3', { dpl: 3 }),
  e(4, 'OF', 'asm_exc_overflow', 'idtentry', false, 'exc_overflow', { dpl: 3 }),
  e(5, 'BR', 'asm_exc_bounds', 'idtentry', false, 'exc_bounds'),
  e(6, 'UD', 'asm_exc_invalid_op', 'idtentry', false, 'exc_invalid_op'),
  e(7, 'NM', 'asm_exc_device_not_available', 'idtentry', false, 'exc_device_not_available'),
  e(8, 'DF', 'asm_exc_double_fault', 'df', true, 'exc_double_fault', { ist: IST_DF }),
  e(10, 'TS', 'asm_exc_invalid_tss', 'idtentry', true, 'exc_invalid_tss'),
  e(11, 'NP', 'asm_exc_segment_not_present', 'idtentry', true, 'exc_segment_not_present'),
  e(12, 'SS', 'asm_exc_stack_segment', 'idtentry', true, 'exc_stack_segment'),
  e(13, 'GP', 'asm_exc_general_protection', 'idtentry', true, 'exc_general_protection'),
  e(14, 'PF', 'asm_exc_page_fault', 'idtentry', true, 'exc_page_fault'),
  e(16, 'MF', 'asm_exc_coprocessor_error', 'idtentry', false, 'exc_coprocessor_error'),
  e(17, 'AC', 'asm_exc_alignment_check', 'idtentry', true, 'exc_alignment_check'),
  e(18, 'MC', 'asm_exc_machine_check', 'mce_db', false, 'exc_machine_check', { ist: IST_MCE, noistCfunc: 'noist_exc_machine_check' }),
  e(19, 'XF', 'asm_exc_simd_coprocessor_error', 'idtentry', false, 'exc_simd_coprocessor_error'),
];

/** The label of the irq_entries_start stub for a device vector. */
export function irqEntryLabel(vector: number): string {
  return `irq_entry_0x${vector.toString(16)}`;
}

/** One IDT gate the boot code writes: all are 64-bit interrupt gates (type 0xE) to __KERNEL_CS. */
export interface IdtEntry {
  readonly vector: number;
  readonly label: string;
  readonly ist: number;
  readonly dpl: number;
}

export function entryVectors(irqVectors: readonly number[]): IdtEntry[] {
  const gates: IdtEntry[] = EXCEPTIONS.map((x) => ({ vector: x.vector, label: x.label, ist: x.ist, dpl: x.dpl }));
  for (const v of irqVectors) gates.push({ vector: v, label: irqEntryLabel(v), ist: 0, dpl: 0 });
  return gates;
}
