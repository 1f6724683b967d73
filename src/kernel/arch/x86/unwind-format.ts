/**
 * Text rendering of an unwind, one line per frame, innermost first:
 *
 *   #0 native   common_interrupt+0x0  frame 0xffffc90000014f00
 *   #1 pt_regs  IRQ 0xec  interrupted do_syscall_64+0x8 (CPL 0)  saved PKRS 0x55555554 via container_of(regs) at regs-0x8 (extension.aux.pkrs)
 *   #3 pt_regs  syscall getpid (39)  interrupted user 0x401002 (CPL 3)  saved PKRS: not reachable from this frame
 */
import type { EntryKind, PkrsFinding, Unwind, UnwindFrame } from './unwind-types.js';

function hex(a: number | bigint): string {
  return '0x' + BigInt.asUintN(64, BigInt(a)).toString(16);
}

export function formatEntry(e: EntryKind): string {
  switch (e.kind) {
    case 'syscall': return `syscall ${e.name ?? 'nr'} (${e.nr})`;
    case 'exception': return `exception #${e.name} (vector ${e.vector})`;
    case 'irq': return e.vector === null ? 'IRQ (vector not on the stack)' : `IRQ 0x${e.vector.toString(16)}`;
    case 'nmi': return 'NMI';
  }
}

export function formatPkrs(f: PkrsFinding): string {
  if (f.found) return `saved PKRS ${hex(f.value)} ${f.where}`;
  return `saved PKRS: ${f.reason}`;
}

function line(f: UnwindFrame): string {
  if (f.kind === 'native') return `#${f.index} native   ${f.symbol}  frame ${hex(f.frame)}`;
  return `#${f.index} pt_regs  ${formatEntry(f.entry)}  interrupted ${f.ipSymbol} (CPL ${f.cpl})  ${formatPkrs(f.pkrs)}`;
}

export function formatUnwind(u: Unwind): string {
  const lines = u.frames.map(line);
  if (u.stopped) lines.push(u.stopped);
  return lines.join('\n') + '\n';
}
