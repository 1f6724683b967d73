/**
 * Builds a CPU: the run loop (exec.ts) wired to the decoder and the
 * dispatch array of instruction handlers. The one place that knows all
 * three, so none of them imports another.
 */
import { BLOCK_END, BLOCK_SAFE, BLOCK_UNSAFE, type BlockRole } from './blocks.js';
import { decodeInsn } from './decode/decoder.js';
import { OP_TRUNCATED, newDecodedInsn } from './decode/insn.js';
import { Cpu, type BlockRoleFn, type CompatDecodeFn, type DecodeFn, type Handler, type SelectFn } from './exec.js';
import type { Mmu } from './mmu.js';
import { COMPAT_BY_NAME } from './ops/compat.js';
import { buildHandlers } from './ops/dispatch.js';
import { specialize } from './ops/fast.js';
import * as prot from './ops/protection.js';
import * as seg from './ops/segment.js';
import * as stack from './ops/stack.js';
import * as sys from './ops/system.js';
import { MODES_COMPAT, OPTABLE } from './optable.js';

/** Decodes into a fresh record (the decode cache keeps it); null when more bytes are needed. */
const decode: DecodeFn = (bytes, offset, end, address) => {
  const insn = decodeInsn(newDecodedInsn(), bytes, offset, end, address);
  return insn.op === OP_TRUNCATED ? null : insn;
};

/** Decodes compatibility-mode code (32- or 16-bit by CS.D). */
const decodeCompat: CompatDecodeFn = (bytes, offset, end, address, bits) => {
  const insn = decodeInsn(newDecodedInsn(), bytes, offset, end, address, bits);
  return insn.op === OP_TRUNCATED ? null : insn;
};

const HANDLERS = buildHandlers(sys.opUd);

/**
 * Compatibility-mode handlers by row: ops/compat.ts where the 64-bit one
 * assumes 64-bit mode, else the row's own (never a fast.ts specialisation,
 * which computes 64-bit addresses inline); rows not allowed there never
 * decode in compatibility mode.
 */
const COMPAT_HANDLERS: readonly Handler[] = OPTABLE.map((r, i) =>
  (r.modes & MODES_COMPAT) === 0 ? sys.opUd : COMPAT_BY_NAME[r.name] ?? HANDLERS[i]!);
const selectCompat: SelectFn = (insn) => COMPAT_HANDLERS[insn.op]!;

/** A specialised handler when ops/fast.ts has one for this exact form, else the row's. */
const select: SelectFn = (insn) => specialize(OPTABLE[insn.op]!, insn) ?? HANDLERS[insn.op]!;

/**
 * Handlers that may not run inside a compiled block (blocks.ts): every
 * system instruction (they change CPL, RFLAGS.TF/RF/IF/AC, control
 * registers, MSRs, the TLB, or raise software interrupts) but the few
 * listed as harmless, the segment loads (MOV SS opens an interrupt
 * shadow), POPF (may set TF), and #UD.
 */
const HARMLESS_SYSTEM = new Set<Handler>([
  sys.opNop, sys.opSwapgs, sys.opCpuid, sys.opRdtsc, sys.opRdtscp, sys.opRdpkru, sys.opXgetbv,
  sys.opRdfsbase, sys.opRdgsbase, sys.opWrfsbase, sys.opWrgsbase,
]);
const UNSAFE = new Set<Handler>([
  ...(Object.values(sys) as Handler[]).filter((h) => typeof h === 'function' && !HARMLESS_SYSTEM.has(h)),
  ...(Object.values(seg) as Handler[]).filter((h) => typeof h === 'function'),
  stack.opPopf,
  prot.opLldt,
]);
/** Control never falls through these: a block ends with them. */
const ENDS_BLOCK = new Set<Handler>([stack.opJmpRel, stack.opJmpE, stack.opCallRel, stack.opCallE, stack.opRet]);

const blockRole: BlockRoleFn = (h): BlockRole => (UNSAFE.has(h) ? BLOCK_UNSAFE : ENDS_BLOCK.has(h) ? BLOCK_END : BLOCK_SAFE);

export function createCpu(mmu: Mmu): Cpu {
  return new Cpu(mmu, decode, select, blockRole, decodeCompat, selectCompat);
}
