/**
 * Conditional jump predicates.
 * @see Documentation/bpf/standardization/instruction-set.rst (RFC 9669) §4.3
 * JMP32 compares the low 32 bits only (signed compares as s32).
 */
import {
  BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT,
} from './opcodes.js';

/** Whether a conditional jump `op` is taken for `dst op src`. */
export function jumpTaken(op: number, is32: boolean, dst: bigint, src: bigint): boolean {
  const bits = is32 ? 32 : 64;
  const a = BigInt.asUintN(bits, dst);
  const b = BigInt.asUintN(bits, src);
  const sa = BigInt.asIntN(bits, dst);
  const sb = BigInt.asIntN(bits, src);
  switch (op) {
    case BPF_JEQ:
      return a === b;
    case BPF_JNE:
      return a !== b;
    case BPF_JGT:
      return a > b;
    case BPF_JGE:
      return a >= b;
    case BPF_JLT:
      return a < b;
    case BPF_JLE:
      return a <= b;
    case BPF_JSET:
      return (a & b) !== 0n;
    case BPF_JSGT:
      return sa > sb;
    case BPF_JSGE:
      return sa >= sb;
    case BPF_JSLT:
      return sa < sb;
    case BPF_JSLE:
      return sa <= sb;
    default:
      throw new RangeError(`not a conditional jump: ${op.toString(16)}`);
  }
}

/** Conditional jump operations (every JMP/JMP32 op but JA, CALL, EXIT). */
export const CONDITIONAL_JUMPS: readonly number[] = [
  BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE,
];
