/**
 * The interpreter's dispatch array: one handler per opcode-table row, in
 * row order, so `handlers[insn.op]` is the instruction's semantics. Rows
 * are bound by their mnemonic and operand form; a row without semantics
 * gets the #UD handler (and `unboundRows` names it, for the completeness
 * test).
 */
import type { Handler } from '../exec.js';
import { OPTABLE, type OpRow } from '../optable.js';
import * as alu from './alu.js';
import * as bit from './bit.js';
import * as mov from './mov.js';
import * as prot from './protection.js';
import * as muldiv from './muldiv.js';
import * as seg from './segment.js';
import * as shift from './shift.js';
import * as sse from './sse.js';
import * as stack from './stack.js';
import * as str from './string.js';
import * as sys from './system.js';
import { X87_BY_NAME } from './x87-table.js';

const ALU = new Set(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp']);
const SHIFTS = new Set(['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar']);

/** Handlers of rows identified by mnemonic alone (forms are fixed). */
const BY_MNEMONIC: Readonly<Record<string, Handler>> = {
  // stack and flags
  pushf: stack.opPushf, popf: stack.opPopf, enter: stack.opEnter, leave: stack.opLeave,
  lahf: stack.opLahf, sahf: stack.opSahf, clc: stack.opClc, stc: stack.opStc, cmc: stack.opCmc,
  cld: stack.opCld, std: stack.opStd,
  // moves
  lea: mov.opLea, movsxd: mov.opMovsxd, bswap: mov.opBswap, cbw: mov.opCbw, cwd: mov.opCwd,
  cmpxchg: bit.opCmpxchg, cmpxchg8b: bit.opCmpxchg8b16b, cmpxchg16b: bit.opCmpxchg8b16b, xadd: bit.opXadd,
  // unary group and multiply/divide
  not: alu.opNotE, neg: alu.opNegE, inc: alu.opIncE, dec: alu.opDecE,
  mul: muldiv.opMul, div: muldiv.opDiv, idiv: muldiv.opIdiv,
  // bit operations
  bsf: bit.opBsf, bsr: bit.opBsr, tzcnt: bit.opTzcnt, lzcnt: bit.opLzcnt, popcnt: bit.opPopcnt,
  // strings
  movsb: str.opMovs, movs: str.opMovs, cmpsb: str.opCmps, cmps: str.opCmps, stosb: str.opStos, stos: str.opStos,
  lodsb: str.opLods, lods: str.opLods, scasb: str.opScas, scas: str.opScas,
  // system
  syscall: sys.opSyscall, sysret: sys.opSysret, iret: sys.opIret, swapgs: sys.opSwapgs,
  rdmsr: sys.opRdmsr, wrmsr: sys.opWrmsr, invlpg: sys.opInvlpg, cpuid: sys.opCpuid, rdtsc: sys.opRdtsc, rdtscp: sys.opRdtscp,
  rdpkru: sys.opRdpkru, wrpkru: sys.opWrpkru, xgetbv: sys.opXgetbv,
  rdfsbase: sys.opRdfsbase, rdgsbase: sys.opRdgsbase, wrfsbase: sys.opWrfsbase, wrgsbase: sys.opWrgsbase,
  hlt: sys.opHlt, int3: sys.opInt3, int: sys.opIntIb, ud2: sys.opUd, cli: sys.opCli, sti: sys.opSti,
  stac: sys.opStac, clac: sys.opClac,
  lar: prot.opLar, lsl: prot.opLsl, lldt: prot.opLldt, verr: prot.opVerr, verw: prot.opVerw,
  nop: sys.opNop, pause: sys.opNop, endbr64: sys.opNop, lfence: sys.opNop, mfence: sys.opNop, sfence: sys.opNop,
  prefetchnta: sys.opNop, prefetcht0: sys.opNop, prefetcht1: sys.opNop, prefetcht2: sys.opNop,
  ...sse.SSE_HANDLERS,
};

/** Handlers of rows identified by mnemonic and operand form. */
const BY_NAME: Readonly<Record<string, Handler>> = {
  push_Zv: stack.opPushReg, pop_Zv: stack.opPopReg, push_Iz: stack.opPushImm, push_Ibs: stack.opPushImm,
  push_Ev: stack.opPushE, pop_Ev: stack.opPopE, push_FS: stack.opPushFs, push_GS: stack.opPushGs,
  pop_FS: seg.opPopFs, pop_GS: seg.opPopGs, mov_Ewv_Sw: seg.opMovEwSw, mov_Sw_Ewv: seg.opMovSwEw,
  mov_Eb_Gb: mov.opMovEG, mov_Ev_Gv: mov.opMovEG, mov_Gb_Eb: mov.opMovGE, mov_Gv_Ev: mov.opMovGE,
  mov_AL_Ob: mov.opMovAccMoffs, mov_rAX_Ov: mov.opMovAccMoffs, mov_Ob_AL: mov.opMovMoffsAcc, mov_Ov_rAX: mov.opMovMoffsAcc,
  mov_Zb_Ib: mov.opMovRegImm, mov_Zv_Iv: mov.opMovRegImm, mov_Eb_Ib: mov.opMovEI, mov_Ev_Iz: mov.opMovEI,
  mov_Rq_Cq: sys.opMovRdCr, mov_Cq_Rq: sys.opMovCrRd,
  movzx_Gv_Eb: mov.opMovzxB, movzx_Gv_Ew: mov.opMovzxW, movsx_Gv_Eb: mov.opMovsxB, movsx_Gv_Ew: mov.opMovsxW,
  xchg_Eb_Gb: mov.opXchgEG, xchg_Ev_Gv: mov.opXchgEG, xchg_Zv_rAX: mov.opXchgAccReg,
  test_Eb_Gb: alu.opTestEG, test_Ev_Gv: alu.opTestEG, test_AL_Ib: alu.opTestAccImm, test_rAX_Iz: alu.opTestAccImm,
  test_Eb_Ib: alu.opTestEI, test_Ev_Iz: alu.opTestEI, test_Eb_Ib_F6r1: alu.opTestEI, test_Ev_Iz_F7r1: alu.opTestEI,
  imul_Eb: muldiv.opImul1, imul_Ev: muldiv.opImul1, imul_Gv_Ev: muldiv.opImul2,
  imul_Gv_Ev_Iz: muldiv.opImul3, imul_Gv_Ev_Ibs: muldiv.opImul3,
  shld_Ev_Gv_Ib: shift.opShldI, shld_Ev_Gv_CL: shift.opShldCl, shrd_Ev_Gv_Ib: shift.opShrdI, shrd_Ev_Gv_CL: shift.opShrdCl,
  bt_Ev_Gv: bit.opBtEG, bts_Ev_Gv: bit.opBtEG, btr_Ev_Gv: bit.opBtEG, btc_Ev_Gv: bit.opBtEG,
  bt_Ev_Ib: bit.opBtEI, bts_Ev_Ib: bit.opBtEI, btr_Ev_Ib: bit.opBtEI, btc_Ev_Ib: bit.opBtEI,
  jmp_Jz: stack.opJmpRel, jmp_Jb: stack.opJmpRel, jmp_Ev: stack.opJmpE,
  jrcxz_Jb: stack.opJrcxz, loop_Jb: stack.opLoop, loope_Jb: stack.opLoop, loopne_Jb: stack.opLoop,
  call_Jz: stack.opCallRel, call_Ev: stack.opCallE, ret: stack.opRet, ret_Iw: stack.opRet,
  ...X87_BY_NAME,
};

function bind(row: OpRow): Handler | undefined {
  const named = BY_NAME[row.name];
  if (named) return named;
  const m = row.mnemonic;
  if (ALU.has(m)) {
    switch (row.form) {
      case 'Eb,Gb': case 'Ev,Gv': return alu.opAluEG;
      case 'Gb,Eb': case 'Gv,Ev': return alu.opAluGE;
      case 'AL,Ib': case 'rAX,Iz': return alu.opAluAccImm;
      case 'Eb,Ib': case 'Ev,Iz': case 'Ev,Ibs': return alu.opAluEI;
    }
  }
  if (SHIFTS.has(m)) {
    if (row.form.endsWith(',1')) return shift.opShiftE1;
    if (row.form.endsWith(',Ib')) return shift.opShiftEI;
    if (row.form.endsWith(',CL')) return shift.opShiftECl;
  }
  if (/^j[a-z]+$/.test(m) && (row.form === 'Jb' || row.form === 'Jz') && m !== 'jmp') return stack.opJcc;
  if (m.startsWith('set') && row.form === 'Eb') return mov.opSetcc;
  if (m.startsWith('cmov')) return mov.opCmov;
  return BY_MNEMONIC[m];
}

/** One handler per OPTABLE row; unbound rows get `undefinedHandler`. */
export function buildHandlers(undefinedHandler: Handler): Handler[] {
  return OPTABLE.map((row) => bind(row) ?? undefinedHandler);
}

/** Rows with no semantics yet (they decode, then raise #UD). */
export function unboundRows(): string[] {
  return OPTABLE.filter((row) => bind(row) === undefined).map((row) => row.name);
}
