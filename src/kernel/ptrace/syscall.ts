/**
 * sys_ptrace(request, pid, addr, data): TRACEME, ATTACH and SEIZE make
 * the link; every other request needs the tracee traced by the caller and
 * stopped (ptrace_check_attach; KILL only traced), then it is a resume
 * (CONT, SYSCALL, SINGLESTEP, DETACH), KILL, SETOPTIONS, GETEVENTMSG, or a
 * data request (request.ts: memory, registers through the regsets,
 * siginfo). PTRACE_O_* options other than TRACESYSGOOD and EXITKILL are
 * accepted and kept but their events (fork, exec, exit, seccomp stops) are
 * not reported; INTERRUPT, LISTEN and SYSEMU are -EIO here.
 *
 * @kernel kernel/ptrace.c sys_ptrace, ptrace_traceme, ptrace_attach, ptrace_check_attach, ptrace_request, ptrace_resume, ptrace_detach
 */
import { EFAULT, EINVAL, EIO, EPERM, ESRCH } from '../../abi/errno.js';
import {
  PTRACE_ATTACH, PTRACE_CONT, PTRACE_DETACH, PTRACE_GETEVENTMSG, PTRACE_KILL, PTRACE_SEIZE, PTRACE_SETOPTIONS,
  PTRACE_SINGLESTEP, PTRACE_SYSCALL, PTRACE_TRACEME,
} from '../../abi/ptrace.js';
import { SIGKILL, SI_KERNEL, SI_USER } from '../../abi/signal-numbers.js';
import { regsetTarget } from '../arch/x86/regset-thread.js';
import { PtRegs } from '../arch/x86/regs.js';
import { sendSignal } from '../arch/x86/signal.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import type { Kernel } from '../boot.js';
import type { LinuxProcess } from '../syscalls/process.js';
import { ptraceDataRequest, type PtraceTracee, type TracerMemory } from './request.js';
import { PTRACE_O_MASK, links, ptraceLink, ptraceResume, ptraceUnlink } from './stops.js';

const SIGSTOP = 19;
/** valid_signal: 0..64. */
const validSignal = (data: bigint): boolean => data >= 0n && data <= 64n;

/** The tracee's pt_regs (task_pt_regs): at the top of its kernel stack. */
export function traceeRegs(k: Kernel, p: LinuxProcess): PtRegs {
  const ptRegs = k.platform.design.ptRegs;
  return new PtRegs(k.platform.native, ptRegs, p.task.stackTop - ptRegs.size);
}

function tracerMemory(p: LinuxProcess): TracerMemory {
  return {
    read: (addr, len) => copyFromUser(p.rt, addr, len),
    write: (addr, bytes) => copyToUser(p.rt, addr, bytes),
  };
}

function tracee(k: Kernel, p: LinuxProcess): PtraceTracee {
  return {
    regs: regsetTarget(k.platform, p.task, false),
    // access_process_vm: through the tracee's own tables, whatever its pages' rights or the tracer's PKRU.
    readMemory: (addr, len) => p.mm.accessForce(addr, len, null),
    writeMemory: (addr, bytes) => p.mm.accessForce(addr, bytes.length, bytes) !== null,
    get siginfo() {
      return links.get(p)?.siginfo ?? null;
    },
  };
}

export function sysPtrace(k: Kernel, tracer: LinuxProcess, request: number, pid: number, addr: bigint, data: bigint): bigint {
  if (request === PTRACE_TRACEME) {
    // ptrace_traceme: once only, and only with a parent to trace it.
    if (links.has(tracer) || !tracer.parent) return BigInt(-EPERM);
    ptraceLink(tracer, tracer.parent, false, 0);
    return 0n;
  }
  const child = tracer.world.byPid.get(pid);
  if (!child || child.reaped) return BigInt(-ESRCH);
  if (request === PTRACE_ATTACH || request === PTRACE_SEIZE) {
    if (child === tracer || links.has(child) || child.task.state === 'dead') return BigInt(-EPERM);
    if (request === PTRACE_SEIZE) {
      if (addr !== 0n) return BigInt(-EIO);
      if ((data & ~BigInt(PTRACE_O_MASK)) !== 0n) return BigInt(-EINVAL);
    }
    ptraceLink(child, tracer, request === PTRACE_SEIZE, request === PTRACE_SEIZE ? Number(data) : 0);
    if (request === PTRACE_ATTACH) sendSignal(child.task, SIGSTOP, SI_KERNEL); // send_sig_info(SIGSTOP, SEND_SIG_PRIV)
    return 0n;
  }
  const link = links.get(child);
  // ptrace_check_attach: traced by the caller, and stopped for it (KILL: traced is enough).
  if (!link || link.tracer !== tracer) return BigInt(-ESRCH);
  if (request === PTRACE_KILL) {
    sendSignal(child.task, SIGKILL, SI_USER, tracer.pid);
    return 0n;
  }
  if (!link.stopped || child.task.state === 'dead') return BigInt(-ESRCH);
  const regs = traceeRegs(k, child);
  switch (request) {
    case PTRACE_CONT:
    case PTRACE_SYSCALL:
    case PTRACE_SINGLESTEP:
      if (!validSignal(data)) return BigInt(-EIO);
      ptraceResume(child, link, regs, request === PTRACE_CONT ? 'cont' : request === PTRACE_SYSCALL ? 'syscall' : 'step', Number(data));
      return 0n;
    case PTRACE_DETACH:
      if (!validSignal(data)) return BigInt(-EIO);
      link.resumeSignal = Number(data);
      ptraceUnlink(child, regs);
      return 0n;
    case PTRACE_SETOPTIONS:
      if ((data & ~BigInt(PTRACE_O_MASK)) !== 0n) return BigInt(-EINVAL);
      link.options = Number(data);
      return 0n;
    case PTRACE_GETEVENTMSG: {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, link.eventMsg, true);
      return copyToUser(tracer.rt, Number(BigInt.asUintN(47, data)), b) ? 0n : BigInt(-EFAULT);
    }
  }
  return ptraceDataRequest(request, tracee(k, child), addr, data, tracerMemory(tracer)) ?? BigInt(-EIO);
}
