/**
 * The SSE subset: aligned/unaligned moves, movd/movq between general and
 * XMM registers, and the integer/logic operations string and checksum code
 * uses (pxor, pcmpeqb, pmovmskb, ...). Every form is `op xmm/m128, xmm`
 * (load: ModRM.reg is the destination) unless a store opcode is given.
 */
import { fail } from './errors.js';
import { type Handler, type InsnCtx, type InsnDef, badOperands, enc, imm8, isMem, isReg, isRm, noStar, operandCount, rmOf } from './insn-common.js';

interface SseOp {
  readonly mandatory?: number;
  readonly load: number;
  readonly store?: number;
}

const SSE_OPS: Readonly<Record<string, SseOp>> = {
  movdqa: { mandatory: 0x66, load: 0x6f, store: 0x7f },
  movdqu: { mandatory: 0xf3, load: 0x6f, store: 0x7f },
  movaps: { load: 0x28, store: 0x29 },
  movups: { load: 0x10, store: 0x11 },
  movapd: { mandatory: 0x66, load: 0x28, store: 0x29 },
  movupd: { mandatory: 0x66, load: 0x10, store: 0x11 },
  pxor: { mandatory: 0x66, load: 0xef },
  por: { mandatory: 0x66, load: 0xeb },
  pand: { mandatory: 0x66, load: 0xdb },
  pandn: { mandatory: 0x66, load: 0xdf },
  pcmpeqb: { mandatory: 0x66, load: 0x74 },
  pcmpeqw: { mandatory: 0x66, load: 0x75 },
  pcmpeqd: { mandatory: 0x66, load: 0x76 },
  pcmpgtb: { mandatory: 0x66, load: 0x64 },
  paddb: { mandatory: 0x66, load: 0xfc },
  paddw: { mandatory: 0x66, load: 0xfd },
  paddd: { mandatory: 0x66, load: 0xfe },
  paddq: { mandatory: 0x66, load: 0xd4 },
  psubb: { mandatory: 0x66, load: 0xf8 },
  psubw: { mandatory: 0x66, load: 0xf9 },
  psubd: { mandatory: 0x66, load: 0xfa },
  psubq: { mandatory: 0x66, load: 0xfb },
  pminub: { mandatory: 0x66, load: 0xda },
  pmaxub: { mandatory: 0x66, load: 0xde },
  punpcklbw: { mandatory: 0x66, load: 0x60 },
  punpcklqdq: { mandatory: 0x66, load: 0x6c },
  punpckhqdq: { mandatory: 0x66, load: 0x6d },
  xorps: { load: 0x57 },
  xorpd: { mandatory: 0x66, load: 0x57 },
  andps: { load: 0x54 },
  orps: { load: 0x56 },
};

function sseOp(op: SseOp): Handler {
  return (c) => {
    operandCount(c, 2);
    noStar(c);
    const [src, dst] = [c.ops[0]!, c.ops[1]!];
    const m = op.mandatory !== undefined ? { mandatory: op.mandatory } : {};
    if (isReg(dst, 'xmm') && (isReg(src, 'xmm') || isMem(src))) return enc(c, { ...m, opcode: [0x0f, op.load], reg: dst.reg, rm: src.kind === 'reg' ? src.reg : src });
    if (op.store !== undefined && isReg(src, 'xmm') && isMem(dst)) return enc(c, { ...m, opcode: [0x0f, op.store], reg: src.reg, rm: dst });
    badOperands(c);
  };
}

const pmovmskb: Handler = (c) => {
  operandCount(c, 2);
  const [src, dst] = [c.ops[0]!, c.ops[1]!];
  if (!isReg(src, 'xmm') || !isReg(dst) || dst.reg.size < 4) badOperands(c);
  return enc(c, { mandatory: 0x66, opcode: [0x0f, 0xd7], reg: dst.reg, rm: src.reg });
};

const pshufd: Handler = (c) => {
  operandCount(c, 3);
  const [imm, src, dst] = [c.ops[0]!, c.ops[1]!, c.ops[2]!];
  if (imm.kind !== 'imm' || !isReg(dst, 'xmm') || !(isReg(src, 'xmm') || isMem(src))) badOperands(c);
  return enc(c, { mandatory: 0x66, opcode: [0x0f, 0x70], reg: dst.reg, rm: src.kind === 'reg' ? src.reg : src, imms: [imm8(c, imm)] });
};

/** movd: 32-bit GPR/memory <-> XMM (66 0F 6E / 7E); a 64-bit GPR makes it movq. */
const movd: Handler = (c) => {
  operandCount(c, 2);
  noStar(c);
  const [src, dst] = [c.ops[0]!, c.ops[1]!];
  if (isReg(dst, 'xmm') && isRm(src)) {
    const size = isReg(src) ? src.reg.size : 4;
    if (size !== 4 && size !== 8) badOperands(c);
    return enc(c, { mandatory: 0x66, size: size === 8 ? 8 : 0, opcode: [0x0f, 0x6e], reg: dst.reg, rm: rmOf(src) });
  }
  if (isReg(src, 'xmm') && isRm(dst)) {
    const size = isReg(dst) ? dst.reg.size : 4;
    if (size !== 4 && size !== 8) badOperands(c);
    return enc(c, { mandatory: 0x66, size: size === 8 ? 8 : 0, opcode: [0x0f, 0x7e], reg: src.reg, rm: rmOf(dst) });
  }
  badOperands(c);
};

/**
 * movq with an XMM operand: GPR64 -> XMM (66 REX.W 0F 6E), XMM -> GPR64
 * (66 REX.W 0F 7E), m64/XMM -> XMM (F3 0F 7E), XMM -> m64 (66 0F D6).
 */
export function movqXmm(c: InsnCtx): ReturnType<Handler> {
  const [src, dst] = [c.ops[0]!, c.ops[1]!];
  noStar(c);
  if (isReg(dst, 'xmm')) {
    if (isReg(src) && src.reg.size === 8) return enc(c, { mandatory: 0x66, size: 8, opcode: [0x0f, 0x6e], reg: dst.reg, rm: src.reg });
    if (isReg(src, 'xmm') || isMem(src)) return enc(c, { mandatory: 0xf3, opcode: [0x0f, 0x7e], reg: dst.reg, rm: src.kind === 'reg' ? src.reg : src });
  }
  if (isReg(src, 'xmm')) {
    if (isReg(dst) && dst.reg.size === 8) return enc(c, { mandatory: 0x66, size: 8, opcode: [0x0f, 0x7e], reg: src.reg, rm: dst.reg });
    if (isMem(dst)) return enc(c, { mandatory: 0x66, opcode: [0x0f, 0xd6], reg: src.reg, rm: dst });
  }
  if (isReg(src) || isReg(dst)) fail(`movq between a general register and an XMM register needs a 64-bit register`);
  badOperands(c);
}

/** ldmxcsr/stmxcsr: 0F AE /2, /3 with a 32-bit memory operand. */
function mxcsr(n: number): Handler {
  return (c) => {
    operandCount(c, 1);
    const m = c.ops[0]!;
    if (!isMem(m)) badOperands(c);
    return enc(c, { opcode: [0x0f, 0xae], reg: n, rm: m });
  };
}

export function sseTable(): Map<string, InsnDef> {
  const t = new Map<string, InsnDef>();
  for (const [name, op] of Object.entries(SSE_OPS)) t.set(name, { suffixes: '', handler: sseOp(op) });
  t.set('pmovmskb', { suffixes: '', handler: pmovmskb });
  t.set('pshufd', { suffixes: '', handler: pshufd });
  t.set('movd', { suffixes: '', handler: movd });
  t.set('ldmxcsr', { suffixes: '', handler: mxcsr(2) });
  t.set('stmxcsr', { suffixes: '', handler: mxcsr(3) });
  return t;
}
