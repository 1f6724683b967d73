/** Public surface of the generic entry layer (what kernel/arch and boot.ts import). */
export * from './entry-common.js';
export { DEFAULT_ARCH_HOOKS, type ArchEntryHooks } from './arch-hooks.js';
export {
  DEFAULT_ENTRY_SERVICES, createEntryDeps, createSoftIrqControl,
  type EntryDeps, type EntryDepsInit, type EntryServices, type IrqControl,
} from './deps.js';
export { ContextTracking, type CtState } from './context-tracking.js';
export { Lockdep } from './lockdep.js';
export * from './preempt.js';
export { checkEntryCpu, createEntryCpu, type EntryCpu, type EntryCpuInit } from './percpu.js';
export type { EntryRegs } from './regs.js';
export {
  createLocalStateStore, createSlotStateStore, entryStateRoots,
  type ByteMemory, type EntryStateStore, type StateRoots,
} from './state-store.js';
export { complete, sleepIn, type MaySleep, type MaybeSleeping } from './sleep.js';
export { createEntryTask, type EntryTask, type EntryTaskInit } from './task.js';
export type { GenericCallEvent, GenericStepEvent, GenericTraceEvent, GenericTraceSink } from './trace.js';
export type { EntryViolation, EntryViolationCode } from './violation.js';
export * from './work.js';
