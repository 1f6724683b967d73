/**
 * Data movement: mov in all its forms (general, immediate, movabs with a
 * 64-bit immediate or address, segment and control/debug registers), the
 * zero/sign extensions, lea, xchg, bswap, the accumulator extensions
 * (cbw..cqo), cmpxchg8b/16b, and the stack: push/pop.
 */
import { fail } from './errors.js';
import {
  type Handler,
  type InsnCtx,
  type InsnDef,
  type InsnOut,
  type Size,
  badOperands,
  enc,
  fitsImm8s,
  fixed,
  imm8s,
  immFor,
  immOf,
  isMem,
  isReg,
  isRm,
  noStar,
  operandCount,
  operandSize,
  rmOf,
} from './insn-common.js';
import { movqXmm } from './insn-sse.js';

/** `mov addr, %acc` / `mov %acc, addr` with a 64-bit absolute address (A0-A3). */
function moffs(c: InsnCtx): InsnOut | null {
  const [src, dst] = [c.ops[0]!, c.ops[1]!];
  const memOp = isMem(src) && isReg(dst) ? src : isMem(dst) && isReg(src) ? dst : null;
  const acc = memOp === src ? dst : src;
  if (!memOp || !isReg(acc) || acc.reg.num !== 0 || memOp.base || memOp.index) return null;
  const size = operandSize(c, [acc]);
  const opcode = (memOp === src ? 0xa0 : 0xa2) + (size === 1 ? 0 : 1);
  const disp = memOp.disp!;
  const out = enc(c, { size, opcode: [opcode], imms: [{ expr: disp, value: c.constOf(disp), size: 8, signedOnly: false }] });
  if (memOp.seg) out.bytes.unshift([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65][memOp.seg.num]!);
  return out;
}

const mov: Handler = (c) => {
  operandCount(c, 2);
  const [src, dst] = [c.ops[0]!, c.ops[1]!];
  if (isReg(src, 'xmm') || isReg(dst, 'xmm')) {
    if (c.suffix !== 8 || c.mnemonic !== 'movq') badOperands(c);
    return movqXmm(c);
  }
  noStar(c);
  // Control and debug registers: always 64-bit, no REX.W.
  for (const [cls, base] of [['cr', 0x20], ['dr', 0x21]] as const) {
    if (isReg(src, cls) && isReg(dst) && dst.reg.size === 8) return enc(c, { opcode: [0x0f, base], reg: src.reg, rm: dst.reg });
    if (isReg(dst, cls) && isReg(src) && src.reg.size === 8) return enc(c, { opcode: [0x0f, base + 2], reg: dst.reg, rm: src.reg });
    if (isReg(src, cls) || isReg(dst, cls)) fail(`moves to and from %${cls} registers need a 64-bit general register`);
  }
  // Segment registers: 8C (from) / 8E (to); only a 16-bit GPR destination gets 0x66.
  if (isReg(src, 'seg') && isRm(dst)) {
    const size = isReg(dst) ? dst.reg.size : c.suffix ?? 2;
    if (size === 1 || (isMem(dst) && size !== 2)) badOperands(c);
    return enc(c, { size: size === 2 && isReg(dst) ? 2 : 0, opcode: [0x8c], reg: src.reg, rm: rmOf(dst) });
  }
  if (isReg(dst, 'seg') && isRm(src)) {
    if (dst.reg.name === 'cs') fail(`'%cs' cannot be a destination of mov`);
    const size = isReg(src) ? src.reg.size : c.suffix ?? 2;
    if (size === 1) badOperands(c);
    // GNU as never adds 0x66 or REX.W here: the register's size does not matter.
    return enc(c, { opcode: [0x8e], reg: dst.reg, rm: rmOf(src) });
  }
  if (c.mnemonic.startsWith('movabs')) {
    if (src.kind === 'imm' && isReg(dst)) {
      const size = operandSize(c, [dst]);
      return enc(c, { size, opcode: [size === 1 ? 0xb0 : 0xb8], plusReg: dst.reg, imms: [immOf(c, src, size, false)] });
    }
    const m = moffs(c);
    if (m) return m;
    badOperands(c);
  }
  const size = operandSize(c, [src, dst]);
  const w = size === 1 ? 0 : 1;
  if (src.kind === 'imm' && isReg(dst)) {
    if (size < 8) return enc(c, { size, opcode: [size === 1 ? 0xb0 : 0xb8], plusReg: dst.reg, imms: [immFor(c, src, size)] });
    // 64-bit: C7 /0 with a sign-extended imm32 when it fits (or is a label), else movabs.
    const v = c.constOf(src.expr);
    if (v === undefined || (BigInt.asIntN(64, v) >= -(1n << 31n) && BigInt.asIntN(64, v) < 1n << 31n)) {
      return enc(c, { size, opcode: [0xc7], reg: 0, rm: dst.reg, imms: [immFor(c, src, size)] });
    }
    return enc(c, { size, opcode: [0xb8], plusReg: dst.reg, imms: [immOf(c, src, 8, false)] });
  }
  if (src.kind === 'imm' && isMem(dst)) return enc(c, { size, opcode: [0xc6 + w], reg: 0, rm: dst, imms: [immFor(c, src, size)] });
  if (isReg(src) && isRm(dst)) return enc(c, { size, opcode: [0x88 + w], reg: src.reg, rm: rmOf(dst) });
  if (isMem(src) && isReg(dst)) return enc(c, { size, opcode: [0x8a + w], reg: dst.reg, rm: src });
  badOperands(c);
};

/** movz/movs with explicit from/to sizes (movzbl: from 1 to 4). `from` 0 means "from the source register". */
function extend(kind: 'z' | 's', from: Size | 0, to: Size | 0): Handler {
  return (c) => {
    operandCount(c, 2);
    noStar(c);
    const [src, dst] = [c.ops[0]!, c.ops[1]!];
    if (!isRm(src) || !isReg(dst)) badOperands(c);
    let f: number = from;
    if (f === 0) {
      if (!isReg(src)) fail(`can't tell the source size of '${c.mnemonic}': use a suffix (movzbl, movswq, ...)`);
      f = src.reg.size;
    } else if (isReg(src) && src.reg.size !== f) fail(`operand size mismatch for '${c.mnemonic}'`);
    const t = to === 0 ? dst.reg.size : to;
    if (dst.reg.size !== t) fail(`operand size mismatch for '${c.mnemonic}'`);
    if (f === 4 && kind === 's' && t === 8) return enc(c, { size: 8, opcode: [0x63], reg: dst.reg, rm: rmOf(src) });
    if (f >= t || f > 2) fail(`operand size mismatch for '${c.mnemonic}'`);
    const op = (kind === 'z' ? 0xb6 : 0xbe) + (f === 2 ? 1 : 0);
    return enc(c, { size: t, opcode: [0x0f, op], reg: dst.reg, rm: rmOf(src) });
  };
}

const lea: Handler = (c) => {
  operandCount(c, 2);
  const [src, dst] = [c.ops[0]!, c.ops[1]!];
  if (!isMem(src) || !isReg(dst)) badOperands(c);
  const size = operandSize(c, [dst], undefined, [2, 4, 8]);
  return enc(c, { size, opcode: [0x8d], reg: dst.reg, rm: src });
};

const xchg: Handler = (c) => {
  operandCount(c, 2);
  const [a, b] = [c.ops[0]!, c.ops[1]!];
  const size = operandSize(c, [a, b]);
  if (isReg(a) && isReg(b) && size !== 1 && (a.reg.num === 0 || b.reg.num === 0)) {
    const other = a.reg.num === 0 ? b.reg : a.reg;
    // GNU as: xchg %eax,%eax keeps 87 C0 (90 would not zero-extend); %rax,%rax is a plain nop.
    if (other.num === 0 && size === 4) return enc(c, { size, opcode: [0x87], reg: a.reg, rm: b.reg });
    if (other.num === 0 && size === 8) return enc(c, { opcode: [0x90] });
    return enc(c, { size, opcode: [0x90], plusReg: other });
  }
  const w = size === 1 ? 0 : 1;
  if (isReg(a) && isRm(b)) return enc(c, { size, opcode: [0x86 + w], reg: a.reg, rm: rmOf(b) });
  if (isMem(a) && isReg(b)) return enc(c, { size, opcode: [0x86 + w], reg: b.reg, rm: a });
  badOperands(c);
};

const bswap: Handler = (c) => {
  operandCount(c, 1);
  const r = c.ops[0]!;
  if (!isReg(r)) badOperands(c);
  const size = operandSize(c, [r], undefined, [4, 8]);
  return enc(c, { size, opcode: [0x0f, 0xc8], plusReg: r.reg });
};

function cmpxchgNb(size: 4 | 8): Handler {
  return (c) => {
    operandCount(c, 1);
    const m = c.ops[0]!;
    if (!isMem(m)) badOperands(c);
    return enc(c, { size, opcode: [0x0f, 0xc7], reg: 1, rm: m });
  };
}

const push: Handler = (c) => {
  operandCount(c, 1);
  const o = c.ops[0]!;
  if (isReg(o, 'seg')) {
    if (o.reg.name === 'fs') return enc(c, { opcode: [0x0f, 0xa0] });
    if (o.reg.name === 'gs') return enc(c, { opcode: [0x0f, 0xa8] });
    fail(`'push %${o.reg.name}' is not valid in 64-bit mode`);
  }
  const size = operandSize(c, [o], 8, [2, 8]);
  const noW = { size, noRexW: true } as const;
  if (isReg(o)) return enc(c, { ...noW, opcode: [0x50], plusReg: o.reg });
  if (isMem(o)) return enc(c, { ...noW, opcode: [0xff], reg: 6, rm: o });
  if (o.kind === 'imm') {
    if (fitsImm8s(c, o, size)) return enc(c, { ...noW, opcode: [0x6a], imms: [imm8s(c, o, size)] });
    return enc(c, { ...noW, opcode: [0x68], imms: [immFor(c, o, size)] });
  }
  badOperands(c);
};

const pop: Handler = (c) => {
  operandCount(c, 1);
  const o = c.ops[0]!;
  if (isReg(o, 'seg')) {
    if (o.reg.name === 'fs') return enc(c, { opcode: [0x0f, 0xa1] });
    if (o.reg.name === 'gs') return enc(c, { opcode: [0x0f, 0xa9] });
    fail(`'pop %${o.reg.name}' is not valid in 64-bit mode`);
  }
  const size = operandSize(c, [o], 8, [2, 8]);
  if (isReg(o)) return enc(c, { size, noRexW: true, opcode: [0x58], plusReg: o.reg });
  if (isMem(o)) return enc(c, { size, noRexW: true, opcode: [0x8f], reg: 0, rm: o });
  badOperands(c);
};

export function movTable(): Map<string, InsnDef> {
  const t = new Map<string, InsnDef>();
  t.set('mov', { suffixes: 'bwlq', handler: mov });
  t.set('movabs', { suffixes: 'bwlq', handler: mov });
  for (const [k, name] of [['z', 'movz'], ['s', 'movs']] as const) {
    t.set(`${name}x`, { suffixes: '', handler: extend(k, 0, 0) });
    t.set(`${name}bw`, { suffixes: '', handler: extend(k, 1, 2) });
    t.set(`${name}bl`, { suffixes: '', handler: extend(k, 1, 4) });
    t.set(`${name}bq`, { suffixes: '', handler: extend(k, 1, 8) });
    t.set(`${name}wl`, { suffixes: '', handler: extend(k, 2, 4) });
    t.set(`${name}wq`, { suffixes: '', handler: extend(k, 2, 8) });
  }
  t.set('movslq', { suffixes: '', handler: extend('s', 4, 8) });
  t.set('movsxd', { suffixes: '', handler: extend('s', 4, 8) });
  t.set('lea', { suffixes: 'wlq', handler: lea });
  t.set('xchg', { suffixes: 'bwlq', handler: xchg });
  t.set('bswap', { suffixes: 'lq', handler: bswap });
  t.set('cmpxchg8b', { suffixes: '', handler: cmpxchgNb(4) });
  t.set('cmpxchg16b', { suffixes: '', handler: cmpxchgNb(8) });
  const ext: [string[], number[]][] = [
    [['cbw', 'cbtw'], [0x66, 0x98]],
    [['cwde', 'cwtl'], [0x98]],
    [['cdqe', 'cltq'], [0x48, 0x98]],
    [['cwd', 'cwtd'], [0x66, 0x99]],
    [['cdq', 'cltd'], [0x99]],
    [['cqo', 'cqto'], [0x48, 0x99]],
  ];
  for (const [names, bytes] of ext) for (const n of names) t.set(n, { suffixes: '', handler: fixed(bytes) });
  t.set('push', { suffixes: 'wq', handler: push });
  t.set('pop', { suffixes: 'wq', handler: pop });
  return t;
}
