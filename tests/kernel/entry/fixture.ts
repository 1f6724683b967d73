/** Symbol values shared by the entry tests: C functions in the CPU's host-call range. */
import {
  ENTRY_C_FUNCTION_NAMES, type EntryCFunction, type EntrySymbols,
} from '../../../src/kernel/arch/x86/entry/index.js';

/** Host-call range of tests/x86/system/machine.ts (0xffffffff82000000). */
export const HOST = -0x7e00_0000;
/** Per-CPU area of that machine (KBASE + 0x3000). */
export const PERCPU = -0x7778_0000_0000 + 0x3000;
export const PER_CPU_TOP_OF_STACK = 0x10;
export const PER_CPU_USER_RSP_SCRATCH = 0x18;

/** C function address: HOST + 0x100 + 16 × index. */
export const CFUNC_ADDR: Readonly<Record<EntryCFunction, number>> = Object.fromEntries(
  ENTRY_C_FUNCTION_NAMES.map((n, i) => [n, HOST + 0x100 + 16 * i]),
) as Record<EntryCFunction, number>;
export const FIXUP_BAD_IRET = HOST + 0x800;

export function cfuncAt(address: number): string | undefined {
  if (address === FIXUP_BAD_IRET) return 'fixup_bad_iret';
  return ENTRY_C_FUNCTION_NAMES.find((n) => CFUNC_ADDR[n] === address);
}

export function dummySymbols(fsgsbase: boolean, fixupBadIret = false): EntrySymbols {
  return {
    perCpuTopOfStack: PER_CPU_TOP_OF_STACK,
    perCpuUserRspScratch: PER_CPU_USER_RSP_SCRATCH,
    perCpuBase: PERCPU,
    fsgsbase,
    functions: CFUNC_ADDR,
    fixupBadIret: fixupBadIret ? FIXUP_BAD_IRET : null,
  };
}
