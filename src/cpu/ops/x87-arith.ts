/**
 * x87 arithmetic and comparisons: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR (m32fp,
 * m64fp, ST(0),ST(i), ST(i),ST(0) and the P forms), FIADD..FIDIVR (m16int,
 * m32int), FSQRT, FRNDINT, FCHS, FABS, FTST, FXAM, FCOM/FCOMP/FCOMPP,
 * FUCOM/FUCOMP/FUCOMPP, FICOM/FICOMP, FCOMI/FCOMIP/FUCOMI/FUCOMIP.
 *
 * Operand order: with x = ST(0) and y = ST(i) or the memory operand, the
 * ModRM.reg digit selects 0 x+y, 1 x×y, 4 x−y, 5 y−x, 6 x/y, 7 y/x — for
 * D8 (result to ST(0)) and for DC/DE register forms (result to ST(i)),
 * which is why Intel's DC E0+i is FSUBR ST(i),ST(0) (SDM Vol. 2 "FSUB",
 * "FSUBR", "FDIV", "FDIVR"; Table A-8..A-22 x87 opcode maps).
 *
 * Results are rounded per FCW.RC to the precision control's 24/53/64 bits
 * (SDM Vol. 1 §8.1.5.2); C1 = 1 when the result was rounded up in
 * magnitude. C0, C2, C3 are left as they were (undefined per the SDM).
 */
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { AF, CF, OF, PF, SF, ZF } from '../flags.js';
import {
  C_FINITE, C_INF, C_QNAN, C_SNAN, C_UNSUPPORTED, C_ZERO, FE_DE, FE_IE, FE_OE, FE_PE, FE_UE, INDEFINITE,
  M32, M64, OP_ADD, OP_DIV, OP_MUL, OP_SUB, T_EXT24, T_EXT53, T_EXT64,
  arith, compare, packExt, quiet, round, sqrtExact, toInteger, unpackInt, unpackMem,
  type Exact, type Ext80, type MemFormat, type Target, type Unpacked,
} from './x87-float.js';
import { readMem, readSt } from './x87-move.js';
import {
  enterX87, popSt, raiseX87, setC1, setSt, stackUnderflow, stEmpty, stSe, SW_C0, SW_C1, SW_C2, SW_C3, x87Masked,
} from './x87.js';

/** The rounding target of FCW.PC (00 single, 10 double, 11 extended; 01 reserved, treated as 11). */
function precision(cw: number): Target {
  const pc = (cw >> 8) & 3;
  return pc === 0 ? T_EXT24 : pc === 2 ? T_EXT53 : T_EXT64;
}

/** Rounds an exact result to the register format per FCW; `flags` gets the rounding exceptions. */
function toRegister(cpu: Cpu, x: Exact, t: Target): { v: Ext80; flags: number; up: boolean } {
  switch (x.cls) {
    case C_ZERO: return { v: { se: x.sign << 15, sig: 0n }, flags: x.flags, up: false };
    case C_INF: return { v: { se: (x.sign << 15) | 0x7fff, sig: 1n << 63n }, flags: x.flags, up: false };
    case C_QNAN: return { v: x.nan, flags: x.flags, up: false };
  }
  const r = round(x.sign, x.mant, x.exp, x.sticky, t, (cpu.fpuCw >> 10) & 3, x87Masked(cpu, FE_OE), x87Masked(cpu, FE_UE));
  const bias = r.wrapped ? ((r.flags & FE_OE) !== 0 ? -24576 : 24576) : 0;
  return { v: packExt(r, bias), flags: x.flags | r.flags, up: r.up };
}

/** The exact operation of a /digit with x = ST(0) and y = the other operand. */
function compute(digit: number, x: Unpacked, y: Unpacked, rc: number): Exact {
  switch (digit) {
    case 0: return arith(OP_ADD, x, y, rc);
    case 1: return arith(OP_MUL, x, y, rc);
    case 4: return arith(OP_SUB, x, y, rc);
    case 5: return arith(OP_SUB, y, x, rc);
    case 6: return arith(OP_DIV, x, y, rc);
    default: return arith(OP_DIV, y, x, rc);
  }
}

/**
 * Writes `digit`'s result of x = ST(0), y into ST(dest), then pops if
 * `pop`. `y` null: the other operand was an empty register.
 */
function finishArith(cpu: Cpu, digit: number, y: Unpacked | null, dest: number, pop: boolean): void {
  let v: Ext80;
  let up = false;
  if (y === null || stEmpty(cpu, 0)) {
    if (!stackUnderflow(cpu)) return;
    v = INDEFINITE;
  } else {
    const r = toRegister(cpu, compute(digit, readSt(cpu, 0), y, (cpu.fpuCw >> 10) & 3), precision(cpu.fpuCw));
    if (!raiseX87(cpu, r.flags)) return;
    v = r.v;
    up = r.up;
    setC1(cpu, up);
  }
  setSt(cpu, dest, v.se, v.sig);
  if (pop) popSt(cpu);
}

/** D8 /digit m32fp, DC /digit m64fp: ST(0) = ST(0) op m. */
function arithMem(f: MemFormat) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const y = unpackMem(f, readMem(cpu, cpu.effectiveAddress(insn), f.bits / 8));
    finishArith(cpu, insn.regOp & 7, y, 0, false);
  };
}
export const opArithMd = arithMem(M32);
export const opArithMq = arithMem(M64);

/** DA /digit m32int, DE /digit m16int (FIADD ...): ST(0) = ST(0) op integer. */
function arithInt(bytes: number) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const y = unpackInt(BigInt.asIntN(bytes * 8, readMem(cpu, cpu.effectiveAddress(insn), bytes)));
    finishArith(cpu, insn.regOp & 7, y, 0, false);
  };
}
export const opArithMdInt = arithInt(4);
export const opArithMwInt = arithInt(2);

/** D8 /digit ST(0),ST(i); DC /digit ST(i),ST(0); DE /digit ST(i),ST(0) then pop. */
function arithReg(toSti: boolean, pop: boolean) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const i = insn.rm & 7;
    finishArith(cpu, insn.regOp & 7, stEmpty(cpu, i) ? null : readSt(cpu, i), toSti ? i : 0, pop);
  };
}
export const opArithSt0Sti = arithReg(false, false);
export const opArithStiSt0 = arithReg(true, false);
export const opArithpStiSt0 = arithReg(true, true);

/** A one-operand ST(0) operation: an empty ST(0) underflows (masked: the indefinite). */
function unary(fn: (cpu: Cpu, x: Unpacked) => { v: Ext80; flags: number; up: boolean }) {
  return (cpu: Cpu): void => {
    enterX87(cpu);
    if (stEmpty(cpu, 0)) {
      if (stackUnderflow(cpu)) setSt(cpu, 0, INDEFINITE.se, INDEFINITE.sig);
      return;
    }
    const r = fn(cpu, readSt(cpu, 0));
    if (!raiseX87(cpu, r.flags)) return;
    setC1(cpu, r.up);
    setSt(cpu, 0, r.v.se, r.v.sig);
  };
}

/** FCHS (D9 E0), FABS (D9 E1): the sign bit only, whatever the operand (no exceptions). */
export const opFchs = unary((_cpu, x) => ({ v: { se: x.raw.se ^ 0x8000, sig: x.raw.sig }, flags: 0, up: false }));
export const opFabs = unary((_cpu, x) => ({ v: { se: x.raw.se & 0x7fff, sig: x.raw.sig }, flags: 0, up: false }));

/** FSQRT (D9 FA): rounded per RC and PC; negative nonzero operands are IE. */
export const opFsqrt = unary((cpu, x) => toRegister(cpu, sqrtExact(x), precision(cpu.fpuCw)));

/** FRNDINT (D9 FC): ST(0) rounded to an integer per RC (64-bit precision, sign kept for zeros). */
export const opFrndint = unary((cpu, x) => {
  if (x.cls === C_UNSUPPORTED) return { v: INDEFINITE, flags: FE_IE, up: false };
  if (x.cls === C_SNAN) return { v: quiet(x), flags: FE_IE, up: false };
  if (x.cls !== C_FINITE) return { v: x.raw, flags: 0, up: false };
  const r = toInteger(x, (cpu.fpuCw >> 10) & 3);
  const flags = (x.denormal ? FE_DE : 0) | (r.inexact ? FE_PE : 0);
  const v = r.v === 0n ? { se: x.sign << 15, sig: 0n } : unpackInt(r.v).raw;
  return { v, flags, up: r.up };
});

// ---------------------------------------------------------------------------
// Comparisons

const CC_MASK = SW_C0 | SW_C1 | SW_C2 | SW_C3;

/**
 * Compares x with y: the exception flags and the result as C3 C2 C0 bits
 * (unordered 111, greater 000, less 001, equal 100). `y` null: an empty
 * operand (stack underflow). `quietNaN`: FUCOM*, where only an SNaN (or an
 * unsupported operand) is IE; FCOM* signal on any NaN.
 */
function compareCc(x: Unpacked | null, y: Unpacked | null, quietNaN: boolean): { flags: number; cc: number; underflow: boolean } {
  const unordered = SW_C3 | SW_C2 | SW_C0;
  if (x === null || y === null) return { flags: 0, cc: unordered, underflow: true };
  const nan = (u: Unpacked): boolean => u.cls === C_QNAN || u.cls === C_SNAN || u.cls === C_UNSUPPORTED;
  if (nan(x) || nan(y)) {
    const signal = !quietNaN || x.cls === C_SNAN || y.cls === C_SNAN || x.cls === C_UNSUPPORTED || y.cls === C_UNSUPPORTED;
    return { flags: signal ? FE_IE : 0, cc: unordered, underflow: false };
  }
  const flags = x.denormal || y.denormal ? FE_DE : 0;
  const c = compare(x, y);
  return { flags, cc: c === 0 ? SW_C3 : c < 0 ? SW_C0 : 0, underflow: false };
}

/**
 * Applies a comparison to FSW (C3 C2 C0, C1 = 0) or EFLAGS and pops `pops`
 * times. The result is written even when the exception (IE, DE) is
 * unmasked; only the pops are cancelled then (host-checked, AMD).
 */
function finishCompare(cpu: Cpu, r: { flags: number; cc: number; underflow: boolean }, pops: number, toEflags: boolean): void {
  const go = r.underflow ? stackUnderflow(cpu) : raiseX87(cpu, r.flags);
  if (toEflags) {
    const z = (r.cc & SW_C3 ? ZF : 0) | (r.cc & SW_C2 ? PF : 0) | (r.cc & SW_C0 ? CF : 0);
    cpu.flags.update(z, (ZF | PF | CF | OF | SF | AF) & ~z);
    setC1(cpu, false);
  } else {
    cpu.fpuSw = (cpu.fpuSw & ~CC_MASK) | r.cc;
  }
  if (go) for (let k = 0; k < pops; k++) popSt(cpu);
}

function st(cpu: Cpu, i: number): Unpacked | null {
  return stEmpty(cpu, i) ? null : readSt(cpu, i);
}

/** FCOM/FCOMP m32fp, m64fp (D8/DC /2, /3), FICOM/FICOMP m32int, m16int (DA/DE /2, /3). */
function compareMem(load: (cpu: Cpu, la: number) => Unpacked) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const y = load(cpu, cpu.effectiveAddress(insn));
    finishCompare(cpu, compareCc(st(cpu, 0), y, false), insn.regOp & 1, false);
  };
}
export const opFcomMd = compareMem((cpu, la) => unpackMem(M32, readMem(cpu, la, 4)));
export const opFcomMq = compareMem((cpu, la) => unpackMem(M64, readMem(cpu, la, 8)));
export const opFicomMd = compareMem((cpu, la) => unpackInt(BigInt.asIntN(32, readMem(cpu, la, 4))));
export const opFicomMw = compareMem((cpu, la) => unpackInt(BigInt.asIntN(16, readMem(cpu, la, 2))));

/** Register comparisons with ST(i) (or ST(1) for the PP forms). */
function compareReg(quietNaN: boolean, pops: number, toEflags: boolean, fixed = -1) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const i = fixed >= 0 ? fixed : insn.rm & 7;
    finishCompare(cpu, compareCc(st(cpu, 0), st(cpu, i), quietNaN), pops, toEflags);
  };
}
export const opFcomSti = compareReg(false, 0, false);
export const opFcompSti = compareReg(false, 1, false);
export const opFcompp = compareReg(false, 2, false, 1);
export const opFucomSti = compareReg(true, 0, false);
export const opFucompSti = compareReg(true, 1, false);
export const opFucompp = compareReg(true, 2, false, 1);
export const opFcomi = compareReg(false, 0, true);
export const opFcomip = compareReg(false, 1, true);
export const opFucomi = compareReg(true, 0, true);
export const opFucomip = compareReg(true, 1, true);

/** FTST (D9 E4): ST(0) against +0.0, as FCOM. */
export function opFtst(cpu: Cpu): void {
  enterX87(cpu);
  finishCompare(cpu, compareCc(st(cpu, 0), unpackInt(0n), false), 0, false);
}

/**
 * FXAM (D9 E5): C1 = the sign bit; C3 C2 C0 = the class: 000 unsupported,
 * 001 NaN, 010 normal, 011 infinity, 100 zero, 101 empty, 110 denormal.
 * No exceptions, not even for an empty ST(0).
 */
export function opFxam(cpu: Cpu): void {
  enterX87(cpu);
  const se = stSe(cpu, 0);
  let cc: number;
  if (stEmpty(cpu, 0)) {
    cc = SW_C3 | SW_C0;
  } else {
    const u = readSt(cpu, 0);
    switch (u.cls) {
      case C_ZERO: cc = SW_C3; break;
      case C_INF: cc = SW_C2 | SW_C0; break;
      case C_QNAN: case C_SNAN: cc = SW_C0; break;
      case C_UNSUPPORTED: cc = 0; break;
      default: cc = u.denormal ? SW_C3 | SW_C2 : SW_C2;
    }
  }
  cpu.fpuSw = (cpu.fpuSw & ~CC_MASK) | cc | (se & 0x8000 ? SW_C1 : 0);
}
