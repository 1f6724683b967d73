/**
 * Straight-line blocks of decoded instructions compiled into one JavaScript
 * function each, so the run loop's per-instruction work (page check, cache
 * lookup, an indirect call through a megamorphic site) is done once per
 * block, and every handler call in a block is a call site of its own that V8
 * sees with a single target and can inline.
 *
 * A block is a run of decoded instructions of one code frame, in address
 * order, each of which the CPU declares block-safe (see `BlockRole`): they
 * never change CPL, RFLAGS.TF/RF, the TLB epoch, or any condition that sends
 * the next boundary through the careful `step` path. A conditional branch
 * does not end a block: after every instruction the function checks that
 * control fell through (`nextRip` is the next instruction's address) and
 * that nothing asked it to stop (`blockBreak`, set when a store drops
 * cached decodes — self-modifying code); otherwise it returns with RIP at
 * the branch target — or, when the target is the block's own first
 * instruction (a loop), runs the block again without returning, as long as
 * a whole pass fits the budget. An unconditional transfer (JMP, CALL, RET)
 * is the last instruction of its block.
 *
 * The compiled code does per instruction exactly what the run loop does —
 * RIP and next-RIP before the handler, the retired count after — so a fault
 * inside a block is delivered with RIP at the faulting instruction and the
 * instructions before it counted, and a budget (the run loop only enters a
 * block whose whole length fits) stops at the same boundary as
 * instruction-by-instruction execution.
 */
import type { DecodedInsn } from './decode/insn.js';

/** A handler as blocks see it (exec.ts's `Handler` for the CPU type `C`; no import, so no cycle). */
export type BlockHandler<C> = (cpu: C, insn: DecodedInsn) => void;

/** How an instruction's handler may take part in a block. */
export const BLOCK_UNSAFE = 0;
/** May sit anywhere in a block. */
export const BLOCK_SAFE = 1;
/** May end a block: control never falls through (JMP, CALL, RET). */
export const BLOCK_END = 2;
export type BlockRole = typeof BLOCK_UNSAFE | typeof BLOCK_SAFE | typeof BLOCK_END;

/** Longest block, in instructions. */
export const MAX_BLOCK_INSNS = 48;

export interface Block<C> {
  /** Linear address of the first instruction. */
  readonly address: number;
  /** Instructions in the block (the most it can retire in one call). */
  readonly count: number;
  /**
   * Runs the block from its first instruction, and again from there each
   * time control comes back to it while another whole pass fits before the
   * retired count `end` (the caller's budget).
   */
  readonly run: (cpu: C, end: number) => void;
}

/** Whether `new Function` works here (a Content-Security-Policy may forbid it); then blocks are simply never used. */
let codegenAvailable = true;

/**
 * Compiles `insns` (with their handlers, in order; at least one) into a
 * block, or returns null when code generation is unavailable.
 */
export function compileBlock<C>(insns: readonly DecodedInsn[], handlers: readonly BlockHandler<C>[]): Block<C> | null {
  if (!codegenAvailable) return null;
  const n = insns.length;
  const first = insns[0]!;
  const start = first.address;
  const lines: string[] = [`// block at ${start}`, "'use strict';"];
  for (let k = 0; k < n; k++) lines.push(`const h${k} = H[${k}], i${k} = I[${k}];`);
  // Control back at the block's start (a loop's back edge), nothing asked to
  // stop, and the whole block fits the budget again: run it again from here
  // instead of returning to the run loop, which would only re-check what
  // block-safe instructions cannot change and call this function again.
  const again = `cpu.nextRip === ${start} && cpu.blockBreak === 0 && cpu.instructions + ${n} <= end`;
  lines.push('return function block(cpu, end) {', ' for (;;) {');
  for (let k = 0; k < n; k++) {
    const insn = insns[k]!;
    const next = insn.address + insn.length;
    lines.push(`  cpu.rip = ${insn.address}; cpu.nextRip = ${next}; h${k}(cpu, i${k}); cpu.instructions++;`);
    if (k < n - 1) lines.push(`  if (cpu.nextRip !== ${next} || cpu.blockBreak !== 0) { if (${again}) continue; cpu.rip = cpu.nextRip; return; }`);
  }
  lines.push(`  if (${again}) continue;`, '  cpu.rip = cpu.nextRip; return;', ' }', '};');
  let run: (cpu: C, end: number) => void;
  try {
    const factory = new Function('H', 'I', lines.join('\n')) as (h: readonly BlockHandler<C>[], i: readonly DecodedInsn[]) => (cpu: C, end: number) => void;
    run = factory(handlers.slice(), insns.slice());
  } catch {
    codegenAvailable = false;
    return null;
  }
  return { address: first.address, count: n, run };
}
