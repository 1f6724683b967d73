/**
 * The host CPU as oracle (DESIGN.md §5, oracle 1): runs x86-64 machine-code
 * snippets natively through a small C harness (harness.c, built once per
 * source version with the system compiler into a cache directory under the
 * OS temp dir) and reports the architectural state after them, so that the
 * same bytes can be run on kentry's interpreter and compared.
 *
 * Address space, identical in the harness and (by reusing these constants)
 * in the model:
 *
 *   CODE_BASE  0x10000000  the snippet (RWX page). The snippet ends by
 *                          reaching CODE_BASE + code.length (the *end*);
 *                          there the harness has put the 6-byte exit jump
 *                          `jmp *disp32(%rip)` through the page's last quad
 *                          (EXIT_SLOT, which holds the exit stub's address);
 *                          every other byte of the page is int3 (0xcc). A
 *                          PROT_NONE guard page follows.
 *   DATA_BASE  0x20000000  DATA_SIZE bytes, zero unless a case patches them;
 *                          PROT_NONE guard pages just below and just above.
 *   STACK_TOP  DATA_BASE + DATA_SIZE - 0x100: the default RSP (the 256
 *                          bytes above it can be patched to hold data a
 *                          snippet pops).
 *
 * Faults are reported, not thrown: status 'signal' with the signal number,
 * si_code, si_addr, the trap number and error code (REG_TRAPNO, REG_ERR),
 * CR2, and the registers at the fault as the kernel saved them (RIP is the
 * faulting instruction for faults, the next instruction for traps).
 *
 * Set KENTRY_SKIP_HOST_ORACLE=1 to skip (tests then report as skipped);
 * otherwise a missing C compiler is an error, as in tests/host/cc.ts.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIP_HOST_ORACLE } from '../../host/cc.js';
import { checkSnippet } from './snippet-check.js';

export { SKIP_HOST_ORACLE };

export const CODE_BASE = 0x1000_0000n;
export const CODE_SIZE = 0x1000;
export const DATA_BASE = 0x2000_0000n;
export const DATA_SIZE = 0x4000;
export const STACK_TOP = DATA_BASE + BigInt(DATA_SIZE) - 0x100n;
/** Largest snippet the harness accepts. */
export const MAX_CODE = 256;
/** The bytes after the snippet: `ff 25 disp32`, jmp *disp32(%rip) through EXIT_SLOT. */
export const EXIT_JUMP_LEN = 6;
/** The 8-aligned quad holding the exit stub's (host) address: the last one of the code page. */
export const EXIT_SLOT = CODE_BASE + BigInt(CODE_SIZE) - 8n;
/** What fills the rest of the code page. */
export const CODE_FILL = 0xcc;

/** GPRs in encoding order (ModRM/REX register number = index). */
export const GPR_NAMES = [
  'rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
] as const;
export type GprName = (typeof GPR_NAMES)[number];
export type Gprs = Record<GprName, bigint>;

export const FLAG = {
  CF: 1n << 0n,
  PF: 1n << 2n,
  AF: 1n << 4n,
  ZF: 1n << 6n,
  SF: 1n << 7n,
  TF: 1n << 8n,
  IF: 1n << 9n,
  DF: 1n << 10n,
  OF: 1n << 11n,
  RF: 1n << 16n,
  AC: 1n << 18n,
} as const;
/** The arithmetic flags CF PF AF ZF SF OF. */
export const ARITH_FLAGS = FLAG.CF | FLAG.PF | FLAG.AF | FLAG.ZF | FLAG.SF | FLAG.OF;
/**
 * RFLAGS bits a case may choose: the arithmetic flags, DF, TF (traps after
 * the first instruction) and AC (Linux sets CR0.AM: a misaligned access then
 * raises #AC, SIGBUS trapno 17).
 */
export const RFLAGS_CHOOSABLE = ARITH_FLAGS | FLAG.DF | FLAG.TF | FLAG.AC;
/** Always set on entry: bit 1 (reserved, reads as 1) and IF. */
export const RFLAGS_FIXED = 0x202n;
export const DEFAULT_MXCSR = 0x1f80;

/** Bytes of the data area, as an offset from DATA_BASE. */
export interface DataPatch {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export interface NativeCase {
  /** Machine code placed at CODE_BASE (at most MAX_CODE bytes). */
  readonly code: Uint8Array;
  /** Initial GPRs; missing ones are 0, except rsp which defaults to STACK_TOP. */
  readonly regs?: Partial<Gprs>;
  /** Initial RFLAGS: only RFLAGS_CHOOSABLE bits may be set besides RFLAGS_FIXED (default RFLAGS_FIXED). */
  readonly rflags?: bigint;
  /** Initial XMM0-15 as unsigned 128-bit values (index = register; missing = 0). */
  readonly xmm?: readonly (bigint | undefined)[];
  /** Initial MXCSR (default 0x1f80). */
  readonly mxcsr?: number;
  /** Initial data area: zeros, then these patches in order. */
  readonly data?: readonly DataPatch[];
  /**
   * Skip the static check that refuses snippets which could loop or enter the
   * kernel (backward or indirect branches, ret, syscall, int 0x80 …). The
   * batch's alarm() watchdog is then the only guard against an endless loop.
   */
  readonly unchecked?: boolean;
}

export interface NativeSignal {
  readonly signo: number;
  /** SIGSEGV, SIGTRAP, … */
  readonly name: string;
  /** si_code (e.g. SEGV_MAPERR 1, SEGV_ACCERR 2, SI_KERNEL 0x80, ILL_ILLOPN 2, FPE_INTDIV 1, TRAP_BRKPT 1). */
  readonly code: number;
  readonly addr: bigint;
  /** The exception vector (REG_TRAPNO): 0 #DE, 1 #DB, 3 #BP, 6 #UD, 13 #GP, 14 #PF, 17 #AC, 19 #XM … */
  readonly trapno: number;
  /** The error code (REG_ERR); for #PF bit 0 present, 1 write, 2 user, 4 instruction fetch. */
  readonly err: bigint;
  /** CR2 as the kernel reports it (the faulting address) for #PF; 0 for other traps. */
  readonly cr2: bigint;
}

export interface NativeResult {
  /** 'ok': the snippet reached its end; 'signal': a fault or trap was delivered (see `signal`). */
  readonly status: 'ok' | 'signal';
  /** GPRs at the end, or at the fault (from the ucontext). */
  readonly regs: Gprs;
  /** CODE_BASE + code.length when ok; the ucontext RIP on a signal. */
  readonly rip: bigint;
  /**
   * RFLAGS at the end (pushfq), or as the CPU pushed them at the fault: for
   * faults (not traps) that image has RF (bit 16) set, as the SDM specifies.
   */
  readonly rflags: bigint;
  /** XMM0-15 (unsigned 128-bit) at the end or at the fault (from the signal frame's fpstate). */
  readonly xmm: readonly bigint[];
  readonly mxcsr: number;
  /**
   * The data area after the run, as maximal runs of bytes that differ from
   * its initial contents (sorted by offset). `dataAfter` rebuilds the whole area.
   */
  readonly dataChanges: readonly DataPatch[];
  readonly signal?: NativeSignal;
}

export interface RunNativeOptions {
  /** alarm() watchdog for the whole batch, seconds (default 10 + 1 per 1000 cases). */
  readonly timeoutSeconds?: number;
}

export class NativeHarnessError extends Error {
  readonly code = 'native-harness';
}

const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  4: 'SIGILL', 5: 'SIGTRAP', 7: 'SIGBUS', 8: 'SIGFPE', 11: 'SIGSEGV',
};

const IN_MAGIC = 0x3148524b;
const OUT_MAGIC = 0x3153524b;
const CASE_HEADER = 4 + 4 + 16 * 8 + 8 + 4 + 4 + 256;
const RESULT_HEADER = 4 * 4 + 4 * 8 + 16 * 8 + 8 + 8 + 4 + 4 + 256;
const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;

function findCompiler(): string {
  for (const cc of [process.env['CC'], 'cc', 'gcc', 'clang']) {
    if (cc && spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  }
  throw new NativeHarnessError(
    'no C compiler found (install gcc, or set KENTRY_SKIP_HOST_ORACLE=1 to skip the host-oracle tests)',
  );
}

let harnessPath: string | undefined;

/** Builds the harness (once per source version and compiler) and returns its path. */
export function harnessExecutable(): string {
  if (harnessPath !== undefined) return harnessPath;
  if (process.arch !== 'x64' || process.platform !== 'linux') {
    throw new NativeHarnessError(`the native harness needs x86-64 Linux (this is ${process.platform}/${process.arch})`);
  }
  const cc = findCompiler();
  const srcPath = fileURLToPath(new URL('./harness.c', import.meta.url));
  const source = readFileSync(srcPath);
  const flags = ['-O2', '-w'];
  const key = createHash('sha256').update(source).update(cc).update(flags.join(' ')).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `kentry-native-${key}`);
  const exe = join(dir, 'harness');
  if (!existsSync(exe)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${exe}.${process.pid}.${Date.now()}`;
    const built = spawnSync(cc, [...flags, '-o', tmp, srcPath], { encoding: 'utf8' });
    if (built.status !== 0) {
      throw new NativeHarnessError(
        `${cc} failed on ${srcPath}:\n${(built.stderr ?? '').split('\n').slice(0, 12).join('\n')}`,
      );
    }
    renameSync(tmp, exe); // atomic: concurrent test workers never see a half-written file
  }
  harnessPath = exe;
  return exe;
}

function assertU64(v: bigint, what: string): bigint {
  if (v < 0n) return v & MASK64; // allow -1n etc. as two's complement
  if (v > MASK64) throw new NativeHarnessError(`${what} does not fit in 64 bits: ${v}`);
  return v;
}

function encodeCases(cases: readonly NativeCase[], timeout: number): Buffer {
  let size = 16;
  for (const c of cases) {
    size += CASE_HEADER + c.code.length;
    for (const p of c.data ?? []) size += 8 + p.bytes.length;
  }
  const buf = Buffer.alloc(size);
  let o = 0;
  buf.writeUInt32LE(IN_MAGIC, o);
  buf.writeUInt32LE(cases.length, o + 4);
  buf.writeUInt32LE(timeout, o + 8);
  o += 16;
  cases.forEach((c, i) => {
    if (c.code.length > MAX_CODE) throw new NativeHarnessError(`case ${i}: code is ${c.code.length} bytes (max ${MAX_CODE})`);
    if (!c.unchecked) {
      const why = checkSnippet(c.code, CODE_BASE);
      if (why !== undefined) throw new NativeHarnessError(`case ${i}: refused: ${why} (set unchecked to run it anyway)`);
    }
    const rflags = c.rflags ?? RFLAGS_FIXED;
    if ((rflags & ~(RFLAGS_CHOOSABLE | RFLAGS_FIXED)) !== 0n) {
      throw new NativeHarnessError(`case ${i}: rflags ${rflags.toString(16)} sets bits outside CF PF AF ZF SF TF DF OF AC`);
    }
    buf.writeUInt32LE(c.code.length, o);
    buf.writeUInt32LE(c.data?.length ?? 0, o + 4);
    o += 8;
    for (const name of GPR_NAMES) {
      const v = c.regs?.[name] ?? (name === 'rsp' ? STACK_TOP : 0n);
      buf.writeBigUInt64LE(assertU64(v, `case ${i}: ${name}`), o);
      o += 8;
    }
    buf.writeBigUInt64LE(rflags, o);
    buf.writeUInt32LE(c.mxcsr ?? DEFAULT_MXCSR, o + 8);
    o += 16;
    for (let r = 0; r < 16; r++) {
      const v = c.xmm?.[r] ?? 0n;
      const x = v < 0n ? v & MASK128 : v;
      if (x > MASK128) throw new NativeHarnessError(`case ${i}: xmm${r} does not fit in 128 bits`);
      buf.writeBigUInt64LE(x & MASK64, o);
      buf.writeBigUInt64LE(x >> 64n, o + 8);
      o += 16;
    }
    buf.set(c.code, o);
    o += c.code.length;
    for (const p of c.data ?? []) {
      if (!Number.isInteger(p.offset) || p.offset < 0 || p.offset + p.bytes.length > DATA_SIZE) {
        throw new NativeHarnessError(`case ${i}: data patch at ${p.offset} (+${p.bytes.length}) is outside the data area`);
      }
      buf.writeUInt32LE(p.offset, o);
      buf.writeUInt32LE(p.bytes.length, o + 4);
      buf.set(p.bytes, o + 8);
      o += 8 + p.bytes.length;
    }
  });
  return buf;
}

function decodeResults(out: Buffer, count: number): NativeResult[] {
  if (out.length < 8 || out.readUInt32LE(0) !== OUT_MAGIC || out.readUInt32LE(4) !== count) {
    throw new NativeHarnessError('the harness output does not start with the expected header');
  }
  let o = 8;
  const results: NativeResult[] = [];
  for (let i = 0; i < count; i++) {
    if (o + RESULT_HEADER > out.length) throw new NativeHarnessError(`the harness output is truncated at case ${i}`);
    const status = out.readUInt32LE(o);
    const signo = out.readInt32LE(o + 4);
    const code = out.readInt32LE(o + 8);
    const nchanges = out.readUInt32LE(o + 12);
    const addr = out.readBigUInt64LE(o + 16);
    const trapno = Number(out.readBigUInt64LE(o + 24));
    const err = out.readBigUInt64LE(o + 32);
    // The kernel reports thread.cr2, which only page faults update: for any
    // other trap it is stale (left by an earlier case), so it is zeroed here.
    const cr2 = trapno === 14 ? out.readBigUInt64LE(o + 40) : 0n;
    o += 48;
    const regs = {} as Record<GprName, bigint>;
    for (const name of GPR_NAMES) {
      regs[name] = out.readBigUInt64LE(o);
      o += 8;
    }
    const rip = out.readBigUInt64LE(o);
    const rflags = out.readBigUInt64LE(o + 8);
    const mxcsr = out.readUInt32LE(o + 16);
    o += 24;
    const xmm: bigint[] = [];
    for (let r = 0; r < 16; r++) {
      xmm.push(out.readBigUInt64LE(o) | (out.readBigUInt64LE(o + 8) << 64n));
      o += 16;
    }
    const dataChanges: DataPatch[] = [];
    for (let k = 0; k < nchanges; k++) {
      const offset = out.readUInt32LE(o);
      const len = out.readUInt32LE(o + 4);
      dataChanges.push({ offset, bytes: new Uint8Array(out.subarray(o + 8, o + 8 + len)) });
      o += 8 + len;
    }
    const base = { status: status === 0 ? ('ok' as const) : ('signal' as const), regs, rip, rflags, xmm, mxcsr, dataChanges };
    results.push(
      status === 0
        ? base
        : { ...base, signal: { signo, name: SIGNAL_NAMES[signo] ?? `signal ${signo}`, code, addr, trapno, err, cr2 } },
    );
  }
  if (o !== out.length) throw new NativeHarnessError('the harness output has trailing bytes');
  return results;
}

/** Runs every case natively, in one harness process, and returns one result per case in order. */
export function runNative(cases: readonly NativeCase[], options: RunNativeOptions = {}): NativeResult[] {
  if (cases.length === 0) return [];
  const exe = harnessExecutable();
  const timeout = options.timeoutSeconds ?? 10 + Math.ceil(cases.length / 1000);
  const input = encodeCases(cases, timeout);
  const run = spawnSync(exe, [], { input, maxBuffer: 1 << 30, timeout: (timeout + 5) * 1000 });
  if (run.error) throw new NativeHarnessError(`running ${exe}: ${run.error.message}`);
  if (run.status !== 0) {
    const why = run.signal ? `killed by ${run.signal}` : `exit status ${run.status}`;
    throw new NativeHarnessError(`the native harness failed (${why}):\n${run.stderr.toString().trim()}`);
  }
  return decodeResults(run.stdout, cases.length);
}

/** Runs one case (prefer batching: one process per call). */
export function runNativeOne(c: NativeCase, options: RunNativeOptions = {}): NativeResult {
  const [r] = runNative([c], options);
  if (r === undefined) throw new NativeHarnessError('no result');
  return r;
}

/** The initial data area of a case (zeros, then its patches). */
export function dataBefore(c: NativeCase): Uint8Array {
  const area = new Uint8Array(DATA_SIZE);
  for (const p of c.data ?? []) area.set(p.bytes, p.offset);
  return area;
}

/** The whole data area after the run: the initial area with the reported changes applied. */
export function dataAfter(c: NativeCase, r: NativeResult): Uint8Array {
  const area = dataBefore(c);
  for (const p of r.dataChanges) area.set(p.bytes, p.offset);
  return area;
}

/** Reads a little-endian value of `size` bytes at absolute address `addr` in the data area after the run. */
export function readData(c: NativeCase, r: NativeResult, addr: bigint, size: 1 | 2 | 4 | 8): bigint {
  const off = Number(addr - DATA_BASE);
  if (off < 0 || off + size > DATA_SIZE) throw new NativeHarnessError(`address ${addr.toString(16)} is outside the data area`);
  const area = dataAfter(c, r);
  let v = 0n;
  for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(area[off + k] ?? 0);
  return v;
}

/** A data patch holding `value` little-endian at absolute address `addr`. */
export function dataAt(addr: bigint, value: bigint, size: 1 | 2 | 4 | 8): DataPatch {
  const bytes = new Uint8Array(size);
  let v = value & ((1n << BigInt(size * 8)) - 1n);
  for (let k = 0; k < size; k++) {
    bytes[k] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { offset: Number(addr - DATA_BASE), bytes };
}
