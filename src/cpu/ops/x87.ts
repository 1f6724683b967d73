/**
 * The x87 FPU state and its control instructions: the register stack (TOP,
 * tags, ST(i) ↔ physical register), exception flags and their masked and
 * unmasked responses, FNINIT, FNSTCW, FLDCW, FNSTSW, FNCLEX, WAIT/FWAIT,
 * FNSTENV/FLDENV. Data movement is in x87-move.ts, arithmetic and
 * comparisons in x87-arith.ts, the number formats in x87-float.ts.
 *
 * State (core.ts): `fpuCw` the control word, `fpuSw` the status word (TOP
 * in bits 13:11), `fpuTw` the *abridged* tag word as FXSAVE stores it (bit
 * i = 1 when physical register Ri is valid, 0 = empty), and `x87Regs`, the
 * eight 80-bit registers in *stack order* (ST0 first, 10 bytes each) — the
 * order FXSAVE/XSAVE lay them out, so that fpu-state.ts copies them as they
 * are. ST(i) is physical register R((TOP + i) & 7); a push (TOP - 1)
 * rotates the bytes up one slot, a pop rotates them down, so every
 * physical register keeps its contents.
 *
 *   FSW: 15 B | 14 C3 | 13:11 TOP | 10 C2 | 9 C1 | 8 C0 | 7 ES | 6 SF | 5:0 PE UE OE ZE DE IE
 *   FCW: 11:10 RC | 9:8 PC | 5:0 exception masks
 *
 * Exceptions (SDM Vol. 1 §8.4-§8.6): the flags are sticky; a masked one
 * gets the masked response (QNaN indefinite, ±∞, rounded results); an
 * unmasked one sets ES and B and is delivered as #MF by the next waiting
 * x87 instruction (`enterX87`). Unmasked IE (stack faults included), DE and
 * ZE leave the operands, TOP and the destination unchanged.
 * @see Intel SDM Vol. 1 §8.1 (x87 state), §8.3.2 (tags), §8.5; Vol. 2
 *      "FINIT/FNINIT", "FSTCW/FNSTCW", "FLDCW", "FSTSW/FNSTSW",
 *      "FCLEX/FNCLEX", "FSTENV/FNSTENV", "FLDENV", "WAIT/FWAIT"
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
 * The 80-bit data registers ST0-7 in stack order (as FXSAVE lays them out,
 * 10 bytes each). A live view of `CpuCore.x87Regs`.
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

/** FNINIT (DB E3): FCW 037F, FSW 0 (TOP 0), all registers empty; FIP/FDP/FOP are 0 (never set here). */
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
 * pending unmasked x87 exception (FSW.ES) is delivered as #MF (CR0.NE = 1
 * assumed: Linux always sets it).
 */
export function opWait(cpu: Cpu): void {
  const cr0 = cpu.mmu.cr0;
  if ((cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) cpu.fault(VEC_NM);
  if ((cpu.fpuSw & FSW_ES) !== 0) cpu.fault(VEC_MF);
}

// ---------------------------------------------------------------------------
// Status word fields

export const SW_C0 = 1 << 8;
export const SW_C1 = 1 << 9;
export const SW_C2 = 1 << 10;
export const SW_C3 = 1 << 14;
/** SF, the stack-fault flag (with IE). */
export const SW_SF = 1 << 6;
const SW_TOP = 7 << 11;
const SW_B = 1 << 15;
const FE_IE = 1 << 0;
/** The exceptions whose unmasked occurrence cancels the instruction (IE, DE, ZE). */
const PRE_EXCEPTIONS = 0x7;

/**
 * The start of every waiting x87 instruction: #NM (CR0.EM/TS), then a
 * pending unmasked exception (FSW.ES) is delivered as #MF before anything
 * changes (SDM Vol. 1 §8.6, Vol. 3A §6.15 "Interrupt 16").
 */
export function enterX87(cpu: CpuCore): void {
  requireX87(cpu);
  if ((cpu.fpuSw & FSW_ES) !== 0) cpu.fault(VEC_MF);
}

export function x87Top(cpu: CpuCore): number {
  return (cpu.fpuSw >> 11) & 7;
}

function setTop(cpu: CpuCore, top: number): void {
  cpu.fpuSw = (cpu.fpuSw & ~SW_TOP) | ((top & 7) << 11);
}

/** Whether ST(i) is empty (tag of physical register (TOP + i) & 7). */
export function stEmpty(cpu: CpuCore, i: number): boolean {
  return ((cpu.fpuTw >> ((x87Top(cpu) + i) & 7)) & 1) === 0;
}

function setTag(cpu: CpuCore, i: number, valid: boolean): void {
  const bit = 1 << ((x87Top(cpu) + i) & 7);
  cpu.fpuTw = valid ? cpu.fpuTw | bit : cpu.fpuTw & ~bit;
}

/** Sign and exponent (bits 79:64) of ST(i). */
export function stSe(cpu: CpuCore, i: number): number {
  const r = cpu.x87Regs;
  return r[i * 10 + 8]! | (r[i * 10 + 9]! << 8);
}

/** Significand (bits 63:0) of ST(i). */
export function stSig(cpu: CpuCore, i: number): bigint {
  const r = cpu.x87Regs;
  const o = i * 10;
  const lo = (r[o]! | (r[o + 1]! << 8) | (r[o + 2]! << 16) | (r[o + 3]! << 24)) >>> 0;
  const hi = (r[o + 4]! | (r[o + 5]! << 8) | (r[o + 6]! << 16) | (r[o + 7]! << 24)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Writes ST(i) and tags it valid. */
export function setSt(cpu: CpuCore, i: number, se: number, sig: bigint): void {
  const r = cpu.x87Regs;
  const o = i * 10;
  let s = sig;
  for (let k = 0; k < 8; k++) {
    r[o + k] = Number(s & 0xffn);
    s >>= 8n;
  }
  r[o + 8] = se & 0xff;
  r[o + 9] = (se >> 8) & 0xff;
  setTag(cpu, i, true);
}

/** TOP - 1: ST(7)'s physical register becomes ST(0) (its contents kept; the caller writes it). */
export function decTop(cpu: CpuCore): void {
  const r = cpu.x87Regs;
  const last = r.slice(70, 80);
  r.copyWithin(10, 0, 70);
  r.set(last, 0);
  setTop(cpu, x87Top(cpu) - 1);
}

/** TOP + 1 (FINCSTP; no tag changes). */
export function incTop(cpu: CpuCore): void {
  const r = cpu.x87Regs;
  const first = r.slice(0, 10);
  r.copyWithin(0, 10, 80);
  r.set(first, 70);
  setTop(cpu, x87Top(cpu) + 1);
}

/** Pops the stack: ST(0) tagged empty, TOP + 1. */
export function popSt(cpu: CpuCore): void {
  setTag(cpu, 0, false);
  incTop(cpu);
}

export function setC1(cpu: CpuCore, on: boolean): void {
  cpu.fpuSw = on ? cpu.fpuSw | SW_C1 : cpu.fpuSw & ~SW_C1;
}

/**
 * Records exception flags (bits 0-6: IE..PE and SF) in FSW, with ES and B
 * when one of them is unmasked. Returns whether the instruction goes on to
 * write its result: false when IE, DE or ZE is unmasked — then the result's
 * own OE, UE, PE are not reported either (the instruction stops before it).
 */
export function raiseX87(cpu: CpuCore, flags: number): boolean {
  if (flags === 0) return true;
  let unmasked = flags & ~cpu.fpuCw & 0x3f;
  const go = (unmasked & PRE_EXCEPTIONS) === 0;
  if (!go) {
    flags &= PRE_EXCEPTIONS | SW_SF;
    unmasked &= PRE_EXCEPTIONS;
  }
  cpu.fpuSw |= flags & 0x7f;
  if (unmasked !== 0) cpu.fpuSw |= FSW_ES | SW_B;
  return go;
}

/** Whether an exception (FE_* bit) is masked in FCW. */
export function x87Masked(cpu: CpuCore, flag: number): boolean {
  return (cpu.fpuCw & flag) !== 0;
}

/**
 * Stack underflow (an empty source): IE and SF, C1 = 0 (SDM Vol. 1
 * §8.5.1.1). Returns true when IE is masked, and the instruction goes on
 * with the QNaN indefinite as the value.
 */
export function stackUnderflow(cpu: CpuCore): boolean {
  setC1(cpu, false);
  return raiseX87(cpu, FE_IE | SW_SF);
}

/**
 * Stack overflow (a push onto a full ST(7)): IE and SF, C1 = 1. Returns
 * true when IE is masked: the push goes on and writes the QNaN indefinite.
 */
export function stackOverflow(cpu: CpuCore): boolean {
  setC1(cpu, true);
  return raiseX87(cpu, FE_IE | SW_SF);
}

/** FNCLEX (DB E2): clears the exception flags, SF, ES and B. */
export function opFnclex(cpu: Cpu): void {
  requireX87(cpu);
  cpu.fpuSw &= ~(0xff | SW_B);
}

/** FNOP (D9 D0): a waiting no-op. */
export function opFnop(cpu: Cpu): void {
  enterX87(cpu);
}

/**
 * The full tag word (FNSTENV, FNSAVE): two bits per physical register,
 * 00 valid, 01 zero, 10 special (NaN, ∞, denormal, unsupported), 11 empty
 * (SDM Vol. 1 Figure 8-7).
 */
export function fullTagWord(cpu: CpuCore): number {
  const top = x87Top(cpu);
  let tw = 0;
  for (let p = 0; p < 8; p++) {
    let t = 3;
    if ((cpu.fpuTw >> p) & 1) {
      const i = (p - top) & 7;
      const e = stSe(cpu, i) & 0x7fff;
      const sig = stSig(cpu, i);
      if (e === 0) t = sig === 0n ? 1 : 2;
      else if (e === 0x7fff || (sig >> 63n) === 0n) t = 2;
      else t = 0;
    }
    tw |= t << (2 * p);
  }
  return tw;
}

/**
 * FNSTENV m14/28byte (D9 /6): the environment (64-bit mode: the 28-byte
 * protected-mode layout, 32-bit fields; with 66 the 14-byte one), then all
 * exceptions masked (SDM Vol. 1 Figures 8-9, 8-10). FIP, FCS, FOP, FDP and
 * FDS are not modelled and stored as 0.
 *
 *   28-byte: 0 FCW  4 FSW  8 FTW  12 FIP  16 FCS | FOP << 16  20 FDP  24 FDS
 *   14-byte: 0 FCW  2 FSW  4 FTW   6 FIP   8 FCS  10 FDP  12 FDS
 *
 * The upper 16 bits of the 32-bit FCW, FSW, FTW and FDS slots are written
 * as 0xffff, as the (AMD) host does.
 */
export function opFnstenv(cpu: Cpu, insn: DecodedInsn): void {
  requireX87(cpu);
  const la = cpu.effectiveAddress(insn);
  const tw = fullTagWord(cpu);
  if (insn.opSize === 2) {
    const v = [cpu.fpuCw, cpu.fpuSw, tw, 0, 0, 0, 0];
    cpu.write(la + 12, 2, 0);
    v.forEach((w, k) => cpu.write(la + 2 * k, 2, w));
  } else {
    cpu.write(la + 24, 4, ENV_HIGH);
    cpu.write(la, 4, cpu.fpuCw | ENV_HIGH);
    cpu.write(la + 4, 4, cpu.fpuSw | ENV_HIGH);
    cpu.write(la + 8, 4, tw | ENV_HIGH);
    cpu.write(la + 12, 8, 0, 0);
    cpu.write(la + 20, 4, 0);
  }
  cpu.fpuCw |= 0x3f;
  cpu.fpuSw = summarizeFsw(cpu.fpuSw, cpu.fpuCw);
}
const ENV_HIGH = 0xffff0000 | 0;

/**
 * FLDENV m14/28byte (D9 /4): loads FCW, FSW (TOP included) and the tags
 * (11 → empty, anything else → valid); ES and B recomputed from the flags
 * and the new masks.
 */
export function opFldenv(cpu: Cpu, insn: DecodedInsn): void {
  requireX87(cpu);
  const la = cpu.effectiveAddress(insn);
  const step = insn.opSize === 2 ? 2 : 4;
  const cw = cpu.read(la, 2);
  const sw = cpu.read(la + step, 2);
  const tw = cpu.read(la + 2 * step, 2);
  cpu.fpuCw = (cw & 0x1f3f) | 0x40;
  cpu.fpuSw = summarizeFsw(sw, cpu.fpuCw);
  let abridged = 0;
  for (let p = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) !== 3) abridged |= 1 << p;
  cpu.fpuTw = abridged;
}
