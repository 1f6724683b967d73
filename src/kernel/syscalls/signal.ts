/**
 * Signal system calls without handlers yet: rt_sigaction (SIG_DFL and
 * SIG_IGN take effect; a handler is stored, and its delivery reports that
 * frames are not modelled), rt_sigprocmask, rt_sigpending, kill, tkill,
 * tgkill — with Linux's errno behaviour for bad numbers, sizes and pids.
 * @kernel kernel/signal.c sys_rt_sigaction, do_sigaction, sys_rt_sigprocmask, kill_something_info, do_tkill
 */
import { EFAULT, EINVAL, ESRCH } from '../../abi/errno.js';
import { layoutOf } from '../../abi/layout.js';
import { SIGKILL } from '../../abi/signal-numbers.js';
import { sigaction } from '../../abi/structs/signal.js';
import { StructView } from '../../abi/view.js';
import { BufferStore } from '../../lib/bytes.js';
import { _TIF_SIGPENDING } from '../generic/index.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { sendSignal, signalsDeliverable } from '../arch/x86/signal.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import { arg, argInt } from './args.js';
import type { LinuxProcess } from './process.js';

const SIGSTOP = 19;
const SA_LAYOUT = layoutOf(sigaction);
/** SIGKILL and SIGSTOP can be neither caught, ignored nor blocked. */
const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));
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
    next = { handler: v.get('sa_handler'), flags: v.get('sa_flags'), restorer: v.get('sa_restorer'), mask: v.get('sa_mask') & ~UNBLOCKABLE };
  }
  if (oact !== 0) {
    const out = new BufferStore(new Uint8Array(SA_LAYOUT.size));
    const v = new StructView(SA_LAYOUT, out, 0);
    v.set('sa_handler', slot.handler);
    v.set('sa_flags', slot.flags);
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

/** kill(pid, sig): this process only (pid, 0 or -1 reach it; others do not exist). sig 0 checks. */
export function sysKill(p: LinuxProcess, regs: PtRegs): number {
  const pid = argInt(regs, 0);
  const sig = argInt(regs, 1);
  if (sig < 0 || sig > 64) return -EINVAL;
  if (pid !== p.pid && pid !== 0 && pid !== -1 && pid !== -p.pid) return -ESRCH;
  if (sig !== 0) sendSignal(p.task, sig, 0 /* SI_USER */);
  return 0;
}

/** tgkill(tgid, tid, sig) / tkill(tid, sig) */
export function sysTgkill(p: LinuxProcess, regs: PtRegs, withTgid: boolean): number {
  const tgid = withTgid ? argInt(regs, 0) : p.pid;
  const tid = argInt(regs, withTgid ? 1 : 0);
  const sig = argInt(regs, withTgid ? 2 : 1);
  if (tid <= 0 || tgid <= 0 || sig < 0 || sig > 64) return -EINVAL;
  if (tid !== p.pid || tgid !== p.pid) return -ESRCH;
  if (sig !== 0) sendSignal(p.task, sig, -6 /* SI_TKILL */);
  return 0;
}
