/**
 * `kentry run --trace entry`: one line per kernel entry on stderr, strace-like
 * for system calls (arguments decoded where src/kernel/syscalls/decode.ts
 * knows the call, else raw hex; the result with the errno name for -errno), and the
 * vector, interrupted RIP and CPL for exceptions and interrupts.
 */
import * as errno from '../src/abi/errno.js';
import { signalName } from '../src/abi/signal-numbers.js';
import type { EntryTraceEvent } from '../src/kernel/arch/x86/entry-trace.js';

const ERRNO_NAMES = new Map(Object.entries(errno).map(([name, v]) => [v, name]));

/** How many arguments the calls static programs make take (the rest print all six). */
const ARITY: Readonly<Record<string, number>> = {
  read: 3, write: 3, close: 1, fstat: 2, lseek: 3, mmap: 6, mprotect: 3, munmap: 2, brk: 1, ioctl: 3, writev: 3,
  madvise: 3, getpid: 0, uname: 1, readlink: 3, getuid: 0, getgid: 0, geteuid: 0, getegid: 0, getppid: 0,
  arch_prctl: 2, gettid: 0, set_tid_address: 1, clock_gettime: 2, exit_group: 1, newfstatat: 4, readlinkat: 4,
  set_robust_list: 2, prlimit64: 4, getrandom: 3, rseq: 4, sched_yield: 0, exit: 1,
};

const hex = (v: number | bigint): string => '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);

function result(r: bigint): string {
  if (r < 0n && r >= -4095n) return `-1 ${ERRNO_NAMES.get(Number(-r)) ?? `errno ${-r}`}`;
  return r >= 0n && r < 4096n ? r.toString() : hex(r);
}

export function formatTraceEvent(e: EntryTraceEvent): string {
  switch (e.kind) {
    case 'syscall': {
      const name = e.name ?? `syscall_${e.nr}`;
      const args = e.decoded ? e.decoded.join(', ') : e.args.slice(0, e.name ? (ARITY[e.name] ?? 6) : 6).map(hex).join(', ');
      return `[${e.pid}] ${name}(${args}) = ${result(e.result)}`;
    }
    case 'exception':
    case 'irq':
    case 'nmi': {
      const extra = [e.errorCode === null ? '' : ` error_code ${hex(e.errorCode)}`, e.address === null ? '' : ` address ${hex(e.address)}`].join('');
      return `[${e.pid}] ${e.name} at ${hex(e.rip)} (CPL ${e.cpl})${extra}`;
    }
    case 'signal':
      if (e.action === 'handler') {
        const where = e.frame === undefined
          ? 'frame could not be written: SIGSEGV follows'
          : `frame ${hex(e.frame)} fpstate ${hex(e.fpstate ?? 0)}`;
        return `[${e.pid}] --- ${signalName(e.signal)} {si_code ${e.code}, si_addr ${hex(e.addr)}} handler ${hex(e.handler ?? 0)} ${where} ---`;
      }
      return `[${e.pid}] --- ${signalName(e.signal)} {si_code ${e.code}, si_addr ${hex(e.addr)}} default action: ${e.action} ---`;
    case 'exit':
      return `[${e.pid}] +++ exited with ${e.code} +++`;
  }
}

/** The event as one JSON line (bigints as hex strings). */
export function traceEventJson(e: EntryTraceEvent): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? hex(v) : v));
}

/**
 * `kentry run --trace insn`: one line per retired instruction, user (`u`, CPL 3)
 * and kernel entry code (`k`, CPL 0, with the nearest entry-text symbol), and one
 * line when the CPU leaves the entry text for a kernel C function (TypeScript:
 * the "native" calls of src/kernel/arch/x86/native.ts).
 */
export type InsnTraceEvent =
  | {
      readonly kind: 'insn';
      readonly pid: number;
      readonly cpl: number;
      /** Linear address (sign-extended for kernel addresses, as the CPU holds it). */
      readonly rip: number;
      readonly bytes: Uint8Array;
      /** Intel syntax, as iced-x86's Intel formatter prints it (src/cpu/decode/format.ts). */
      readonly text: string;
      /** `label+0xoff` in the entry text, or null (user code). */
      readonly symbol: string | null;
    }
  | {
      readonly kind: 'native';
      readonly pid: number;
      readonly rip: number;
      /** The C function (`do_syscall_64`). */
      readonly function: string;
      /** A call that slept (schedule() switched away) continuing, not a new call. */
      readonly resumed: boolean;
    };

export type InsnTraceSink = (e: InsnTraceEvent) => void;

const byteText = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
/** objdump's byte column: seven bytes wide, longer instructions push the text right. */
const BYTES_COLUMN = 22;

export function formatInsnEvent(e: InsnTraceEvent): string {
  if (e.kind === 'native') {
    return `[${e.pid}] k ${hex(e.rip)}  ${'(kernel C)'.padEnd(BYTES_COLUMN)}${e.function}${e.resumed ? ' (resumed)' : ''}`;
  }
  const bytes = byteText(e.bytes);
  const line = `[${e.pid}] ${e.cpl === 3 ? 'u' : 'k'} ${hex(e.rip)}  ${bytes.padEnd(BYTES_COLUMN - 1)} ${e.text}`;
  return e.symbol === null ? line : `${line}  <${e.symbol}>`;
}

/** The event as one JSON line: addresses as hex strings, bytes as a hex string. */
export function insnEventJson(e: InsnTraceEvent): string {
  if (e.kind === 'native') return JSON.stringify({ ...e, rip: hex(e.rip) });
  return JSON.stringify({ ...e, rip: hex(e.rip), bytes: byteText(e.bytes) });
}
