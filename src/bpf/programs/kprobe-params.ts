/**
 * The two reference kprobe programs of the ABI audit (issue M5 item 4).
 * Both copy PT_REGS_PARM1..5 of the probed function into an array map
 * (key i-1 → parameter i):
 *
 * - `fixed`: offsets compiled in, as libbpf's bpf_tracing.h gives them for
 *   the upstream x86-64 struct pt_regs (reference §6: di 112, si 104,
 *   dx 96, cx 88, r8 72). A kernel whose pt_regs moved its members hands
 *   such a program other registers.
 * - `relocated`: the same instructions, with a field relocation per context
 *   load, patched at load time from the running kernel's layout (CO-RE).
 *
 * Program shape, per parameter k (r6 holds ctx):
 *   ldxdw r3, [r6+OFF_k]      # the context load (relocation target)
 *   stxdw [r10-16], r3        # value
 *   stw   [r10-4], k          # key
 *   lddw  r1, map:FD
 *   mov r2, r10 ; add r2, -4
 *   mov r3, r10 ; add r3, -16
 *   mov r4, 0 (BPF_ANY) ; call bpf_map_update_elem
 */
import { assemble } from '../asm.js';
import { BPF_FUNC_map_update_elem } from '../helpers.js';
import type { BpfInsn } from '../insn.js';
import type { CtxFieldReloc } from '../loader/ctx-reloc.js';
import { BPF_MAP_TYPE_ARRAY, type BpfMapDef } from '../maps.js';

/** The pt_regs members PT_REGS_PARM1..5 read on x86-64. */
export const PARM_FIELDS = ['di', 'si', 'dx', 'cx', 'r8'] as const;
/** Their upstream offsets, as libbpf compiles them in (reference §6). */
export const UPSTREAM_PARM_OFFSETS = [112, 104, 96, 88, 72] as const;

/** The map both programs write: five u64 values indexed 0..4. */
export const PARAMS_MAP_DEF: BpfMapDef = { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 };

export interface ReferenceProgram {
  readonly insns: readonly BpfInsn[];
  /** Empty for the fixed-offset program. */
  readonly relocs: readonly CtxFieldReloc[];
}

function source(mapFd: number): { text: string; loads: number[] } {
  const lines = ['mov r6, r1'];
  const loads: number[] = [];
  let pc = 1;
  UPSTREAM_PARM_OFFSETS.forEach((off, k) => {
    loads.push(pc);
    lines.push(
      `ldxdw r3, [r6+${off}]`, 'stxdw [r10-16], r3', `stw [r10-4], ${k}`, `lddw r1, map:${mapFd}`,
      'mov r2, r10', 'add r2, -4', 'mov r3, r10', 'add r3, -16', 'mov r4, 0', `call ${BPF_FUNC_map_update_elem}`,
    );
    pc += 11; // ten lines, lddw takes two slots
  });
  lines.push('mov r0, 0', 'exit');
  return { text: lines.join('\n'), loads };
}

/** PT_REGS_PARM1..5 at the upstream offsets, fixed at compile time. */
export function fixedParamsProgram(mapFd: number): ReferenceProgram {
  return { insns: assemble(source(mapFd).text), relocs: [] };
}

/** The same program with a field relocation on each context load (CO-RE style). */
export function relocatedParamsProgram(mapFd: number): ReferenceProgram {
  const { text, loads } = source(mapFd);
  return { insns: assemble(text), relocs: loads.map((insn, k) => ({ insn, field: PARM_FIELDS[k]! })) };
}
