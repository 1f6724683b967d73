/**
 * sys_call_table entries for a Linux process (reference §7 numbers). Calls
 * not listed return -ENOSYS from do_syscall_64.
 */
import type { Cpu } from '../../cpu/exec.js';
import type { SyscallFn } from '../arch/x86/syscall64.js';
import {
  sysClose, sysFstat, sysIoctl, sysLseek, sysNewfstatat, sysOpen, sysOpenat, sysRead, sysReadlink, sysReadlinkat, sysReadv,
  sysWrite, sysWritev,
} from './fs.js';
import { sysClone, sysClone3, sysExecve, sysFork, sysVfork } from './fork.js';
import { sysFutex } from './futex.js';
import { sysModifyLdt } from './ldt.js';
import {
  sysArchPrctl, sysGetrandom, sysGetrlimit, sysPrlimit64, sysRseq, sysSchedYield, sysSetRobustList, sysSetTidAddress, sysUname,
} from './misc.js';
import { sysBrk, sysMadvise, sysMmap, sysMprotect, sysMunmap, sysPkeyMprotect } from './mm.js';
import { sysMremap } from './mremap.js';
import { sysPkeyAlloc, sysPkeyFree } from './pkeys.js';
import { sysPipe, sysPipe2, sysVmsplice } from './pipe.js';
import type { LinuxProcess } from './process.js';
import { argInt } from './args.js';
import { sysWait4, sysWaitid } from './wait.js';
import {
  sysClockGettime, sysClockNanosleep, sysGettimeofday, sysNanosleep, sysPause, sysRestartSyscall, sysTime,
} from './time.js';
import { sysAlarm, sysGetitimer, sysSetitimer } from './timers.js';
import {
  sysKill, sysRtSigaction, sysRtSigpending, sysRtSigprocmask, sysRtSigreturn, sysRtSigsuspend, sysSigaltstack, sysTgkill,
} from './signal.js';

export function linuxSyscalls(p: LinuxProcess, cpu: Cpu): [number, SyscallFn][] {
  const ids = (v: number): SyscallFn => () => v;
  return [
    [0, (r) => sysRead(p, r)],
    [1, (r) => sysWrite(p, r)],
    [2, (r) => sysOpen(p, r)],
    [3, (r) => sysClose(p, r)],
    [5, (r) => sysFstat(p, r)],
    [8, (r) => sysLseek(p, r)],
    [9, (r) => sysMmap(p, r)],
    [10, (r) => sysMprotect(p, r)],
    [11, (r) => sysMunmap(p, r)],
    [12, (r) => sysBrk(p, r)],
    [13, (r) => sysRtSigaction(p, r)],
    [14, (r) => sysRtSigprocmask(p, r)],
    [15, (r) => sysRtSigreturn(p, r)],
    [16, (r) => sysIoctl(p, r)],
    [19, (r) => sysReadv(p, r)],
    [20, (r) => sysWritev(p, r)],
    [22, (r) => sysPipe(p, r)],
    [24, () => sysSchedYield(p)],
    [25, (r) => sysMremap(p, r)],
    [28, (r) => sysMadvise(p, r)],
    [34, () => sysPause(p)],
    [35, (r) => sysNanosleep(p, r)],
    [36, (r) => sysGetitimer(p, r)],
    [37, (r) => sysAlarm(p, r)],
    [38, (r) => sysSetitimer(p, r)],
    [39, ids(p.pid)], // getpid
    [56, (r) => sysClone(p, r)],
    [57, (r) => sysFork(p, r)],
    [58, (r) => sysVfork(p, r)],
    [59, (r) => sysExecve(p, r)],
    [61, (r) => sysWait4(p, r)],
    [62, (r) => sysKill(p, r)],
    [101, (r) => p.world.ptrace(p, argInt(r, 0), argInt(r, 1), r.get('dx'), r.get('r10'))],
    [247, (r) => sysWaitid(p, r)],
    [435, (r) => sysClone3(p, r)],
    [63, (r) => sysUname(p, r)],
    [89, (r) => sysReadlink(p, r)],
    [96, (r) => sysGettimeofday(p, r)],
    [97, (r) => sysGetrlimit(p, r)],
    [102, ids(0)], [104, ids(0)], [107, ids(0)], [108, ids(0)], // getuid getgid geteuid getegid
    [110, () => p.parent?.pid ?? 0], // getppid: the first process's parent is kentry's caller (0)
    [154, (r) => sysModifyLdt(p, r)],
    [158, (r) => sysArchPrctl(p, cpu, r)],
    [127, (r) => sysRtSigpending(p, r)],
    [130, (r) => sysRtSigsuspend(p, r)],
    [131, (r) => sysSigaltstack(p, r)],
    [186, ids(p.pid)], // gettid
    [200, (r) => sysTgkill(p, r, false)],
    [201, (r) => sysTime(p, r)],
    [202, (r) => sysFutex(p, r)],
    [218, (r) => sysSetTidAddress(p, r)],
    [219, () => sysRestartSyscall(p)],
    [228, (r) => sysClockGettime(p, r)],
    [230, (r) => sysClockNanosleep(p, r)],
    [234, (r) => sysTgkill(p, r, true)],
    [257, (r) => sysOpenat(p, r)],
    [262, (r) => sysNewfstatat(p, r)],
    [267, (r) => sysReadlinkat(p, r)],
    [273, (r) => sysSetRobustList(p, r)],
    [278, (r) => sysVmsplice(p, r)],
    [293, (r) => sysPipe2(p, r)],
    [302, (r) => sysPrlimit64(p, r)],
    [318, (r) => sysGetrandom(p, r)],
    [329, (r) => sysPkeyMprotect(p, r)],
    [330, (r) => sysPkeyAlloc(p, r)],
    [331, (r) => sysPkeyFree(p, r)],
    [334, () => sysRseq()],
  ];
}
