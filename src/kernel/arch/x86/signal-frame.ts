/**
 * The 64-bit signal frame: where it goes (get_sigframe), what is written
 * (x64_setup_rt_frame: pretcode, ucontext with sigcontext and sigmask,
 * siginfo, and the XSAVE area above it), and how rt_sigreturn takes it back
 * (restore_sigcontext). Every store goes through the design's pt_regs by
 * member name, so the frame does not depend on where a design keeps its
 * registers (invariant 6: no leak into signals).
 *
 *   handler RSP -> frame + 0    pretcode (sa_restorer)
 *                  frame + 8    uc (uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask)
 *                  frame + 312  info (siginfo, 128 bytes; written only with SA_SIGINFO)
 *                  fpstate      XSAVE area, 64-byte aligned, MAGIC2 after it
 *                  regs->sp - 128 (red zone) or the top of the alternate stack
 *
 * @kernel arch/x86/kernel/signal.c get_sigframe, force_valid_ss; arch/x86/kernel/signal_64.c x64_setup_rt_frame, __unsafe_setup_sigcontext, restore_sigcontext, frame_uc_flags
 */
import { layoutOf } from '../../../abi/layout.js';
import {
  SA_ONSTACK, SA_RESTORER, SA_SIGINFO, SEGV_PKUERR, SIGSEGV, SI_KERNEL, SS_AUTODISARM, SS_ONSTACK,
} from '../../../abi/signal-numbers.js';
import { rtSigframe, siginfo } from '../../../abi/structs/signal.js';
import { StructView, field } from '../../../abi/view.js';
import { larAccessRights } from '../../../cpu/ops/segment.js';
import { copyFpstateToSigframe, fpuRestoreSig, xstateSigframeSize } from './fpu-signal.js';
import { USER_CS, USER_DS } from './memory-map.js';
import type { NativeRuntime } from './native.js';
import type { PtRegs } from './regs.js';
import { SS_DISABLE, type AltStack, type PendingSignal, type SigAction, type TaskSignals } from './sched.js';
import { accessOk, copyFromUser, copyToUser } from './uaccess.js';

export const FRAME = layoutOf(rtSigframe);
const SIGINFO = layoutOf(siginfo);
const INFO_OFFSET = field(FRAME, 'info').offset;
const UC_OFFSET = field(FRAME, 'uc').offset;
const RED_ZONE = 128n;
const FRAME_ALIGNMENT = 16n;
const U64 = (1n << 64n) - 1n;

/** uc_flags bits (arch/x86/include/uapi/asm/ucontext.h). */
export const UC_FP_XSTATE = 0x1;
export const UC_SIGCONTEXT_SS = 0x2;
export const UC_STRICT_RESTORE_SS = 0x4;

/**
 * FIX_EFLAGS: the flags sigreturn takes from the frame — AC OF DF TF SF ZF
 * AF PF CF RF; IF, IOPL, NT, VM, VIF and ID stay as they were.
 * @kernel arch/x86/include/asm/sighandling.h FIX_EFLAGS
 */
export const FIX_EFLAGS = 0x50dd5n;

/** The general registers sigcontext and pt_regs share by name. */
const SIGCONTEXT_GPRS = [
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'di', 'si', 'bp', 'bx', 'dx', 'ax', 'cx', 'sp', 'ip',
] as const;

const MC = 'uc.uc_mcontext';

/** Where a frame member lives (offset and size in bytes), resolved once from the layout. */
interface Slot {
  readonly offset: number;
  readonly size: number;
}

function slot(path: string): Slot {
  const f = field(FRAME, path);
  return { offset: f.offset, size: f.size };
}

/** The members delivery writes and sigreturn reads, by their uapi names. */
const SLOT = {
  pretcode: slot('pretcode'),
  ucFlags: slot('uc.uc_flags'),
  ucLink: slot('uc.uc_link'),
  ssSp: slot('uc.uc_stack.ss_sp'),
  ssFlags: slot('uc.uc_stack.ss_flags'),
  ssSize: slot('uc.uc_stack.ss_size'),
  trapno: slot(`${MC}.trapno`),
  err: slot(`${MC}.err`),
  flags: slot(`${MC}.flags`),
  cs: slot(`${MC}.cs`),
  gs: slot(`${MC}.gs`),
  fs: slot(`${MC}.fs`),
  ss: slot(`${MC}.ss`),
  fpstate: slot(`${MC}.fpstate`),
  oldmask: slot(`${MC}.oldmask`),
  cr2: slot(`${MC}.cr2`),
  sigmask: slot('uc.uc_sigmask'),
} as const;
const GPR_SLOTS: readonly (readonly [(typeof SIGCONTEXT_GPRS)[number], Slot])[] = SIGCONTEXT_GPRS.map((r) => [r, slot(`${MC}.${r}`)] as const);

/** Stores the low `size` bytes of `v` (a C assignment to a member of that size). */
function put(dv: DataView, s: Slot, v: bigint): void {
  if (s.size === 8) dv.setBigUint64(s.offset, BigInt.asUintN(64, v), true);
  else if (s.size === 4) dv.setUint32(s.offset, Number(BigInt.asUintN(32, v)), true);
  else dv.setUint16(s.offset, Number(BigInt.asUintN(16, v)), true);
}

/** Reads a member as an unsigned value. */
function take(dv: DataView, s: Slot): bigint {
  if (s.size === 8) return dv.getBigUint64(s.offset, true);
  if (s.size === 4) return BigInt(dv.getUint32(s.offset, true));
  return BigInt(dv.getUint16(s.offset, true));
}

/** __on_sig_stack(sp): sp within (ss_sp, ss_sp + ss_size] (the stack grows down). */
function onAltstack(a: AltStack, sp: bigint): boolean {
  const base = BigInt(a.sp);
  return sp > base && sp - base <= BigInt(a.size);
}

/** on_sig_stack(sp): with SS_AUTODISARM the task is never considered on it. */
export function onSigStack(a: AltStack, sp: bigint): boolean {
  if ((a.flags & SS_AUTODISARM) !== 0) return false;
  return onAltstack(a, sp);
}

/** sas_ss_flags(sp): SS_DISABLE with no stack, SS_ONSTACK on it, else 0. */
export function sasSsFlags(a: AltStack, sp: bigint): number {
  if (a.size === 0) return SS_DISABLE;
  return onSigStack(a, sp) ? SS_ONSTACK : 0;
}

/** sas_ss_reset: what SS_AUTODISARM does once a frame is on the alternate stack. */
export function sasSsReset(a: AltStack): void {
  a.sp = 0;
  a.size = 0;
  a.flags = SS_DISABLE;
}

/**
 * get_sigframe(ksig, regs, sizeof(rt_sigframe), &fpstate): below the red
 * zone, or at the top of the alternate stack for SA_ONSTACK when not on it
 * already; the XSAVE area 64-byte aligned, the frame under it with RSP ≡ 8
 * (mod 16). A frame that would leave the alternate stack is refused
 * (-1: SIGSEGV). Then PKRU is opened (write_pkru(0)) so the stack can be
 * written whatever its key, and the FPU state goes in with the PKRU the
 * task had; on failure that PKRU is put back.
 */
function getSigframe(rt: NativeRuntime, regs: PtRegs, signals: TaskSignals, act: SigAction): { frame: number; fpstate: number } | null {
  const a = signals.altstack;
  const regsSp = regs.get('sp');
  const nestedAltstack = onSigStack(a, regsSp);
  let enteringAltstack = false;
  let sp = (regsSp - RED_ZONE) & U64;
  if ((act.flags & BigInt(SA_ONSTACK)) !== 0n && sasSsFlags(a, sp) === 0) {
    sp = BigInt(a.sp) + BigInt(a.size);
    enteringAltstack = true;
  }
  // fpu__alloc_mathframe
  const bufFx = ((sp - BigInt(xstateSigframeSize(rt.cpu))) & U64) & ~63n;
  sp = (bufFx - BigInt(FRAME.size)) & U64;
  sp = ((sp & ~(FRAME_ALIGNMENT - 1n)) - 8n) & U64;
  if ((nestedAltstack || enteringAltstack) && !onAltstack(a, sp)) return null; // "overflowed sigaltstack"
  if (!accessOk(Number(sp), FRAME.size) || !accessOk(Number(bufFx), xstateSigframeSize(rt.cpu))) return null;
  const cpu = rt.cpu;
  const pkru = cpu.mmu.pkru;
  cpu.mmu.setPkru(0); // sig_prepare_pkru
  if (!copyFpstateToSigframe(rt, Number(bufFx), pkru)) {
    cpu.mmu.setPkru(pkru);
    return null;
  }
  return { frame: Number(sp), fpstate: Number(bufFx) };
}

/** frame_uc_flags(regs): XSAVE present, SS saved, strict SS restore for 64-bit code. */
function frameUcFlags(regs: PtRegs): number {
  return UC_FP_XSTATE | UC_SIGCONTEXT_SS | (regs.get('cs') === BigInt(USER_CS) ? UC_STRICT_RESTORE_SS : 0);
}

/**
 * The siginfo the kernel keeps for `sig` (clear_siginfo, then the fields
 * of its kind), as copy_siginfo_to_user writes it: 128 bytes, zero beyond.
 */
export function siginfoBytes(sig: PendingSignal): Uint8Array {
  const v = StructView.zeroed(SIGINFO);
  v.set('si_signo', sig.sig);
  v.set('si_code', sig.code);
  if (sig.status !== undefined) {
    // SIGCHLD from do_notify_parent: the child, its uid and status (utime/stime: the model keeps none, 0).
    v.set('si_pid', sig.pid ?? 0);
    v.set('si_uid', 0);
    v.set('si_status', sig.status);
  } else if (sig.code <= 0) {
    // SI_USER, SI_TKILL, SI_QUEUE...: who sent it.
    v.set('si_pid', sig.pid ?? 0);
    v.set('si_uid', 0);
  } else if (sig.code !== SI_KERNEL && sig.synchronous) {
    v.set('si_addr', BigInt.asUintN(64, BigInt(sig.addr)));
    if (sig.sig === SIGSEGV && sig.code === SEGV_PKUERR) v.set('si_pkey', sig.pkey ?? 0);
  }
  return v.bytes();
}

/**
 * x64_setup_rt_frame(ksig, regs): the frame, then the registers for the
 * handler — rdi = signal, rsi = &info, rdx = &uc, rax = 0, rip = handler,
 * rsp = frame, CS = __USER_CS, SS kept when valid (force_valid_ss).
 * SA_RESTORER is required on x86-64. False when the frame cannot be
 * written (the caller forces SIGSEGV); else where the frame and its XSAVE area went.
 */
export function setupRtFrame(rt: NativeRuntime, regs: PtRegs, signals: TaskSignals, thread: { trapNr: number; errorCode: number; cr2: number },
  sig: PendingSignal, act: SigAction, savedMask: bigint): { frame: number; fpstate: number } | null {
  if ((act.flags & BigInt(SA_RESTORER)) === 0n) return null;
  const place = getSigframe(rt, regs, signals, act);
  if (!place) return null;
  const { frame, fpstate } = place;
  // The kernel writes member by member (unsafe_put_user); untouched bytes keep what was there.
  const old = copyFromUser(rt, frame, FRAME.size);
  if (old === null) return null;
  const dv = new DataView(old.buffer, old.byteOffset, old.byteLength);
  put(dv, SLOT.ucFlags, BigInt(frameUcFlags(regs)));
  put(dv, SLOT.ucLink, 0n);
  // unsafe_save_altstack: the task's own values (SS_AUTODISARM resets them after delivery).
  const a = signals.altstack;
  put(dv, SLOT.ssSp, BigInt(a.sp));
  put(dv, SLOT.ssFlags, BigInt(a.flags));
  put(dv, SLOT.ssSize, BigInt(a.size));
  put(dv, SLOT.pretcode, act.restorer);
  for (const [r, slot] of GPR_SLOTS) put(dv, slot, regs.get(r));
  put(dv, SLOT.trapno, BigInt(thread.trapNr));
  put(dv, SLOT.err, BigInt(thread.errorCode));
  put(dv, SLOT.flags, regs.get('flags'));
  put(dv, SLOT.cs, regs.get('cs'));
  put(dv, SLOT.gs, 0n);
  put(dv, SLOT.fs, 0n);
  put(dv, SLOT.ss, regs.get('ss'));
  put(dv, SLOT.fpstate, BigInt(fpstate));
  put(dv, SLOT.oldmask, savedMask);
  put(dv, SLOT.cr2, BigInt(thread.cr2));
  put(dv, SLOT.sigmask, savedMask);
  const withInfo = (act.flags & BigInt(SA_SIGINFO)) !== 0n;
  if (withInfo) old.set(siginfoBytes(sig), INFO_OFFSET);
  if (!copyToUser(rt, frame, withInfo ? old : old.subarray(0, INFO_OFFSET))) return null;

  regs.set('di', sig.sig);
  regs.set('ax', 0);
  regs.set('si', BigInt(frame + INFO_OFFSET));
  regs.set('dx', BigInt(frame + UC_OFFSET));
  regs.set('ip', act.handler);
  regs.set('sp', BigInt(frame));
  regs.set('cs', USER_CS);
  if (regs.get('ss') !== BigInt(USER_DS)) forceValidSs(rt, regs);
  return place;
}

/** Access-rights bits force_valid_ss looks at (arch/x86/include/asm/desc_defs.h AR_*). */
const AR_TYPE_MASK = 7 << 9;
const AR_TYPE_RWDATA = 1 << 9;
const AR_TYPE_RWDATA_EXPDOWN = 3 << 9;
const AR_S = 1 << 12;
const AR_DPL_MASK = 3 << 13;
const AR_DPL3 = 3 << 13;
const AR_P = 1 << 15;

/**
 * force_valid_ss(regs): keep SS if LAR says it is a present, DPL-3,
 * read/write data segment; otherwise use __USER_DS.
 */
function forceValidSs(rt: NativeRuntime, regs: PtRegs): void {
  const ar = (larAccessRights(rt.cpu, Number(regs.get('ss') & 0xffffn)) ?? 0) & (AR_DPL_MASK | AR_S | AR_P | AR_TYPE_MASK);
  if (ar !== (AR_DPL3 | AR_S | AR_P | AR_TYPE_RWDATA) && ar !== (AR_DPL3 | AR_S | AR_P | AR_TYPE_RWDATA_EXPDOWN)) {
    regs.set('ss', USER_DS);
  }
}

/** The frame as rt_sigreturn reads it: the members it uses, by name. */
export interface SigreturnFrame {
  readonly ucFlags: number;
  readonly sigmask: bigint;
  readonly fpstate: bigint;
  readonly stackAddress: number;
  read(r: (typeof SIGCONTEXT_GPRS)[number]): bigint;
  readonly flags: bigint;
  readonly cs: bigint;
  readonly ss: bigint;
}

/** What rt_sigreturn reads before restore_sigcontext, or null (bad frame). */
export function readSigreturnFrame(rt: NativeRuntime, frame: number): SigreturnFrame | null {
  if (!accessOk(frame, FRAME.size)) return null;
  const bytes = copyFromUser(rt, frame, FRAME.size);
  if (bytes === null) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const gpr = new Map(GPR_SLOTS.map(([r, s]) => [r, take(dv, s)]));
  return {
    ucFlags: Number(take(dv, SLOT.ucFlags) & 0xffff_ffffn),
    sigmask: take(dv, SLOT.sigmask),
    fpstate: take(dv, SLOT.fpstate),
    stackAddress: frame + SLOT.ssSp.offset,
    read: (r) => gpr.get(r)!,
    flags: take(dv, SLOT.flags),
    cs: take(dv, SLOT.cs),
    ss: take(dv, SLOT.ss),
  };
}

/**
 * restore_sigcontext(regs, &frame->uc.uc_mcontext, uc_flags): the
 * registers as the frame has them (no checks: IRET will fault on bad
 * ones), CS and SS with RPL 3, the FIX_EFLAGS bits, orig_ax = -1 (no
 * restart), SS made valid unless UC_STRICT_RESTORE_SS, then the FPU.
 */
export function restoreSigcontext(rt: NativeRuntime, regs: PtRegs, f: SigreturnFrame): boolean {
  for (const r of SIGCONTEXT_GPRS) regs.set(r, f.read(r));
  regs.set('cs', f.cs | 3n);
  regs.set('ss', f.ss | 3n);
  regs.set('flags', (regs.get('flags') & ~FIX_EFLAGS) | (f.flags & FIX_EFLAGS));
  regs.set('orig_ax', U64);
  if ((f.ucFlags & UC_STRICT_RESTORE_SS) === 0 && regs.get('cs') === BigInt(USER_CS)) forceValidSs(rt, regs);
  return fpuRestoreSig(rt, Number(BigInt.asIntN(64, f.fpstate)));
}
