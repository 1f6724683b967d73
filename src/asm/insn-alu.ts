/**
 * Integer arithmetic and logic: the eight ALU operations, test, shifts and
 * rotates, double shifts, unary group 3/4/5 operations, multiply and divide,
 * bit tests and scans, setcc/cmovcc (Intel SDM Vol. 2, opcode map A.2).
 * Template choice follows GNU as 2.40's opcode table order, so `add $1,%eax`
 * is `83 /0 ib` and `add $0x1000,%eax` is the accumulator form `05 id`.
 */
import {
  type Handler,
  type InsnDef,
  badOperands,
  enc,
  fitsImm8s,
  imm8,
  imm8s,
  immFor,
  isMem,
  isReg,
  isRm,
  operandCount,
  operandSize,
  rmOf,
} from './insn-common.js';

/** Condition codes in encoding order, with every alias GNU as accepts. */
export const CONDITIONS: readonly (readonly string[])[] = [
  ['o'],
  ['no'],
  ['b', 'c', 'nae'],
  ['ae', 'nb', 'nc'],
  ['e', 'z'],
  ['ne', 'nz'],
  ['be', 'na'],
  ['a', 'nbe'],
  ['s'],
  ['ns'],
  ['p', 'pe'],
  ['np', 'po'],
  ['l', 'nge'],
  ['ge', 'nl'],
  ['le', 'ng'],
  ['g', 'nle'],
];

/** add/or/adc/sbb/and/sub/xor/cmp: `n` is the ModRM.reg extension and opcode row. */
function alu(n: number): Handler {
  return (c) => {
    operandCount(c, 2);
    const [src, dst] = [c.ops[0]!, c.ops[1]!];
    const size = operandSize(c, [src, dst]);
    const w = size === 1 ? 0 : 1;
    if (src.kind === 'imm' && isRm(dst)) {
      if (size !== 1 && fitsImm8s(c, src, size)) return enc(c, { size, opcode: [0x83], reg: n, rm: rmOf(dst), imms: [imm8s(c, src, size)] });
      if (isReg(dst) && dst.reg.num === 0) return enc(c, { size, opcode: [n * 8 + 4 + w], imms: [immFor(c, src, size)] });
      return enc(c, { size, opcode: [0x80 + w], reg: n, rm: rmOf(dst), imms: [immFor(c, src, size)] });
    }
    if (isReg(src) && isRm(dst)) return enc(c, { size, opcode: [n * 8 + w], reg: src.reg, rm: rmOf(dst) });
    if (isMem(src) && isReg(dst)) return enc(c, { size, opcode: [n * 8 + 2 + w], reg: dst.reg, rm: src });
    badOperands(c);
  };
}

const test: Handler = (c) => {
  operandCount(c, 2);
  const [src, dst] = [c.ops[0]!, c.ops[1]!];
  const size = operandSize(c, [src, dst]);
  const w = size === 1 ? 0 : 1;
  if (src.kind === 'imm' && isRm(dst)) {
    if (isReg(dst) && dst.reg.num === 0) return enc(c, { size, opcode: [0xa8 + w], imms: [immFor(c, src, size)] });
    return enc(c, { size, opcode: [0xf6 + w], reg: 0, rm: rmOf(dst), imms: [immFor(c, src, size)] });
  }
  if (isReg(src) && isRm(dst)) return enc(c, { size, opcode: [0x84 + w], reg: src.reg, rm: rmOf(dst) });
  if (isMem(src) && isReg(dst)) return enc(c, { size, opcode: [0x84 + w], reg: dst.reg, rm: src });
  badOperands(c);
};

/** rol/ror/rcl/rcr/shl/sal/shr/sar: by 1 (D0/D1), by imm8 (C0/C1), by %cl (D2/D3). */
function shift(n: number): Handler {
  return (c) => {
    operandCount(c, 1, 2);
    const dst = c.ops[c.ops.length - 1]!;
    const count = c.ops.length === 2 ? c.ops[0]! : null;
    if (!isRm(dst)) badOperands(c);
    const size = operandSize(c, [dst]);
    const w = size === 1 ? 0 : 1;
    if (count === null || (count.kind === 'imm' && c.constOf(count.expr) === 1n)) return enc(c, { size, opcode: [0xd0 + w], reg: n, rm: rmOf(dst) });
    if (count.kind === 'imm') return enc(c, { size, opcode: [0xc0 + w], reg: n, rm: rmOf(dst), imms: [imm8(c, count)] });
    if (isReg(count) && count.reg.name === 'cl') return enc(c, { size, opcode: [0xd2 + w], reg: n, rm: rmOf(dst) });
    badOperands(c);
  };
}

/** shld/shrd: `op $imm8, %reg, r/m` or `op %cl, %reg, r/m` (or `op %reg, r/m`, count in %cl). */
function doubleShift(opImm: number): Handler {
  return (c) => {
    operandCount(c, 2, 3);
    const [count, src, dst] = c.ops.length === 3 ? [c.ops[0]!, c.ops[1]!, c.ops[2]!] : [null, c.ops[0]!, c.ops[1]!];
    if (!isReg(src) || !isRm(dst)) badOperands(c);
    const size = operandSize(c, [src, dst], undefined, [2, 4, 8]);
    if (count?.kind === 'imm') return enc(c, { size, opcode: [0x0f, opImm], reg: src.reg, rm: rmOf(dst), imms: [imm8(c, count)] });
    if (count === null || (isReg(count) && count.reg.name === 'cl')) return enc(c, { size, opcode: [0x0f, opImm + 1], reg: src.reg, rm: rmOf(dst) });
    badOperands(c);
  };
}

/** One r/m operand with an opcode extension: inc/dec (FE/FF), not/neg/mul/div/idiv (F6/F7). */
function unary(opByte: number, n: number): Handler {
  return (c) => {
    operandCount(c, 1);
    const dst = c.ops[0]!;
    if (!isRm(dst)) badOperands(c);
    const size = operandSize(c, [dst]);
    return enc(c, { size, opcode: [opByte + (size === 1 ? 0 : 1)], reg: n, rm: rmOf(dst) });
  };
}

const imul: Handler = (c) => {
  operandCount(c, 1, 2, 3);
  if (c.ops.length === 1) return unary(0xf6, 5)(c);
  const ops = c.ops;
  if (ops.length === 2) {
    const [src, dst] = [ops[0]!, ops[1]!];
    if (!isReg(dst)) badOperands(c);
    const size = operandSize(c, [src, dst], undefined, [2, 4, 8]);
    if (src.kind === 'imm') {
      if (fitsImm8s(c, src, size)) return enc(c, { size, opcode: [0x6b], reg: dst.reg, rm: dst.reg, imms: [imm8s(c, src, size)] });
      return enc(c, { size, opcode: [0x69], reg: dst.reg, rm: dst.reg, imms: [immFor(c, src, size)] });
    }
    if (!isRm(src)) badOperands(c);
    return enc(c, { size, opcode: [0x0f, 0xaf], reg: dst.reg, rm: rmOf(src) });
  }
  const [imm, src, dst] = [ops[0]!, ops[1]!, ops[2]!];
  if (imm.kind !== 'imm' || !isRm(src) || !isReg(dst)) badOperands(c);
  const size = operandSize(c, [src, dst], undefined, [2, 4, 8]);
  if (fitsImm8s(c, imm, size)) return enc(c, { size, opcode: [0x6b], reg: dst.reg, rm: rmOf(src), imms: [imm8s(c, imm, size)] });
  return enc(c, { size, opcode: [0x69], reg: dst.reg, rm: rmOf(src), imms: [immFor(c, imm, size)] });
};

/** bt/bts/btr/btc: register form 0F A3/AB/B3/BB, immediate form 0F BA /4../7. */
function bitTest(opReg: number, n: number): Handler {
  return (c) => {
    operandCount(c, 2);
    const [src, dst] = [c.ops[0]!, c.ops[1]!];
    if (!isRm(dst)) badOperands(c);
    const size = operandSize(c, [src, dst], undefined, [2, 4, 8]);
    if (src.kind === 'imm') return enc(c, { size, opcode: [0x0f, 0xba], reg: n, rm: rmOf(dst), imms: [imm8(c, src)] });
    if (isReg(src)) return enc(c, { size, opcode: [0x0f, opReg], reg: src.reg, rm: rmOf(dst) });
    badOperands(c);
  };
}

/** `op r/m, reg` with the destination in ModRM.reg: bsf, bsr, tzcnt, lzcnt, popcnt, cmovcc, imul's 0F AF. */
function regFromRm(opcode: readonly number[], mandatory?: number): Handler {
  return (c) => {
    operandCount(c, 2);
    const [src, dst] = [c.ops[0]!, c.ops[1]!];
    if (!isRm(src) || !isReg(dst)) badOperands(c);
    const size = operandSize(c, [src, dst], undefined, [2, 4, 8]);
    return enc(c, { size, opcode, reg: dst.reg, rm: rmOf(src), ...(mandatory !== undefined ? { mandatory } : {}) });
  };
}

/** cmpxchg/xadd: `op %reg, r/m`, byte form at `opByte`, others at `opByte + 1`. */
function regToRm0f(opByte: number): Handler {
  return (c) => {
    operandCount(c, 2);
    const [src, dst] = [c.ops[0]!, c.ops[1]!];
    if (!isReg(src) || !isRm(dst)) badOperands(c);
    const size = operandSize(c, [src, dst]);
    return enc(c, { size, opcode: [0x0f, opByte + (size === 1 ? 0 : 1)], reg: src.reg, rm: rmOf(dst) });
  };
}

function setcc(cc: number): Handler {
  return (c) => {
    operandCount(c, 1);
    const dst = c.ops[0]!;
    if (!isRm(dst)) badOperands(c);
    operandSize(c, [dst], 1, [1]);
    return enc(c, { opcode: [0x0f, 0x90 + cc], reg: 0, rm: rmOf(dst) });
  };
}

export function aluTable(): Map<string, InsnDef> {
  const t = new Map<string, InsnDef>();
  ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'].forEach((m, n) => t.set(m, { suffixes: 'bwlq', handler: alu(n) }));
  t.set('test', { suffixes: 'bwlq', handler: test });
  const shifts: [string, number][] = [['rol', 0], ['ror', 1], ['rcl', 2], ['rcr', 3], ['shl', 4], ['sal', 4], ['shr', 5], ['sar', 7]];
  for (const [m, n] of shifts) t.set(m, { suffixes: 'bwlq', handler: shift(n) });
  t.set('shld', { suffixes: 'wlq', handler: doubleShift(0xa4) });
  t.set('shrd', { suffixes: 'wlq', handler: doubleShift(0xac) });
  t.set('inc', { suffixes: 'bwlq', handler: unary(0xfe, 0) });
  t.set('dec', { suffixes: 'bwlq', handler: unary(0xfe, 1) });
  t.set('not', { suffixes: 'bwlq', handler: unary(0xf6, 2) });
  t.set('neg', { suffixes: 'bwlq', handler: unary(0xf6, 3) });
  t.set('mul', { suffixes: 'bwlq', handler: unary(0xf6, 4) });
  t.set('div', { suffixes: 'bwlq', handler: unary(0xf6, 6) });
  t.set('idiv', { suffixes: 'bwlq', handler: unary(0xf6, 7) });
  t.set('imul', { suffixes: 'bwlq', handler: imul });
  t.set('bt', { suffixes: 'wlq', handler: bitTest(0xa3, 4) });
  t.set('bts', { suffixes: 'wlq', handler: bitTest(0xab, 5) });
  t.set('btr', { suffixes: 'wlq', handler: bitTest(0xb3, 6) });
  t.set('btc', { suffixes: 'wlq', handler: bitTest(0xbb, 7) });
  t.set('bsf', { suffixes: 'wlq', handler: regFromRm([0x0f, 0xbc]) });
  t.set('bsr', { suffixes: 'wlq', handler: regFromRm([0x0f, 0xbd]) });
  t.set('tzcnt', { suffixes: 'wlq', handler: regFromRm([0x0f, 0xbc], 0xf3) });
  t.set('lzcnt', { suffixes: 'wlq', handler: regFromRm([0x0f, 0xbd], 0xf3) });
  t.set('popcnt', { suffixes: 'wlq', handler: regFromRm([0x0f, 0xb8], 0xf3) });
  t.set('cmpxchg', { suffixes: 'bwlq', handler: regToRm0f(0xb0) });
  t.set('xadd', { suffixes: 'bwlq', handler: regToRm0f(0xc0) });
  CONDITIONS.forEach((names, cc) => {
    for (const name of names) {
      t.set('set' + name, { suffixes: 'b', handler: setcc(cc) });
      t.set('cmov' + name, { suffixes: 'wlq', handler: regFromRm([0x0f, 0x40 + cc]) });
    }
  });
  return t;
}

