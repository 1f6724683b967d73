/**
 * The control-flow check that runs before any register is tracked: every
 * jump lands inside the program and not inside an LD_IMM64, there is no
 * back-edge (so no loop: the kernel's bounded-loop support is not modelled),
 * every instruction is reachable, and control cannot fall off the end.
 * @kernel kernel/bpf/verifier.c check_subprogs ("last insn is not an exit or
 *         jmp"), check_cfg + visit_insn + push_insn (DISCOVERED/EXPLORED DFS)
 */
import { BpfVerifyError } from '../errors.js';
import { isLdImm64, type BpfInsn } from '../insn.js';
import { BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, bpfClass, bpfOp } from '../opcodes.js';

const DISCOVERED = 1;
const EXPLORED = 2;

/** Successors of the instruction at `pc` in program order (fall-through first). */
export function successors(insns: readonly BpfInsn[], pc: number): number[] {
  const i = insns[pc]!;
  if (isLdImm64(i)) return [pc + 2];
  const cls = bpfClass(i.opcode);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return [pc + 1];
  const op = bpfOp(i.opcode);
  if (op === BPF_EXIT) return [];
  if (op === BPF_CALL) return [pc + 1];
  if (op === BPF_JA) return [pc + 1 + (cls === BPF_JMP32 ? i.imm : i.off)];
  return [pc + 1, pc + 1 + i.off];
}

function isExitOrJa(i: BpfInsn): boolean {
  const cls = bpfClass(i.opcode);
  return (cls === BPF_JMP || cls === BPF_JMP32) && (bpfOp(i.opcode) === BPF_EXIT || bpfOp(i.opcode) === BPF_JA);
}

export function checkCfg(insns: readonly BpfInsn[]): void {
  const n = insns.length;
  if (n === 0) throw new BpfVerifyError('empty program', 0);
  if (!isExitOrJa(insns[n - 1]!)) throw new BpfVerifyError('last insn is not an exit or jmp', n - 1);
  const state = new Uint8Array(n);
  // Iterative DFS: a stack of (pc, index of the next successor to visit).
  const stack: [number, number][] = [[0, 0]];
  state[0] = DISCOVERED;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [pc, k] = top;
    const succ = successors(insns, pc);
    if (k >= succ.length) {
      state[pc] = EXPLORED;
      stack.pop();
      continue;
    }
    top[1] = k + 1;
    const t = succ[k]!;
    if (t < 0 || t >= n) throw new BpfVerifyError(`jump out of range from insn ${pc} to ${t}`, pc);
    if (state[t] === DISCOVERED) throw new BpfVerifyError(`back-edge from insn ${pc} to ${t}`, pc);
    if (state[t] === 0) {
      state[t] = DISCOVERED;
      stack.push([t, 0]);
    }
  }
  for (let pc = 0; pc < n; pc++) {
    if (state[pc] !== EXPLORED) throw new BpfVerifyError(`unreachable insn ${pc}`, pc);
    if (isLdImm64(insns[pc])) {
      if (state[pc + 1] !== 0) throw new BpfVerifyError(`jump into the middle of ldimm64 insn ${pc}`, pc);
      pc++;
    }
  }
}
