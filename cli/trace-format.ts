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
        return `[${e.pid}] --- ${signalName(e.signal)} {si_code ${e.code}, si_addr ${hex(e.addr)}} handler ${hex(e.handler ?? 0)} ` +
          `frame ${hex(e.frame ?? 0)} fpstate ${hex(e.fpstate ?? 0)} ---`;
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
