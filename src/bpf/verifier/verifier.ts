/**
 * The load-time verifier: the CFG check, the per-opcode encoding table, then
 * every path walked with register and stack state (kernel/bpf/verifier.c
 * bpf_check → check_cfg → do_check). A program it accepts never makes the
 * interpreter fail an access, read an uninitialized register or stack byte,
 * or pass a helper the wrong kind of argument.
 *
 * Not modelled: bounded loops, BPF-to-BPF calls, tnum/range tracking
 * (a scalar is a known constant or unknown), packet and BTF pointer types.
 */
import { BpfVerifyError } from '../errors.js';
import { isLdImm64, type BpfInsn } from '../insn.js';
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_EXIT, BPF_FETCH, BPF_JA, BPF_JEQ, BPF_JMP, BPF_JMP32,
  BPF_JNE, BPF_LD, BPF_LDX, BPF_MEMSX, BPF_ST, BPF_STX, BPF_X, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc, sizeBytes,
} from '../opcodes.js';
import { jumpTaken } from '../jmp.js';
import { sext } from '../alu.js';
import type { BpfProgram, Imm64 } from '../program.js';
import { checkAluInsn } from './alu-check.js';
import { checkCfg, successors } from './cfg.js';
import { checkEncoding } from './constraints.js';
import { checkHelperCall } from './helper-check.js';
import { checkMemAccess } from './mem-access.js';
import {
  UNKNOWN, cloneState, initialState, isPointer, known, readReg, stateKey, type RegState, type VerifierState,
} from './state.js';

export interface VerifyOptions {
  /** sizeof(struct pt_regs) of the layout the program will see (168 upstream). */
  readonly ctxSize: number;
  /** BPF_COMPLEXITY_LIMIT_INSNS. */
  readonly maxProcessed?: number;
}

export interface VerifyResult {
  /** Instructions processed over all paths (the kernel log's "processed N insns"). */
  readonly processed: number;
}

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

function imm64State(v: Imm64): RegState {
  switch (v.kind) {
    case 'imm':
      return known(v.value);
    case 'map':
      return { type: 'map_ptr', map: v.map };
    case 'map-value':
      return { type: 'map_value', map: v.map, off: v.offset };
  }
}

/** mark_ptr_or_null_regs(): every copy of the checked pointer becomes NULL (scalar 0) or the value pointer. */
function markPtrOrNull(s: VerifierState, id: number, isNull: boolean): void {
  const mark = (r: RegState | undefined): RegState | undefined => {
    if (r?.type !== 'map_value_or_null' || r.id !== id) return r;
    return isNull ? known(0n) : { type: 'map_value', map: r.map, off: 0 };
  };
  s.regs.forEach((r, k) => (s.regs[k] = mark(r)!));
  s.spills.forEach((r, k) => (s.spills[k] = mark(r)));
}

export function verifyProgram(prog: BpfProgram, opts: VerifyOptions): VerifyResult {
  const insns = prog.insns;
  // check_subprogs() finds BPF-to-BPF calls before the CFG walk; subprograms are not modelled.
  insns.forEach((i, pc) => {
    if (bpfClass(i.opcode) === BPF_JMP && bpfOp(i.opcode) === BPF_CALL && i.src !== 0 && !isLdImm64(insns[pc - 1])) {
      throw new BpfVerifyError('calls to BPF functions and kfuncs are not modelled (helpers only)', pc);
    }
  });
  checkCfg(insns);
  for (let pc = 0; pc < insns.length; pc++) {
    const err = checkEncoding(insns[pc]!, insns[pc + 1]);
    if (err) throw new BpfVerifyError(err, pc);
    if (isLdImm64(insns[pc])) pc++;
  }
  // Prune points: jump targets (where paths meet), as the kernel's prune_point marks.
  const targets = new Set<number>();
  insns.forEach((_, pc) => {
    const succ = successors(insns, pc);
    if (succ.length > 1 || (succ[0] !== undefined && succ[0] !== pc + 1 && !isLdImm64(insns[pc]))) {
      succ.forEach((t) => targets.add(t));
    }
  });
  const seen = new Map<number, Set<string>>();
  const limit = opts.maxProcessed ?? BPF_COMPLEXITY_LIMIT_INSNS;
  let nextId = 1;
  const ids = { next: () => nextId++ };
  let processed = 0;
  const work: { pc: number; s: VerifierState }[] = [{ pc: 0, s: initialState() }];

  while (work.length > 0) {
    let { pc, s } = work.pop()!;
    for (;;) {
      if (targets.has(pc)) {
        const key = stateKey(s);
        let set = seen.get(pc);
        if (!set) seen.set(pc, (set = new Set()));
        if (set.has(key)) break; // is_state_visited: an identical state was already proved safe from here
        set.add(key);
      }
      if (++processed > limit) throw new BpfVerifyError(`BPF program is too large. Processed ${processed} insn`, pc);
      const i = insns[pc]!;
      const next = step(prog, s, i, pc, opts.ctxSize, ids);
      if (next === null) break;
      if (next.branch) work.push({ pc: next.branch.pc, s: next.branch.s });
      pc = next.pc;
    }
  }
  return { processed };
}

interface Next {
  readonly pc: number;
  /** The other side of a conditional jump, when both are possible. */
  readonly branch?: { readonly pc: number; readonly s: VerifierState };
}

/** One instruction on one path: updates `s`, returns where the path goes (null: it ended). */
function step(prog: BpfProgram, s: VerifierState, i: BpfInsn, pc: number, ctxSize: number, ids: { next(): number }): Next | null {
  const cls = bpfClass(i.opcode);
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      checkAluInsn(s, i, pc);
      return { pc: pc + 1 };
    case BPF_LD:
      s.regs[i.dst] = imm64State(prog.imm64.get(pc) ?? { kind: 'imm', value: 0n });
      return { pc: pc + 2 };
    case BPF_LDX: {
      const size = sizeBytes(bpfSize(i.opcode));
      const v = checkMemAccess(s, { regno: i.src, off: i.off, size, type: 'read' }, pc, ctxSize);
      s.regs[i.dst] = bpfMode(i.opcode) === BPF_MEMSX || (size < 8 && isPointer(v)) ? UNKNOWN : v;
      return { pc: pc + 1 };
    }
    case BPF_ST:
    case BPF_STX:
      checkStore(s, i, pc, ctxSize);
      return { pc: pc + 1 };
    default:
      return jump(s, i, pc, ids);
  }
}

function checkStore(s: VerifierState, i: BpfInsn, pc: number, ctxSize: number): void {
  const size = sizeBytes(bpfSize(i.opcode));
  const dst = readReg(s, i.dst, pc);
  if (bpfClass(i.opcode) === BPF_ST) {
    if (dst.type === 'ctx') throw new BpfVerifyError(`BPF_ST stores into R${i.dst} ctx is not allowed`, pc);
    checkMemAccess(s, { regno: i.dst, off: i.off, size, type: 'write', value: known(sext(BigInt(i.imm), 32)) }, pc, ctxSize);
    return;
  }
  const src = readReg(s, i.src, pc);
  if (bpfMode(i.opcode) !== BPF_ATOMIC) {
    checkMemAccess(s, { regno: i.dst, off: i.off, size, type: 'write', value: size === 8 ? src : UNKNOWN, valueRegno: i.src }, pc, ctxSize);
    return;
  }
  // check_atomic(): read and write the same location; only numbers go in.
  if (dst.type === 'ctx') throw new BpfVerifyError(`BPF_ATOMIC stores into R${i.dst} ctx is not allowed`, pc);
  if (isPointer(src)) throw new BpfVerifyError(`R${i.src} leaks addr into mem`, pc);
  if (i.imm === BPF_CMPXCHG && isPointer(readReg(s, 0, pc))) throw new BpfVerifyError('R0 leaks addr into mem', pc);
  checkMemAccess(s, { regno: i.dst, off: i.off, size, type: 'read' }, pc, ctxSize);
  checkMemAccess(s, { regno: i.dst, off: i.off, size, type: 'write', value: UNKNOWN }, pc, ctxSize);
  if (i.imm === BPF_CMPXCHG) s.regs[0] = UNKNOWN;
  else if (i.imm & BPF_FETCH) s.regs[i.src] = UNKNOWN;
}

function jump(s: VerifierState, i: BpfInsn, pc: number, ids: { next(): number }): Next | null {
  const cls = bpfClass(i.opcode);
  const op = bpfOp(i.opcode);
  if (op === BPF_EXIT) {
    const r0 = readReg(s, 0, pc);
    if (isPointer(r0)) throw new BpfVerifyError('R0 leaks addr as return value', pc);
    return null;
  }
  if (op === BPF_CALL) {
    checkHelperCall(s, i.imm, pc, ids);
    return { pc: pc + 1 };
  }
  if (op === BPF_JA) return { pc: pc + 1 + (cls === BPF_JMP32 ? i.imm : i.off) };
  const dst = readReg(s, i.dst, pc);
  const src: RegState = bpfSrc(i.opcode) === BPF_X ? readReg(s, i.src, pc) : known(sext(BigInt(i.imm), 32));
  const target = pc + 1 + i.off;
  // is_branch_taken(): two known numbers decide the branch; only that side is explored.
  if (dst.type === 'scalar' && src.type === 'scalar' && dst.value !== null && src.value !== null) {
    return { pc: jumpTaken(op, cls === BPF_JMP32, dst.value, src.value) ? target : pc + 1 };
  }
  const other = cloneState(s);
  // mark_ptr_or_null_regs() after `if rX == 0` / `if rX != 0` on a 64-bit compare.
  const isZero = src.type === 'scalar' && src.value === 0n;
  if (cls === BPF_JMP && (op === BPF_JEQ || op === BPF_JNE) && dst.type === 'map_value_or_null' && isZero) {
    markPtrOrNull(other, dst.id, op === BPF_JEQ); // `other` is the taken side
    markPtrOrNull(s, dst.id, op !== BPF_JEQ);
  }
  return { pc: pc + 1, branch: { pc: target, s: other } };
}
