/**
 * Specialised handlers for the forms compiled integer code executes most
 * (register-register and register-immediate ALU operations, MOV between
 * registers and memory, LEA, PUSH/POP, CALL/RET, Jcc), chosen once per
 * decoded instruction by `specialize`. Each one computes exactly what the
 * generic handler of its row computes (the same flags record, the same
 * faults) with the operand size and operand kinds fixed, so V8 sees small
 * monomorphic functions. The host-CPU tests run through these paths.
 */
import { RAX, RSP } from '../core.js';
import { BASE_RIP, MAP_PRIMARY, NO_REG, type DecodedInsn } from '../decode/insn.js';
import type { Cpu, Handler } from '../exec.js';
import { LAZY_ADD, LAZY_SUB } from '../flags.js';
import type { OpRow } from '../optable.js';
import { isPlainShiftOfReg, opShiftReg1, opShiftRegImm } from './shift.js';

const TWO_32 = 4294967296;

// ---------------------------------------------------------------------------
// ALU, register destination, 64-bit

function add64(cpu: Cpu, d: number, b: number, bh: number): void {
  const a = cpu.lo[d]!;
  const ah = cpu.hi[d]!;
  const l = (a >>> 0) + (b >>> 0);
  const lo = l | 0;
  const hi = (ah + bh + (l > 0xffff_ffff ? 1 : 0)) | 0;
  cpu.flags.setLazy(LAZY_ADD, 8, a, ah, b, bh, lo, hi);
  cpu.lo[d] = lo;
  cpu.hi[d] = hi;
}

function sub64(cpu: Cpu, d: number, b: number, bh: number, store: boolean): void {
  const a = cpu.lo[d]!;
  const ah = cpu.hi[d]!;
  const l = (a >>> 0) - (b >>> 0);
  const lo = l | 0;
  const hi = (ah - bh - (l < 0 ? 1 : 0)) | 0;
  cpu.flags.setLazy(LAZY_SUB, 8, a, ah, b, bh, lo, hi);
  if (store) {
    cpu.lo[d] = lo;
    cpu.hi[d] = hi;
  }
}

function logic64(cpu: Cpu, d: number, lo: number, hi: number, store: boolean): void {
  cpu.flags.setLogic(8, lo, hi);
  if (store) {
    cpu.lo[d] = lo;
    cpu.hi[d] = hi;
  }
}

// 32-bit: results zero-extend into bits 63:32.
function add32(cpu: Cpu, d: number, b: number): void {
  const a = cpu.lo[d]!;
  const r = (a + b) | 0;
  cpu.flags.setLazy(LAZY_ADD, 4, a, 0, b, 0, r, 0);
  cpu.lo[d] = r;
  cpu.hi[d] = 0;
}

function sub32(cpu: Cpu, d: number, b: number, store: boolean): void {
  const a = cpu.lo[d]!;
  const r = (a - b) | 0;
  cpu.flags.setLazy(LAZY_SUB, 4, a, 0, b, 0, r, 0);
  if (store) {
    cpu.lo[d] = r;
    cpu.hi[d] = 0;
  }
}

function logic32(cpu: Cpu, d: number, r: number, store: boolean): void {
  cpu.flags.setLogic(4, r, 0);
  if (store) {
    cpu.lo[d] = r;
    cpu.hi[d] = 0;
  }
}


// One named function per operation, size and operand shape: each gets its own
// type feedback in V8 (closures made by a factory would share one and turn the
// inner call megamorphic). Shapes: RR = r/m(reg) op= reg (01 09 .. 39),
// GR = reg op= r/m(reg) (03 0B .. 3B), RI = r/m(reg) op= imm (81, 83).
const add64RR: Handler = (cpu, i) => add64(cpu, i.rm, cpu.lo[i.reg]!, cpu.hi[i.reg]!);
const add64GR: Handler = (cpu, i) => add64(cpu, i.reg, cpu.lo[i.rm]!, cpu.hi[i.rm]!);
const add64RI: Handler = (cpu, i) => add64(cpu, i.rm, (i.immLo | 0), (i.immHi | 0));
const add32RR: Handler = (cpu, i) => add32(cpu, i.rm, cpu.lo[i.reg]!);
const add32GR: Handler = (cpu, i) => add32(cpu, i.reg, cpu.lo[i.rm]!);
const add32RI: Handler = (cpu, i) => add32(cpu, i.rm, (i.immLo | 0));
const or64RR: Handler = (cpu, i) => logic64(cpu, i.rm, cpu.lo[i.rm]! | cpu.lo[i.reg]!, cpu.hi[i.rm]! | cpu.hi[i.reg]!, true);
const or64GR: Handler = (cpu, i) => logic64(cpu, i.reg, cpu.lo[i.reg]! | cpu.lo[i.rm]!, cpu.hi[i.reg]! | cpu.hi[i.rm]!, true);
const or64RI: Handler = (cpu, i) => logic64(cpu, i.rm, cpu.lo[i.rm]! | (i.immLo | 0), cpu.hi[i.rm]! | (i.immHi | 0), true);
const or32RR: Handler = (cpu, i) => logic32(cpu, i.rm, cpu.lo[i.rm]! | cpu.lo[i.reg]!, true);
const or32GR: Handler = (cpu, i) => logic32(cpu, i.reg, cpu.lo[i.reg]! | cpu.lo[i.rm]!, true);
const or32RI: Handler = (cpu, i) => logic32(cpu, i.rm, cpu.lo[i.rm]! | (i.immLo | 0), true);
const and64RR: Handler = (cpu, i) => logic64(cpu, i.rm, cpu.lo[i.rm]! & cpu.lo[i.reg]!, cpu.hi[i.rm]! & cpu.hi[i.reg]!, true);
const and64GR: Handler = (cpu, i) => logic64(cpu, i.reg, cpu.lo[i.reg]! & cpu.lo[i.rm]!, cpu.hi[i.reg]! & cpu.hi[i.rm]!, true);
const and64RI: Handler = (cpu, i) => logic64(cpu, i.rm, cpu.lo[i.rm]! & (i.immLo | 0), cpu.hi[i.rm]! & (i.immHi | 0), true);
const and32RR: Handler = (cpu, i) => logic32(cpu, i.rm, cpu.lo[i.rm]! & cpu.lo[i.reg]!, true);
const and32GR: Handler = (cpu, i) => logic32(cpu, i.reg, cpu.lo[i.reg]! & cpu.lo[i.rm]!, true);
const and32RI: Handler = (cpu, i) => logic32(cpu, i.rm, cpu.lo[i.rm]! & (i.immLo | 0), true);
const sub64RR: Handler = (cpu, i) => sub64(cpu, i.rm, cpu.lo[i.reg]!, cpu.hi[i.reg]!, true);
const sub64GR: Handler = (cpu, i) => sub64(cpu, i.reg, cpu.lo[i.rm]!, cpu.hi[i.rm]!, true);
const sub64RI: Handler = (cpu, i) => sub64(cpu, i.rm, (i.immLo | 0), (i.immHi | 0), true);
const sub32RR: Handler = (cpu, i) => sub32(cpu, i.rm, cpu.lo[i.reg]!, true);
const sub32GR: Handler = (cpu, i) => sub32(cpu, i.reg, cpu.lo[i.rm]!, true);
const sub32RI: Handler = (cpu, i) => sub32(cpu, i.rm, (i.immLo | 0), true);
const xor64RR: Handler = (cpu, i) => logic64(cpu, i.rm, cpu.lo[i.rm]! ^ cpu.lo[i.reg]!, cpu.hi[i.rm]! ^ cpu.hi[i.reg]!, true);
const xor64GR: Handler = (cpu, i) => logic64(cpu, i.reg, cpu.lo[i.reg]! ^ cpu.lo[i.rm]!, cpu.hi[i.reg]! ^ cpu.hi[i.rm]!, true);
const xor64RI: Handler = (cpu, i) => logic64(cpu, i.rm, cpu.lo[i.rm]! ^ (i.immLo | 0), cpu.hi[i.rm]! ^ (i.immHi | 0), true);
const xor32RR: Handler = (cpu, i) => logic32(cpu, i.rm, cpu.lo[i.rm]! ^ cpu.lo[i.reg]!, true);
const xor32GR: Handler = (cpu, i) => logic32(cpu, i.reg, cpu.lo[i.reg]! ^ cpu.lo[i.rm]!, true);
const xor32RI: Handler = (cpu, i) => logic32(cpu, i.rm, cpu.lo[i.rm]! ^ (i.immLo | 0), true);
const cmp64RR: Handler = (cpu, i) => sub64(cpu, i.rm, cpu.lo[i.reg]!, cpu.hi[i.reg]!, false);
const cmp64GR: Handler = (cpu, i) => sub64(cpu, i.reg, cpu.lo[i.rm]!, cpu.hi[i.rm]!, false);
const cmp64RI: Handler = (cpu, i) => sub64(cpu, i.rm, (i.immLo | 0), (i.immHi | 0), false);
const cmp32RR: Handler = (cpu, i) => sub32(cpu, i.rm, cpu.lo[i.reg]!, false);
const cmp32GR: Handler = (cpu, i) => sub32(cpu, i.reg, cpu.lo[i.rm]!, false);
const cmp32RI: Handler = (cpu, i) => sub32(cpu, i.rm, (i.immLo | 0), false);

// GM = reg op= [mem] (03 0B .. 3B with a memory operand): the read comes first,
// so a fault leaves the register and the flags as they were.
const add64GM: Handler = (cpu, i) => { const b = cpu.read64(cpu.effectiveAddress(i)); add64(cpu, i.reg, b, cpu.readHi); };
const add32GM: Handler = (cpu, i) => add32(cpu, i.reg, cpu.read(cpu.effectiveAddress(i), 4));
const or64GM: Handler = (cpu, i) => { const b = cpu.read64(cpu.effectiveAddress(i)); logic64(cpu, i.reg, cpu.lo[i.reg]! | b, cpu.hi[i.reg]! | cpu.readHi, true); };
const or32GM: Handler = (cpu, i) => { const b = cpu.read(cpu.effectiveAddress(i), 4); logic32(cpu, i.reg, cpu.lo[i.reg]! | b, true); };
const and64GM: Handler = (cpu, i) => { const b = cpu.read64(cpu.effectiveAddress(i)); logic64(cpu, i.reg, cpu.lo[i.reg]! & b, cpu.hi[i.reg]! & cpu.readHi, true); };
const and32GM: Handler = (cpu, i) => { const b = cpu.read(cpu.effectiveAddress(i), 4); logic32(cpu, i.reg, cpu.lo[i.reg]! & b, true); };
const sub64GM: Handler = (cpu, i) => { const b = cpu.read64(cpu.effectiveAddress(i)); sub64(cpu, i.reg, b, cpu.readHi, true); };
const sub32GM: Handler = (cpu, i) => sub32(cpu, i.reg, cpu.read(cpu.effectiveAddress(i), 4), true);
const xor64GM: Handler = (cpu, i) => { const b = cpu.read64(cpu.effectiveAddress(i)); logic64(cpu, i.reg, cpu.lo[i.reg]! ^ b, cpu.hi[i.reg]! ^ cpu.readHi, true); };
const xor32GM: Handler = (cpu, i) => { const b = cpu.read(cpu.effectiveAddress(i), 4); logic32(cpu, i.reg, cpu.lo[i.reg]! ^ b, true); };
const cmp64GM: Handler = (cpu, i) => { const b = cpu.read64(cpu.effectiveAddress(i)); sub64(cpu, i.reg, b, cpu.readHi, false); };
const cmp32GM: Handler = (cpu, i) => sub32(cpu, i.reg, cpu.read(cpu.effectiveAddress(i), 4), false);

/** [op][size 4 → 0, 8 → 1] of the GM shape; null for ADC/SBB (generic path). */
const ALU_GM: readonly (readonly Handler[] | null)[] = [
  [add32GM, add64GM], [or32GM, or64GM], null, null, [and32GM, and64GM], [sub32GM, sub64GM], [xor32GM, xor64GM], [cmp32GM, cmp64GM],
];

// AI = rAX op= imm (05 0D .. 3D with a 32- or 64-bit operand size).
const add64AI: Handler = (cpu, i) => add64(cpu, RAX, i.immLo | 0, i.immHi | 0);
const add32AI: Handler = (cpu, i) => add32(cpu, RAX, i.immLo | 0);
const or64AI: Handler = (cpu, i) => logic64(cpu, RAX, cpu.lo[RAX]! | (i.immLo | 0), cpu.hi[RAX]! | (i.immHi | 0), true);
const or32AI: Handler = (cpu, i) => logic32(cpu, RAX, cpu.lo[RAX]! | (i.immLo | 0), true);
const and64AI: Handler = (cpu, i) => logic64(cpu, RAX, cpu.lo[RAX]! & (i.immLo | 0), cpu.hi[RAX]! & (i.immHi | 0), true);
const and32AI: Handler = (cpu, i) => logic32(cpu, RAX, cpu.lo[RAX]! & (i.immLo | 0), true);
const sub64AI: Handler = (cpu, i) => sub64(cpu, RAX, i.immLo | 0, i.immHi | 0, true);
const sub32AI: Handler = (cpu, i) => sub32(cpu, RAX, i.immLo | 0, true);
const xor64AI: Handler = (cpu, i) => logic64(cpu, RAX, cpu.lo[RAX]! ^ (i.immLo | 0), cpu.hi[RAX]! ^ (i.immHi | 0), true);
const xor32AI: Handler = (cpu, i) => logic32(cpu, RAX, cpu.lo[RAX]! ^ (i.immLo | 0), true);
const cmp64AI: Handler = (cpu, i) => sub64(cpu, RAX, i.immLo | 0, i.immHi | 0, false);
const cmp32AI: Handler = (cpu, i) => sub32(cpu, RAX, i.immLo | 0, false);

/** [op][size 4 → 0, 8 → 1] of the AI shape; null for ADC/SBB (generic path). */
const ALU_AI: readonly (readonly Handler[] | null)[] = [
  [add32AI, add64AI], [or32AI, or64AI], null, null, [and32AI, and64AI], [sub32AI, sub64AI], [xor32AI, xor64AI], [cmp32AI, cmp64AI],
];

/** TEST r/m, reg (85) with a register operand: flags of the AND, nothing stored. */
const test64RR: Handler = (cpu, i) => logic64(cpu, i.rm, cpu.lo[i.rm]! & cpu.lo[i.reg]!, cpu.hi[i.rm]! & cpu.hi[i.reg]!, false);
const test32RR: Handler = (cpu, i) => logic32(cpu, i.rm, cpu.lo[i.rm]! & cpu.lo[i.reg]!, false);

// Byte forms with a memory operand, as the generic handlers compute them.
/** CMP r/m8, imm8 (80 /7) on memory: `alu` of size 1 with CMP. */
const cmp8MI: Handler = (cpu, i) => {
  const a = cpu.read(cpu.effectiveAddress(i), 1);
  const src = i.immLo;
  cpu.flags.setLazy(LAZY_SUB, 1, a, 0, src, i.immHi, (a - src) & 0xff, 0);
};
/** MOV r/m8, imm8 (C6 /0) to memory. */
const store8MI: Handler = (cpu, i) => cpu.write(cpu.effectiveAddress(i), 1, i.immLo);
/** MOV r/m8, r8 (88) to memory, from a low-byte register. */
const store8MG: Handler = (cpu, i) => cpu.write(cpu.effectiveAddress(i), 1, cpu.lo[i.reg]! & 0xff);
/** MOVZX r32/r64, r/m8 (0F B6) from a low-byte register or memory; bits 63:8 become 0. */
const movzx8R: Handler = (cpu, i) => { cpu.lo[i.reg] = cpu.lo[i.rm]! & 0xff; cpu.hi[i.reg] = 0; };
const movzx8M: Handler = (cpu, i) => { cpu.lo[i.reg] = cpu.read(cpu.effectiveAddress(i), 1); cpu.hi[i.reg] = 0; };

/** The specialised handler of a byte-sized (opSize 1) form, or null. */
function specializeByte(row: OpRow, i: DecodedInsn): Handler | null {
  if (i.mod === 3 || i.opcode >>> 8 !== MAP_PRIMARY) return null;
  const op = i.opcode & 0xff;
  if (op === 0x80 && i.regOp === 7) return cmp8MI;
  if (row.name === 'mov_Eb_Ib') return store8MI;
  if (row.name === 'mov_Eb_Gb' && i.highByte === 0) return store8MG;
  return null;
}

/** [op][size 4 → 0, 8 → 1][shape RR, GR, RI]; null for ADC/SBB (generic path). */
const ALU_FAST: readonly (readonly (readonly Handler[])[] | null)[] = [
  [[add32RR, add32GR, add32RI], [add64RR, add64GR, add64RI]],
  [[or32RR, or32GR, or32RI], [or64RR, or64GR, or64RI]],
  null,
  null,
  [[and32RR, and32GR, and32RI], [and64RR, and64GR, and64RI]],
  [[sub32RR, sub32GR, sub32RI], [sub64RR, sub64GR, sub64RI]],
  [[xor32RR, xor32GR, xor32RI], [xor64RR, xor64GR, xor64RI]],
  [[cmp32RR, cmp32GR, cmp32RI], [cmp64RR, cmp64GR, cmp64RI]],
];

const SHAPE_RR = 0;
const SHAPE_GR = 1;
const SHAPE_RI = 2;

function aluReg(op: number, size: 4 | 8, shape: number): Handler | null {
  return ALU_FAST[op]?.[size === 8 ? 1 : 0]?.[shape] ?? null;
}

// ---------------------------------------------------------------------------
// Moves

const movRR64: Handler = (cpu, i) => { cpu.lo[i.rm] = cpu.lo[i.reg]!; cpu.hi[i.rm] = cpu.hi[i.reg]!; };
const movRR32: Handler = (cpu, i) => { cpu.lo[i.rm] = cpu.lo[i.reg]!; cpu.hi[i.rm] = 0; };
const movGR64: Handler = (cpu, i) => { cpu.lo[i.reg] = cpu.lo[i.rm]!; cpu.hi[i.reg] = cpu.hi[i.rm]!; };
const movGR32: Handler = (cpu, i) => { cpu.lo[i.reg] = cpu.lo[i.rm]!; cpu.hi[i.reg] = 0; };
const loadGM64: Handler = (cpu, i) => {
  const lo = cpu.read64(cpu.effectiveAddress(i));
  cpu.lo[i.reg] = lo;
  cpu.hi[i.reg] = cpu.readHi;
};
const loadGM32: Handler = (cpu, i) => {
  // Through cpu.read: an access whose last byte leaves the canonical half is #GP/#SS, not #PF.
  cpu.lo[i.reg] = cpu.read(cpu.effectiveAddress(i), 4);
  cpu.hi[i.reg] = 0;
};
const storeMG64: Handler = (cpu, i) => cpu.write64(cpu.effectiveAddress(i), cpu.lo[i.reg]!, cpu.hi[i.reg]!);
const storeMG32: Handler = (cpu, i) => cpu.write(cpu.effectiveAddress(i), 4, cpu.lo[i.reg]!);
const movRegImm64: Handler = (cpu, i) => { cpu.lo[i.rm] = i.immLo | 0; cpu.hi[i.rm] = i.immHi | 0; };
const movRegImm32: Handler = (cpu, i) => { cpu.lo[i.rm] = i.immLo | 0; cpu.hi[i.rm] = 0; };

/**
 * LEA with 64-bit addressing and no RIP base: base + index × scale + disp in
 * halves. Written out in both handlers (no shared helper): V8 then compiles
 * each as one small function, whatever order it sees them in.
 */
const lea64: Handler = (cpu, i) => {
  let lo = i.disp >>> 0;
  let hi = i.dispHi;
  if (i.base !== NO_REG) {
    lo += cpu.lo[i.base]! >>> 0;
    hi += cpu.hi[i.base]!;
  }
  if (i.index !== NO_REG) {
    lo += (cpu.lo[i.index]! >>> 0) * i.scale;
    hi += Math.imul(cpu.hi[i.index]!, i.scale);
  }
  const c = (lo / TWO_32) | 0;
  cpu.lo[i.reg] = (lo - c * TWO_32) | 0;
  cpu.hi[i.reg] = (hi + c) | 0;
};
const lea32: Handler = (cpu, i) => {
  // Only bits 31:0 survive: the carry out of the low half does not matter.
  let lo = i.disp;
  if (i.base !== NO_REG) lo += cpu.lo[i.base]!;
  if (i.index !== NO_REG) lo += Math.imul(cpu.lo[i.index]!, i.scale);
  cpu.lo[i.reg] = lo | 0;
  cpu.hi[i.reg] = 0;
};

// ---------------------------------------------------------------------------
// Stack and branches (64-bit operand size)

const push64: Handler = (cpu, i) => cpu.push64(cpu.lo[i.rm]!, cpu.hi[i.rm]!);
const pushImm64: Handler = (cpu, i) => cpu.push64(i.immLo, i.immHi);
const pop64: Handler = (cpu, i) => {
  const lo = cpu.pop64();
  cpu.lo[i.rm] = lo;
  cpu.hi[i.rm] = cpu.readHi;
};
/** Sends control to a taken Jcc's target (#GP(0) when it is not canonical). */
function jccTaken(cpu: Cpu, i: DecodedInsn): void {
  const t = cpu.nextRip + (i.immLo | 0);
  if (t < -(2 ** 47) || t >= 2 ** 47) cpu.fault(13, 0);
  cpu.nextRip = t;
}
// One handler per condition code (the low 4 bits of the opcode), each reading
// only the flags its condition needs, as Rflags.cond does for that code.
const jo: Handler = (cpu, i) => { if (cpu.flags.of()) jccTaken(cpu, i); };
const jno: Handler = (cpu, i) => { if (!cpu.flags.of()) jccTaken(cpu, i); };
const jb: Handler = (cpu, i) => { if (cpu.flags.cf()) jccTaken(cpu, i); };
const jae: Handler = (cpu, i) => { if (!cpu.flags.cf()) jccTaken(cpu, i); };
const je: Handler = (cpu, i) => { if (cpu.flags.zf()) jccTaken(cpu, i); };
const jne: Handler = (cpu, i) => { if (!cpu.flags.zf()) jccTaken(cpu, i); };
const jbe: Handler = (cpu, i) => { const f = cpu.flags; if (f.cf() || f.zf()) jccTaken(cpu, i); };
const ja: Handler = (cpu, i) => { const f = cpu.flags; if (!(f.cf() || f.zf())) jccTaken(cpu, i); };
const js: Handler = (cpu, i) => { if (cpu.flags.sf()) jccTaken(cpu, i); };
const jns: Handler = (cpu, i) => { if (!cpu.flags.sf()) jccTaken(cpu, i); };
const jp: Handler = (cpu, i) => { if (cpu.flags.pf()) jccTaken(cpu, i); };
const jnp: Handler = (cpu, i) => { if (!cpu.flags.pf()) jccTaken(cpu, i); };
const jl: Handler = (cpu, i) => { const f = cpu.flags; if (f.sf() !== f.of()) jccTaken(cpu, i); };
const jge: Handler = (cpu, i) => { const f = cpu.flags; if (f.sf() === f.of()) jccTaken(cpu, i); };
const jle: Handler = (cpu, i) => { const f = cpu.flags; if (f.zf() || f.sf() !== f.of()) jccTaken(cpu, i); };
const jg: Handler = (cpu, i) => { const f = cpu.flags; if (!(f.zf() || f.sf() !== f.of())) jccTaken(cpu, i); };
const JCC: readonly Handler[] = [jo, jno, jb, jae, je, jne, jbe, ja, js, jns, jp, jnp, jl, jge, jle, jg];
const jcc = (i: DecodedInsn): Handler => JCC[i.opcode & 0xf]!;

/**
 * The specialised handler for `insn`, or null when the generic one (of its
 * row) must run. Only forms whose every operand is fixed by the record.
 */
export function specialize(row: OpRow, i: DecodedInsn): Handler | null {
  const size = i.opSize;
  if (size === 1) return specializeByte(row, i);
  if (size !== 8 && size !== 4) return null;
  if (i.highByte !== 0) return null;
  const reg = i.mod === 3;
  const m = row.mnemonic;
  if (i.opcode >>> 8 !== MAP_PRIMARY) {
    if (row.form === 'Jz' && m !== 'jmp' && m !== 'call' && m.startsWith('j')) return jcc(i);
    if (row.name === 'movzx_Gv_Eb') return reg ? movzx8R : movzx8M;
    return null;
  }
  const op = i.opcode & 0xff;
  if (op < 0x40 && (op & 7) === 1 && reg) return aluReg((op >> 3) & 7, size, SHAPE_RR);
  if (op < 0x40 && (op & 7) === 3 && reg) return aluReg((op >> 3) & 7, size, SHAPE_GR);
  if (op < 0x40 && (op & 7) === 3) return ALU_GM[(op >> 3) & 7]?.[size === 8 ? 1 : 0] ?? null;
  if (op < 0x40 && (op & 7) === 5) return ALU_AI[(op >> 3) & 7]?.[size === 8 ? 1 : 0] ?? null;
  if (op === 0x85 && reg) return size === 8 ? test64RR : test32RR;
  if ((op === 0x81 || op === 0x83) && reg) return aluReg(i.regOp, size, SHAPE_RI);
  if ((op === 0xc1 || op === 0xd1) && isPlainShiftOfReg(i)) return op === 0xc1 ? opShiftRegImm : opShiftReg1;
  switch (row.name) {
    case 'mov_Ev_Gv': return reg ? (size === 8 ? movRR64 : movRR32) : size === 8 ? storeMG64 : storeMG32;
    case 'mov_Gv_Ev': return reg ? (size === 8 ? movGR64 : movGR32) : size === 8 ? loadGM64 : loadGM32;
    case 'mov_Zv_Iv': return size === 8 ? movRegImm64 : movRegImm32;
    case 'lea_Gv_M': return i.base === BASE_RIP || i.addrSize !== 8 ? null : size === 8 ? lea64 : lea32;
    case 'push_Zv': return size === 8 ? push64 : null;
    case 'push_Iz': case 'push_Ibs': return size === 8 ? pushImm64 : null;
    case 'pop_Zv': return size === 8 && i.rm !== RSP ? pop64 : null;
  }
  if (row.form === 'Jb' && m !== 'jmp' && m !== 'jrcxz' && m.startsWith('j')) return jcc(i); // JRCXZ tests RCX, not a condition code
  return null;
}
