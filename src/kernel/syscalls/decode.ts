/**
 * Decoded system call arguments for the entry trace, in strace's style:
 * file descriptors and numbers in decimal, strings and write buffers
 * quoted (at most 32 bytes), flags by name, pointers in hex, NULL as NULL.
 * Guest memory is read through the MMU without delivering faults (a page
 * the trace cannot read prints as the bare pointer), before the call runs;
 * argument kinds are per call, for the calls kentry implements.
 */
import { MODE_SUPERVISOR_AC, type Mmu } from '../../cpu/mmu.js';
import { signalName } from '../../abi/signal-numbers.js';

type Kind =
  | 'fd' | 'int' | 'uint' | 'hex' | 'ptr' | 'str' | 'buf' | 'prot' | 'mapflags' | 'archprctl' | 'sig' | 'how' | 'atfd'
  | 'mremapflags' | 'itimer' | 'futexop' | 'pkeyrights' | 'ioctl' | 'rlimit' | 'clock';

/** Argument kinds by call name; a 'buf' is followed by its length argument. */
const KINDS: Readonly<Record<string, readonly Kind[]>> = {
  read: ['fd', 'ptr', 'uint'],
  open: ['str', 'hex', 'hex'],
  openat: ['atfd', 'str', 'hex', 'hex'],
  write: ['fd', 'buf', 'uint'],
  close: ['fd'],
  fstat: ['fd', 'ptr'],
  lseek: ['fd', 'int', 'int'],
  mmap: ['ptr', 'uint', 'prot', 'mapflags', 'fd', 'hex'],
  mprotect: ['ptr', 'uint', 'prot'],
  munmap: ['ptr', 'uint'],
  brk: ['ptr'],
  rt_sigaction: ['sig', 'ptr', 'ptr', 'uint'],
  rt_sigprocmask: ['how', 'ptr', 'ptr', 'uint'],
  ioctl: ['fd', 'ioctl', 'ptr'],
  writev: ['fd', 'ptr', 'int'],
  madvise: ['ptr', 'uint', 'int'],
  getpid: [], gettid: [], getuid: [], getgid: [], geteuid: [], getegid: [], getppid: [], sched_yield: [],
  kill: ['int', 'sig'],
  uname: ['ptr'],
  readlink: ['str', 'ptr', 'uint'],
  arch_prctl: ['archprctl', 'ptr'],
  set_tid_address: ['ptr'],
  clock_gettime: ['int', 'ptr'],
  exit: ['int'], exit_group: ['int'],
  tgkill: ['int', 'int', 'sig'], tkill: ['int', 'sig'],
  newfstatat: ['atfd', 'str', 'ptr', 'hex'],
  readlinkat: ['atfd', 'str', 'ptr', 'uint'],
  set_robust_list: ['ptr', 'uint'],
  prlimit64: ['int', 'int', 'ptr', 'ptr'],
  getrandom: ['ptr', 'uint', 'hex'],
  rseq: ['ptr', 'uint', 'int', 'hex'],
  rt_sigpending: ['ptr', 'uint'],
  readv: ['fd', 'ptr', 'int'],
  mremap: ['ptr', 'uint', 'uint', 'mremapflags', 'ptr'],
  getitimer: ['itimer', 'ptr'],
  setitimer: ['itimer', 'ptr', 'ptr'],
  alarm: ['uint'],
  pause: [],
  nanosleep: ['ptr', 'ptr'],
  clock_nanosleep: ['clock', 'hex', 'ptr', 'ptr'],
  getrlimit: ['rlimit', 'ptr'],
  futex: ['ptr', 'futexop', 'uint', 'ptr', 'ptr', 'hex'],
  restart_syscall: [],
  pkey_alloc: ['hex', 'pkeyrights'],
  pkey_free: ['int'],
  pkey_mprotect: ['ptr', 'uint', 'prot', 'int'],
  rt_sigreturn: [],
  sigaltstack: ['ptr', 'ptr'],
  rt_sigsuspend: ['ptr', 'uint'],
  modify_ldt: ['int', 'ptr', 'uint'],
};

const PROT: readonly (readonly [number, string])[] = [[1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC']];
const MAP: readonly (readonly [number, string])[] = [
  [0x01, 'MAP_SHARED'], [0x02, 'MAP_PRIVATE'], [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x100, 'MAP_GROWSDOWN'],
  [0x800, 'MAP_DENYWRITE'], [0x4000, 'MAP_NORESERVE'], [0x8000, 'MAP_POPULATE'], [0x10_0000, 'MAP_FIXED_NOREPLACE'],
];
const ARCH_PRCTL: Readonly<Record<number, string>> = { 0x1001: 'ARCH_SET_GS', 0x1002: 'ARCH_SET_FS', 0x1003: 'ARCH_GET_FS', 0x1004: 'ARCH_GET_GS' };
const HOW: readonly string[] = ['SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK'];
const MREMAP: readonly (readonly [number, string])[] = [[1, 'MREMAP_MAYMOVE'], [2, 'MREMAP_FIXED'], [4, 'MREMAP_DONTUNMAP']];
const ITIMER: readonly string[] = ['ITIMER_REAL', 'ITIMER_VIRTUAL', 'ITIMER_PROF'];
const PKEY_RIGHTS: readonly (readonly [number, string])[] = [[1, 'PKEY_DISABLE_ACCESS'], [2, 'PKEY_DISABLE_WRITE']];
const IOCTL: Readonly<Record<number, string>> = { 0x5401: 'TCGETS', 0x5413: 'TIOCGWINSZ' };
const RLIMIT: readonly string[] = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE',
  'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
];
const CLOCK: readonly string[] = [
  'CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID', 'CLOCK_MONOTONIC_RAW',
  'CLOCK_REALTIME_COARSE', 'CLOCK_MONOTONIC_COARSE', 'CLOCK_BOOTTIME', 'CLOCK_REALTIME_ALARM', 'CLOCK_BOOTTIME_ALARM', '10', 'CLOCK_TAI',
];
const FUTEX_CMD: readonly string[] = [
  'FUTEX_WAIT', 'FUTEX_WAKE', 'FUTEX_FD', 'FUTEX_REQUEUE', 'FUTEX_CMP_REQUEUE', 'FUTEX_WAKE_OP', 'FUTEX_LOCK_PI',
  'FUTEX_UNLOCK_PI', 'FUTEX_TRYLOCK_PI', 'FUTEX_WAIT_BITSET', 'FUTEX_WAKE_BITSET', 'FUTEX_WAIT_REQUEUE_PI',
  'FUTEX_CMP_REQUEUE_PI', 'FUTEX_LOCK_PI2',
];

/** A futex op as strace prints it: the command, then _PRIVATE and |FUTEX_CLOCK_REALTIME. */
function futexOp(op: number): string {
  const cmd = FUTEX_CMD[op & ~(128 | 256)];
  if (cmd === undefined) return String(op);
  return cmd + (op & 128 ? '_PRIVATE' : '') + (op & 256 ? '|FUTEX_CLOCK_REALTIME' : '');
}
const MAX_SHOWN = 32;

const hex = (v: bigint): string => '0x' + v.toString(16);

function flagNames(v: number, names: readonly (readonly [number, string])[], none: string): string {
  const parts = names.filter(([b]) => (v & b) !== 0).map(([, n]) => n);
  const rest = names.reduce((r, [b]) => r & ~b, v);
  if (rest !== 0) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return parts.length === 0 ? none : parts.join('|');
}

/** Reads guest bytes for display; null when a page is not readable. */
function peek(mmu: Mmu, address: number, len: number): Uint8Array | null {
  try {
    return mmu.readBytes(address, len, MODE_SUPERVISOR_AC);
  } catch {
    return null;
  }
}

function quote(bytes: Uint8Array, more: boolean): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).padStart(2, '0');
  }
  return s + '"' + (more ? '...' : '');
}

function cString(mmu: Mmu, address: number): string | null {
  const out: number[] = [];
  for (let i = 0; i <= MAX_SHOWN; i++) {
    const b = peek(mmu, address + i, 1);
    if (b === null) return null;
    if (b[0] === 0) return quote(Uint8Array.from(out), false);
    out.push(b[0]!);
  }
  return quote(Uint8Array.from(out.slice(0, MAX_SHOWN)), true);
}

/** The arguments of call `name` as strace would print them; null for a call without a table entry. */
export function decodeSyscallArgs(mmu: Mmu, name: string, args: readonly bigint[]): string[] | null {
  const kinds = KINDS[name];
  if (!kinds) return null;
  return kinds.map((kind, i) => {
    const v = args[i] ?? 0n;
    const signed = BigInt.asIntN(64, v);
    const n = Number(signed);
    switch (kind) {
      case 'fd':
      case 'int':
        return String(Number(BigInt.asIntN(32, v)));
      case 'uint':
        return v.toString();
      case 'hex':
        return hex(v);
      case 'ptr':
        return v === 0n ? 'NULL' : hex(v);
      case 'atfd':
        return Number(BigInt.asIntN(32, v)) === -100 ? 'AT_FDCWD' : String(Number(BigInt.asIntN(32, v)));
      case 'str':
        return v === 0n ? 'NULL' : (cString(mmu, n) ?? hex(v));
      case 'buf': {
        if (v === 0n) return 'NULL';
        const len = Number(args[i + 1] ?? 0n);
        const shown = peek(mmu, n, Math.min(len, MAX_SHOWN));
        return shown === null ? hex(v) : quote(shown, len > MAX_SHOWN);
      }
      case 'prot':
        return flagNames(Number(v & 0xffffn), PROT, 'PROT_NONE');
      case 'mapflags':
        return flagNames(Number(v & 0xffff_ffffn), MAP, '0');
      case 'archprctl':
        return ARCH_PRCTL[n] ?? hex(v);
      case 'sig':
        return n === 0 ? '0' : signalName(n);
      case 'how':
        return HOW[n] ?? String(n);
      case 'mremapflags':
        return flagNames(Number(v & 0xffff_ffffn), MREMAP, '0');
      case 'itimer':
        return ITIMER[Number(BigInt.asIntN(32, v))] ?? String(Number(BigInt.asIntN(32, v)));
      case 'futexop':
        return futexOp(Number(BigInt.asIntN(32, v)));
      case 'pkeyrights':
        return flagNames(Number(v & 0xffff_ffffn), PKEY_RIGHTS, '0');
      case 'ioctl':
        return IOCTL[Number(v & 0xffff_ffffn)] ?? hex(v);
      case 'rlimit':
        return RLIMIT[Number(v & 0xffff_ffffn)] ?? String(Number(v & 0xffff_ffffn));
      case 'clock':
        return CLOCK[Number(BigInt.asIntN(32, v))] ?? String(Number(BigInt.asIntN(32, v)));
    }
  });
}
