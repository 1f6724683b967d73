/**
 * SSE/SSE2 data movement: MOVD/MOVQ, MOVDQA/MOVDQU/MOVAPS/MOVUPS,
 * MOVSS/MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD, MOVHLPS/MOVLHPS, PMOVMSKB.
 * Several rows share a mnemonic (load and store forms); the handler tells
 * them apart by the opcode byte and mandatory prefix the decoder recorded.
 * @see Intel SDM Vol. 2 entries of each instruction
 */
import type { DecodedInsn } from '../decode/insn.js';
import { PFX_REP } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { A, B, B8, loadA, loadB, memAddress, requireSse, storeXmm, write128 } from './sse-common.js';

/** Opcode byte (the row's map is always 0F here). */
function opc(insn: DecodedInsn): number {
  return insn.opcode & 0xff;
}

/**
 * MOVD xmm, r/m32 (66 0F 6E) zero-extends into the whole register;
 * MOVD r/m32, xmm (66 0F 7E) stores the low dword (a register destination
 * is zero-extended to 64 bits like any 32-bit GPR write).
 */
export function opMovd(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  const x = cpu.xmm;
  if (opc(insn) === 0x6e) {
    const v = cpu.readRm(insn, 4);
    const o = insn.reg * 4;
    x[o] = v; x[o + 1] = 0; x[o + 2] = 0; x[o + 3] = 0;
  } else {
    cpu.writeRm(insn, 4, x[insn.reg * 4]!);
  }
}

/**
 * The four MOVQ rows:
 *   66 REX.W 0F 6E  MOVQ xmm, r/m64     zero-extend into the register
 *   66 REX.W 0F 7E  MOVQ r/m64, xmm     store the low qword
 *   F3 0F 7E        MOVQ xmm, xmm/m64   zero-extend into the register
 *   66 0F D6        MOVQ xmm/m64, xmm   store; a register destination is zero-extended
 */
export function opMovq(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  const x = cpu.xmm;
  const r = insn.reg * 4;
  const o = opc(insn);
  if (o === 0x6e) {
    const lo = cpu.readRm(insn, 8);
    const hi = cpu.readHi;
    x[r] = lo; x[r + 1] = hi; x[r + 2] = 0; x[r + 3] = 0;
  } else if (o === 0x7e && (insn.prefixes & PFX_REP) === 0) {
    cpu.writeRm(insn, 8, x[r]!, x[r + 1]!);
  } else if (o === 0x7e) {
    let lo: number;
    let hi: number;
    if (insn.mod === 3) {
      lo = x[insn.rm * 4]!;
      hi = x[insn.rm * 4 + 1]!;
    } else {
      lo = cpu.read64(memAddress(cpu, insn, 8, 1));
      hi = cpu.readHi;
    }
    x[r] = lo; x[r + 1] = hi; x[r + 2] = 0; x[r + 3] = 0;
  } else if (insn.mod === 3) {
    const d = insn.rm * 4;
    x[d] = x[r]!; x[d + 1] = x[r + 1]!; x[d + 2] = 0; x[d + 3] = 0;
  } else {
    cpu.write(memAddress(cpu, insn, 8, 1), 8, x[r]!, x[r + 1]!);
  }
}

/** Full 128-bit move; the load forms are 0F 6F/28/10, the store forms 0F 7F/29/11. */
function move128(cpu: Cpu, insn: DecodedInsn, aligned: boolean): void {
  requireSse(cpu);
  const o = opc(insn);
  if (o === 0x6f || o === 0x28 || o === 0x10) {
    loadB(cpu, insn, aligned);
    storeXmm(cpu, insn.reg, B);
    return;
  }
  loadA(cpu, insn.reg);
  if (insn.mod === 3) storeXmm(cpu, insn.rm, A);
  else write128(cpu, memAddress(cpu, insn, 16, aligned ? 16 : 1), A);
}

/** MOVDQA / MOVAPS: #GP(0) on a memory operand not 16-byte aligned. */
export function opMovAligned(cpu: Cpu, insn: DecodedInsn): void {
  move128(cpu, insn, true);
}

/** MOVDQU / MOVUPS: any alignment. */
export function opMovUnaligned(cpu: Cpu, insn: DecodedInsn): void {
  move128(cpu, insn, false);
}

/**
 * MOVSS (F3 0F 10/11) and MOVSD (F2 0F 10/11), `size` 4 or 8 bytes: a load
 * from memory zeroes the rest of the register; register to register moves
 * only the low element; a store writes only the element.
 */
function moveScalar(cpu: Cpu, insn: DecodedInsn, dwords: number): void {
  requireSse(cpu);
  const x = cpu.xmm;
  const r = insn.reg * 4;
  if (opc(insn) === 0x10) {
    if (insn.mod === 3) {
      const s = insn.rm * 4;
      for (let k = 0; k < dwords; k++) x[r + k] = x[s + k]!;
      return;
    }
    const la = memAddress(cpu, insn, dwords * 4, 1);
    const lo = dwords === 2 ? cpu.read64(la) : cpu.read(la, 4);
    const hi = dwords === 2 ? cpu.readHi : 0;
    x[r] = lo; x[r + 1] = hi; x[r + 2] = 0; x[r + 3] = 0;
    return;
  }
  if (insn.mod === 3) {
    const d = insn.rm * 4;
    for (let k = 0; k < dwords; k++) x[d + k] = x[r + k]!;
    return;
  }
  cpu.write(memAddress(cpu, insn, dwords * 4, 1), dwords * 4, x[r]!, x[r + 1]!);
}

export function opMovss(cpu: Cpu, insn: DecodedInsn): void {
  moveScalar(cpu, insn, 1);
}

export function opMovsd(cpu: Cpu, insn: DecodedInsn): void {
  moveScalar(cpu, insn, 2);
}

/**
 * MOVLPS/MOVLPD (0F 12/13 m64): load or store the low qword; MOVHPS/MOVHPD
 * (0F 16/17 m64): the high qword. A load keeps the other half.
 */
export function opMovLowHigh(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  const x = cpu.xmm;
  const o = opc(insn);
  const r = insn.reg * 4 + (o === 0x16 || o === 0x17 ? 2 : 0);
  const la = memAddress(cpu, insn, 8, 1);
  if (o === 0x12 || o === 0x16) {
    const lo = cpu.read64(la);
    x[r] = lo;
    x[r + 1] = cpu.readHi;
  } else {
    cpu.write(la, 8, x[r]!, x[r + 1]!);
  }
}

/** MOVHLPS xmm1, xmm2 (0F 12 /r, mod = 3): low qword of xmm1 = high qword of xmm2. */
export function opMovhlps(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  const x = cpu.xmm;
  const d = insn.reg * 4;
  const s = insn.rm * 4;
  x[d] = x[s + 2]!;
  x[d + 1] = x[s + 3]!;
}

/** MOVLHPS xmm1, xmm2 (0F 16 /r, mod = 3): high qword of xmm1 = low qword of xmm2. */
export function opMovlhps(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  const x = cpu.xmm;
  const d = insn.reg * 4;
  const s = insn.rm * 4;
  x[d + 2] = x[s]!;
  x[d + 3] = x[s + 1]!;
}

/**
 * MOVMSKPS / MOVMSKPD r32/r64, xmm (0F 50 / 66 0F 50): bit i = the sign of
 * single (dword) or double (qword) lane i; the rest of the GPR is zeroed.
 * @see Intel SDM Vol. 2B "MOVMSKPS", "MOVMSKPD"
 */
export function opMovmskps(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  const s = insn.rm * 4;
  let m = 0;
  for (let i = 0; i < 4; i++) m |= (cpu.xmm[s + i]! >>> 31) << i;
  cpu.setReg(insn.reg, insn.opSize, m, 0);
}

export function opMovmskpd(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  const s = insn.rm * 4;
  const m = (cpu.xmm[s + 1]! >>> 31) | ((cpu.xmm[s + 3]! >>> 31) << 1);
  cpu.setReg(insn.reg, insn.opSize, m, 0);
}

/** PMOVMSKB r32/r64, xmm: bit i = sign of byte i; the rest of the GPR is zeroed. */
export function opPmovmskb(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  loadB(cpu, insn, false);
  let m = 0;
  for (let i = 0; i < 16; i++) m |= (B8[i]! >>> 7) << i;
  cpu.setReg(insn.reg, insn.opSize, m, 0);
}

