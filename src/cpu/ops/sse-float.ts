/**
 * SSE/SSE2 scalar floating point: ADD/SUB/MUL/DIV/MIN/MAX/SQRT SS/SD,
 * CVTSI2SS/SD, CVTTSS2SI/CVTTSD2SI, CVTSS2SD/CVTSD2SS, UCOMISS/UCOMISD,
 * COMISS/COMISD. Arithmetic is exact (sse-softfloat.ts); results go to the
 * low element of the destination, the other elements are kept.
 *
 * Exceptions (SDM Vol. 1 §11.5.2): pre-computation exceptions (IE, DE, ZE)
 * are reported alone when one of them is unmasked; otherwise the result is
 * computed and the post-computation ones (OE, UE, PE) are added. Any
 * unmasked exception faults (#XM, or #UD without CR4.OSXMMEXCPT) with the
 * destination unchanged and the flags recorded in MXCSR.
 */
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CF, OF, PF, SF, ZF, AF } from '../flags.js';
import { MX_DAZ, MX_DE, MX_IE, MX_ZE, masked, memAddress, requireSse, signalSimd } from './sse-common.js';
import {
  F32, F64, OP_ADD, OP_DIV, OP_MUL, OP_SUB, QNAN, SNAN, arith, compare, convert, fromInt, newPacked,
  newUnpacked, sqrt, toIntTrunc, unpack, type Format,
} from './sse-softfloat.js';

const PRE = MX_IE | MX_DE | MX_ZE;
const ua = newUnpacked();
const ub = newUnpacked();
const res = newPacked();

/** Source operand (Wd / Wq): low element of XMM[rm] or memory; halves in srcLo/srcHi. */
let srcLo = 0;
let srcHi = 0;

function loadScalar(cpu: Cpu, insn: DecodedInsn, f: Format): void {
  if (insn.mod === 3) {
    srcLo = cpu.xmm[insn.rm * 4]!;
    srcHi = f === F64 ? cpu.xmm[insn.rm * 4 + 1]! : 0;
    return;
  }
  const la = memAddress(cpu, insn, f === F64 ? 8 : 4, 1);
  if (f === F64) {
    srcLo = cpu.read64(la);
    srcHi = cpu.readHi;
  } else {
    srcLo = cpu.read(la, 4);
    srcHi = 0;
  }
}

/** Signals pre-computation flags alone if one is unmasked, then all. */
function report(cpu: Cpu, flags: number): void {
  const pre = flags & PRE;
  if (!masked(cpu, pre)) signalSimd(cpu, pre);
  signalSimd(cpu, flags);
}

function writeLow(cpu: Cpu, reg: number, f: Format, lo: number, hi: number): void {
  cpu.xmm[reg * 4] = lo;
  if (f === F64) cpu.xmm[reg * 4 + 1] = hi;
}

function daz(cpu: Cpu): boolean {
  return (cpu.mxcsr & MX_DAZ) !== 0;
}

function arithHandler(op: number, f: Format): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    loadScalar(cpu, insn, f);
    const d = insn.reg * 4;
    unpack(ua, f, cpu.xmm[d]!, cpu.xmm[d + 1]!, daz(cpu));
    unpack(ub, f, srcLo, srcHi, daz(cpu));
    arith(res, f, op, ua, ub, cpu.mxcsr);
    report(cpu, res.flags);
    writeLow(cpu, insn.reg, f, res.lo, res.hi);
  };
}

export const opAddss = arithHandler(OP_ADD, F32);
export const opAddsd = arithHandler(OP_ADD, F64);
export const opSubss = arithHandler(OP_SUB, F32);
export const opSubsd = arithHandler(OP_SUB, F64);
export const opMulss = arithHandler(OP_MUL, F32);
export const opMulsd = arithHandler(OP_MUL, F64);
export const opDivss = arithHandler(OP_DIV, F32);
export const opDivsd = arithHandler(OP_DIV, F64);

function sqrtHandler(f: Format): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    loadScalar(cpu, insn, f);
    unpack(ub, f, srcLo, srcHi, daz(cpu));
    sqrt(res, f, ub, cpu.mxcsr);
    report(cpu, res.flags);
    writeLow(cpu, insn.reg, f, res.lo, res.hi);
  };
}

export const opSqrtss = sqrtHandler(F32);
export const opSqrtsd = sqrtHandler(F64);

/**
 * MINSS/MINSD/MAXSS/MAXSD: dest = (dest < src) ? dest : src (min; > for
 * max). Either operand a NaN (QNaN too) → IE and the source is returned
 * unchanged; equal values (±0 included) → the source.
 */
function minMaxHandler(isMax: boolean, f: Format): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    loadScalar(cpu, insn, f);
    const d = insn.reg * 4;
    const aLo = cpu.xmm[d]!;
    const aHi = cpu.xmm[d + 1]!;
    const z = daz(cpu);
    unpack(ua, f, aLo, aHi, z);
    unpack(ub, f, srcLo, srcHi, z);
    let flags = 0;
    let takeA = false;
    if (ua.cls >= QNAN || ub.cls >= QNAN) {
      flags = MX_IE;
    } else {
      if (ua.denormal || ub.denormal) flags = MX_DE;
      const c = compare(ua, ub);
      takeA = isMax ? c > 0 : c < 0;
    }
    report(cpu, flags);
    // Under DAZ a denormal operand reads as a signed zero, and that zero is what is returned.
    let lo = takeA ? aLo : srcLo;
    let hi = takeA ? aHi : srcHi;
    if (z && isDenormalBits(f, lo, hi)) {
      if (f === F64) {
        lo = 0;
        hi &= 0x8000_0000 | 0;
      } else {
        lo &= 0x8000_0000 | 0;
      }
    }
    writeLow(cpu, insn.reg, f, lo, hi);
  };
}

function isDenormalBits(f: Format, lo: number, hi: number): boolean {
  return f === F64 ? (hi & 0x7ff0_0000) === 0 && ((hi & 0xf_ffff) | lo) !== 0 : (lo & 0x7f80_0000) === 0 && (lo & 0x7f_ffff) !== 0;
}

export const opMinss = minMaxHandler(false, F32);
export const opMinsd = minMaxHandler(false, F64);
export const opMaxss = minMaxHandler(true, F32);
export const opMaxsd = minMaxHandler(true, F64);

/** CVTSS2SD xmm1, xmm2/m32 and CVTSD2SS xmm1, xmm2/m64. */
export function opCvtss2sd(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  loadScalar(cpu, insn, F32);
  unpack(ub, F32, srcLo, 0, daz(cpu));
  convert(res, F32, F64, ub, cpu.mxcsr);
  report(cpu, res.flags);
  writeLow(cpu, insn.reg, F64, res.lo, res.hi);
}

export function opCvtsd2ss(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  loadScalar(cpu, insn, F64);
  unpack(ub, F64, srcLo, srcHi, daz(cpu));
  convert(res, F64, F32, ub, cpu.mxcsr);
  report(cpu, res.flags);
  writeLow(cpu, insn.reg, F32, res.lo, 0);
}

/** CVTSI2SS / CVTSI2SD xmm, r/m32 or r/m64 (REX.W): rounded by MXCSR.RC; PE when inexact. */
function cvtsi2Handler(f: Format): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    const size = insn.opSize;
    const lo = cpu.readRm(insn, size);
    const hi = size === 8 ? cpu.readHi : 0;
    fromInt(res, f, lo, hi, size * 8, cpu.mxcsr);
    report(cpu, res.flags);
    writeLow(cpu, insn.reg, f, res.lo, res.hi);
  };
}

export const opCvtsi2ss = cvtsi2Handler(F32);
export const opCvtsi2sd = cvtsi2Handler(F64);

/** CVTTSS2SI / CVTTSD2SI r32/r64, xmm/m: truncation; NaN or out of range → integer indefinite with IE. */
function cvttHandler(f: Format): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    loadScalar(cpu, insn, f);
    unpack(ub, f, srcLo, srcHi, daz(cpu));
    toIntTrunc(res, ub, insn.opSize * 8);
    report(cpu, res.flags);
    cpu.setReg(insn.reg, insn.opSize, res.lo, res.hi);
  };
}

export const opCvttss2si = cvttHandler(F32);
export const opCvttsd2si = cvttHandler(F64);

/**
 * UCOMISS/UCOMISD/COMISS/COMISD: ZF PF CF = 111 unordered, 000 greater,
 * 001 less, 100 equal; OF SF AF cleared. UCOMIS raises IE only for an SNaN
 * operand, COMIS for any NaN (SDM Vol. 2 "UCOMISD", "COMISD").
 */
function compareHandler(signalQnan: boolean, f: Format): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    loadScalar(cpu, insn, f);
    const d = insn.reg * 4;
    const z = daz(cpu);
    unpack(ua, f, cpu.xmm[d]!, cpu.xmm[d + 1]!, z);
    unpack(ub, f, srcLo, srcHi, z);
    let flags = 0;
    let zpc: number;
    if (ua.cls >= QNAN || ub.cls >= QNAN) {
      if (signalQnan || ua.cls === SNAN || ub.cls === SNAN) flags = MX_IE;
      zpc = ZF | PF | CF;
    } else {
      if (ua.denormal || ub.denormal) flags = MX_DE;
      const c = compare(ua, ub);
      zpc = c === 0 ? ZF : c < 0 ? CF : 0;
    }
    report(cpu, flags);
    cpu.flags.update(zpc, (ZF | PF | CF | OF | SF | AF) & ~zpc);
  };
}

export const opUcomiss = compareHandler(false, F32);
export const opUcomisd = compareHandler(false, F64);
export const opComiss = compareHandler(true, F32);
export const opComisd = compareHandler(true, F64);

