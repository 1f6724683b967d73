/**
 * The general-register regset (NT_PRSTATUS) as arch/x86/kernel/ptrace.c has
 * it: getreg/putreg by struct user_regs_struct offset, and genregs_get /
 * genregs_set calling them once per 8-byte word.
 *
 * Offsets 0..160 (r15 .. ss) reach pt_regs *by the same offset*:
 * pt_regs_access(regs, offset) is `(unsigned long *)regs + offset / 8`,
 * safe upstream only because BUILD_BUG_ON(offsetof(pt_regs, r15) != 0)
 * holds. This model does exactly that against the design's pt_regs (the
 * design's task_pt_regs), so a design that moves pt_regs members — a new
 * first member, as pks-in-pt_regs has — shows what every offset-indexed
 * reader then sees. flags, and the cs/ss stores, go through named members
 * (get_flags, set_flags, set_segment_reg use `task_pt_regs(task)->flags`,
 * `->cs`, `->ss`), as the kernel's do.
 *
 *   user_regs_struct   0 r15 .. 160 ss   -> pt_regs word offset/8
 *                    168 fs_base 176 gs_base   -> x86_fs/gsbase_read_task
 *                    184 ds 192 es 200 fs 208 gs -> thread (or live, for current)
 *
 * @kernel arch/x86/kernel/ptrace.c getreg, putreg, get_segment_reg, set_segment_reg, get_flags, set_flags, pt_regs_access, genregs_get, genregs_set
 */
import { EIO } from '../../../abi/errno.js';
import { layoutOf } from '../../../abi/layout.js';
import { userRegsStruct } from '../../../abi/structs/user-regs.js';
import { field } from '../../../abi/view.js';
import { linearStore } from '../../../cpu/linear-store.js';
import { MODE_SUPERVISOR } from '../../../cpu/mmu.js';
import { readLE, writeLE } from '../../../lib/bytes.js';
import { TASK_SIZE_MAX } from './memory-map.js';
import {
  basesWriteTask, fsbaseReadTask, gsbaseReadTask, setThreadSelector, taskPtRegs, threadSelector,
  type RegsetTarget, type SelectorName,
} from './regset-thread.js';

export const USER_REGS = layoutOf(userRegsStruct);
/** sizeof(struct user_regs_struct): 27 words. */
export const USER_REGS_SIZE = USER_REGS.size;

const off = (name: string): number => field(USER_REGS, name).offset;
const OFF_CS = off('cs');
const OFF_SS = off('ss');
const OFF_FLAGS = off('flags');
const OFF_FS_BASE = off('fs_base');
const OFF_GS_BASE = off('gs_base');
const SELECTORS: ReadonlyMap<number, SelectorName> = new Map([
  [off('ds'), 'ds'], [off('es'), 'es'], [off('fs'), 'fs'], [off('gs'), 'gs'],
]);

/**
 * FLAG_MASK (64-bit): the RFLAGS bits a tracer may change — CF PF AF ZF SF
 * TF DF OF RF AC and NT; IF, IOPL, VM, VIF, VIP and ID stay (reference §5.2).
 */
export const FLAG_MASK = 0x54dd5n;
const X86_EFLAGS_TF = 0x100n;
/** SEGMENT_RPL_MASK and USER_RPL. */
const RPL_MASK = 3;
const USER_RPL = 3;

/**
 * The kernel's own access to a task's stack: a supervisor access through
 * the page tables (the stack is always mapped and carries no PKS key), so
 * it works from any context — a tracer's system call, the dumper.
 */
function read64(t: RegsetTarget, address: number): bigint {
  return readLE(linearStore(t.platform.cpu.mmu, MODE_SUPERVISOR).readBytes(address, 8), false);
}

function write64(t: RegsetTarget, address: number, value: bigint): void {
  linearStore(t.platform.cpu.mmu, MODE_SUPERVISOR).writeBytes(address, writeLE(value, 8));
}

/** pt_regs_access(task_pt_regs(task), offset): the word at the same offset in pt_regs. */
function ptRegsAccess(t: RegsetTarget, offset: number): number {
  return taskPtRegs(t) + offset;
}

/** `task_pt_regs(task)->name`: a named member at the design's layout. */
function ptRegsMember(t: RegsetTarget, name: string): number {
  return taskPtRegs(t) + field(t.platform.design.ptRegs, name).offset;
}

/** `task_pt_regs(task)->name` as a value: what named-member readers (user_64bit_mode, get_flags) see. */
export function taskPtRegsGet(t: RegsetTarget, name: string): bigint {
  return read64(t, ptRegsMember(t, name));
}

/** get_flags: task_pt_regs(task)->flags, without TF when the tracer's single-step forced it (TIF_FORCED_TF). */
function getFlags(t: RegsetTarget): bigint {
  const flags = read64(t, ptRegsMember(t, 'flags'));
  return t.task.forcedTf ? flags & ~X86_EFLAGS_TF : flags;
}

/**
 * getreg(task, offset): selectors (get_segment_reg: cs and ss by offset,
 * truncated to u16), flags, the FS/GS bases, else pt_regs by offset.
 */
export function getreg(t: RegsetTarget, offset: number): bigint {
  const sel = SELECTORS.get(offset);
  if (sel) return BigInt(threadSelector(t, sel));
  if (offset === OFF_CS || offset === OFF_SS) return read64(t, ptRegsAccess(t, offset)) & 0xffffn;
  if (offset === OFF_FLAGS) return getFlags(t);
  if (offset === OFF_FS_BASE) return fsbaseReadTask(t);
  if (offset === OFF_GS_BASE) return gsbaseReadTask(t);
  return read64(t, ptRegsAccess(t, offset));
}

/** invalid_selector(value): non-null with an RPL other than 3. */
function invalidSelector(value: number): boolean {
  return value !== 0 && (value & RPL_MASK) !== USER_RPL;
}

/**
 * set_segment_reg(task, offset, (u16)value): -EIO for the running task
 * (WARN_ON_ONCE), for an invalid selector, and for a null CS or SS; ds/es/
 * fs/gs go to the thread, cs/ss to the named pt_regs members.
 */
function setSegmentReg(t: RegsetTarget, offset: number, value: number): number {
  if (t.current) return -EIO;
  if (invalidSelector(value)) return -EIO;
  const sel = SELECTORS.get(offset);
  if (sel) {
    setThreadSelector(t, sel, value);
    return 0;
  }
  if (value === 0) return -EIO;
  write64(t, ptRegsMember(t, offset === OFF_CS ? 'cs' : 'ss'), BigInt(value));
  return 0;
}

/**
 * set_flags: only FLAG_MASK's bits change. A TF the tracer writes is the
 * user's own from now on (TIF_FORCED_TF cleared); one it leaves out stays
 * set while its single-step forced it.
 */
function setFlags(t: RegsetTarget, value: bigint): number {
  let v = value;
  if ((v & X86_EFLAGS_TF) !== 0n) t.task.forcedTf = false;
  else if (t.task.forcedTf) v |= X86_EFLAGS_TF;
  const a = ptRegsMember(t, 'flags');
  const old = read64(t, a);
  write64(t, a, (old & ~FLAG_MASK) | (v & FLAG_MASK));
  return 0;
}

/**
 * putreg(child, offset, value): the rules of reference §5.2 — segment
 * checks, the flags mask, fs_base/gs_base below TASK_SIZE_MAX (else -EIO) —
 * and every other word stored unchecked at the same offset of pt_regs.
 * Returns 0 or a negative errno.
 */
export function putreg(t: RegsetTarget, offset: number, value: bigint): number {
  const v = BigInt.asUintN(64, value);
  if (SELECTORS.has(offset) || offset === OFF_CS || offset === OFF_SS) return setSegmentReg(t, offset, Number(v & 0xffffn));
  if (offset === OFF_FLAGS) return setFlags(t, v);
  if (offset === OFF_FS_BASE || offset === OFF_GS_BASE) {
    if (v >= BigInt(TASK_SIZE_MAX)) return -EIO;
    basesWriteTask(t, offset === OFF_FS_BASE ? 'fsbase' : 'gsbase', v);
    return 0;
  }
  write64(t, ptRegsAccess(t, offset), v);
  return 0;
}

/** genregs_get: user_regs_struct, getreg word by word (the NT_PRSTATUS regset and PTRACE_GETREGS). */
export function genregsGet(t: RegsetTarget): Uint8Array {
  const out = new Uint8Array(USER_REGS_SIZE);
  const dv = new DataView(out.buffer);
  for (let o = 0; o < USER_REGS_SIZE; o += 8) dv.setBigUint64(o, getreg(t, o), true);
  return out;
}

/**
 * genregs_set(pos, bytes): putreg word by word from `pos`, stopping at the
 * first error (earlier words stay written, as in the kernel). Returns 0 or
 * the first negative errno.
 */
export function genregsSet(t: RegsetTarget, bytes: Uint8Array, pos = 0): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 8 <= bytes.length && pos + i < USER_REGS_SIZE; i += 8) {
    const r = putreg(t, pos + i, dv.getBigUint64(i, true));
    if (r !== 0) return r;
  }
  return 0;
}
