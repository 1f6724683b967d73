/**
 * Segment registers in 64-bit mode: MOV r/m, Sreg; MOV Sreg, r/m; POP FS/GS.
 * Only selectors, their checks and the FS/GS bases matter here (bases of
 * DS/ES/SS are ignored in 64-bit mode). A loaded FS/GS gets the 32-bit base
 * of its descriptor; a null selector leaves the base as it was (Intel
 * behaviour; WRFSBASE or the MSRs set 64-bit bases).
 * @see Intel SDM Vol. 2B "MOV—Move" (segment register forms), "POP";
 *      Vol. 3A §5.5 (privilege checks for data and stack segments)
 */
import { RSP, VEC_GP, VEC_NP, VEC_SS, type CpuCore } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import {
  DESC_CODE, DESC_P, DESC_RW, DESC_S, descBase, descDpl, descLimit, descriptorAt, isConformingCode, isNullSelector,
} from '../descriptor.js';
import { CpuFault } from '../faults.js';

const ES = 0;
const CS = 1;
const SS = 2;
const DS = 3;
const FS = 4;
const GS = 5;

function gp(code: number): never {
  throw new CpuFault(VEC_GP, code, `#GP(${code})`);
}

function readSelector(cpu: CpuCore, sreg: number): number {
  switch (sreg) {
    case ES: return cpu.es;
    case CS: return cpu.cs;
    case SS: return cpu.ss;
    case DS: return cpu.ds;
    case FS: return cpu.fs;
    default: return cpu.gs;
  }
}

/**
 * Checks `selector` for `sreg` and loads it with its hidden part (SDM
 * "MOV" Operation, 64-bit mode): SS needs RPL = DPL = CPL and a writable
 * data segment (null only below CPL 3 in 64-bit mode); the others need a
 * data or readable code segment with DPL >= max(CPL, RPL) unless
 * conforming code; null is always allowed for them and makes the register
 * unusable in compatibility mode. The selector may name the GDT or the LDT.
 */
export function loadSegment(cpu: CpuCore, sreg: number, selector: number): void {
  const sel = selector & 0xffff;
  const code = sel & 0xfffc;
  if (isNullSelector(sel)) {
    if (sreg === SS && (cpu.cpl === 3 || (sel & 3) !== cpu.cpl || cpu.codeBits !== 64)) gp(0);
    setSelector(cpu, sreg, sel, null);
    cpu.setSegmentCache(sreg, 0, 0, 0);
    return;
  }
  const d = descriptorAt(cpu, sel);
  if (d === null) gp(code);
  const hi = d.hi;
  const s = (hi & DESC_S) !== 0;
  const isCode = (hi & DESC_CODE) !== 0;
  const rw = (hi & DESC_RW) !== 0; // writable (data) / readable (code)
  const dpl = descDpl(hi);
  const rpl = sel & 3;
  if (sreg === SS) {
    if (rpl !== cpu.cpl || !s || isCode || !rw || dpl !== cpu.cpl) gp(code);
    if ((hi & DESC_P) === 0) throw new CpuFault(VEC_SS, code, '#SS(selector)');
  } else {
    if (!s || (isCode && !rw)) gp(code);
    if (!isConformingCode(hi) && dpl < Math.max(cpu.cpl, rpl)) gp(code);
    if ((hi & DESC_P) === 0) throw new CpuFault(VEC_NP, code, '#NP(selector)');
  }
  const base = descBase(d);
  setSelector(cpu, sreg, sel, base);
  cpu.setSegmentCache(sreg, base, descLimit(d), hi);
}

function setSelector(cpu: CpuCore, sreg: number, sel: number, base: number | null): void {
  switch (sreg) {
    case ES: cpu.es = sel; return;
    case SS: cpu.ss = sel; return;
    case DS: cpu.ds = sel; return;
    case FS:
      cpu.fs = sel;
      if (base !== null) cpu.fsBase = base;
      return;
    case GS:
      cpu.gs = sel;
      if (base !== null) cpu.gsBase = base;
      return;
    default: gp(0); // MOV to CS is #UD in the decoder; nothing else reaches here
  }
}

/** MOV r/m, Sreg (8C): a register destination gets the zero-extended selector at its size; memory gets 16 bits. */
export function opMovEwSw(cpu: Cpu, insn: DecodedInsn): void {
  const sel = readSelector(cpu, insn.reg);
  if (insn.mod === 3) cpu.setReg(insn.rm, insn.opSize, sel, 0);
  else cpu.write(cpu.effectiveAddress(insn), 2, sel);
}

/** MOV Sreg, r/m (8E): loading SS blocks interrupts for one instruction (SDM Vol. 3A §6.8.3). */
export function opMovSwEw(cpu: Cpu, insn: DecodedInsn): void {
  const sel = insn.mod === 3 ? cpu.getReg(insn.rm, 2) : cpu.read(cpu.effectiveAddress(insn), 2);
  loadSegment(cpu, insn.reg, sel);
  if (insn.reg === SS) cpu.interruptShadow = true;
}

/** POP FS / POP GS (0F A1, 0F A9): pop a word-sized or 64-bit slot, load its low 16 bits. */
function popSreg(cpu: Cpu, insn: DecodedInsn, sreg: number): void {
  const size = insn.opSize === 2 ? 2 : 8;
  const sp = cpu.reg64(RSP);
  const v = cpu.read(sp, size);
  loadSegment(cpu, sreg, v & 0xffff);
  cpu.setRspNumber(sp + size);
}

export const opPopFs = (cpu: Cpu, insn: DecodedInsn): void => popSreg(cpu, insn, FS);
export const opPopGs = (cpu: Cpu, insn: DecodedInsn): void => popSreg(cpu, insn, GS);

/** LAR's access rights, used by the kernel model's force_valid_ss (kept here for its importers). */
export { larAccessRights } from './protection.js';
