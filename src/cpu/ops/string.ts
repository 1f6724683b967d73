/**
 * String instructions MOVS, CMPS, SCAS, LODS, STOS with REP / REPE /
 * REPNE. RSI/RDI/RCX (ESI/EDI/ECX under a 67 prefix) step by the element
 * size, backwards when DF = 1. Registers are updated after every element,
 * so a fault part-way leaves the progress made and the instruction
 * restarts where it stopped (SDM Vol. 1 §7.3.9.2 "Repeated String Operations").
 * The source may take a segment override (FS/GS); the destination is ES,
 * which has base 0 in 64-bit mode.
 * @see Intel SDM Vol. 2B "MOVS", "CMPS", "SCAS", "LODS", "STOS", "REP/REPE/REPNE"
 */
import { RAX, RCX, RDI, RSI, VEC_GP, VEC_SS, isCanonical, linearOf } from '../core.js';
import { PFX_REP, PFX_REPNE, SEG_FS, SEG_GS, SEG_SS, type DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CpuFault } from '../faults.js';
import { DF, TF } from '../flags.js';
import { ALU_CMP, aluFlagsOnly } from './alu.js';

const TWO_32 = 4294967296;

/** The linear address of [seg:]reg under the instruction's address size. */
function stringAddress(cpu: Cpu, insn: DecodedInsn, reg: number, useSegment: boolean): number {
  let lo = cpu.lo[reg]! >>> 0;
  let hi = insn.addrSize === 4 ? 0 : cpu.hi[reg]!;
  if (useSegment && (insn.segment === SEG_FS || insn.segment === SEG_GS)) {
    const base = insn.segment === SEG_FS ? cpu.fsBase : cpu.gsBase;
    const baseHi = Math.floor(base / TWO_32);
    const l = lo + (base - baseHi * TWO_32);
    const c = Math.floor(l / TWO_32);
    lo = l - c * TWO_32;
    hi = (hi + baseHi + c) | 0;
  }
  // A stack-segment source (SS override) faults with #SS(0), also when only its last byte is non-canonical.
  const vector = useSegment && insn.segment === SEG_SS ? VEC_SS : VEC_GP;
  if (!isCanonical(hi)) throw new CpuFault(vector, 0, `#${vector === VEC_SS ? 'SS' : 'GP'}(0)`);
  cpu.endVector = vector;
  return linearOf(hi, lo);
}

/** Adds `delta` to an address register at the address size. */
function step(cpu: Cpu, insn: DecodedInsn, reg: number, delta: number): void {
  const l = (cpu.lo[reg]! >>> 0) + delta;
  if (insn.addrSize === 4) {
    cpu.setReg(reg, 4, l | 0);
    return;
  }
  const c = Math.floor(l / TWO_32);
  cpu.lo[reg] = (l - c * TWO_32) | 0;
  cpu.hi[reg] = (cpu.hi[reg]! + c) | 0;
}

function countIsZero(cpu: Cpu, insn: DecodedInsn): boolean {
  return insn.addrSize === 4 ? cpu.lo[RCX] === 0 : cpu.lo[RCX] === 0 && cpu.hi[RCX] === 0;
}

function delta(cpu: Cpu, size: number): number {
  return (cpu.flags.raw & DF) !== 0 ? -size : size;
}

type Element = (cpu: Cpu, insn: DecodedInsn, size: number, d: number) => void;

const movs: Element = (cpu, insn, size, d) => {
  const v = cpu.read(stringAddress(cpu, insn, RSI, true), size);
  cpu.write(stringAddress(cpu, insn, RDI, false), size, v, size === 8 ? cpu.readHi : 0);
  step(cpu, insn, RSI, d);
  step(cpu, insn, RDI, d);
};

const stos: Element = (cpu, insn, size, d) => {
  cpu.write(stringAddress(cpu, insn, RDI, false), size, cpu.getReg(RAX, size), cpu.hi[RAX]!);
  step(cpu, insn, RDI, d);
};

const lods: Element = (cpu, insn, size, d) => {
  const v = cpu.read(stringAddress(cpu, insn, RSI, true), size);
  cpu.setReg(RAX, size, v, size === 8 ? cpu.readHi : 0);
  step(cpu, insn, RSI, d);
};

const cmps: Element = (cpu, insn, size, d) => {
  const a = cpu.read(stringAddress(cpu, insn, RSI, true), size);
  const aHi = size === 8 ? cpu.readHi : 0;
  const b = cpu.read(stringAddress(cpu, insn, RDI, false), size);
  const bHi = size === 8 ? cpu.readHi : 0;
  aluFlagsOnly(cpu, ALU_CMP, size, a, aHi, b, bHi);
  step(cpu, insn, RSI, d);
  step(cpu, insn, RDI, d);
};

const scas: Element = (cpu, insn, size, d) => {
  const b = cpu.read(stringAddress(cpu, insn, RDI, false), size);
  aluFlagsOnly(cpu, ALU_CMP, size, cpu.getReg(RAX, size), cpu.hi[RAX]!, b, size === 8 ? cpu.readHi : 0);
  step(cpu, insn, RDI, d);
};

/**
 * Runs one element, or the whole REP loop. REPE/REPNE end early on ZF for
 * CMPS/SCAS; for the other three F2 acts like F3. With TF set the loop
 * runs one iteration per instruction: while work remains RIP stays on the
 * instruction, so the single-step trap comes after each iteration with the
 * return address at the REP instruction (SDM Vol. 3A "Single-Step
 * Exception Condition": repeated string instructions trap after each
 * iteration; the AMD host does the same).
 */
function run(cpu: Cpu, insn: DecodedInsn, element: Element, conditional: boolean): void {
  const size = insn.opSize;
  const d = delta(cpu, size);
  const rep = insn.prefixes & (PFX_REP | PFX_REPNE);
  if (rep === 0) {
    element(cpu, insn, size, d);
    return;
  }
  const singleStep = (cpu.flags.raw & TF) !== 0;
  while (!countIsZero(cpu, insn)) {
    element(cpu, insn, size, d);
    step(cpu, insn, RCX, -1);
    if (conditional) {
      const zf = cpu.flags.zf();
      // The last prefix decides: REPE (F3) stops when ZF = 0, REPNE (F2) when ZF = 1.
      if ((rep & PFX_REPNE) !== 0 ? zf : !zf) break;
    }
    if (singleStep) {
      if (!countIsZero(cpu, insn)) cpu.nextRip = cpu.rip; // run again after the trap
      break;
    }
  }
}

export const opMovs = (cpu: Cpu, insn: DecodedInsn): void => run(cpu, insn, movs, false);
export const opStos = (cpu: Cpu, insn: DecodedInsn): void => run(cpu, insn, stos, false);
export const opLods = (cpu: Cpu, insn: DecodedInsn): void => run(cpu, insn, lods, false);
export const opCmps = (cpu: Cpu, insn: DecodedInsn): void => run(cpu, insn, cmps, true);
export const opScas = (cpu: Cpu, insn: DecodedInsn): void => run(cpu, insn, scas, true);
