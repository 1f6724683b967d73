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
import { CpuFault } from '../faults.js';
import { MODE_IMPLICIT_SUPERVISOR } from '../mmu.js';

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
 * Checks `selector` for `sreg` and loads it (SDM "MOV" Operation, 64-bit
 * mode): SS needs RPL = DPL = CPL and a writable data segment (null only
 * below CPL 3); the others need a data or readable code segment with
 * DPL >= max(CPL, RPL); null is always allowed for them.
 */
export function loadSegment(cpu: CpuCore, sreg: number, selector: number): void {
  const sel = selector & 0xffff;
  const index = sel & ~7;
  if (index === 0 && (sel & 4) === 0) {
    if (sreg === SS && (cpu.cpl === 3 || (sel & 3) !== cpu.cpl)) gp(0);
    setSelector(cpu, sreg, sel, null);
    return;
  }
  if ((sel & 4) !== 0 || index + 7 > cpu.gdtLimit) gp(sel & ~3); // no LDT is modelled
  const lo = cpu.mmu.read32(cpu.gdtBase + index, MODE_IMPLICIT_SUPERVISOR);
  const hi = cpu.mmu.read32(cpu.gdtBase + index + 4, MODE_IMPLICIT_SUPERVISOR);
  const s = (hi & (1 << 12)) !== 0;
  const code = (hi & (1 << 11)) !== 0;
  const rw = (hi & (1 << 9)) !== 0; // writable (data) / readable (code)
  const dpl = (hi >>> 13) & 3;
  const rpl = sel & 3;
  if (sreg === SS) {
    if (rpl !== cpu.cpl || !s || code || !rw || dpl !== cpu.cpl) gp(sel & ~3);
    if ((hi & (1 << 15)) === 0) throw new CpuFault(VEC_SS, sel & ~3, '#SS(selector)');
  } else {
    if (!s || (code && !rw)) gp(sel & ~3);
    const conforming = code && (hi & (1 << 10)) !== 0;
    if (!conforming && dpl < Math.max(cpu.cpl, rpl)) gp(sel & ~3);
    if ((hi & (1 << 15)) === 0) throw new CpuFault(VEC_NP, sel & ~3, '#NP(selector)');
  }
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff00_0000)) >>> 0;
  setSelector(cpu, sreg, sel, base);
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

/** LAR's mask of descriptor dword 1 (SDM Vol. 2A "LAR": type, S, DPL, P, AVL, L, D/B, G). */
const LAR_MASK = 0x00f0_ff00;
/** System descriptor types LAR accepts in 64-bit mode: LDT, available and busy 64-bit TSS, 64-bit call gate. */
const LAR_SYSTEM_TYPES = new Set([0x2, 0x9, 0xb, 0xc]);

/**
 * The access rights LAR reports for `selector` at the current CPL, or null
 * where LAR clears ZF: a null selector, one beyond the GDT limit or in the
 * LDT (no LDT is modelled), a system type LAR does not take, or a
 * non-conforming segment with DPL < max(CPL, RPL).
 * @see Intel SDM Vol. 2A "LAR—Load Access Rights Byte" (IA-32e mode)
 */
export function larAccessRights(cpu: CpuCore, selector: number): number | null {
  const sel = selector & 0xffff;
  const index = sel & ~7;
  if (index === 0 || (sel & 4) !== 0 || index + 7 > cpu.gdtLimit) return null;
  const hi = cpu.mmu.read32(cpu.gdtBase + index + 4, MODE_IMPLICIT_SUPERVISOR);
  const s = (hi & (1 << 12)) !== 0;
  const type = (hi >>> 8) & 0xf;
  if (!s && !LAR_SYSTEM_TYPES.has(type)) return null;
  const conformingCode = s && (type & 0xc) === 0xc;
  const dpl = (hi >>> 13) & 3;
  if (!conformingCode && dpl < Math.max(cpu.cpl, sel & 3)) return null;
  return (hi & LAR_MASK) >>> 0;
}
