/**
 * The user-ABI structs every design shares. pt_regs is here in its upstream
 * form; designs derive their own variant (see src/design).
 */
import type { RecordType } from '../ctype.js';
import { fpstate64, fpxSwBytes, xstateHeader } from './fpu.js';
import { ptRegs } from './pt-regs.js';
import { rtSigframe, sigaction, sigcontext, siginfo, stack_t, ucontext } from './signal.js';
import { userRegsStruct } from './user-regs.js';
import { elfPrpsinfo, elfPrstatus } from './elfcore.js';

export { PT_REGS_MEMBERS, ptRegs } from './pt-regs.js';
export { userRegsStruct } from './user-regs.js';
export { inactiveTaskFrame, taskStruct, threadStruct } from './sched.js';
export { fpstate64, fpxSwBytes, xstateHeader } from './fpu.js';
export { rtSigframe, sigaction, sigcontext, siginfo, sigset_t, stack_t, ucontext } from './signal.js';

/** ABI structs independent of the design, in the order listings show them. */
export const ABI_STRUCTS: readonly RecordType[] = [
  ptRegs,
  userRegsStruct,
  sigcontext,
  ucontext,
  siginfo,
  rtSigframe,
  stack_t,
  sigaction,
  fpstate64,
  fpxSwBytes,
  xstateHeader,
  elfPrstatus,
  elfPrpsinfo,
];
