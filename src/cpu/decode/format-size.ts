/**
 * When iced-x86's Intel formatter (default `MemorySizeOptions.Default`)
 * writes `dword ptr` before a memory operand: only where no other operand
 * gives the size away. iced keeps that as a flag per instruction code; the
 * rules below reproduce it for the forms kentry decodes (checked row by row
 * in tests/cpu/format-iced.test.ts):
 *
 *   - an r/m operand whose only companions are immediates, CL or 1
 *     (`add dword ptr [rax],1`, `push qword ptr [rax]`, `shl byte ptr [rax],cl`),
 *     except the one-operand forms whose size never varies or does not matter
 *     (SETcc, NOP r/m, LLDT, VERR, VERW);
 *   - a source narrower than the destination register (MOVZX, MOVSX,
 *     CVTSI2SS/SD from r/m32/64);
 *   - x87 operands in memory (`fld st,tbyte ptr [rax]`), except the
 *     control/status word and environment forms.
 */
import type { OpRow, Operand } from '../optable.js';

const RM: ReadonlySet<Operand> = new Set<Operand>(['Eb', 'Ev', 'Ew', 'Ed', 'Ey', 'Ez', 'Ewv']);
const QUIET: ReadonlySet<Operand> = new Set<Operand>(['Ib', 'Ibs', 'Iw', 'Iz', 'Iv', 'CL', '1']);
const X87_MEM: ReadonlySet<Operand> = new Set<Operand>(['Mw', 'Md', 'Mq', 'Mt']);
const UNSIZED_ONE_OPERAND = /^(set.*|nop|lldt|verr|verw)$/;
const WIDENING = new Set(['movzx', 'movsx', 'cvtsi2ss', 'cvtsi2sd']);
const X87_UNSIZED = new Set(['fnstcw', 'fldcw', 'fnstsw', 'fstcw', 'fstsw']);

const cache = new WeakMap<OpRow, boolean>();

/** Whether iced prints the memory operand's size for this row (when its operand is in memory). */
export function memorySizeShown(row: OpRow): boolean {
  let v = cache.get(row);
  if (v === undefined) {
    v = decide(row);
    cache.set(row, v);
  }
  return v;
}

function decide(row: OpRow): boolean {
  const ops = row.operands;
  if (WIDENING.has(row.mnemonic)) return true;
  if (row.map === 0 && row.opcode >= 0xd8 && row.opcode <= 0xdf) {
    return ops.some((o) => X87_MEM.has(o)) && !X87_UNSIZED.has(row.mnemonic);
  }
  const rm = ops.filter((o) => RM.has(o));
  if (rm.length !== 1) return false;
  if (!ops.every((o) => RM.has(o) || QUIET.has(o))) return false;
  return !(ops.length === 1 && UNSIZED_ONE_OPERAND.test(row.mnemonic));
}
