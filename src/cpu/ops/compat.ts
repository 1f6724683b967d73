/**
 * Compatibility-mode semantics (IA-32e mode with CS.L = 0; SDM Vol. 3A
 * §5.2.1, Vol. 1 §3.6) for the rows whose 64-bit handlers assume 64-bit
 * mode: the stack (PUSH, POP, CALL, RET), branches (EIP wraps at 32 bits,
 * or 16 at operand size 16, and is checked against the CS limit), LEA
 * (16-bit addresses wrap), INC/DEC r (40-4F). Every other row allowed in
 * compatibility mode (optable.ts `COMPAT_MNEMONICS`) runs its ordinary
 * handler: registers at operand size 2 or 4, memory through
 * `effectiveAddress`, which adds the segment base and checks the limit in
 * compatibility mode.
 *
 * The stack is SS:ESP with SS.B = 1, or SS:SP with SS.B = 0 — then only SP
 * changes (SDM Vol. 3A §3.4.5 "D/B flag", stack segment). A 32-bit stack
 * pointer write zeroes RSP bits 63:32, as any 32-bit register write.
 */
import { RSP, VEC_GP, type CpuCore } from '../core.js';
import { NO_REG, SEG_CS, SEG_SS, type DecodedInsn } from '../decode/insn.js';
import type { Cpu, Handler } from '../exec.js';
import { opDecE, opIncE } from './alu.js';

const DESC_DB = 1 << 22;

function bigStack(cpu: CpuCore): boolean {
  return (cpu.segAttr[SEG_SS]! & DESC_DB) !== 0;
}

function stackPointer(cpu: CpuCore): number {
  return bigStack(cpu) ? cpu.lo[RSP]! >>> 0 : cpu.lo[RSP]! & 0xffff;
}

function setStackPointer(cpu: CpuCore, sp: number): void {
  if (bigStack(cpu)) cpu.setReg(RSP, 4, sp | 0);
  else cpu.setReg(RSP, 2, sp);
}

function wrapStack(cpu: CpuCore, sp: number): number {
  return bigStack(cpu) ? sp >>> 0 : sp & 0xffff;
}

/** PUSH of `size` (2 or 4) bytes: the store first, then the stack pointer (a fault changes nothing). */
export function compatPush(cpu: CpuCore, size: number, value: number): void {
  const sp = wrapStack(cpu, stackPointer(cpu) - size);
  cpu.write(cpu.compatLinear(SEG_SS, sp, size), size, value);
  setStackPointer(cpu, sp);
}

/** Reads the `size`-byte value at the top of the stack without popping it. */
function peek(cpu: CpuCore, size: number, at = 0): number {
  return cpu.read(cpu.compatLinear(SEG_SS, wrapStack(cpu, stackPointer(cpu) + at), size), size);
}

function release(cpu: CpuCore, bytes: number): void {
  setStackPointer(cpu, wrapStack(cpu, stackPointer(cpu) + bytes));
}

/**
 * A near branch target: wrapped to the operand size and checked against
 * the CS limit — #GP(0) beyond it (SDM Vol. 2A "JMP", "Jcc", "CALL"
 * Operation: "IF tempEIP is not within code segment limit THEN #GP(0)").
 */
function target(cpu: CpuCore, insn: DecodedInsn, eip: number): number {
  const t = insn.opSize === 2 ? eip & 0xffff : eip >>> 0;
  if (t > cpu.segLimit[SEG_CS]!) cpu.fault(VEC_GP, 0);
  return t;
}

function relative(cpu: Cpu, insn: DecodedInsn): number {
  return target(cpu, insn, cpu.nextRip + (insn.immLo | 0));
}

export function opPushRegC(cpu: Cpu, insn: DecodedInsn): void {
  compatPush(cpu, insn.opSize, cpu.getReg(insn.rm, insn.opSize));
}

export function opPopRegC(cpu: Cpu, insn: DecodedInsn): void {
  const v = peek(cpu, insn.opSize);
  release(cpu, insn.opSize);
  cpu.setReg(insn.rm, insn.opSize, v, 0);
}

export function opPushImmC(cpu: Cpu, insn: DecodedInsn): void {
  compatPush(cpu, insn.opSize, insn.immLo);
}

export function opPushEC(cpu: Cpu, insn: DecodedInsn): void {
  compatPush(cpu, insn.opSize, cpu.readRm(insn, insn.opSize));
}

/** POP r/m: an ESP-based destination address is computed after the increment (SDM Vol. 2B "POP"). */
export function opPopEC(cpu: Cpu, insn: DecodedInsn): void {
  const v = peek(cpu, insn.opSize);
  const old = cpu.lo[RSP]!;
  const oldHi = cpu.hi[RSP]!;
  release(cpu, insn.opSize);
  try {
    cpu.writeRm(insn, insn.opSize, v);
  } catch (e) {
    cpu.lo[RSP] = old;
    cpu.hi[RSP] = oldHi;
    throw e;
  }
}

export function opJccC(cpu: Cpu, insn: DecodedInsn): void {
  if (cpu.flags.cond(insn.opcode & 0xf)) cpu.nextRip = relative(cpu, insn);
}

export function opJmpRelC(cpu: Cpu, insn: DecodedInsn): void {
  cpu.nextRip = relative(cpu, insn);
}

export function opJmpEC(cpu: Cpu, insn: DecodedInsn): void {
  cpu.nextRip = target(cpu, insn, cpu.readRm(insn, insn.opSize) >>> 0);
}

export function opCallRelC(cpu: Cpu, insn: DecodedInsn): void {
  const t = relative(cpu, insn);
  compatPush(cpu, insn.opSize, cpu.nextRip);
  cpu.nextRip = t;
}

export function opCallEC(cpu: Cpu, insn: DecodedInsn): void {
  const t = target(cpu, insn, cpu.readRm(insn, insn.opSize) >>> 0);
  compatPush(cpu, insn.opSize, cpu.nextRip);
  cpu.nextRip = t;
}

/** RET / RET imm16: pop the target (checked against CS.limit before the stack pointer moves), then release imm16 bytes. */
export function opRetC(cpu: Cpu, insn: DecodedInsn): void {
  const t = target(cpu, insn, peek(cpu, insn.opSize) >>> 0);
  release(cpu, insn.opSize + (insn.opcode === 0xc2 ? insn.immLo & 0xffff : 0));
  cpu.nextRip = t;
}

/** LEA: base + index × scale + disp modulo 2^32 (2^16 with 16-bit addressing), then the operand size. */
export function opLeaC(cpu: Cpu, insn: DecodedInsn): void {
  let ea = insn.disp;
  if (insn.base !== NO_REG) ea += cpu.lo[insn.base]!;
  if (insn.index !== NO_REG) ea += Math.imul(cpu.lo[insn.index]!, insn.scale);
  ea = insn.addrSize === 2 ? ea & 0xffff : ea | 0;
  cpu.setReg(insn.reg, insn.opSize, ea, 0);
}

/** INC/DEC r16/r32 (40+r, 48+r): the register is the opcode's low bits (no ModRM). */
export function opIncRegC(cpu: Cpu, insn: DecodedInsn): void {
  opIncE(cpu, { ...insn, mod: 3 });
}

export function opDecRegC(cpu: Cpu, insn: DecodedInsn): void {
  opDecE(cpu, { ...insn, mod: 3 });
}

/** Compatibility-mode handlers by row name (optable.ts), replacing the row's 64-bit handler there. */
export const COMPAT_BY_NAME: Readonly<Record<string, Handler>> = {
  push_Zv: opPushRegC, pop_Zv: opPopRegC, push_Iz: opPushImmC, push_Ibs: opPushImmC, push_Ev: opPushEC, pop_Ev: opPopEC,
  jmp_Jz: opJmpRelC, jmp_Jb: opJmpRelC, jmp_Ev: opJmpEC, call_Jz: opCallRelC, call_Ev: opCallEC,
  ret: opRetC, ret_Iw: opRetC, lea_Gv_M: opLeaC, inc_Zv_compat: opIncRegC, dec_Zv_compat: opDecRegC,
  ...Object.fromEntries(['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g']
    .flatMap((c) => [[`j${c}_Jb`, opJccC], [`j${c}_Jz`, opJccC]])) as Record<string, Handler>,
};
