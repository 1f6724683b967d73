/**
 * SSE/SSE2/SSSE3 instructions, MXCSR, the x87 control words and
 * FXSAVE/XSAVE: the handlers of those opcode-table rows, keyed by mnemonic
 * (dispatch.ts spreads this map into its BY_MNEMONIC table). Rows that
 * share a mnemonic (load and store forms, shift by register or by imm8) are
 * told apart inside the handler by the opcode byte and mandatory prefix.
 *
 * Files: sse-common.ts (checks, scratch registers, MXCSR exceptions),
 * sse-move.ts, sse-int.ts (integer, logic, shuffles), sse-float.ts over
 * sse-softfloat.ts (scalar FP), fpu-state.ts (LDMXCSR/STMXCSR, FXSAVE,
 * XSAVE), x87.ts (FNINIT and friends).
 */
import type { Handler } from '../exec.js';
import * as fpu from './fpu-state.js';
import * as fp from './sse-float.js';
import * as int from './sse-int.js';
import * as mov from './sse-move.js';
import * as x87 from './x87.js';

export const SSE_HANDLERS: Readonly<Record<string, Handler>> = {
  // moves
  movd: mov.opMovd, movq: mov.opMovq,
  movdqa: mov.opMovAligned, movaps: mov.opMovAligned, movdqu: mov.opMovUnaligned, movups: mov.opMovUnaligned,
  movapd: mov.opMovAligned, movupd: mov.opMovUnaligned,
  movss: mov.opMovss, movsd: mov.opMovsd,
  movlps: mov.opMovLowHigh, movhps: mov.opMovLowHigh, movlpd: mov.opMovLowHigh, movhpd: mov.opMovLowHigh,
  movhlps: mov.opMovhlps, movlhps: mov.opMovlhps, pmovmskb: mov.opPmovmskb, movmskps: mov.opMovmskps, movmskpd: mov.opMovmskpd,
  // SSE2 integer
  pand: int.opPand, pandn: int.opPandn, por: int.opPor, pxor: int.opPxor,
  pcmpeqb: int.opPcmpeqb, pcmpeqw: int.opPcmpeqw, pcmpeqd: int.opPcmpeqd,
  pcmpgtb: int.opPcmpgtb, pcmpgtw: int.opPcmpgtw, pcmpgtd: int.opPcmpgtd,
  pminub: int.opPminub, pmaxub: int.opPmaxub,
  paddb: int.opPaddb, paddw: int.opPaddw, paddd: int.opPaddd, paddq: int.opPaddq,
  psubb: int.opPsubb, psubw: int.opPsubw, psubd: int.opPsubd, psubq: int.opPsubq,
  punpcklbw: int.opPunpcklbw, punpcklwd: int.opPunpcklwd, punpckldq: int.opPunpckldq, punpcklqdq: int.opPunpcklqdq,
  punpckhbw: int.opPunpckhbw, punpckhwd: int.opPunpckhwd, punpckhdq: int.opPunpckhdq, punpckhqdq: int.opPunpckhqdq,
  psrlw: int.opPsrlwAny, psrld: int.opPsrldAny, psrlq: int.opPsrlqAny, psraw: int.opPsrawAny, psrad: int.opPsradAny,
  psllw: int.opPsllwAny, pslld: int.opPslldAny, psllq: int.opPsllqAny,
  psrldq: int.opPsrldq, pslldq: int.opPslldq,
  pshufd: int.opPshufd, pshuflw: int.opPshuflw, pshufhw: int.opPshufhw,
  pshufb: int.opPshufb, palignr: int.opPalignr,
  // SSE/SSE2 bitwise and shuffles on FP data (the same bits as the integer forms)
  andps: int.opPand, andpd: int.opPand, andnps: int.opPandn, andnpd: int.opPandn,
  orps: int.opPor, orpd: int.opPor, xorps: int.opPxor, xorpd: int.opPxor,
  unpcklps: int.opUnpcklps, unpcklpd: int.opUnpcklpd, unpckhps: int.opUnpckhps, unpckhpd: int.opUnpckhpd,
  shufps: int.opShufps, shufpd: int.opShufpd,
  // scalar floating point
  addss: fp.opAddss, addsd: fp.opAddsd, subss: fp.opSubss, subsd: fp.opSubsd,
  mulss: fp.opMulss, mulsd: fp.opMulsd, divss: fp.opDivss, divsd: fp.opDivsd,
  minss: fp.opMinss, minsd: fp.opMinsd, maxss: fp.opMaxss, maxsd: fp.opMaxsd,
  sqrtss: fp.opSqrtss, sqrtsd: fp.opSqrtsd,
  cvtsi2ss: fp.opCvtsi2ss, cvtsi2sd: fp.opCvtsi2sd, cvttss2si: fp.opCvttss2si, cvttsd2si: fp.opCvttsd2si,
  cvtss2sd: fp.opCvtss2sd, cvtsd2ss: fp.opCvtsd2ss,
  ucomiss: fp.opUcomiss, ucomisd: fp.opUcomisd, comiss: fp.opComiss, comisd: fp.opComisd,
  // MXCSR and state save/restore
  ldmxcsr: fpu.opLdmxcsr, stmxcsr: fpu.opStmxcsr,
  fxsave: fpu.opFxsave, fxsave64: fpu.opFxsave, fxrstor: fpu.opFxrstor, fxrstor64: fpu.opFxrstor,
  xsave: fpu.opXsave, xsave64: fpu.opXsave, xrstor: fpu.opXrstor, xrstor64: fpu.opXrstor,
  // x87 control
  fninit: x87.opFninit, fnstcw: x87.opFnstcw, fldcw: x87.opFldcw, fnstsw: x87.opFnstsw, wait: x87.opWait,
};
