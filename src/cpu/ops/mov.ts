/**
 * Data movement: MOV (all forms), MOVZX/MOVSX/MOVSXD, LEA, XCHG, BSWAP,
 * CBW/CWDE/CDQE, CWD/CDQ/CQO, CMOVcc, SETcc.
 * @see Intel SDM Vol. 2A/2B entries of each; Vol. 1 §3.4.1.1 (32-bit
 *      results zero-extend to 64 bits)
 */
import { RAX, RDX } from '../core.js';
import { BASE_RIP, NO_REG, type DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';

const TWO_32 = 4294967296;
const HB_REG = 1;
const HB_RM = 2;

/** MOV r/m, reg (88, 89). */
export function opMovEG(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  cpu.writeRm(insn, size, cpu.regOperand(insn, size), cpu.hi[insn.reg]!);
}

/** MOV reg, r/m (8A, 8B). */
export function opMovGE(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const v = cpu.readRm(insn, size);
  cpu.setReg(insn.reg, size, v, size === 8 ? cpu.readHi : 0, (insn.highByte & HB_REG) !== 0);
}

/** MOV r/m, imm (C6 /0, C7 /0: imm32 sign-extended for 64-bit). */
export function opMovEI(cpu: Cpu, insn: DecodedInsn): void {
  cpu.writeRm(insn, insn.opSize, insn.immLo, insn.immHi);
}

/** MOV reg, imm (B0+r, B8+r incl. MOVABS imm64). */
export function opMovRegImm(cpu: Cpu, insn: DecodedInsn): void {
  cpu.setReg(insn.rm, insn.opSize, insn.immLo, insn.immHi, (insn.highByte & HB_RM) !== 0);
}

/** MOV AL/AX/EAX/RAX, moffs (A0, A1): the decoder puts the absolute address in the memory operand. */
export function opMovAccMoffs(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const v = cpu.read(cpu.effectiveAddress(insn), size);
  cpu.setReg(RAX, size, v, size === 8 ? cpu.readHi : 0);
}

/** MOV moffs, AL/AX/EAX/RAX (A2, A3). */
export function opMovMoffsAcc(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  cpu.write(cpu.effectiveAddress(insn), size, cpu.getReg(RAX, size), cpu.hi[RAX]!);
}

/**
 * LEA reg, m: base + index × scale + disp modulo 2^64 (or 2^32 under 67),
 * then truncated to the operand size — no segment base, no canonical check.
 */
export function opLea(cpu: Cpu, insn: DecodedInsn): void {
  let lo = insn.disp >>> 0;
  let hi = insn.dispHi;
  if (insn.base === BASE_RIP) {
    const sum = cpu.nextRip + insn.disp; // nextRip is canonical: exact
    hi = Math.floor(sum / TWO_32);
    lo = sum - hi * TWO_32;
  } else {
    if (insn.base !== NO_REG) {
      lo += cpu.lo[insn.base]! >>> 0;
      hi += cpu.hi[insn.base]!;
    }
    if (insn.index !== NO_REG) {
      lo += (cpu.lo[insn.index]! >>> 0) * insn.scale;
      hi += Math.imul(cpu.hi[insn.index]!, insn.scale);
    }
    const c = Math.floor(lo / TWO_32);
    lo -= c * TWO_32;
    hi += c;
  }
  if (insn.addrSize === 4) hi = 0;
  cpu.setReg(insn.reg, insn.opSize, lo | 0, hi | 0);
}

/** MOVZX reg, r/m8 / r/m16. */
export function opMovzx(cpu: Cpu, insn: DecodedInsn, srcSize: number): void {
  const v = readSmall(cpu, insn, srcSize);
  cpu.setReg(insn.reg, insn.opSize, v, 0);
}

/** MOVSX reg, r/m8 / r/m16; MOVSXD reg, r/m32. */
export function opMovsx(cpu: Cpu, insn: DecodedInsn, srcSize: number): void {
  const raw = readSmall(cpu, insn, srcSize);
  const v = srcSize === 1 ? (raw << 24) >> 24 : srcSize === 2 ? (raw << 16) >> 16 : raw | 0;
  cpu.setReg(insn.reg, insn.opSize, v, v < 0 ? -1 : 0);
}

function readSmall(cpu: Cpu, insn: DecodedInsn, size: number): number {
  if (insn.mod === 3) return cpu.getReg(insn.rm, size, (insn.highByte & HB_RM) !== 0);
  return cpu.read(cpu.effectiveAddress(insn), size);
}

export const opMovzxB = (cpu: Cpu, insn: DecodedInsn): void => opMovzx(cpu, insn, 1);
export const opMovzxW = (cpu: Cpu, insn: DecodedInsn): void => opMovzx(cpu, insn, 2);
export const opMovsxB = (cpu: Cpu, insn: DecodedInsn): void => opMovsx(cpu, insn, 1);
export const opMovsxW = (cpu: Cpu, insn: DecodedInsn): void => opMovsx(cpu, insn, 2);
/** MOVSXD (63): sign-extends r/m32; with a 32- or 16-bit operand size it is a plain move. */
export const opMovsxd = (cpu: Cpu, insn: DecodedInsn): void =>
  insn.opSize === 8 ? opMovsx(cpu, insn, 4) : opMovzx(cpu, insn, insn.opSize);

/** XCHG r/m, reg (86, 87); memory forms are atomic (trivially here). */
export function opXchgEG(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const regV = cpu.regOperand(insn, size);
  const regHi = cpu.hi[insn.reg]!;
  const hbReg = (insn.highByte & HB_REG) !== 0;
  if (insn.mod === 3) {
    const hbRm = (insn.highByte & HB_RM) !== 0;
    const rmV = cpu.getReg(insn.rm, size, hbRm);
    const rmHi = cpu.hi[insn.rm]!;
    cpu.setReg(insn.rm, size, regV, regHi, hbRm);
    cpu.setReg(insn.reg, size, rmV, rmHi, hbReg);
    return;
  }
  const la = cpu.effectiveAddress(insn);
  const m = cpu.readForWrite(la, size);
  const mHi = size === 8 ? cpu.readHi : 0;
  cpu.write(la, size, regV, regHi);
  cpu.setReg(insn.reg, size, m, mHi, hbReg);
}

/** XCHG rAX, reg (90+r; 90 without REX.B is NOP and never reaches here). */
export function opXchgAccReg(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const a = cpu.getReg(RAX, size);
  const aHi = cpu.hi[RAX]!;
  cpu.setReg(RAX, size, cpu.getReg(insn.rm, size), cpu.hi[insn.rm]!);
  cpu.setReg(insn.rm, size, a, aHi);
}

/** BSWAP r32/r64 (0F C8+r). BSWAP r16 is undefined; it clears the register's low word on known CPUs? (treated as 32-bit swap of the low word's bytes: kentry zeroes it, as Intel documents "undefined"). */
export function opBswap(cpu: Cpu, insn: DecodedInsn): void {
  const r = insn.rm;
  const swap = (v: number): number => ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) | 0;
  if (insn.opSize === 8) {
    const lo = cpu.lo[r]!;
    cpu.lo[r] = swap(cpu.hi[r]!);
    cpu.hi[r] = swap(lo);
  } else if (insn.opSize === 4) {
    cpu.setReg(r, 4, swap(cpu.lo[r]!));
  } else {
    cpu.setReg(r, 2, 0);
  }
}

/** CBW / CWDE / CDQE (98): sign-extend the lower half of rAX into rAX. */
export function opCbw(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const lo = cpu.lo[RAX]!;
  if (size === 2) cpu.setReg(RAX, 2, (lo << 24) >> 24);
  else if (size === 4) cpu.setReg(RAX, 4, (lo << 16) >> 16);
  else cpu.setReg(RAX, 8, lo, lo < 0 ? -1 : 0);
}

/** CWD / CDQ / CQO (99): rDX = sign of rAX. */
export function opCwd(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const sign = size === 2 ? ((cpu.lo[RAX]! << 16) >> 31) : size === 4 ? cpu.lo[RAX]! >> 31 : cpu.hi[RAX]! >> 31;
  cpu.setReg(RDX, size, sign, sign);
}

/** CMOVcc reg, r/m (0F 40-4F): a 32-bit CMOV zero-extends the destination even when the condition is false. */
export function opCmov(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const v = cpu.readRm(insn, size); // the source is read (and may fault) either way
  const vHi = size === 8 ? cpu.readHi : 0;
  if (cpu.flags.cond(insn.opcode & 0xf)) cpu.setReg(insn.reg, size, v, vHi);
  else if (size === 4) cpu.hi[insn.reg] = 0;
}

/** SETcc r/m8 (0F 90-9F). */
export function opSetcc(cpu: Cpu, insn: DecodedInsn): void {
  cpu.writeRm(insn, 1, cpu.flags.cond(insn.opcode & 0xf) ? 1 : 0);
}
