/**
 * Builds a CPU: the run loop (exec.ts) wired to the decoder and the
 * dispatch array of instruction handlers. The one place that knows all
 * three, so none of them imports another.
 */
import { decodeInsn } from './decode/decoder.js';
import { OP_TRUNCATED, newDecodedInsn } from './decode/insn.js';
import { Cpu, type DecodeFn, type SelectFn } from './exec.js';
import type { Mmu } from './mmu.js';
import { buildHandlers } from './ops/dispatch.js';
import { specialize } from './ops/fast.js';
import { opUd } from './ops/system.js';
import { OPTABLE } from './optable.js';

/** Decodes into a fresh record (the decode cache keeps it); null when more bytes are needed. */
const decode: DecodeFn = (bytes, offset, end, address) => {
  const insn = decodeInsn(newDecodedInsn(), bytes, offset, end, address);
  return insn.op === OP_TRUNCATED ? null : insn;
};

const HANDLERS = buildHandlers(opUd);

/** A specialised handler when ops/fast.ts has one for this exact form, else the row's. */
const select: SelectFn = (insn) => specialize(OPTABLE[insn.op]!, insn) ?? HANDLERS[insn.op]!;

export function createCpu(mmu: Mmu): Cpu {
  return new Cpu(mmu, decode, select);
}
