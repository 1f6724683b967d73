/**
 * The frame-pointer unwinder (DESIGN.md §4 invariant 4, issue item 8): from
 * the CPU state inside a native "C" function it walks the RBP chain through
 * native frames ([rbp] saved RBP, [rbp + 8] return address) and, where a
 * return address lies in the entry text (a stub called this C function),
 * recognises the pt_regs frame the stub built:
 *
 *   pt_regs = (rbp + 16) + design.extension.belowPtRegs
 *
 * (at the stub's `call`, %rsp = pt_regs - belowPtRegs; the call pushed the
 * return address, the prologue the saved RBP). It reads the hardware frame
 * and orig_ax at the design's layout, classifies the entry by the stub
 * label before the return address, and continues into the interrupted
 * context when it was kernel mode (RBP = regs->bp, RIP = regs->ip, a native
 * function's resume point). It stops at a user-mode pt_regs (the bottom of
 * the task stack) and never throws on garbage: `stopped` says why.
 *
 * Each pt_regs frame reports the interrupted context's saved PKRS using only
 * what that frame makes reachable — the point of the project (DESIGN.md §2,
 * last column): container_of(regs) for extension designs, the member for
 * pks-in-pt_regs, and for state-ref only with the compiler's frame layout of
 * the handler that the stub called (`frameLayouts`).
 * @kernel arch/x86/kernel/unwind_frame.c, arch/x86/kernel/dumpstack.c show_regs_if_on_stack
 */
import { MODE_SUPERVISOR } from '../../../cpu/mmu.js';
import type { Design } from '../../../design/build.js';
import { KERNEL_CS, KERNEL_TEXT, KERNEL_TEXT_SIZE, USER32_CS, USER_CS } from './memory-map.js';
import { NATIVE_SLOT, type NativeCall } from './native.js';
import type { Platform } from './platform.js';
import { stubOwner, syscallName } from './unwind-names.js';

import type {
  EntryKind, NativeUnwindFrame, PkrsFinding, PtRegsUnwindFrame, Unwind, UnwindFrame, UnwindOptions, UnwindStart,
  UnwindTarget,
} from './unwind-types.js';

export { formatEntry, formatPkrs, formatUnwind } from './unwind-format.js';
export type * from './unwind-types.js';

const DEFAULT_MAX_FRAMES = 64;
/** Canonical user addresses lie below 2^47. */
const USER_LIMIT = 2 ** 47;

export function hexAddress(a: number | bigint): string {
  return '0x' + BigInt.asUintN(64, BigInt(a)).toString(16);
}

class Reader {
  constructor(private readonly p: Platform) {}
  /** A canonical 64-bit value as the CPU's sign-extended number, or null when unreadable. */
  address(at: number): number | null {
    const v = this.u64(at);
    if (v === null) return null;
    const n = Number(BigInt.asIntN(64, v));
    return Number.isSafeInteger(n) ? n : null;
  }
  u64(at: number): bigint | null {
    if (!Number.isSafeInteger(at)) return null;
    try {
      return this.p.mmu.read64(at, MODE_SUPERVISOR);
    } catch {
      return null;
    }
  }
  u32(at: number): bigint | null {
    if (!Number.isSafeInteger(at)) return null;
    try {
      return BigInt(this.p.mmu.read32(at, MODE_SUPERVISOR) >>> 0);
    } catch {
      return null;
    }
  }
}

function platformOf(t: UnwindTarget): Platform {
  return 'platform' in t ? t.platform : t;
}

/** The nearest plain (non-local, non-numeric) entry-text label at or before `address`. */
function entryLabelAt(p: Platform, address: number): string | null {
  let best: [string, number] | null = null;
  for (const [name, a] of p.symbols) {
    if (a < KERNEL_TEXT || a >= KERNEL_TEXT + KERNEL_TEXT_SIZE || a > address) continue;
    if (!/^[A-Za-z_]/.test(name)) continue;
    if (!best || a > best[1]) best = [name, a];
  }
  return best ? best[0] : null;
}

function inEntryText(a: number): boolean {
  return a >= KERNEL_TEXT && a < KERNEL_TEXT + KERNEL_TEXT_SIZE;
}

/** `label+0xoff` for kernel text, `user 0x...` for user addresses, else the bare address. */
export function symbolizeAddress(p: Platform, a: number): string {
  if (a >= 0 && a < USER_LIMIT) return `user ${hexAddress(a)}`;
  return p.symbolize(a) ?? hexAddress(a);
}

function nativeName(p: Platform, a: number): string | null {
  const s = p.native.symbolize(a);
  return s ? s.slice(0, s.lastIndexOf('+')) : null;
}

function layoutOffset(opts: UnwindOptions, fn: string): number | undefined {
  const l = opts.frameLayouts;
  if (!l) return undefined;
  if (l instanceof Map) return l.get(fn);
  const rec = l as Readonly<Record<string, number>>;
  return Object.hasOwn(rec, fn) ? rec[fn] : undefined;
}

function findPkrs(
  p: Platform, r: Reader, design: Design, regs: number, handler: NativeUnwindFrame, opts: UnwindOptions,
): PkrsFinding {
  const slot = design.slots.pkrs;
  if (!slot) return { found: false, reason: 'not saved' };
  const read = (at: number): bigint | null => (slot.size === 8 ? r.u64(at) : r.u32(at));
  let address: number;
  let via: 'extension' | 'pt_regs member' | 'C frame';
  let where: string;
  if (slot.root === 'extension') {
    const below = design.extension?.belowPtRegs ?? 0;
    address = regs - below + slot.offset;
    via = 'extension';
    where = `via container_of(regs) at regs-0x${(regs - address).toString(16)} (${slot.ref})`;
  } else if (slot.root === 'pt_regs') {
    address = regs + slot.offset;
    via = 'pt_regs member';
    where = `in pt_regs member ${slot.path} at regs+0x${slot.offset.toString(16)}`;
  } else {
    const off = layoutOffset(opts, handler.function);
    if (off === undefined) return { found: false, reason: 'not reachable from this frame' };
    let locals = 0;
    try {
      locals = p.native.get(handler.function).locals;
    } catch {
      return { found: false, reason: 'not reachable from this frame' };
    }
    address = handler.frame - locals + off + slot.offset;
    via = 'C frame';
    where = `at C-frame offset ${off} of ${handler.function} (rbp-0x${(handler.frame - address).toString(16)}; needs the compiler's frame layout)`;
  }
  const value = read(address);
  if (value === null) return { found: false, reason: 'unreadable' };
  return { found: true, value, address, via, where };
}

function entryKind(owner: NonNullable<ReturnType<typeof stubOwner>>, origAx: bigint, regs: number, opts: UnwindOptions): EntryKind {
  switch (owner.kind) {
    case 'syscall': {
      const nr = Number(BigInt.asIntN(32, origAx));
      return { kind: 'syscall', nr, name: syscallName(nr) };
    }
    case 'irq': return { kind: 'irq', vector: opts.irqVectorOf?.(regs) ?? null };
    case 'nmi': return { kind: 'nmi' };
    case 'exception': return owner;
  }
}

const CODE_SELECTORS = new Set([KERNEL_CS, USER_CS, USER32_CS]);

/**
 * Walks the kernel stack from `start` (inside a native function), innermost
 * first. See the module comment.
 */
export function unwindKernelStack(target: UnwindTarget, start: UnwindStart, opts: UnwindOptions = {}): Unwind {
  const p = platformOf(target);
  const design = p.design;
  const r = new Reader(p);
  const max = opts.maxFrames ?? DEFAULT_MAX_FRAMES;
  const frames: UnwindFrame[] = [];
  const done = (stopped: string | null): Unwind => ({ design: design.name, frames, stopped });
  const stop = (why: string): Unwind => done(`unwind stopped: ${why}`);
  let pc = start.rip;
  let fp = start.rbp;

  while (frames.length < max) {
    const fn = nativeName(p, pc);
    if (fn === null) {
      return stop(inEntryText(pc)
        ? `interrupted inside kernel assembly at ${symbolizeAddress(p, pc)} (kentry's assembly keeps no frame pointer)`
        : `${symbolizeAddress(p, pc)} is not native kernel code`);
    }
    if ((pc - p.native.textBase) % NATIVE_SLOT === 0 && frames.length > 0) {
      return stop(`${fn} was interrupted before its prologue (no frame yet)`);
    }
    const native: NativeUnwindFrame = { kind: 'native', index: frames.length, function: fn, pc, symbol: symbolizeAddress(p, pc), frame: fp };
    frames.push(native);
    const ret = r.address(fp + 8);
    const savedFp = r.address(fp);
    if (ret === null || savedFp === null) return stop(`frame of ${fn} at ${hexAddress(fp)} is unreadable`);
    if (nativeName(p, ret) !== null) {
      if (savedFp <= fp) return stop(`saved RBP ${hexAddress(savedFp)} of ${fn} does not move up the stack`);
      pc = ret;
      fp = savedFp;
      continue;
    }
    if (!inEntryText(ret)) return stop(`${fn} returns to ${symbolizeAddress(p, ret)}, outside kernel text`);
    const label = entryLabelAt(p, ret);
    const owner = label ? stubOwner(label) : null;
    if (!owner) return stop(`${fn} was called from ${symbolizeAddress(p, ret)}, not from a pt_regs-building entry stub`);
    if (frames.length >= max) break;

    const regs = fp + 16 + (design.extension?.belowPtRegs ?? 0);
    const member = (name: string): bigint | null => {
      const m = design.ptRegs.members.find((x) => x.name === name);
      return m ? r.u64(regs + m.offset) : null;
    };
    const [ip, cs, flags, sp, ss, origAx, bp] = ['ip', 'cs', 'flags', 'sp', 'ss', 'orig_ax', 'bp'].map(member);
    if (ip == null || cs == null || flags == null || sp == null || ss == null || origAx == null || bp == null) {
      return stop(`pt_regs at ${hexAddress(regs)} is unreadable`);
    }
    const csN = Number(cs & 0xffffn);
    if (cs > 0xffffn || !CODE_SELECTORS.has(csN)) {
      return stop(`pt_regs at ${hexAddress(regs)} has cs ${hexAddress(cs)}, no code selector (corrupt frame?)`);
    }
    const ipN = Number(BigInt.asIntN(64, ip));
    const cpl = csN & 3;
    const frame: PtRegsUnwindFrame = {
      kind: 'pt_regs',
      index: frames.length,
      regs,
      entry: entryKind(owner, origAx, regs, opts),
      handler: fn,
      calledFrom: symbolizeAddress(p, ret),
      ip: ipN,
      ipSymbol: cpl === 3 ? `user ${hexAddress(ip)}` : symbolizeAddress(p, ipN),
      cs: csN,
      cpl,
      ss: Number(ss & 0xffffn),
      sp: Number(BigInt.asIntN(64, sp)),
      bp: Number(BigInt.asIntN(64, bp)),
      flags,
      origAx,
      // entry_SYSCALL_64 → do_syscall_64 never runs irqentry_enter, so no design saves PKRS there
      // (PKS V9 27/45 saves in irqentry_enter only); the slot below a syscall pt_regs is never written.
      pkrs: owner.kind === 'syscall' && design.slots.pkrs
        ? { found: false, reason: 'not saved on the syscall path' }
        : findPkrs(p, r, design, regs, native, opts),
    };
    frames.push(frame);
    if (cpl === 3) return done(null); // the bottom of the task stack
    pc = frame.ip;
    fp = frame.bp;
  }
  return stop(`more than ${max} frames`);
}

/**
 * Unwinds from inside a native body: `call` is the body's NativeCall (its
 * frame is the RBP the body runs with; the CPU's RIP is not kept current
 * inside native code, so the function comes from the call).
 */
export function unwindFromCall(target: UnwindTarget, call: NativeCall, opts: UnwindOptions = {}): Unwind {
  return unwindKernelStack(target, { rbp: call.frame, rip: call.fn.address }, opts);
}
