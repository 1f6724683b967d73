/**
 * Names the unwinder prints: x86-64 syscall names (src/abi/syscall-names.ts)
 * and which kind of entry a return address into the entry text belongs to.
 */
import { EXCEPTIONS } from './entry/index.js';

/** The syscall's name, or null for a number the x86-64 table does not know. */
export { syscallName } from '../../../abi/syscall-names.js';

/** Which entry a stub label (the nearest label before a C call's return address) belongs to. */
export type StubOwner =
  | { readonly kind: 'syscall' }
  | { readonly kind: 'irq' }
  | { readonly kind: 'nmi' }
  | { readonly kind: 'exception'; readonly vector: number; readonly name: string; readonly label: string };

/**
 * entry_SYSCALL_64 (and its inner labels) → syscall; asm_common_interrupt →
 * IRQ; asm_exc_nmi and nmi_from_kernel → NMI; asm_exc_* (and its inner
 * `_from_usermode_*` labels) → that exception; anything else (error_entry's
 * fixup_bad_iret call, paranoid_entry, ...) → null: no pt_regs frame the
 * unwinder knows how to locate.
 */
export function stubOwner(label: string): StubOwner | null {
  if (label === 'entry_SYSCALL_64' || label.startsWith('entry_SYSCALL_64_')) return { kind: 'syscall' };
  if (label === 'asm_common_interrupt') return { kind: 'irq' };
  if (label === 'nmi_from_kernel') return { kind: 'nmi' };
  for (const x of EXCEPTIONS) {
    if (label === x.label || label.startsWith(`${x.label}_`)) {
      return x.kind === 'nmi' ? { kind: 'nmi' } : { kind: 'exception', vector: x.vector, name: x.name, label: x.label };
    }
  }
  return null;
}
