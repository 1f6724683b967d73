/**
 * Control transfer and string instructions: jmp/jcc (relaxed rel8/rel32),
 * call (always rel32), indirect call/jmp through a register or memory,
 * ret/ret $n, enter/leave, loop/jrcxz, and movs/cmps/scas/lods/stos/ins/outs.
 */
import { fail } from './errors.js';
import type { Expr } from './expr.js';
import { CONDITIONS } from './insn-alu.js';
import { type Handler, type InsnCtx, type InsnDef, type InsnOut, type Size, badOperands, enc, immOf, imm8, isMem, isReg, operandCount } from './insn-common.js';

/** The target of a direct branch: `label`, `label+4`, `0x1000` (no `$`, no `*`). */
function directTarget(c: InsnCtx): Expr | null {
  const o = c.ops[0]!;
  if (o.kind === 'mem' && !o.star && !o.base && !o.index && !o.seg && o.disp) return o.disp;
  return null;
}

/** `call *op` / `jmp *op`: FF /2 or FF /4, 64-bit operand by default. */
function indirect(c: InsnCtx, n: number): InsnOut {
  const o = c.ops[0]!;
  if (o.kind === 'imm' || !o.star) badOperands(c);
  if (c.suffix !== null && c.suffix !== 8) fail(`invalid operand size for '${c.mnemonic}' in 64-bit mode`);
  if (isReg(o)) {
    if (o.reg.size !== 8) fail(`operand size mismatch for '${c.mnemonic}': '%${o.reg.name}' (need a 64-bit register)`);
    return enc(c, { opcode: [0xff], reg: n, rm: o.reg });
  }
  if (isMem(o)) return enc(c, { opcode: [0xff], reg: n, rm: o });
  badOperands(c);
}

const jmp: Handler = (c) => {
  operandCount(c, 1);
  const target = directTarget(c);
  if (target) {
    if (c.suffix !== null) badOperands(c);
    return { kind: 'branch', short: [0xeb], long: [0xe9], target };
  }
  return indirect(c, 4);
};

const call: Handler = (c) => {
  operandCount(c, 1);
  const target = directTarget(c);
  if (target) {
    if (c.suffix !== null && c.suffix !== 8) badOperands(c);
    return { kind: 'branch', short: null, long: [0xe8], target };
  }
  return indirect(c, 2);
};

function jcc(cc: number): Handler {
  return (c) => {
    operandCount(c, 1);
    const target = directTarget(c);
    if (!target) badOperands(c);
    return { kind: 'branch', short: [0x70 + cc], long: [0x0f, 0x80 + cc], target };
  };
}

/** loop/loope/loopne/jrcxz: rel8 only; a target out of reach is an error at layout. */
function rel8Only(opcode: number): Handler {
  return (c) => {
    operandCount(c, 1);
    const target = directTarget(c);
    if (!target) badOperands(c);
    return { kind: 'branch', short: [opcode], long: [], target };
  };
}

/** ret/lret, optionally popping `$n` bytes more (C2/CA iw); `lretq` is REX.W CB. */
function ret(opcode: number): Handler {
  return (c) => {
    operandCount(c, 0, 1);
    const size = opcode === 0xcb && c.suffix === 8 ? 8 : 0;
    const o = c.ops[0];
    if (o === undefined) return enc(c, { size, opcode: [opcode] });
    if (o.kind !== 'imm') badOperands(c);
    return enc(c, { size, opcode: [opcode - 1], imms: [immOf(c, o, 2, false)] });
  };
}

const enter: Handler = (c) => {
  operandCount(c, 2);
  const [a, b] = [c.ops[0]!, c.ops[1]!];
  if (a.kind !== 'imm' || b.kind !== 'imm') badOperands(c);
  return enc(c, { opcode: [0xc8], imms: [immOf(c, a, 2, false), imm8(c, b)] });
};

/**
 * String instructions: byte form `op`, others `op + 1`. The size comes from
 * the suffix or from an accumulator operand; explicit operands (`movsb
 * (%rsi),(%rdi)`, `scasq (%rdi),%rax`) name the implicit ones and are
 * otherwise ignored, as in GNU as.
 */
function stringOp(opcode: number, sizes: string): Handler {
  return (c) => {
    operandCount(c, 0, 1, 2);
    let size = c.suffix;
    for (const o of c.ops) {
      if (isReg(o) && o.reg.name === 'dx' && opcode >= 0x6c && opcode <= 0x6e) continue; // ins/outs port
      if (isReg(o) && o.reg.num === 0 && !o.star) {
        if (size !== null && size !== o.reg.size) fail(`operand size mismatch for '${c.mnemonic}'`);
        size = o.reg.size as Size;
      } else if (!isMem(o) || o.star || o.disp !== null || o.index !== null || (o.seg !== null && o.seg.name !== 'es')) {
        fail(`'${c.mnemonic}' only takes its implicit operands`);
      }
    }
    if (size === null) fail(`no size suffix for '${c.mnemonic}'`);
    if (!sizes.includes('bwlq'[[1, 2, 4, 8].indexOf(size)]!)) badOperands(c);
    return enc(c, { size, opcode: [opcode + (size === 1 ? 0 : 1)] });
  };
}

export function controlTable(): Map<string, InsnDef> {
  const t = new Map<string, InsnDef>();
  t.set('jmp', { suffixes: 'q', handler: jmp });
  t.set('call', { suffixes: 'q', handler: call });
  CONDITIONS.forEach((names, cc) => {
    for (const n of names) t.set('j' + n, { suffixes: '', handler: jcc(cc) });
  });
  t.set('jrcxz', { suffixes: '', handler: rel8Only(0xe3) });
  t.set('loop', { suffixes: '', handler: rel8Only(0xe2) });
  for (const n of ['loope', 'loopz']) t.set(n, { suffixes: '', handler: rel8Only(0xe1) });
  for (const n of ['loopne', 'loopnz']) t.set(n, { suffixes: '', handler: rel8Only(0xe0) });
  t.set('ret', { suffixes: 'q', handler: ret(0xc3) });
  t.set('lret', { suffixes: 'lq', handler: ret(0xcb) });
  t.set('enter', { suffixes: 'q', handler: enter });
  t.set('leave', { suffixes: 'q', handler: (c) => (operandCount(c, 0), enc(c, { opcode: [0xc9] })) });
  const strings: [string, number, string][] = [
    ['movs', 0xa4, 'bwlq'],
    ['cmps', 0xa6, 'bwlq'],
    ['scas', 0xae, 'bwlq'],
    ['lods', 0xac, 'bwlq'],
    ['stos', 0xaa, 'bwlq'],
    ['ins', 0x6c, 'bwl'],
    ['outs', 0x6e, 'bwl'],
  ];
  for (const [n, op, sizes] of strings) {
    t.set(n, { suffixes: sizes, handler: stringOp(op, sizes) });
    for (const s of sizes) t.set(n + s, { suffixes: '', handler: (c) => stringOp(op, sizes)({ ...c, suffix: ({ b: 1, w: 2, l: 4, q: 8 } as const)[s as 'b'] }) });
  }
  return t;
}
