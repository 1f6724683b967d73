/**
 * The x87 handlers by opcode-table row name (optable.ts), merged into the
 * interpreter's dispatch by dispatch.ts. The control instructions FNINIT,
 * FNSTCW, FLDCW, FNSTSW and WAIT are bound by mnemonic in sse.ts.
 */
import type { Handler } from '../exec.js';
import * as ar from './x87-arith.js';
import * as mv from './x87-move.js';
import * as x87 from './x87.js';

const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'] as const;

function arithRows(): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const m of ARITH) {
    const im = `fi${m.slice(1)}`;
    const cmp = m === 'fcom' || m === 'fcomp';
    out[`${m}_Md`] = cmp ? ar.opFcomMd : ar.opArithMd;
    out[`${m}_Mq`] = cmp ? ar.opFcomMq : ar.opArithMq;
    out[`${im}_Md`] = cmp ? ar.opFicomMd : ar.opArithMdInt;
    out[`${im}_Mw`] = cmp ? ar.opFicomMw : ar.opArithMwInt;
    out[`${m}_ST0_STi`] = m === 'fcom' ? ar.opFcomSti : m === 'fcomp' ? ar.opFcompSti : ar.opArithSt0Sti;
    if (!cmp) {
      out[`${m}_STi_ST0`] = ar.opArithStiSt0;
      out[`${m}p_STi_ST0`] = ar.opArithpStiSt0;
    }
  }
  return out;
}

export const X87_BY_NAME: Readonly<Record<string, Handler>> = {
  ...arithRows(),
  fcompp: ar.opFcompp, fucompp: ar.opFucompp,
  fucom_ST0_STi: ar.opFucomSti, fucomp_ST0_STi: ar.opFucompSti,
  fcomi_ST0_STi: ar.opFcomi, fcomip_ST0_STi: ar.opFcomip, fucomi_ST0_STi: ar.opFucomi, fucomip_ST0_STi: ar.opFucomip,
  ftst: ar.opFtst, fxam: ar.opFxam, fchs: ar.opFchs, fabs: ar.opFabs, fsqrt: ar.opFsqrt, frndint: ar.opFrndint,
  fld_Md: mv.opFldMd, fld_Mq: mv.opFldMq, fld_Mt: mv.opFldMt, fld_STi: mv.opFldSti,
  fld1: mv.opFld1, fldz: mv.opFldz, fldpi: mv.opFldpi, fldl2t: mv.opFldl2t, fldl2e: mv.opFldl2e,
  fldlg2: mv.opFldlg2, fldln2: mv.opFldln2,
  fst_Md: mv.opFstMd, fst_Mq: mv.opFstMq, fst_STi: mv.opFstSti,
  fstp_Md: mv.opFstpMd, fstp_Mq: mv.opFstpMq, fstp_Mt: mv.opFstpMt, fstp_STi: mv.opFstpSti,
  fild_Mw: mv.opFildMw, fild_Md: mv.opFildMd, fild_Mq: mv.opFildMq,
  fist_Mw: mv.opFistMw, fist_Md: mv.opFistMd,
  fistp_Mw: mv.opFistpMw, fistp_Md: mv.opFistpMd, fistp_Mq: mv.opFistpMq,
  fisttp_Mw: mv.opFisttpMw, fisttp_Md: mv.opFisttpMd, fisttp_Mq: mv.opFisttpMq,
  fxch_ST0_STi: mv.opFxch, ffree_STi: mv.opFfree, fincstp: mv.opFincstp, fdecstp: mv.opFdecstp,
  fcmovb_ST0_STi: mv.opFcmovb, fcmove_ST0_STi: mv.opFcmove, fcmovbe_ST0_STi: mv.opFcmovbe, fcmovu_ST0_STi: mv.opFcmovu,
  fcmovnb_ST0_STi: mv.opFcmovnb, fcmovne_ST0_STi: mv.opFcmovne, fcmovnbe_ST0_STi: mv.opFcmovnbe,
  fcmovnu_ST0_STi: mv.opFcmovnu,
  fnop: x87.opFnop, fnclex: x87.opFnclex, fnstenv_M: x87.opFnstenv, fldenv_M: x87.opFldenv,
};
