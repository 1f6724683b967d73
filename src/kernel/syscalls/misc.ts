/**
 * The rest of what static glibc and musl start-up call: arch_prctl for the
 * TLS base, set_tid_address, set_robust_list, rseq (ENOSYS is allowed),
 * prlimit64, uname, getrandom, the id calls, and clock_gettime on the
 * virtual clock (time = retired instructions).
 * @kernel arch/x86/kernel/process_64.c do_arch_prctl_64; kernel/fork.c set_tid_address; kernel/sys.c newuname, prlimit64; drivers/char/random.c getrandom
 */
import { EFAULT, EINVAL, ENOSYS } from '../../abi/errno.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { copyToUser } from '../arch/x86/uaccess.js';
import { TASK_SIZE_MAX } from '../arch/x86/memory-map.js';
import type { Cpu } from '../../cpu/exec.js';
import { arg, argInt } from './args.js';
import type { LinuxProcess } from './process.js';

const ARCH_SET_GS = 0x1001;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const ARCH_GET_GS = 0x1004;
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
const RLIMIT_STACK = 3;
const RLIMIT_NOFILE = 7;

function u64s(...v: bigint[]): Uint8Array {
  const b = new Uint8Array(v.length * 8);
  const dv = new DataView(b.buffer);
  v.forEach((x, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, x), true));
  return b;
}

/** arch_prctl(code, addr): FS/GS base of the task (the user GS base sits in KERNEL_GS_BASE while in the kernel). */
export function sysArchPrctl(p: LinuxProcess, cpu: Cpu, regs: PtRegs): number {
  const code = argInt(regs, 0);
  const addr = arg(regs, 1);
  switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
      if (addr < 0 || addr >= TASK_SIZE_MAX) return -1; // EPERM: not a user address
      if (code === ARCH_SET_FS) cpu.fsBase = addr;
      else cpu.kernelGsBase = addr;
      return 0;
    case ARCH_GET_FS:
      return copyToUser(p.rt, addr, u64s(BigInt(cpu.fsBase))) ? 0 : -EFAULT;
    case ARCH_GET_GS:
      return copyToUser(p.rt, addr, u64s(BigInt(cpu.kernelGsBase))) ? 0 : -EFAULT;
    default:
      return -EINVAL;
  }
}

/** set_tid_address(tidptr): remembers clear_child_tid; returns the tid. */
export function sysSetTidAddress(p: LinuxProcess, regs: PtRegs): number {
  p.clearChildTid = arg(regs, 0);
  return p.pid;
}

/** set_robust_list(head, len): len must be sizeof(struct robust_list_head) = 24. */
export function sysSetRobustList(p: LinuxProcess, regs: PtRegs): number {
  if (arg(regs, 1) !== 24) return -EINVAL;
  p.robustList = { head: arg(regs, 0), len: 24 };
  return 0;
}

/** rseq: not modelled; libc falls back (ENOSYS is what a kernel without CONFIG_RSEQ returns). */
export function sysRseq(): number {
  return -ENOSYS;
}

/** prlimit64(pid, resource, new, old): reads only; RLIMIT_STACK 8 MiB soft, RLIMIT_NOFILE 1024/4096, others unlimited. */
export function sysPrlimit64(p: LinuxProcess, regs: PtRegs): number {
  const pid = argInt(regs, 0);
  const resource = argInt(regs, 1);
  if (pid !== 0 && pid !== p.pid) return -3; // ESRCH
  if (resource < 0 || resource >= 16) return -EINVAL;
  const old = arg(regs, 3);
  if (old === 0) return 0;
  const lim =
    resource === RLIMIT_STACK ? [8n * 1024n * 1024n, RLIM_INFINITY] : resource === RLIMIT_NOFILE ? [1024n, 4096n] : [RLIM_INFINITY, RLIM_INFINITY];
  return copyToUser(p.rt, old, u64s(lim[0]!, lim[1]!)) ? 0 : -EFAULT;
}

/** uname(buf): struct new_utsname, six 65-byte fields. */
export function sysUname(p: LinuxProcess, regs: PtRegs): number {
  const fields = ['Linux', 'kentry', '6.12.0-kentry', '#1 SMP PREEMPT kentry model', 'x86_64', '(none)'];
  const buf = new Uint8Array(65 * 6);
  const enc = new TextEncoder();
  fields.forEach((f, i) => buf.set(enc.encode(f).subarray(0, 64), i * 65));
  return copyToUser(p.rt, arg(regs, 0), buf) ? 0 : -EFAULT;
}

/** getrandom(buf, count, flags): from the process's deterministic source. */
export function sysGetrandom(p: LinuxProcess, regs: PtRegs): number {
  const count = Math.min(arg(regs, 1), 33_554_431);
  const flags = argInt(regs, 2);
  if (count < 0 || flags & ~0x7) return -EINVAL;
  return copyToUser(p.rt, arg(regs, 0), p.random(count)) ? count : -EFAULT;
}
