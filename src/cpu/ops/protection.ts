/**
 * Descriptor-checking instructions — LAR, LSL, VERR, VERW — and LLDT.
 * LAR/LSL/VERR/VERW never fault on the descriptor: they report with ZF
 * (only ZF changes) whether the selector names a descriptor of a valid type
 * that is visible at the current CPL and the selector's RPL; the
 * destination of LAR/LSL is written only when ZF = 1. Selectors may name
 * the GDT or the LDT (descriptor.ts).
 * @see Intel SDM Vol. 2A "LAR—Load Access Rights Byte", "LLDT—Load Local
 *      Descriptor Table Register", "LSL—Load Segment Limit"; Vol. 2B
 *      "VERR/VERW—Verify a Segment for Reading or Writing"
 */
import type { CpuCore } from '../core.js';
import { VEC_GP } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import {
  DESC_CODE, DESC_RW, DESC_S, SYS_CALL_GATE64, SYS_LDT, SYS_TSS64, SYS_TSS64_BUSY,
  type Descriptor, descDpl, descLimit, descType, descriptorAt, isConformingCode, isNullSelector, loadLdtr,
} from '../descriptor.js';
import type { Cpu } from '../exec.js';
import { CpuFault } from '../faults.js';
import { ZF } from '../flags.js';

/** LAR's mask of descriptor dword 1: type, S, DPL, P, AVL, L, D/B, G; bits 19:16 (limit) read as 0. */
const LAR_MASK = 0x00f0_ff00;

/**
 * System types LAR accepts in IA-32e mode (SDM Vol. 2A "LAR" Table "Segment
 * and Gate Types", IA-32e column): available and busy 64-bit TSS, 64-bit
 * call gate. The table marks the LDT type invalid for LAR in IA-32e mode
 * (it is valid for LSL).
 */
const LAR_SYSTEM = (1 << SYS_TSS64) | (1 << SYS_TSS64_BUSY) | (1 << SYS_CALL_GATE64);
/**
 * System types LSL accepts in IA-32e mode (SDM Vol. 2A "LSL" Table "Segment
 * and Gate Descriptor Types"): LDT, available and busy 64-bit TSS. (The
 * table's type 0, "upper 8 bytes of a 16-byte descriptor", is not modelled:
 * a selector naming such an upper half reads as a type-0 system descriptor
 * and fails.)
 */
const LSL_SYSTEM = (1 << SYS_LDT) | (1 << SYS_TSS64) | (1 << SYS_TSS64_BUSY);

/**
 * The descriptor `selector` names if LAR/LSL/VERR/VERW may look at it: not
 * null, within its table, and — unless conforming code — DPL >= CPL and
 * DPL >= RPL ("IF SegmentDescriptor(Type) ≠ conforming code segment and
 * (CPL > DPL) or (RPL > DPL) THEN ZF := 0"). System types are checked by
 * the caller (`systemOk` is the mask of accepted ones).
 */
function visibleDescriptor(cpu: CpuCore, selector: number, systemOk: number): Descriptor | null {
  const sel = selector & 0xffff;
  if (isNullSelector(sel)) return null;
  const d = descriptorAt(cpu, sel);
  if (d === null) return null;
  if ((d.hi & DESC_S) === 0 && ((systemOk >>> descType(d.hi)) & 1) === 0) return null;
  if (!isConformingCode(d.hi) && descDpl(d.hi) < Math.max(cpu.cpl, sel & 3)) return null;
  return d;
}

/**
 * The access rights LAR reports for `selector` at the current CPL (dword 1
 * of the descriptor AND 00F0FF00H), or null where LAR clears ZF.
 * @see Intel SDM Vol. 2A "LAR—Load Access Rights Byte" (IA-32e mode)
 */
export function larAccessRights(cpu: CpuCore, selector: number): number | null {
  const d = visibleDescriptor(cpu, selector, LAR_SYSTEM);
  return d === null ? null : (d.hi & LAR_MASK) >>> 0;
}

/** The byte-granular limit LSL reports for `selector`, or null where LSL clears ZF. */
export function lslLimit(cpu: CpuCore, selector: number): number | null {
  const d = visibleDescriptor(cpu, selector, LSL_SYSTEM);
  return d === null ? null : descLimit(d);
}

/** The selector operand (r/m16): a register's low 16 bits, or a word in memory. */
function selectorOperand(cpu: Cpu, insn: DecodedInsn): number {
  return insn.mod === 3 ? cpu.getReg(insn.rm, 2) : cpu.read(cpu.effectiveAddress(insn), 2);
}

function setZf(cpu: Cpu, ok: boolean): void {
  if (ok) cpu.flags.update(ZF, 0);
  else cpu.flags.update(0, ZF);
}

/**
 * LAR r16/r32/r64, r/m16 (0F 02): r16 gets the rights AND FF00H; r32 gets
 * them AND 00F0FF00H (bits 63:32 cleared, as every 32-bit write); r64 the
 * same zero-extended. Nothing is written when ZF = 0.
 */
export function opLar(cpu: Cpu, insn: DecodedInsn): void {
  const ar = larAccessRights(cpu, selectorOperand(cpu, insn));
  if (ar !== null) cpu.setReg(insn.reg, insn.opSize, insn.opSize === 2 ? ar & 0xff00 : ar, 0);
  setZf(cpu, ar !== null);
}

/** LSL r16/r32/r64, r/m16 (0F 03): the byte-granular limit; r16 gets its low 16 bits. */
export function opLsl(cpu: Cpu, insn: DecodedInsn): void {
  const limit = lslLimit(cpu, selectorOperand(cpu, insn));
  if (limit !== null) cpu.setReg(insn.reg, insn.opSize, limit | 0, 0);
  setZf(cpu, limit !== null);
}

/** VERR r/m16 (0F 00 /4): ZF = 1 for a visible data segment or readable code segment (no system types). */
export function opVerr(cpu: Cpu, insn: DecodedInsn): void {
  const d = visibleDescriptor(cpu, selectorOperand(cpu, insn), 0);
  setZf(cpu, d !== null && ((d.hi & DESC_CODE) === 0 || (d.hi & DESC_RW) !== 0));
}

/** VERW r/m16 (0F 00 /5): ZF = 1 for a visible writable data segment (code is never writable). */
export function opVerw(cpu: Cpu, insn: DecodedInsn): void {
  const sel = selectorOperand(cpu, insn);
  const d = visibleDescriptor(cpu, sel, 0);
  // Conforming code passes the DPL check but is code: not writable either way.
  setZf(cpu, d !== null && (d.hi & (DESC_CODE | DESC_RW)) === DESC_RW);
}

/** LLDT r/m16 (0F 00 /2): #GP(0) unless CPL 0, then `loadLdtr`'s checks (descriptor.ts). */
export function opLldt(cpu: Cpu, insn: DecodedInsn): void {
  if (cpu.cpl !== 0) throw new CpuFault(VEC_GP, 0, '#GP(0)');
  loadLdtr(cpu, selectorOperand(cpu, insn));
}
