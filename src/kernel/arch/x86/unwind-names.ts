/**
 * Names the unwinder prints: x86-64 syscall names (reference §7,
 * arch/x86/entry/syscalls/syscall_64.tbl, the numbers the model uses) and
 * which kind of entry a return address into the entry text belongs to.
 */
import { EXCEPTIONS } from './entry/index.js';

const SYSCALL_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'read'], [1, 'write'], [9, 'mmap'], [10, 'mprotect'], [11, 'munmap'], [12, 'brk'],
  [13, 'rt_sigaction'], [14, 'rt_sigprocmask'], [15, 'rt_sigreturn'], [16, 'ioctl'], [35, 'nanosleep'],
  [39, 'getpid'], [60, 'exit'], [62, 'kill'], [63, 'uname'], [101, 'ptrace'], [131, 'sigaltstack'],
  [158, 'arch_prctl'], [186, 'gettid'], [200, 'tkill'], [218, 'set_tid_address'], [219, 'restart_syscall'],
  [228, 'clock_gettime'], [230, 'clock_nanosleep'], [231, 'exit_group'], [234, 'tgkill'],
  [329, 'pkey_mprotect'], [330, 'pkey_alloc'], [331, 'pkey_free'], [334, 'rseq'],
]);

/** The syscall's name, or null for a number the table does not know. */
export function syscallName(nr: number): string | null {
  return SYSCALL_NAMES.get(nr) ?? null;
}

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
