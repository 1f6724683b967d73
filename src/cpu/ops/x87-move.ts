/**
 * x87 data movement: FLD (m32fp, m64fp, m80fp, ST(i)), the constants
 * (FLD1, FLDZ, FLDPI, FLDL2T, FLDL2E, FLDLG2, FLDLN2), FILD, FST/FSTP,
 * FIST/FISTP/FISTTP, FXCH, FFREE, FINCSTP/FDECSTP, FCMOVcc.
 *
 * Loads push: a full ST(7) is a stack overflow (masked: the QNaN
 * indefinite is pushed). An empty source is a stack underflow (masked: the
 * indefinite is the value). Conversions are exact (x87-float.ts); stores
 * round per FCW.RC to the memory format. A memory store happens before any
 * state changes, so a page fault leaves the FPU as it was.
 * @see Intel SDM Vol. 2 "FLD", "FLD1/FLDL2T/...", "FILD", "FST/FSTP",
 *      "FIST/FISTP", "FISTTP", "FXCH", "FFREE", "FINCSTP", "FDECSTP",
 *      "FCMOVcc"; Vol. 1 §8.3.6 (conversions), §8.5.1
 */
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import {
  C_FINITE, C_INF, C_QNAN, C_SNAN, C_UNSUPPORTED, C_ZERO, FE_DE, FE_IE, FE_OE, FE_PE, FE_UE, INDEFINITE,
  M32, M64, RC_DOWN, RC_UP, RC_ZERO, T_F32, T_F64,
  indefiniteMem, nanToMem, packMem, quiet, round, toInteger, unpackExt, unpackInt, unpackMem,
  type Ext80, type MemFormat, type Unpacked,
} from './x87-float.js';
import {
  decTop, enterX87, incTop, popSt, raiseX87, setC1, setSt, stackOverflow, stackUnderflow, stEmpty, stSe, stSig, x87Masked, x87Top,
} from './x87.js';

/** ST(i) unpacked (the caller has checked it is not empty). */
export function readSt(cpu: Cpu, i: number): Unpacked {
  return unpackExt(stSe(cpu, i), stSig(cpu, i));
}

/** Reads a little-endian value of `bytes` (2, 4, 8, 10) at `la` as an unsigned BigInt. */
export function readMem(cpu: Cpu, la: number, bytes: number): bigint {
  if (bytes <= 4) return BigInt(cpu.read(la, bytes) >>> 0) & ((1n << BigInt(bytes * 8)) - 1n);
  const lo = cpu.read(la, 8) >>> 0;
  const v = (BigInt(cpu.readHi >>> 0) << 32n) | BigInt(lo);
  if (bytes === 8) return v;
  return v | (BigInt(cpu.read(la + 8, 2)) << 64n);
}

/**
 * Writes `bytes` (2, 4, 8, 10) at `la`. A 10-byte store writes its top two
 * bytes first, so a fault in a following page leaves memory unchanged.
 */
export function writeMem(cpu: Cpu, la: number, bytes: number, v: bigint): void {
  if (bytes <= 4) {
    cpu.write(la, bytes, Number(BigInt.asIntN(32, v)));
    return;
  }
  if (bytes === 10) cpu.write(la + 8, 2, Number((v >> 64n) & 0xffffn));
  cpu.write(la, 8, Number(BigInt.asIntN(32, v & 0xffff_ffffn)), Number(BigInt.asIntN(32, (v >> 32n) & 0xffff_ffffn)));
}

/**
 * Pushes `v` (`flags`: the load's own exceptions, e.g. IE for an SNaN
 * source). Overflow first: a full ST(7) means IE+SF, C1 = 1, and (masked)
 * the indefinite is pushed instead. C1 = 0 otherwise.
 */
function push(cpu: Cpu, v: Ext80, flags: number): void {
  if (!stEmpty(cpu, 7)) {
    if (!stackOverflow(cpu)) return;
    decTop(cpu);
    setSt(cpu, 0, INDEFINITE.se, INDEFINITE.sig);
    return;
  }
  if (!raiseX87(cpu, flags)) return;
  setC1(cpu, false);
  decTop(cpu);
  setSt(cpu, 0, v.se, v.sig);
}

/**
 * Pushes a loaded memory float: an SNaN is quieted (IE). A denormal reports
 * DE but is loaded even when DE is unmasked (host-checked, AMD).
 */
function pushLoaded(cpu: Cpu, u: Unpacked): void {
  if (u.cls === C_SNAN) {
    push(cpu, quiet(u), FE_IE);
  } else if (u.denormal && !x87Masked(cpu, FE_DE) && stEmpty(cpu, 7)) {
    push(cpu, u.raw, 0);
    raiseX87(cpu, FE_DE);
  } else {
    push(cpu, u.raw, u.denormal ? FE_DE : 0);
  }
}

/** FLD m32fp (D9 /0), m64fp (DD /0). */
function fldMem(f: MemFormat) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    pushLoaded(cpu, unpackMem(f, readMem(cpu, cpu.effectiveAddress(insn), f.bits / 8)));
  };
}
export const opFldMd = fldMem(M32);
export const opFldMq = fldMem(M64);

/** FLD m80fp (DB /5): loaded as is (no exception for an SNaN or an unsupported encoding). */
export function opFldMt(cpu: Cpu, insn: DecodedInsn): void {
  enterX87(cpu);
  const v = readMem(cpu, cpu.effectiveAddress(insn), 10);
  push(cpu, { se: Number(v >> 64n), sig: v & ((1n << 64n) - 1n) }, 0);
}

/**
 * FLD ST(i) (D9 C0+i): pushes a copy of ST(i). An empty ST(i) underflows
 * (C1 = 0, even when ST(7) is full too; host-checked) and, masked, the
 * indefinite is pushed.
 */
export function opFldSti(cpu: Cpu, insn: DecodedInsn): void {
  enterX87(cpu);
  const i = insn.rm & 7;
  if (stEmpty(cpu, i)) {
    if (!stackUnderflow(cpu)) return;
    decTop(cpu);
    setSt(cpu, 0, INDEFINITE.se, INDEFINITE.sig);
    return;
  }
  push(cpu, { se: stSe(cpu, i), sig: stSig(cpu, i) }, 0);
}

/**
 * The constants as the 64-bit significand rounded to nearest, and whether
 * that rounding went up: the processor rounds its 66-bit constant per
 * FCW.RC (SDM Vol. 2 "FLD1/FLDL2T/..." IA-32 Architecture Compatibility).
 */
const CONSTANTS: Readonly<Record<string, readonly [number, bigint, boolean]>> = {
  fld1: [0x3fff, 0x8000_0000_0000_0000n, false],
  fldz: [0, 0n, false],
  fldl2t: [0x4000, 0xd49a_784b_cd1b_8afen, false],
  fldl2e: [0x3fff, 0xb8aa_3b29_5c17_f0bcn, true],
  fldpi: [0x4000, 0xc90f_daa2_2168_c235n, true],
  fldlg2: [0x3ffd, 0x9a20_9a84_fbcf_f799n, true],
  fldln2: [0x3ffe, 0xb172_17f7_d1cf_79acn, true],
};

function fldConstant(name: string) {
  const [se, sig, roundedUp] = CONSTANTS[name]!;
  return (cpu: Cpu): void => {
    enterX87(cpu);
    const rc = (cpu.fpuCw >> 10) & 3;
    let s = sig;
    if (sig !== 0n && sig !== 1n << 63n) {
      if (roundedUp && (rc === RC_DOWN || rc === RC_ZERO)) s -= 1n;
      if (!roundedUp && rc === RC_UP) s += 1n;
    }
    push(cpu, { se, sig: s }, 0);
  };
}
export const opFld1 = fldConstant('fld1');
export const opFldz = fldConstant('fldz');
export const opFldl2t = fldConstant('fldl2t');
export const opFldl2e = fldConstant('fldl2e');
export const opFldpi = fldConstant('fldpi');
export const opFldlg2 = fldConstant('fldlg2');
export const opFldln2 = fldConstant('fldln2');

/** FILD m16int (DF /0), m32int (DB /0), m64int (DF /5): exact. */
function fild(bytes: number) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const v = BigInt.asIntN(bytes * 8, readMem(cpu, cpu.effectiveAddress(insn), bytes));
    push(cpu, unpackInt(v).raw, 0);
  };
}
export const opFildMw = fild(2);
export const opFildMd = fild(4);
export const opFildMq = fild(8);

/**
 * FST/FSTP m32fp, m64fp: ST(0) rounded per RC to the format (no precision
 * control). SNaN → IE and the quieted NaN; unsupported → IE and the
 * indefinite; a denormal source reports nothing (host-checked). An unmasked
 * IE/OE/UE stores nothing and does not pop (SDM Vol. 1 §8.5.4, §8.5.5).
 */
function fstMem(f: MemFormat, pop: boolean) {
  const t = f === M32 ? T_F32 : T_F64;
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const la = cpu.effectiveAddress(insn);
    let bits: bigint;
    let flags = 0;
    let up = false;
    if (stEmpty(cpu, 0)) {
      if (x87Masked(cpu, FE_IE)) writeMem(cpu, la, f.bits / 8, indefiniteMem(f));
      if (!stackUnderflow(cpu)) return;
      if (pop) popSt(cpu);
      return;
    }
    const u = readSt(cpu, 0);
    switch (u.cls) {
      case C_ZERO: bits = BigInt(u.sign) << BigInt(f.bits - 1); break;
      case C_INF: bits = packMem(f, { cls: C_INF, sign: u.sign, q: 0n, lsb: 0, flags: 0, up: false, wrapped: false }); break;
      case C_QNAN: bits = nanToMem(f, u); break;
      case C_SNAN: bits = nanToMem(f, u); flags = FE_IE; break;
      case C_UNSUPPORTED: bits = indefiniteMem(f); flags = FE_IE; break;
      default: {
        const rc = (cpu.fpuCw >> 10) & 3;
        const r = round(u.sign, u.mant, u.exp, false, t, rc, x87Masked(cpu, FE_OE), x87Masked(cpu, FE_UE));
        flags = r.flags;
        up = r.up;
        bits = packMem(f, r);
      }
    }
    const unmasked = flags & ~cpu.fpuCw & (FE_IE | FE_OE | FE_UE);
    if (unmasked === 0) writeMem(cpu, la, f.bits / 8, bits);
    // An unmasked overflow/underflow to memory stores nothing and reports no PE.
    raiseX87(cpu, unmasked & (FE_OE | FE_UE) ? flags & ~FE_PE : flags);
    if (unmasked !== 0) return;
    setC1(cpu, up);
    if (pop) popSt(cpu);
  };
}
export const opFstMd = fstMem(M32, false);
export const opFstMq = fstMem(M64, false);
export const opFstpMd = fstMem(M32, true);
export const opFstpMq = fstMem(M64, true);

/** FSTP m80fp (DB /7): ST(0) as is, then pop. */
export function opFstpMt(cpu: Cpu, insn: DecodedInsn): void {
  enterX87(cpu);
  const la = cpu.effectiveAddress(insn);
  if (stEmpty(cpu, 0)) {
    if (x87Masked(cpu, FE_IE)) writeMem(cpu, la, 10, (BigInt(INDEFINITE.se) << 64n) | INDEFINITE.sig);
    if (!stackUnderflow(cpu)) return;
    popSt(cpu);
    return;
  }
  writeMem(cpu, la, 10, (BigInt(stSe(cpu, 0)) << 64n) | stSig(cpu, 0));
  setC1(cpu, false);
  popSt(cpu);
}

/** FST ST(i) (DD D0+i), FSTP ST(i) (DD D8+i): copies ST(0) (no conversion, no exceptions). */
function fstSti(pop: boolean) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const i = insn.rm & 7;
    if (stEmpty(cpu, 0)) {
      if (!stackUnderflow(cpu)) return;
      setSt(cpu, i, INDEFINITE.se, INDEFINITE.sig);
    } else {
      setSt(cpu, i, stSe(cpu, 0), stSig(cpu, 0));
      setC1(cpu, false);
    }
    if (pop) popSt(cpu);
  };
}
export const opFstSti = fstSti(false);
export const opFstpSti = fstSti(true);

/**
 * FIST/FISTP m16int/m32int/m64int and FISTTP (truncating): ST(0) rounded
 * to an integer (RC, or toward zero for FISTTP). NaN, ∞, unsupported, and
 * results out of range are IE: masked, the integer indefinite (only the
 * sign bit set) is stored. Inexact → PE, C1 = rounded up.
 */
function fist(bytes: number, pop: boolean, truncate: boolean) {
  const bits = bytes * 8;
  const indefinite = 1n << BigInt(bits - 1);
  const max = indefinite - 1n;
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const la = cpu.effectiveAddress(insn);
    if (stEmpty(cpu, 0)) {
      if (x87Masked(cpu, FE_IE)) writeMem(cpu, la, bytes, indefinite);
      if (!stackUnderflow(cpu)) return;
      if (pop) popSt(cpu);
      return;
    }
    const u = readSt(cpu, 0);
    let out = indefinite;
    let flags = FE_IE;
    let up = false;
    if (u.cls === C_ZERO || u.cls === C_FINITE) {
      const r = toInteger(u, truncate ? RC_ZERO : (cpu.fpuCw >> 10) & 3);
      if (r.v >= -indefinite && r.v <= max) {
        out = BigInt.asUintN(bits, r.v);
        flags = (r.inexact ? FE_PE : 0);
        up = r.up;
      }
    }
    const unmasked = flags & ~cpu.fpuCw & FE_IE;
    if (unmasked === 0) writeMem(cpu, la, bytes, out);
    raiseX87(cpu, flags);
    if (unmasked !== 0) return;
    setC1(cpu, up);
    if (pop) popSt(cpu);
  };
}
export const opFistMw = fist(2, false, false);
export const opFistMd = fist(4, false, false);
export const opFistpMw = fist(2, true, false);
export const opFistpMd = fist(4, true, false);
export const opFistpMq = fist(8, true, false);
export const opFisttpMw = fist(2, true, true);
export const opFisttpMd = fist(4, true, true);
export const opFisttpMq = fist(8, true, true);

/** FXCH ST(i) (D9 C8+i): an empty operand underflows; masked, it reads as the indefinite. C1 = 0. */
export function opFxch(cpu: Cpu, insn: DecodedInsn): void {
  enterX87(cpu);
  const i = insn.rm & 7;
  const e0 = stEmpty(cpu, 0);
  const ei = stEmpty(cpu, i);
  if ((e0 || ei) && !stackUnderflow(cpu)) return;
  const a: Ext80 = e0 ? INDEFINITE : { se: stSe(cpu, 0), sig: stSig(cpu, 0) };
  const b: Ext80 = ei ? INDEFINITE : { se: stSe(cpu, i), sig: stSig(cpu, i) };
  setSt(cpu, 0, b.se, b.sig);
  setSt(cpu, i, a.se, a.sig);
  setC1(cpu, false);
}

/** FFREE ST(i) (DD C0+i): tags ST(i) empty; TOP unchanged. */
export function opFfree(cpu: Cpu, insn: DecodedInsn): void {
  enterX87(cpu);
  cpu.fpuTw &= ~(1 << ((x87Top(cpu) + (insn.rm & 7)) & 7));
}

/** FINCSTP (D9 F7), FDECSTP (D9 F6): TOP ± 1, no tag or register change; C1 = 0. */
export function opFincstp(cpu: Cpu): void {
  enterX87(cpu);
  incTop(cpu);
  setC1(cpu, false);
}
export function opFdecstp(cpu: Cpu): void {
  enterX87(cpu);
  decTop(cpu);
  setC1(cpu, false);
}

/**
 * FCMOVcc ST(0), ST(i) (DA/DB C0-DF): copies ST(i) to ST(0) when the EFLAGS
 * condition holds (B, E, BE, U and their negations). An empty operand
 * underflows whatever the condition.
 */
function fcmov(cc: number, negate: boolean) {
  return (cpu: Cpu, insn: DecodedInsn): void => {
    enterX87(cpu);
    const i = insn.rm & 7;
    if (stEmpty(cpu, 0) || stEmpty(cpu, i)) {
      if (!stackUnderflow(cpu)) return;
      setSt(cpu, 0, INDEFINITE.se, INDEFINITE.sig);
      return;
    }
    setC1(cpu, false);
    if (cpu.flags.cond(cc) !== negate) setSt(cpu, 0, stSe(cpu, i), stSig(cpu, i));
  };
}
// Jcc condition numbers: 2 B, 4 E, 6 BE, 10 P (U).
export const opFcmovb = fcmov(2, false);
export const opFcmove = fcmov(4, false);
export const opFcmovbe = fcmov(6, false);
export const opFcmovu = fcmov(10, false);
export const opFcmovnb = fcmov(2, true);
export const opFcmovne = fcmov(4, true);
export const opFcmovnbe = fcmov(6, true);
export const opFcmovnu = fcmov(10, true);
