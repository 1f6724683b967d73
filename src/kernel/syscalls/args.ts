/** System call arguments from pt_regs in the x86-64 order: rdi, rsi, rdx, r10, r8, r9 (reference §7). */
import type { PtRegs } from '../arch/x86/regs.js';

const ARG_NAMES = ['di', 'si', 'dx', '10', 'r8', 'r9'] as const;
const MEMBER: Readonly<Record<(typeof ARG_NAMES)[number], string>> = { di: 'di', si: 'si', dx: 'dx', 10: 'r10', r8: 'r8', r9: 'r9' };

/** Argument i as an unsigned 64-bit value. */
export function argU64(regs: PtRegs, i: number): bigint {
  return regs.get(MEMBER[ARG_NAMES[i]!]);
}

/** Argument i as a signed number (addresses, sizes, fds); large values stay exact as far as a double allows. */
export function arg(regs: PtRegs, i: number): number {
  return Number(BigInt.asIntN(64, argU64(regs, i)));
}

/** Argument i truncated to a C int. */
export function argInt(regs: PtRegs, i: number): number {
  return Number(BigInt.asIntN(32, argU64(regs, i)));
}
