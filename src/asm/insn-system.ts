/**
 * Flag, system and miscellaneous instructions: the ones with no operands
 * (a fixed byte string), int $n, nop with a memory operand, FS/GS base
 * access, invlpg, descriptor-table loads, the xsave family, fences.
 */
import { fail } from './errors.js';
import { type Handler, type InsnDef, badOperands, enc, fixed, imm8, isMem, isReg, isRm, operandCount, operandSize, rmOf } from './insn-common.js';

/** Instructions that are a fixed byte string. Names with a size suffix are listed in full. */
const FIXED: Readonly<Record<string, readonly number[]>> = {
  clc: [0xf8],
  stc: [0xf9],
  cmc: [0xf5],
  cld: [0xfc],
  std: [0xfd],
  cli: [0xfa],
  sti: [0xfb],
  lahf: [0x9f],
  sahf: [0x9e],
  hlt: [0xf4],
  int3: [0xcc],
  int1: [0xf1],
  ud2: [0x0f, 0x0b],
  pause: [0xf3, 0x90],
  endbr64: [0xf3, 0x0f, 0x1e, 0xfa],
  endbr32: [0xf3, 0x0f, 0x1e, 0xfb],
  cpuid: [0x0f, 0xa2],
  rdtsc: [0x0f, 0x31],
  rdtscp: [0x0f, 0x01, 0xf9],
  rdpmc: [0x0f, 0x33],
  rdpkru: [0x0f, 0x01, 0xee],
  wrpkru: [0x0f, 0x01, 0xef],
  rdmsr: [0x0f, 0x32],
  wrmsr: [0x0f, 0x30],
  swapgs: [0x0f, 0x01, 0xf8],
  syscall: [0x0f, 0x05],
  sysret: [0x0f, 0x07],
  sysretl: [0x0f, 0x07],
  sysretq: [0x48, 0x0f, 0x07],
  sysenter: [0x0f, 0x34],
  sysexit: [0x0f, 0x35],
  iret: [0xcf],
  iretl: [0xcf],
  iretw: [0x66, 0xcf],
  iretq: [0x48, 0xcf],
  lfence: [0x0f, 0xae, 0xe8],
  mfence: [0x0f, 0xae, 0xf0],
  sfence: [0x0f, 0xae, 0xf8],
  xgetbv: [0x0f, 0x01, 0xd0],
  xsetbv: [0x0f, 0x01, 0xd1],
  stac: [0x0f, 0x01, 0xcb],
  clac: [0x0f, 0x01, 0xca],
  monitor: [0x0f, 0x01, 0xc8],
  mwait: [0x0f, 0x01, 0xc9],
  wbinvd: [0x0f, 0x09],
  invd: [0x0f, 0x08],
  clts: [0x0f, 0x06],
  pushf: [0x9c],
  pushfq: [0x9c],
  pushfw: [0x66, 0x9c],
  popf: [0x9d],
  popfq: [0x9d],
  popfw: [0x66, 0x9d],
  xlat: [0xd7],
  xlatb: [0xd7],
};

const int: Handler = (c) => {
  operandCount(c, 1);
  const o = c.ops[0]!;
  if (o.kind !== 'imm') badOperands(c);
  // GNU as turns `int $3` into the one-byte int3.
  if (c.constOf(o.expr) === 3n) return enc(c, { opcode: [0xcc] });
  return enc(c, { opcode: [0xcd], imms: [imm8(c, o)] });
};

/** nop, or the multi-byte `nopw/nopl r/m` (0F 1F /0). */
const nop: Handler = (c) => {
  operandCount(c, 0, 1);
  const o = c.ops[0];
  if (o === undefined) {
    if (c.suffix !== null) badOperands(c);
    return enc(c, { opcode: [0x90] });
  }
  if (!isRm(o)) badOperands(c);
  const size = operandSize(c, [o], undefined, [2, 4, 8]);
  return enc(c, { size, opcode: [0x0f, 0x1f], reg: 0, rm: rmOf(o) });
};

/** rdfsbase/rdgsbase/wrfsbase/wrgsbase: F3 0F AE /0../3 on a 32- or 64-bit register. */
function fsgsbase(n: number): Handler {
  return (c) => {
    operandCount(c, 1);
    const o = c.ops[0]!;
    if (!isReg(o)) badOperands(c);
    const size = operandSize(c, [o], undefined, [4, 8]);
    return enc(c, { mandatory: 0xf3, size, opcode: [0x0f, 0xae], reg: n, rm: o.reg });
  };
}

/** A single memory operand with an opcode extension; `size` 8 adds REX.W (xsave64, ...). */
function memOnly(opcode: readonly number[], n: number, size = 0): Handler {
  return (c) => {
    operandCount(c, 1);
    const m = c.ops[0]!;
    if (!isMem(m) || m.star) badOperands(c);
    return enc(c, { size, opcode, reg: n, rm: m });
  };
}

/**
 * ltr/lldt (load) and str/sldt (store): a 16-bit register or memory operand.
 * A store into a 16-bit register gets 0x66 (never REX.W);
 * a load ignores it, as GNU as encodes them.
 */
function rm16(opcode: readonly number[], n: number, store: boolean): Handler {
  return (c) => {
    operandCount(c, 1);
    const o = c.ops[0]!;
    if (!isRm(o)) badOperands(c);
    if (isReg(o) && o.reg.size === 1) fail(`operand size mismatch for '${c.mnemonic}'`);
    return enc(c, { size: store && isReg(o) && o.reg.size === 2 ? 2 : 0, opcode, reg: n, rm: rmOf(o) });
  };
}

export function systemTable(): Map<string, InsnDef> {
  const t = new Map<string, InsnDef>();
  for (const [name, bytes] of Object.entries(FIXED)) t.set(name, { suffixes: '', handler: fixed(bytes) });
  t.set('int', { suffixes: '', handler: int });
  t.set('nop', { suffixes: 'wlq', handler: nop });
  ['rdfsbase', 'rdgsbase', 'wrfsbase', 'wrgsbase'].forEach((n, i) => t.set(n, { suffixes: '', handler: fsgsbase(i) }));
  t.set('invlpg', { suffixes: '', handler: memOnly([0x0f, 0x01], 7) });
  t.set('sgdt', { suffixes: 'q', handler: memOnly([0x0f, 0x01], 0) });
  t.set('sidt', { suffixes: 'q', handler: memOnly([0x0f, 0x01], 1) });
  t.set('lgdt', { suffixes: 'q', handler: memOnly([0x0f, 0x01], 2) });
  t.set('lidt', { suffixes: 'q', handler: memOnly([0x0f, 0x01], 3) });
  t.set('sldt', { suffixes: 'wlq', handler: rm16([0x0f, 0x00], 0, true) });
  t.set('str', { suffixes: 'wlq', handler: rm16([0x0f, 0x00], 1, true) });
  t.set('lldt', { suffixes: 'w', handler: rm16([0x0f, 0x00], 2, false) });
  t.set('ltr', { suffixes: 'w', handler: rm16([0x0f, 0x00], 3, false) });
  t.set('fxsave', { suffixes: '', handler: memOnly([0x0f, 0xae], 0) });
  t.set('fxrstor', { suffixes: '', handler: memOnly([0x0f, 0xae], 1) });
  t.set('xsave', { suffixes: '', handler: memOnly([0x0f, 0xae], 4) });
  t.set('xrstor', { suffixes: '', handler: memOnly([0x0f, 0xae], 5) });
  t.set('xsaveopt', { suffixes: '', handler: memOnly([0x0f, 0xae], 6) });
  t.set('clflush', { suffixes: '', handler: memOnly([0x0f, 0xae], 7) });
  t.set('xsavec', { suffixes: '', handler: memOnly([0x0f, 0xc7], 4) });
  t.set('xsaves', { suffixes: '', handler: memOnly([0x0f, 0xc7], 5) });
  t.set('xrstors', { suffixes: '', handler: memOnly([0x0f, 0xc7], 3) });
  t.set('fxsave64', { suffixes: '', handler: memOnly([0x0f, 0xae], 0, 8) });
  t.set('fxrstor64', { suffixes: '', handler: memOnly([0x0f, 0xae], 1, 8) });
  t.set('xsave64', { suffixes: '', handler: memOnly([0x0f, 0xae], 4, 8) });
  t.set('xrstor64', { suffixes: '', handler: memOnly([0x0f, 0xae], 5, 8) });
  t.set('xsaveopt64', { suffixes: '', handler: memOnly([0x0f, 0xae], 6, 8) });
  t.set('xsavec64', { suffixes: '', handler: memOnly([0x0f, 0xc7], 4, 8) });
  t.set('xsaves64', { suffixes: '', handler: memOnly([0x0f, 0xc7], 5, 8) });
  t.set('xrstors64', { suffixes: '', handler: memOnly([0x0f, 0xc7], 3, 8) });
  return t;
}
