/**
 * Signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending,
 * rt_sigsuspend, sigaltstack, rt_sigreturn, kill, tkill, tgkill — with
 * Linux's errno behaviour for bad numbers, sizes and pids.
 * @kernel kernel/signal.c sys_rt_sigaction, do_sigaction, sys_rt_sigprocmask, sys_rt_sigsuspend, do_sigaltstack, kill_something_info, do_tkill
 * @kernel arch/x86/kernel/signal_64.c sys_rt_sigreturn
 */
import { EFAULT, EINVAL, ENOMEM, EPERM, ERESTARTNOHAND, ESRCH } from '../../abi/errno.js';
import { layoutOf } from '../../abi/layout.js';
import { MINSIGSTKSZ, SIGKILL, SIGSEGV, SI_KERNEL, SI_TKILL, SI_USER, SS_AUTODISARM, SS_ONSTACK } from '../../abi/signal-numbers.js';
import { sigaction, stack_t } from '../../abi/structs/signal.js';
import { StructView } from '../../abi/view.js';
import { BufferStore } from '../../lib/bytes.js';
import { _TIF_SIGPENDING } from '../generic/index.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { forceSigFault, sendSignal, signalsDeliverable } from '../arch/x86/signal.js';
import { onSigStack, readSigreturnFrame, restoreSigcontext, sasSsFlags } from '../arch/x86/signal-frame.js';
import type { MaySleep } from '../generic/index.js';
import { sysPause } from './time.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import { arg, argInt } from './args.js';
import type { LinuxProcess } from './process.js';

const SIGSTOP = 19;
const SA_LAYOUT = layoutOf(sigaction);
/** SIGKILL and SIGSTOP can be neither caught, ignored nor blocked. */
const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));
/**
 * UAPI_SA_FLAGS: the sa_flags bits do_sigaction keeps (unknown ones are
 * cleared so user space can detect them): SA_NOCLDSTOP, SA_NOCLDWAIT,
 * SA_SIGINFO, SA_EXPOSE_TAGBITS, SA_RESTORER, SA_ONSTACK, SA_RESTART,
 * SA_NODEFER, SA_RESETHAND.
 * @kernel include/linux/signal_types.h UAPI_SA_FLAGS
 */
const UAPI_SA_FLAGS = 0x1n | 0x2n | 0x4n | 0x800n | 0x0400_0000n | 0x0800_0000n | 0x1000_0000n | 0x4000_0000n | 0x8000_0000n;
const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SIG_SETMASK = 2;

function validSig(sig: number): boolean {
  return sig >= 1 && sig <= 64;
}

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/** After the mask or the queue changed: TIF_SIGPENDING as recalc_sigpending leaves it. */
function recalc(p: LinuxProcess): void {
  if (signalsDeliverable(p.task)) p.task.entry.flags.set(_TIF_SIGPENDING);
}

/** rt_sigaction(sig, act, oact, sigsetsize) */
export function sysRtSigaction(p: LinuxProcess, regs: PtRegs): number {
  const sig = argInt(regs, 0);
  const act = arg(regs, 1);
  const oact = arg(regs, 2);
  if (arg(regs, 3) !== 8) return -EINVAL;
  if (!validSig(sig)) return -EINVAL;
  const slot = p.task.signals.actions[sig - 1]!;
  let next: typeof slot | null = null;
  if (act !== 0) {
    const bytes = copyFromUser(p.rt, act, SA_LAYOUT.size);
    if (bytes === null) return -EFAULT;
    const v = new StructView(SA_LAYOUT, new BufferStore(bytes), 0);
    if (sig === SIGKILL || sig === SIGSTOP) return -EINVAL;
    next = { handler: v.get('sa_handler'), flags: v.get('sa_flags') & UAPI_SA_FLAGS, restorer: v.get('sa_restorer'), mask: v.get('sa_mask') & ~UNBLOCKABLE };
  }
  if (oact !== 0) {
    const out = new BufferStore(new Uint8Array(SA_LAYOUT.size));
    const v = new StructView(SA_LAYOUT, out, 0);
    v.set('sa_handler', slot.handler);
    v.set('sa_flags', slot.flags & UAPI_SA_FLAGS);
    v.set('sa_restorer', slot.restorer);
    v.set('sa_mask', slot.mask);
    if (!copyToUser(p.rt, oact, out.readBytes(0, SA_LAYOUT.size))) return -EFAULT;
  }
  if (next) {
    Object.assign(slot, next);
    // Setting SIG_IGN (or SIG_DFL of an ignored-by-default signal) discards it from the queue.
    if (next.handler === 1n) p.task.pendingSignals.splice(0, Infinity, ...p.task.pendingSignals.filter((s) => s.sig !== sig));
  }
  return 0;
}

/** rt_sigprocmask(how, set, oset, sigsetsize) */
export function sysRtSigprocmask(p: LinuxProcess, regs: PtRegs): number {
  const how = argInt(regs, 0);
  const set = arg(regs, 1);
  const oset = arg(regs, 2);
  if (arg(regs, 3) !== 8) return -EINVAL;
  const old = p.task.signals.blocked;
  if (set !== 0) {
    const bytes = copyFromUser(p.rt, set, 8);
    if (bytes === null) return -EFAULT;
    const mask = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true) & ~UNBLOCKABLE;
    if (how === SIG_BLOCK) p.task.signals.blocked = old | mask;
    else if (how === SIG_UNBLOCK) p.task.signals.blocked = old & ~mask;
    else if (how === SIG_SETMASK) p.task.signals.blocked = mask;
    else return -EINVAL;
  }
  if (oset !== 0 && !copyToUser(p.rt, oset, u64(old))) return -EFAULT;
  recalc(p);
  return 0;
}

/** rt_sigpending(set, sigsetsize): pending signals that are blocked. */
export function sysRtSigpending(p: LinuxProcess, regs: PtRegs): number {
  if (arg(regs, 1) > 8) return -EINVAL;
  let set = 0n;
  for (const s of p.task.pendingSignals) set |= 1n << BigInt(s.sig - 1);
  return copyToUser(p.rt, arg(regs, 0), u64(set & p.task.signals.blocked)) ? 0 : -EFAULT;
}

/**
 * kill(pid, sig): pid > 0 one process; 0 and -1 and -pgid every process
 * (kentry has one process group, and no permission checks: all run as
 * root), -1 leaving out the caller and pid 1 (kill_something_info). A
 * zombie takes the signal and ignores it. sig 0 only checks.
 */
export function sysKill(p: LinuxProcess, regs: PtRegs): number {
  const pid = argInt(regs, 0);
  const sig = argInt(regs, 1);
  if (sig < 0 || sig > 64) return -EINVAL;
  if (pid === -0x8000_0000) return -ESRCH;
  const all = [...p.world.byPid.values()].filter((q) => !q.reaped);
  const targets = pid > 0 ? all.filter((q) => q.pid === pid)
    : pid === -1 ? all.filter((q) => q !== p && q.pid !== 1)
      : all;
  if (targets.length === 0) return -ESRCH;
  if (sig !== 0) for (const q of targets) signalTask(p, q, sig, SI_USER);
  return 0;
}

/** send_signal from `p` to `q` (SI_USER or SI_TKILL, with the sender's pid). */
function signalTask(p: LinuxProcess, q: LinuxProcess, sig: number, code: number): void {
  sendSignal(q.task, sig, code, p.pid);
}

/** tgkill(tgid, tid, sig) / tkill(tid, sig): one thread — here one single-threaded process. */
export function sysTgkill(p: LinuxProcess, regs: PtRegs, withTgid: boolean): number {
  const tid = argInt(regs, withTgid ? 1 : 0);
  const tgid = withTgid ? argInt(regs, 0) : tid;
  const sig = argInt(regs, withTgid ? 2 : 1);
  if (tid <= 0 || tgid <= 0 || sig < 0 || sig > 64) return -EINVAL;
  const q = p.world.byPid.get(tid);
  if (!q || q.reaped || tgid !== tid) return -ESRCH;
  if (sig !== 0) signalTask(p, q, sig, SI_TKILL);
  return 0;
}

const STACK_T = layoutOf(stack_t);
const SS_FLAG_BITS = SS_AUTODISARM;
const SS_DISABLE = 2;

/**
 * sigaltstack(ss, old_ss) as do_sigaltstack: the old one reports
 * SS_ONSTACK/SS_DISABLE for the current user RSP plus the SS_AUTODISARM
 * bit; a new one cannot be set while on the current one (EPERM), its mode
 * must be 0, SS_ONSTACK or SS_DISABLE (EINVAL), and it must hold
 * MINSIGSTKSZ (ENOMEM).
 */
export function sysSigaltstack(p: LinuxProcess, regs: PtRegs): number {
  return doSigaltstack(p, arg(regs, 0), arg(regs, 1), regs.get('sp'), MINSIGSTKSZ);
}

export function doSigaltstack(p: LinuxProcess, ss: number, oldSs: number, sp: bigint, minSize: number): number {
  const a = p.task.signals.altstack;
  let next: { sp: number; size: number; flags: number } | null = null;
  if (ss !== 0) {
    const bytes = copyFromUser(p.rt, ss, STACK_T.size);
    if (bytes === null) return -EFAULT;
    const v = new StructView(STACK_T, new BufferStore(bytes), 0);
    let ssSp = Number(v.get('ss_sp'));
    let ssSize = Number(v.get('ss_size'));
    const ssFlags = Number(BigInt.asUintN(32, v.get('ss_flags')));
    next = { sp: ssSp, size: ssSize, flags: ssFlags };
    if (onSigStack(a, sp)) return -EPERM;
    const mode = (ssFlags & ~SS_FLAG_BITS) >>> 0;
    if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return -EINVAL;
    if (mode === SS_DISABLE) {
      ssSize = 0;
      ssSp = 0;
    } else if (ssSize < minSize) {
      return -ENOMEM;
    }
    next = { sp: ssSp, size: ssSize, flags: ssFlags };
  }
  if (oldSs !== 0) {
    const out = StructView.zeroed(STACK_T);
    out.set('ss_sp', BigInt(a.sp));
    out.set('ss_size', BigInt(a.size));
    out.set('ss_flags', (sasSsFlags(a, sp) | (a.flags & SS_FLAG_BITS)) | 0);
    if (!copyToUser(p.rt, oldSs, out.bytes())) return -EFAULT;
  }
  if (next) Object.assign(a, next);
  return 0;
}

/**
 * rt_sigsuspend(mask, sigsetsize): the mask is replaced until a signal
 * comes (the old one is saved: TIF_RESTORE_SIGMASK, so the handler's frame
 * holds it and sigreturn puts it back), then -ERESTARTNOHAND — EINTR for
 * the caller once a handler has run.
 */
export function* sysRtSigsuspend(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  if (arg(regs, 1) !== 8) return -EINVAL;
  const bytes = copyFromUser(p.rt, arg(regs, 0), 8);
  if (bytes === null) return -EFAULT;
  const mask = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true) & ~UNBLOCKABLE;
  p.task.signals.savedMask = p.task.signals.blocked;
  p.task.signals.blocked = mask;
  // while (!signal_pending(current)) schedule(): pause's wait (the alarm comes at once, else for ever).
  if (!signalsDeliverable(p.task)) yield* sysPause(p);
  recalc(p);
  return -ERESTARTNOHAND;
}

/**
 * rt_sigreturn(): the frame sits at regs->sp - 8 (the handler's RET popped
 * pretcode); its sigmask, registers, FPU state and alternate stack come
 * back. Anything unreadable or invalid is a bad frame: SIGSEGV. The return
 * value is the restored RAX, so do_syscall_64 leaves it in place.
 */
export function sysRtSigreturn(p: LinuxProcess, regs: PtRegs): bigint | number {
  const frame = Number(BigInt.asIntN(64, regs.get('sp') - 8n));
  const v = readSigreturnFrame(p.rt, frame);
  if (v === null) return badFrame(p, regs);
  p.task.signals.blocked = v.sigmask & ~UNBLOCKABLE;
  recalc(p);
  p.restartBlock = null; // restart_block.fn = do_no_restart_syscall
  if (!restoreSigcontext(p.rt, regs, v)) return badFrame(p, regs);
  // restore_altstack, checked against the restored RSP: only a fault reading it matters.
  if (doSigaltstack(p, v.stackAddress, 0, regs.get('sp'), MINSIGSTKSZ) === -EFAULT) return badFrame(p, regs);
  return regs.get('ax');
}

/** signal_fault(regs, frame, "rt_sigreturn"): force_sig(SIGSEGV); the return value does not matter. */
function badFrame(p: LinuxProcess, _regs: PtRegs): number {
  forceSigFault(p.task, SIGSEGV, SI_KERNEL, 0);
  return 0;
}
