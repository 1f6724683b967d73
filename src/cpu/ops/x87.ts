/**
 * The x87 control instructions a static glibc needs (its startup code and
 * printf of integers and strings touch only the control word): FNINIT,
 * FNSTCW, FLDCW, FNSTSW, WAIT/FWAIT. No x87 register stack and no x87
 * arithmetic is modelled; those opcodes decode to #UD.
 *
 * State (core.ts): `fpuCw` the control word, `fpuSw` the status word (TOP
 * is always 0 here), `fpuTw` the *abridged* tag word as FXSAVE stores it
 * (bit i = 1 when physical register i is valid; 0 = all empty, which is
 * what FNINIT leaves).
 * @see Intel SDM Vol. 1 §8.1 (x87 state), Vol. 2 "FINIT/FNINIT", "FSTCW/FNSTCW",
 *      "FLDCW", "FSTSW/FNSTSW", "WAIT/FWAIT"
 */
import { RAX, VEC_MF, VEC_NM, type CpuCore } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';

const CR0_MP = 1 << 1;
const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;
/** FSW.ES: an unmasked x87 exception is pending. */
const FSW_ES = 1 << 7;

/** FNINIT's control word: all exceptions masked, 64-bit precision, round to nearest. */
export const FCW_INIT = 0x037f;

/** x87 instructions: #NM if CR0.EM = 1 or CR0.TS = 1 (SDM Vol. 3A Table 2-2, §13.1). */
export function requireX87(cpu: CpuCore): void {
  if ((cpu.mmu.cr0 & (CR0_EM | CR0_TS)) !== 0) cpu.fault(VEC_NM);
}

/**
 * The 80-bit data registers ST0-7 (as FXSAVE lays them out, 10 bytes each),
 * kept only so that FXRSTOR/XRSTOR → FXSAVE/XSAVE round-trips them: no
 * instruction here computes with them. A live view of `CpuCore.x87Regs`.
 */
export function x87Registers(cpu: CpuCore): Uint8Array {
  return cpu.x87Regs;
}

/**
 * FSW.ES and FSW.B (bit 15, a copy of ES) from the exception flags and the
 * masks: set when an exception flag is set whose mask bit is clear. The
 * host (AMD) recomputes them like this when FXRSTOR loads FSW.
 */
export function summarizeFsw(sw: number, cw: number): number {
  const pending = (sw & ~cw & 0x3f) !== 0;
  return pending ? sw | FSW_ES | 0x8000 : sw & ~(FSW_ES | 0x8000);
}

/** The x87 initial state (FNINIT; also XRSTOR's init of state component 0, which also zeroes ST0-7). */
export function initX87(cpu: CpuCore, registersToo = false): void {
  cpu.fpuCw = FCW_INIT;
  cpu.fpuSw = 0;
  cpu.fpuTw = 0;
  if (registersToo) cpu.x87Regs.fill(0);
}

/** FNINIT (DB E3): FCW 037F, FSW 0, all registers empty; FIP/FDP/FOP are 0 (never set here). */
export function opFninit(cpu: Cpu): void {
  requireX87(cpu);
  initX87(cpu);
}

/** FNSTCW m16 (D9 /7). */
export function opFnstcw(cpu: Cpu, insn: DecodedInsn): void {
  requireX87(cpu);
  cpu.write(cpu.effectiveAddress(insn), 2, cpu.fpuCw);
}

/**
 * FLDCW m16 (D9 /5). Bits 6 and 13-15 are reserved: bit 6 reads as 1 and
 * bits 13-15 as 0 (host-checked: FLDCW 0xFFFF → FNSTCW 0x1F7F, 0 → 0x0040;
 * SDM Vol. 1 Figure 8-6). An exception flag the new masks unmask becomes
 * pending (FSW.ES), to be raised by the next waiting instruction.
 */
export function opFldcw(cpu: Cpu, insn: DecodedInsn): void {
  requireX87(cpu);
  const v = cpu.read(cpu.effectiveAddress(insn), 2);
  cpu.fpuCw = (v & 0x1f3f) | 0x40;
  cpu.fpuSw = summarizeFsw(cpu.fpuSw, cpu.fpuCw);
}

/** FNSTSW m16 (DD /7) and FNSTSW AX (DF E0). */
export function opFnstsw(cpu: Cpu, insn: DecodedInsn): void {
  requireX87(cpu);
  if (insn.hasModrm && insn.mod !== 3) cpu.write(cpu.effectiveAddress(insn), 2, cpu.fpuSw);
  else cpu.setReg(RAX, 2, cpu.fpuSw);
}

/**
 * WAIT/FWAIT (9B): #NM only when CR0.MP and CR0.TS are both set; then a
 * pending unmasked x87 exception (FSW.ES, which only FXRSTOR/XRSTOR can set
 * here) is delivered as #MF (CR0.NE = 1 assumed: Linux always sets it).
 */
export function opWait(cpu: Cpu): void {
  const cr0 = cpu.mmu.cr0;
  if ((cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) cpu.fault(VEC_NM);
  if ((cpu.fpuSw & FSW_ES) !== 0) cpu.fault(VEC_MF);
}
