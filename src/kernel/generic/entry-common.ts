/**
 * The generic entry API, as kernel/entry/common.c and its headers export it.
 * The arch layer calls only these (plus the types in index.ts).
 */
export { irqentryEnter, irqentryExit, irqentryExitCondResched, rawIrqentryExitCondResched } from './irqentry.js';
export { irqentryNmiEnter, irqentryNmiExit } from './nmi.js';
export {
  syscallEnterFromUserMode, syscallEnterFromUserModeWork, syscallExitToUserMode,
  syscallExitToUserModePrepare, syscallExitToUserModeWork,
} from './syscall.js';
export {
  EXIT_LOOP_LIMIT, enterFromUserMode, exitToUserMode, exitToUserModeLoop, exitToUserModePrepare,
  irqentryEnterFromUserMode, irqentryExitToUserMode,
} from './user-mode.js';
