/**
 * The debug registers a tracer reads and writes through the USER area's
 * u_debugreg[8] (PTRACE_PEEKUSR / PTRACE_POKEUSR): thread.ptrace_bps[4]
 * (one user hardware breakpoint per DR0-3, a perf event in the kernel),
 * thread.virtual_dr6 and thread.ptrace_dr7.
 *
 *   DR0-3  read: the breakpoint's address, 0 when there is none.
 *          write: ptrace_set_breakpoint_addr — the first write registers a
 *          disabled 1-byte write breakpoint at the address, later ones move
 *          it; both validated as below (-EINVAL).
 *   DR4-5  read 0, write -EIO (there are none).
 *   DR6    virtual_dr6 kept in positive polarity: written ^ DR6_RESERVED,
 *          read back ^ DR6_RESERVED (a fresh thread reads 0xffff0ff0).
 *   DR7    ptrace_write_dr7: DR_CONTROL_RESERVED masked off, then each slot
 *          decoded (enable bits, RW and LEN) and its breakpoint registered
 *          (enabled slots without one, at address 0) or modified; the first
 *          failure undoes the pass by replaying the DR7 the breakpoints made
 *          before (ptrace_get_dr7) and is returned. On success thread.ptrace_dr7
 *          keeps the value as written (unmasked), which is what reads return.
 *
 * Validation of a breakpoint (arch_bp_generic_fields, arch_build_bp_info,
 * hw_breakpoint_arch_parse, hw_breakpoint_parse with exclude_kernel set by
 * ptrace_breakpoint_init), each failure -EINVAL:
 *   - RW 10 (I/O) is refused; an execute breakpoint must have LEN 00;
 *   - the address must be aligned to the length (LEN 1/2/4/8);
 *   - the range must end below TASK_SIZE_MAX (a kernel address, the CPU
 *     entry area included, is refused for a user breakpoint) and not wrap.
 *
 * Not modelled: perf's breakpoint slot accounting (kentry has no other
 * breakpoint users, so the four ptrace slots always fit: no -ENOSPC), and
 * the breakpoints themselves — kentry's CPU has no debug-register
 * breakpoints, so an enabled DR7 slot never raises #DB (only TF single-steps).
 * The state lives beside the task (kentry's thread_struct has no such
 * fields); flush_ptrace_hw_breakpoint (exec, exit) is the lead's to call.
 *
 * @kernel arch/x86/kernel/ptrace.c ptrace_get_debugreg, ptrace_set_debugreg, ptrace_set_breakpoint_addr, ptrace_write_dr7, ptrace_get_dr7, ptrace_register_breakpoint, ptrace_modify_breakpoint
 * @kernel arch/x86/kernel/hw_breakpoint.c arch_bp_generic_fields, arch_build_bp_info, hw_breakpoint_arch_parse, arch_check_bp_in_kernelspace, encode_dr7, decode_dr7, flush_ptrace_hw_breakpoint
 * @kernel kernel/events/hw_breakpoint.c hw_breakpoint_parse
 * @kernel arch/x86/include/uapi/asm/debugreg.h DR6_RESERVED, DR_CONTROL_RESERVED
 */
import { EINVAL, EIO } from '../../../abi/errno.js';
import { TASK_SIZE_MAX } from './memory-map.js';
import type { Task } from './sched.js';

/** HBP_NUM: DR0-3. */
const HBP_NUM = 4;
/** DR6 bits that read as 1 (the kernel keeps DR6 in positive polarity). */
export const DR6_RESERVED = 0xffff0ff0n;
/** DR7 bits the tracer may not set on x86-64: GD and the reserved 10..15, and 32..63. */
export const DR_CONTROL_RESERVED = 0xffff_ffff_0000_fc00n;
const DR_CONTROL_SHIFT = 16n;
const DR_CONTROL_SIZE = 4n;
const DR_ENABLE_SIZE = 2n;
const DR_GLOBAL_ENABLE = 0x2n;
const DR_GLOBAL_SLOWDOWN = 0x200n;

// X86_BREAKPOINT_* (arch/x86/include/asm/hw_breakpoint.h): the DR7 RW/LEN codes with a marker bit.
const LEN_1 = 0x40;
const LEN_2 = 0x44;
const LEN_8 = 0x48;
const LEN_4 = 0x4c;
const LEN_X = LEN_1;
const TYPE_EXECUTE = 0x80;
const TYPE_WRITE = 0x81;
const TYPE_RW = 0x83;

/** Bytes each LEN code covers. */
const LEN_BYTES: ReadonlyMap<number, number> = new Map([[LEN_1, 1], [LEN_2, 2], [LEN_4, 4], [LEN_8, 8]]);

/** One ptrace breakpoint (its perf event's attr and hw.info). */
interface PtraceBreakpoint {
  address: bigint;
  len: number;
  type: number;
  disabled: boolean;
}

interface DebugThread {
  readonly bps: (PtraceBreakpoint | null)[];
  virtualDr6: bigint;
  ptraceDr7: bigint;
}

const threads = new WeakMap<Task, DebugThread>();

function debugThread(task: Task): DebugThread {
  let d = threads.get(task);
  if (!d) threads.set(task, (d = { bps: Array.from({ length: HBP_NUM }, () => null), virtualDr6: 0n, ptraceDr7: 0n }));
  return d;
}

/**
 * The validation a breakpoint goes through when perf registers or modifies
 * it (see the file comment). Returns 0 or -EINVAL.
 */
function parseBreakpoint(address: bigint, len: number, type: number): number {
  if (type !== TYPE_EXECUTE && type !== TYPE_WRITE && type !== TYPE_RW) return -EINVAL;
  if (type === TYPE_EXECUTE && len !== LEN_X) return -EINVAL;
  const bytes = LEN_BYTES.get(len);
  if (bytes === undefined) return -EINVAL;
  const end = address + BigInt(bytes) - 1n;
  if (end > 0xffff_ffff_ffff_ffffn) return -EINVAL; // bp_end wrapped
  if ((address & BigInt(type === TYPE_EXECUTE ? 0 : bytes - 1)) !== 0n) return -EINVAL;
  if (address >= BigInt(TASK_SIZE_MAX) || end >= BigInt(TASK_SIZE_MAX)) return -EINVAL; // exclude_kernel
  return 0;
}

/** decode_dr7(dr7, i): [enabled, len, type] of slot i. */
function decodeDr7(dr7: bigint, i: number): [boolean, number, number] {
  const info = Number((dr7 >> (DR_CONTROL_SHIFT + BigInt(i) * DR_CONTROL_SIZE)) & 0xfn);
  const enabled = ((dr7 >> (BigInt(i) * DR_ENABLE_SIZE)) & 0x3n) !== 0n;
  return [enabled, (info & 0xc) | 0x40, (info & 0x3) | 0x80];
}

/** ptrace_get_dr7: the DR7 the enabled breakpoints make (encode_dr7: global enable and GE). */
function ptraceGetDr7(d: DebugThread): bigint {
  let dr7 = 0n;
  d.bps.forEach((bp, i) => {
    if (!bp || bp.disabled) return;
    dr7 |= (BigInt((bp.len | bp.type) & 0xf) << (DR_CONTROL_SHIFT + BigInt(i) * DR_CONTROL_SIZE)) |
      (DR_GLOBAL_ENABLE << (BigInt(i) * DR_ENABLE_SIZE)) | DR_GLOBAL_SLOWDOWN;
  });
  return dr7;
}

/** One pass of ptrace_write_dr7 over the four slots; the first error stops it. */
function writeDr7Pass(d: DebugThread, dr7: bigint): number {
  for (let i = 0; i < HBP_NUM; i++) {
    const [enabled, len, type] = decodeDr7(dr7, i);
    const bp = d.bps[i];
    if (!bp) {
      if (!enabled) continue;
      const err = parseBreakpoint(0n, len, type);
      if (err !== 0) return err;
      d.bps[i] = { address: 0n, len, type, disabled: false };
      continue;
    }
    const err = parseBreakpoint(bp.address, len, type);
    if (err !== 0) return err;
    Object.assign(bp, { len, type, disabled: !enabled });
  }
  return 0;
}

/** ptrace_write_dr7: both passes (the second replays the old DR7 after a failure). */
function ptraceWriteDr7(d: DebugThread, data: bigint): number {
  const old = ptraceGetDr7(d);
  const rc = writeDr7Pass(d, data & ~DR_CONTROL_RESERVED);
  if (rc === 0) return 0;
  writeDr7Pass(d, old); // "second_pass shouldn't fail"
  return rc;
}

/**
 * flush_ptrace_hw_breakpoint (at exec): the tracer's breakpoints go;
 * virtual DR6 and DR7 read as a fresh task's.
 * @kernel kernel/hw_breakpoint.c flush_ptrace_hw_breakpoint, arch/x86/kernel/process.c flush_thread
 */
export function flushPtraceHwBreakpoint(task: Task): void {
  threads.delete(task);
}

/** DR_STEP: DR6's single-step bit (BS). */
const DR_STEP = 0x4000n;

/**
 * exc_debug_user's bookkeeping for a single-step trap (TF is the only #DB
 * source kentry's CPU raises): thread.virtual_dr6 is cleared and gets
 * DR_STEP, which PTRACE_PEEKUSR of DR6 then shows.
 * @kernel arch/x86/kernel/traps.c exc_debug_user
 */
export function noteUserSingleStep(task: Task): void {
  debugThread(task).virtualDr6 = DR_STEP;
}

/** ptrace_get_debugreg(task, n), n = 0..7. */
export function ptraceGetDebugreg(task: Task, n: number): bigint {
  const d = debugThread(task);
  if (n < HBP_NUM) return d.bps[n]?.address ?? 0n;
  if (n === 6) return d.virtualDr6 ^ DR6_RESERVED;
  if (n === 7) return d.ptraceDr7;
  return 0n;
}

/** ptrace_set_debugreg(task, n, val), n = 0..7: 0 or a negative errno. */
export function ptraceSetDebugreg(task: Task, n: number, value: bigint): number {
  const d = debugThread(task);
  const val = BigInt.asUintN(64, value);
  if (n < HBP_NUM) {
    const bp = d.bps[n];
    const len = bp?.len ?? LEN_1;
    const type = bp?.type ?? TYPE_WRITE;
    const err = parseBreakpoint(val, len, type);
    if (err !== 0) return err;
    if (bp) bp.address = val;
    else d.bps[n] = { address: val, len, type, disabled: true };
    return 0;
  }
  if (n === 6) {
    d.virtualDr6 = val ^ DR6_RESERVED;
    return 0;
  }
  if (n === 7) {
    const rc = ptraceWriteDr7(d, val);
    if (rc === 0) d.ptraceDr7 = val;
    return rc;
  }
  return -EIO;
}
