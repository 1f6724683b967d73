/**
 * Stack and control transfer: PUSH/POP (registers, memory, immediates,
 * FS/GS), PUSHF/POPF, ENTER/LEAVE, CALL/RET/JMP (relative and indirect),
 * Jcc, and the flag instructions CLC/STC/CMC/CLD/STD/LAHF/SAHF.
 * In 64-bit mode near branches and stack operations default to 64 bits;
 * a branch to a non-canonical address is #GP(0) at the branch (SDM Vol. 1
 * §3.3.7.1), checked before anything is pushed.
 * @see Intel SDM Vol. 2 "PUSH", "POP", "POPF", "CALL", "RET", "ENTER", "LEAVE"
 */
import { RBP, RCX, RSP, VEC_GP, linearOf } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CpuFault } from '../faults.js';
import { AF, CF, DF, IF, IOPL, PF, RF, SF, VIF, VIP, VM, ZF } from '../flags.js';

const TWO_32 = 4294967296;

function gp(): never {
  throw new CpuFault(VEC_GP, 0, '#GP(0)');
}

function canonicalTarget(t: number): number {
  if (t < -(2 ** 47) || t >= 2 ** 47) gp();
  return t;
}

function lo32(v: number): number {
  return (v - Math.floor(v / TWO_32) * TWO_32) | 0;
}

function hi32(v: number): number {
  return Math.floor(v / TWO_32) | 0;
}

/** PUSH r (50+r). */
export function opPushReg(cpu: Cpu, insn: DecodedInsn): void {
  cpu.push(insn.opSize, cpu.lo[insn.rm]!, cpu.hi[insn.rm]!);
}

/** POP r (58+r); POP RSP leaves the popped value in RSP. */
export function opPopReg(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const v = cpu.pop(size);
  cpu.setReg(insn.rm, size, v, cpu.readHi);
}

/** PUSH imm8/imm32 (6A, 68), sign-extended to the stack width. */
export function opPushImm(cpu: Cpu, insn: DecodedInsn): void {
  cpu.push(insn.opSize, insn.immLo, insn.immHi);
}

/** PUSH r/m (FF /6). */
export function opPushE(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const v = cpu.readRm(insn, size);
  if (size === 8) cpu.push64(v, cpu.readHi);
  else cpu.push(size, v, 0);
}

/** POP r/m (8F /0): an RSP-based address is computed after the increment. */
export function opPopE(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const oldLo = cpu.lo[RSP]!;
  const oldHi = cpu.hi[RSP]!;
  const v = cpu.pop(size);
  const vHi = cpu.readHi;
  try {
    cpu.writeRm(insn, size, v, vHi);
  } catch (e) {
    cpu.lo[RSP] = oldLo; // a faulting POP leaves RSP unchanged
    cpu.hi[RSP] = oldHi;
    throw e;
  }
}

/** PUSH FS / PUSH GS (0F A0, 0F A8): the selector, zero-extended. */
export function opPushFs(cpu: Cpu, insn: DecodedInsn): void {
  cpu.push(insn.opSize, cpu.fs, 0);
}

export function opPushGs(cpu: Cpu, insn: DecodedInsn): void {
  cpu.push(insn.opSize, cpu.gs, 0);
}

/** PUSHF (9C): RFLAGS with VM and RF cleared (SDM "PUSHF"). */
export function opPushf(cpu: Cpu, insn: DecodedInsn): void {
  cpu.push(insn.opSize, cpu.flags.get() & ~(VM | RF), 0);
}

/**
 * POPF (9D) in 64-bit mode: RF is cleared, VM/VIF/VIP are kept; IOPL
 * changes only at CPL 0; IF only when CPL <= IOPL (no fault otherwise, no
 * VME). A 16-bit POPF changes only the low word.
 */
export function opPopf(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const v = cpu.pop(size);
  const old = cpu.flags.get();
  let keep = VM | VIF | VIP | RF;
  if (cpu.cpl !== 0) keep |= IOPL;
  if (cpu.cpl > ((old & IOPL) >>> 12)) keep |= IF;
  if (size === 2) keep |= ~0xffff;
  cpu.flags.set(((old & keep) | (v & ~keep)) & ~RF);
  cpu.updateDataMode(); // AC may have changed
}

/** LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
export function opLahf(cpu: Cpu): void {
  const f = cpu.flags.get() & 0xff;
  cpu.lo[0] = (cpu.lo[0]! & ~0xff00) | (f << 8);
}

/** SAHF: SF ZF AF PF CF from AH. */
export function opSahf(cpu: Cpu): void {
  const ah = (cpu.lo[0]! >>> 8) & 0xff;
  const mask = SF | ZF | AF | PF | CF;
  cpu.flags.update(ah & mask, ~ah & mask);
}

export function opClc(cpu: Cpu): void { cpu.flags.update(0, CF); }
export function opStc(cpu: Cpu): void { cpu.flags.update(CF, 0); }
export function opCmc(cpu: Cpu): void { cpu.flags.update(cpu.flags.cf() ? 0 : CF, cpu.flags.cf() ? CF : 0); }
export function opCld(cpu: Cpu): void { cpu.flags.raw &= ~DF; }
export function opStd(cpu: Cpu): void { cpu.flags.raw |= DF; }

/** CALL rel32 (E8). */
export function opCallRel(cpu: Cpu, insn: DecodedInsn): void {
  const target = canonicalTarget(cpu.nextRip + (insn.immLo | 0));
  cpu.push64(lo32(cpu.nextRip), hi32(cpu.nextRip));
  cpu.nextRip = target;
}

/** CALL r/m64 (FF /2). */
export function opCallE(cpu: Cpu, insn: DecodedInsn): void {
  const lo = cpu.readRm(insn, 8);
  const target = canonicalTarget(linearOf(cpu.readHi, lo));
  cpu.push(8, lo32(cpu.nextRip), hi32(cpu.nextRip));
  cpu.nextRip = target;
}

/** RET (C3) and RET imm16 (C2): pop RIP, then release imm16 bytes. */
export function opRet(cpu: Cpu, insn: DecodedInsn): void {
  const spLo = cpu.lo[RSP]!;
  const spHi = cpu.hi[RSP]!;
  const lo = cpu.pop64();
  const hi = cpu.readHi;
  if (!((hi << 16) >> 16 === hi)) {
    cpu.lo[RSP] = spLo; // the fault leaves RSP as it was
    cpu.hi[RSP] = spHi;
    gp();
  }
  if (insn.opcode === 0xc2) cpu.setRspNumber(cpu.reg64(RSP) + (insn.immLo & 0xffff));
  cpu.nextRip = linearOf(hi, lo);
}

/** JMP rel8/rel32 (EB, E9). */
export function opJmpRel(cpu: Cpu, insn: DecodedInsn): void {
  cpu.nextRip = canonicalTarget(cpu.nextRip + (insn.immLo | 0));
}

/** JMP r/m64 (FF /4). */
export function opJmpE(cpu: Cpu, insn: DecodedInsn): void {
  const lo = cpu.readRm(insn, 8);
  cpu.nextRip = canonicalTarget(linearOf(cpu.readHi, lo));
}

/** Jcc rel8/rel32 (70-7F, 0F 80-8F): the condition is the opcode's low nibble. */
export function opJcc(cpu: Cpu, insn: DecodedInsn): void {
  if (cpu.flags.cond(insn.opcode & 0xf)) cpu.nextRip = canonicalTarget(cpu.nextRip + (insn.immLo | 0));
}

/**
 * JRCXZ / JECXZ rel8 (E3): jump when RCX (ECX with an address-size prefix)
 * is zero. No flags.
 * @see Intel SDM Vol. 2A "Jcc" (JRCXZ/JECXZ)
 */
export function opJrcxz(cpu: Cpu, insn: DecodedInsn): void {
  const zero = cpu.lo[RCX] === 0 && (insn.addrSize === 4 || cpu.hi[RCX] === 0);
  if (zero) cpu.nextRip = canonicalTarget(cpu.nextRip + (insn.immLo | 0));
}

/**
 * LOOP / LOOPE / LOOPNE rel8 (E2 / E1 / E0): count = RCX (ECX with an
 * address-size prefix, written back zero-extended, as the host does) minus
 * one; jump while it is not zero (and, for LOOPE/LOOPNE, ZF is 1/0). No flags.
 * @see Intel SDM Vol. 2A "LOOP/LOOPcc"
 */
export function opLoop(cpu: Cpu, insn: DecodedInsn): void {
  let lo = cpu.lo[RCX]!;
  let hi = insn.addrSize === 4 ? 0 : cpu.hi[RCX]!;
  if (lo === 0) hi = (hi - 1) | 0;
  lo = (lo - 1) | 0;
  cpu.lo[RCX] = lo;
  cpu.hi[RCX] = hi;
  if (lo === 0 && hi === 0) return;
  const op = insn.opcode & 0xff;
  if (op === 0xe1 && !cpu.flags.zf()) return;
  if (op === 0xe0 && cpu.flags.zf()) return;
  cpu.nextRip = canonicalTarget(cpu.nextRip + (insn.immLo | 0));
}

/** LEAVE (C9): RSP = RBP, then POP RBP. */
export function opLeave(cpu: Cpu, insn: DecodedInsn): void {
  const oldLo = cpu.lo[RSP]!;
  const oldHi = cpu.hi[RSP]!;
  cpu.lo[RSP] = cpu.lo[RBP]!;
  cpu.hi[RSP] = cpu.hi[RBP]!;
  try {
    const v = cpu.pop(insn.opSize);
    cpu.setReg(RBP, insn.opSize, v, cpu.readHi);
  } catch (e) {
    cpu.lo[RSP] = oldLo;
    cpu.hi[RSP] = oldHi;
    throw e;
  }
}

/**
 * ENTER imm16, imm8 (C8) with 64-bit operand size: push RBP, copy
 * `level - 1` frame pointers from the old frame, push the new frame
 * pointer, then reserve imm16 bytes (SDM "ENTER" Operation, 64-bit mode).
 */
export function opEnter(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize === 2 ? 2 : 8;
  const alloc = insn.immLo & 0xffff;
  const level = insn.imm2 & 31;
  const saveLo = cpu.lo[RSP]!;
  const saveHi = cpu.hi[RSP]!;
  const saveBpLo = cpu.lo[RBP]!;
  const saveBpHi = cpu.hi[RBP]!;
  try {
    cpu.push(size, cpu.lo[RBP]!, cpu.hi[RBP]!);
    const frameTemp = cpu.reg64(RSP);
    if (level > 0) {
      let bp = cpu.reg64(RBP);
      for (let i = 1; i < level; i++) {
        bp -= size;
        const v = cpu.read(bp, size);
        cpu.push(size, v, size === 8 ? cpu.readHi : 0);
      }
      cpu.push(size, lo32(frameTemp), hi32(frameTemp));
    }
    cpu.setReg(RBP, size, lo32(frameTemp), hi32(frameTemp));
    cpu.setRspNumber(cpu.reg64(RSP) - alloc);
  } catch (e) {
    cpu.lo[RSP] = saveLo;
    cpu.hi[RSP] = saveHi;
    cpu.lo[RBP] = saveBpLo;
    cpu.hi[RBP] = saveBpHi;
    throw e;
  }
}

