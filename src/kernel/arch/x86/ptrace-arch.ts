/**
 * arch_ptrace for x86-64: the requests the architecture answers itself on a
 * stopped tracee — the USER area (PEEKUSR/POKEUSR), the register blocks
 * (GETREGS/SETREGS/GETFPREGS/SETFPREGS through user_x86_64_view) and
 * PTRACE_ARCH_PRCTL — before everything else goes to ptrace_request.
 *
 * USER area offsets (struct user, src/abi/structs/user.ts), both requests:
 *   -EIO     when the offset is not 8-aligned or not below sizeof(struct user)
 *   0..215   getreg / putreg (regset.ts: pt_regs by offset, the §5.2 checks)
 *   848..904 u_debugreg[0..7]: ptrace_get_debugreg / ptrace_set_debugreg
 *   else     PEEKUSR reads 0; POKEUSR refuses with -EIO
 * PEEKUSR stores the word at `data` with put_user (-EFAULT) and returns 0.
 *
 * PTRACE_ARCH_PRCTL is do_arch_prctl_64(child, option = data, arg2 = addr):
 * ARCH_SET_FS/GS store the base in the thread and zero its selector (-EPERM
 * at or above TASK_SIZE_MAX); ARCH_GET_FS/GS put_user the base at addr.
 * The other codes do_arch_prctl_64 knows (vDSO mapping, LAM, shadow stack)
 * are not modelled and get -EINVAL, as from a kernel built without them.
 *
 * @kernel arch/x86/kernel/ptrace.c arch_ptrace
 * @kernel arch/x86/kernel/process_64.c do_arch_prctl_64
 */
import { EFAULT, EINVAL, EIO, EPERM } from '../../../abi/errno.js';
import { layoutOf } from '../../../abi/layout.js';
import {
  ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS, PTRACE_ARCH_PRCTL, PTRACE_GETFPREGS, PTRACE_GETREGS,
  PTRACE_PEEKUSR, PTRACE_POKEUSR, PTRACE_SETFPREGS, PTRACE_SETREGS,
} from '../../../abi/ptrace.js';
import { userI387Struct, userStruct } from '../../../abi/structs/user.js';
import { field } from '../../../abi/view.js';
import { InternalError } from '../../../lib/errors.js';
import { TASK_SIZE_MAX } from './memory-map.js';
import { ptraceGetDebugreg, ptraceSetDebugreg } from './ptrace-debugreg.js';
import { putUserLong, type TracerMemory } from './ptrace-tracer.js';
import { USER_REGS_SIZE, getreg, putreg } from './regset.js';
import { REGSET_FP, REGSET_GENERAL, copyRegsetFromUser, copyRegsetToUser } from './regset-view.js';
import { basesWriteTask, fsbaseReadTask, gsbaseReadTask, setThreadSelector, type RegsetTarget } from './regset-thread.js';

const USER = layoutOf(userStruct);
/** sizeof(struct user): the bound of USER-area offsets (the kernel's 928, not glibc's 912). */
export const USER_SIZE = USER.size;
/** offsetof(struct user, u_debugreg[0]) and [7]. */
export const U_DEBUGREG_0 = field(USER, 'u_debugreg').offset;
export const U_DEBUGREG_7 = U_DEBUGREG_0 + 7 * 8;
/** sizeof(struct user_i387_struct): what GETFPREGS/SETFPREGS move. */
const USER_I387_SIZE = layoutOf(userI387Struct).size;

/** An offset arch_ptrace accepts for the USER area: 8-aligned and below sizeof(struct user); else null (-EIO). */
function userAreaOffset(addr: bigint): number | null {
  const a = BigInt.asUintN(64, addr);
  if ((a & 7n) !== 0n || a >= BigInt(USER_SIZE)) return null;
  return Number(a);
}

/** PTRACE_PEEKUSR: the word at `offset` of the USER area. */
function peekUser(t: RegsetTarget, offset: number): bigint {
  if (offset < USER_REGS_SIZE) return getreg(t, offset);
  if (offset >= U_DEBUGREG_0 && offset <= U_DEBUGREG_7) return ptraceGetDebugreg(t.task, (offset - U_DEBUGREG_0) / 8);
  return 0n;
}

/** PTRACE_POKEUSR: 0 or a negative errno. */
function pokeUser(t: RegsetTarget, offset: number, value: bigint): number {
  if (offset < USER_REGS_SIZE) return putreg(t, offset, value);
  if (offset >= U_DEBUGREG_0 && offset <= U_DEBUGREG_7) return ptraceSetDebugreg(t.task, (offset - U_DEBUGREG_0) / 8, value);
  return -EIO;
}

/** do_arch_prctl_64(task, option, arg2) for a task that is not running. */
export function doArchPrctl64(t: RegsetTarget, option: number, arg2: bigint, tracer: TracerMemory): number {
  if (t.current) throw new InternalError('PTRACE_ARCH_PRCTL on the running task (ptrace targets stopped tasks only)');
  const v = BigInt.asUintN(64, arg2);
  switch (option) {
    case ARCH_SET_FS:
    case ARCH_SET_GS: {
      if (v >= BigInt(TASK_SIZE_MAX)) return -EPERM;
      // The selector is zeroed with the base: the only index that makes sense without FSGSBASE.
      setThreadSelector(t, option === ARCH_SET_FS ? 'fs' : 'gs', 0);
      basesWriteTask(t, option === ARCH_SET_FS ? 'fsbase' : 'gsbase', v);
      return 0;
    }
    case ARCH_GET_FS:
      return putUserLong(tracer, v, fsbaseReadTask(t)) ? 0 : -EFAULT;
    case ARCH_GET_GS:
      return putUserLong(tracer, v, gsbaseReadTask(t)) ? 0 : -EFAULT;
    default:
      return -EINVAL;
  }
}

/**
 * arch_ptrace(child, request, addr, data) for the requests x86 handles
 * itself: the syscall's return value (0 or a negative errno), or null for
 * a request that goes on to ptrace_request.
 */
export function archPtrace(request: number, t: RegsetTarget, addr: bigint, data: bigint, tracer: TracerMemory): bigint | null {
  switch (request) {
    case PTRACE_PEEKUSR: {
      const offset = userAreaOffset(addr);
      if (offset === null) return BigInt(-EIO);
      return putUserLong(tracer, data, peekUser(t, offset)) ? 0n : BigInt(-EFAULT);
    }
    case PTRACE_POKEUSR: {
      const offset = userAreaOffset(addr);
      return BigInt(offset === null ? -EIO : pokeUser(t, offset, data));
    }
    case PTRACE_GETREGS:
      return BigInt(copyRegsetToUser(t, REGSET_GENERAL, USER_REGS_SIZE, tracer, data));
    case PTRACE_SETREGS:
      return BigInt(copyRegsetFromUser(t, REGSET_GENERAL, USER_REGS_SIZE, tracer, data));
    case PTRACE_GETFPREGS:
      return BigInt(copyRegsetToUser(t, REGSET_FP, USER_I387_SIZE, tracer, data));
    case PTRACE_SETFPREGS:
      return BigInt(copyRegsetFromUser(t, REGSET_FP, USER_I387_SIZE, tracer, data));
    case PTRACE_ARCH_PRCTL:
      return BigInt(doArchPrctl64(t, Number(BigInt.asIntN(32, data)), addr, tracer));
    default:
      return null;
  }
}
