/**
 * The rest of what static glibc and musl start-up call: arch_prctl for the
 * TLS base, set_tid_address, set_robust_list, rseq (ENOSYS is allowed),
 * prlimit64/getrlimit, sched_yield, uname, getrandom, the id calls, and clock_gettime on the
 * virtual clock (time = retired instructions).
 * @kernel arch/x86/kernel/process_64.c do_arch_prctl_64; kernel/fork.c set_tid_address; kernel/sys.c newuname, prlimit64, getrlimit, do_prlimit; kernel/sched/syscalls.c do_sched_yield; drivers/char/random.c getrandom
 */
import { EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } from '../../abi/errno.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import type { MaySleep } from '../generic/index.js';
import { TASK_SIZE_MAX } from '../arch/x86/memory-map.js';
import type { Cpu } from '../../cpu/exec.js';
import { arg, argInt, argU64 } from './args.js';
import type { LinuxProcess } from './process.js';

const ARCH_SET_GS = 0x1001;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const ARCH_GET_GS = 0x1004;
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
const RLIMIT_STACK = 3;
const RLIMIT_NOFILE = 7;
/** RLIMIT_CORE starts at 0 (INIT_RLIMITS): no core file until the program raises it. */
const RLIMIT_CORE = 4;

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

/** RLIM_NLIMITS */
const RLIM_NLIMITS = 16;
/** sysctl_nr_open: RLIMIT_NOFILE's hard limit may not exceed it. */
const NR_OPEN = 1024n * 1024n;

/** The task's limit of `resource` (kentry's defaults until prlimit64 sets one): RLIMIT_STACK 8 MiB soft, RLIMIT_NOFILE 1024/4096, RLIMIT_CORE 0 soft, others unlimited. */
function rlimit(p: LinuxProcess, resource: number): readonly [bigint, bigint] {
  const set = p.rlimits?.get(resource);
  if (set) return set;
  if (resource === RLIMIT_STACK) return [8n * 1024n * 1024n, RLIM_INFINITY];
  if (resource === RLIMIT_NOFILE) return [1024n, 4096n];
  if (resource === RLIMIT_CORE) return [0n, RLIM_INFINITY];
  return [RLIM_INFINITY, RLIM_INFINITY];
}

/**
 * do_prlimit: EINVAL for an unknown resource or soft > hard, EPERM for a
 * NOFILE hard limit above nr_open; the process runs as root
 * (CAP_SYS_RESOURCE), so raising a hard limit is allowed.
 */
function doPrlimit(p: LinuxProcess, resource: number, next: readonly [bigint, bigint] | null): readonly [bigint, bigint] | number {
  if (resource < 0 || resource >= RLIM_NLIMITS) return -EINVAL;
  if (next) {
    if (next[0] > next[1]) return -EINVAL;
    if (resource === RLIMIT_NOFILE && next[1] > NR_OPEN) return -EPERM;
  }
  const old = rlimit(p, resource);
  if (next) (p.rlimits ??= new Map()).set(resource, next);
  return old;
}

/** prlimit64(pid, unsigned resource, new, old): reads `new` first (EFAULT), then the pid (ESRCH), then do_prlimit. */
export function sysPrlimit64(p: LinuxProcess, regs: PtRegs): number {
  const pid = argInt(regs, 0);
  const resource = Number(BigInt.asUintN(32, argU64(regs, 1)));
  const newAddr = arg(regs, 2);
  let next: [bigint, bigint] | null = null;
  if (newAddr !== 0) {
    const b = copyFromUser(p.rt, newAddr, 16);
    if (b === null) return -EFAULT;
    const dv = new DataView(b.buffer, b.byteOffset, 16);
    next = [dv.getBigUint64(0, true), dv.getBigUint64(8, true)];
  }
  if (pid !== 0 && pid !== p.pid) return -ESRCH;
  const old = doPrlimit(p, resource, next);
  if (typeof old === 'number') return old;
  const oldAddr = arg(regs, 3);
  if (oldAddr === 0) return 0;
  return copyToUser(p.rt, oldAddr, u64s(old[0], old[1])) ? 0 : -EFAULT;
}

/** getrlimit(unsigned resource, rlim): the same limits as prlimit64 reports (struct rlimit is two unsigned longs). */
export function sysGetrlimit(p: LinuxProcess, regs: PtRegs): number {
  const resource = Number(BigInt.asUintN(32, argU64(regs, 0)));
  const old = doPrlimit(p, resource, null);
  if (typeof old === 'number') return old;
  return copyToUser(p.rt, arg(regs, 1), u64s(old[0], old[1])) ? 0 : -EFAULT;
}

/** sched_yield(): do_sched_yield → schedule(); always 0. */
export function* sysSchedYield(p: LinuxProcess): MaySleep<number> {
  if (p.schedYield) yield* p.schedYield();
  return 0;
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
