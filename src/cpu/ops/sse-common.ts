/**
 * What every SSE/SSE2 handler shares: the availability checks (#UD/#NM),
 * 16-byte memory operands with the alignment rule, the scratch registers
 * the handlers compute in, and the MXCSR exception protocol (#XM or #UD).
 *
 * Scratch registers: `A` (the destination, ModRM.reg) and `B` (the source,
 * ModRM.rm or memory) are 16-byte buffers with 8/16/32-bit views. A handler
 * copies its operands in, computes in place, and copies `A` back as its
 * last step, so a fault leaves the XMM file untouched and nothing is
 * allocated per instruction. The views assume a little-endian host (checked
 * at load), so lane i of a view is lane i of the XMM register (SDM Vol. 1
 * §4.6 "SIMD data types": lane 0 in the lowest bytes).
 *
 *   xmm[r * 4 + k]  = dword k (bits 32k+31:32k) of XMMr, as an int32
 */
import { VEC_GP, VEC_NM, VEC_UD, VEC_XM, type CpuCore } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import { assert } from '../../lib/errors.js';

const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;
const CR4_OSFXSR = 1 << 9;
const CR4_OSXMMEXCPT = 1 << 10;

assert(new Uint8Array(new Uint32Array([1]).buffer)[0] === 1, 'the SSE model needs a little-endian host');

/** Destination scratch (ModRM.reg operand). */
export const A = new Int32Array(4);
export const A8 = new Uint8Array(A.buffer);
export const A16 = new Uint16Array(A.buffer);
/** Source scratch (ModRM.rm register or memory operand). */
export const B = new Int32Array(4);
export const B8 = new Uint8Array(B.buffer);
export const B16 = new Uint16Array(B.buffer);
/** A third buffer for results that read A while writing (shuffles, unpacks). */
export const C = new Int32Array(4);
export const C8 = new Uint8Array(C.buffer);
export const C16 = new Uint16Array(C.buffer);

/**
 * SSE availability (SDM Vol. 3A §13.1, Vol. 2 "Exceptions" of every SSE
 * instruction): #UD if CR0.EM = 1 or CR4.OSFXSR = 0, then #NM if CR0.TS = 1.
 */
export function requireSse(cpu: CpuCore): void {
  const m = cpu.mmu;
  if ((m.cr0 & CR0_EM) !== 0 || (m.cr4 & CR4_OSFXSR) === 0) cpu.fault(VEC_UD);
  if ((m.cr0 & CR0_TS) !== 0) cpu.fault(VEC_NM);
}

/** Last byte of the lower canonical half + 1. */
const CANON_END = 2 ** 47;

/**
 * The linear address of a `size`-byte memory operand: #GP(0) when `align`
 * is set and the address is not a multiple of it (the legacy-SSE rule for
 * m128 operands, SDM Vol. 1 §11.6.8 / §12.x "Exceptions"), and #GP(0)
 * when the operand leaves the lower canonical half.
 */
export function memAddress(cpu: CpuCore, insn: DecodedInsn, size: number, align: number): number {
  const la = cpu.effectiveAddress(insn);
  if (align > 1 && la % align !== 0) cpu.fault(VEC_GP, 0);
  if (la >= 0 && la < CANON_END && la + size > CANON_END) cpu.fault(VEC_GP, 0);
  return la;
}

/** Reads 16 bytes at `la` into `out`. */
export function read128(cpu: CpuCore, la: number, out: Int32Array): void {
  out[0] = cpu.read64(la);
  out[1] = cpu.readHi;
  out[2] = cpu.read64(la + 8);
  out[3] = cpu.readHi;
}

const crossBuf = new Uint8Array(16);

/** Writes 16 bytes from `src` at `la`: all or nothing (both pages are checked first). */
export function write128(cpu: CpuCore, la: number, src: Int32Array): void {
  if ((la & 0xfff) > 0xff0) {
    const dv = new DataView(crossBuf.buffer);
    for (let k = 0; k < 4; k++) dv.setInt32(k * 4, src[k]!, true);
    cpu.mmu.writeBytes(la, crossBuf, cpu.dataMode);
    return;
  }
  cpu.write(la, 8, src[0]!, src[1]!);
  cpu.write(la + 8, 8, src[2]!, src[3]!);
}

/** A = XMM[reg]. */
export function loadA(cpu: CpuCore, reg: number): void {
  const x = cpu.xmm;
  const o = reg * 4;
  A[0] = x[o]!; A[1] = x[o + 1]!; A[2] = x[o + 2]!; A[3] = x[o + 3]!;
}

/** XMM[reg] = buf. */
export function storeXmm(cpu: CpuCore, reg: number, buf: Int32Array): void {
  const x = cpu.xmm;
  const o = reg * 4;
  x[o] = buf[0]!; x[o + 1] = buf[1]!; x[o + 2] = buf[2]!; x[o + 3] = buf[3]!;
}

/**
 * B = the Wx operand: XMM[rm], or 16 bytes of memory, aligned if `aligned`
 * (every legacy-SSE m128 operand except MOVDQU/MOVUPS's).
 */
export function loadB(cpu: CpuCore, insn: DecodedInsn, aligned: boolean): void {
  if (insn.mod === 3) {
    const x = cpu.xmm;
    const o = insn.rm * 4;
    B[0] = x[o]!; B[1] = x[o + 1]!; B[2] = x[o + 2]!; B[3] = x[o + 3]!;
    return;
  }
  read128(cpu, memAddress(cpu, insn, 16, aligned ? 16 : 1), B);
}

// ---------------------------------------------------------------------------
// MXCSR (SDM Vol. 1 §10.2.3)
//
//   31        16 15  14 13 12  11  10  9   8   7   6   5   4   3   2   1   0
//  +-----------+---+-----+---+---+---+---+---+---+---+---+---+---+---+---+---+
//  | reserved  |FZ | RC  |PM |UM |OM |ZM |DM |IM |DAZ|PE |UE |OE |ZE |DE |IE |
//  +-----------+---+-----+---+---+---+---+---+---+---+---+---+---+---+---+---+

export const MX_IE = 1 << 0;
export const MX_DE = 1 << 1;
export const MX_ZE = 1 << 2;
export const MX_OE = 1 << 3;
export const MX_UE = 1 << 4;
export const MX_PE = 1 << 5;
export const MX_DAZ = 1 << 6;
export const MX_MASK_SHIFT = 7;
export const MX_RC_SHIFT = 13;
export const MX_FZ = 1 << 15;
/** MXCSR_MASK as FXSAVE reports it: every defined bit, DAZ included. */
export const MXCSR_MASK = 0xffff;

/** Rounding control values (MXCSR.RC). */
export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_ZERO = 3;

/**
 * Records SIMD floating-point exception `flags` in MXCSR and raises the
 * exception if any of them is unmasked: #XM when CR4.OSXMMEXCPT = 1, else
 * #UD (SDM Vol. 1 §11.5.2, Vol. 3A §6.15 "Interrupt 19"). The caller then
 * has not written its destination (handlers call this before any write).
 */
export function signalSimd(cpu: CpuCore, flags: number): void {
  if (flags === 0) return;
  cpu.mxcsr |= flags;
  if ((flags & ~(cpu.mxcsr >>> MX_MASK_SHIFT) & 0x3f) !== 0) {
    cpu.fault((cpu.mmu.cr4 & CR4_OSXMMEXCPT) !== 0 ? VEC_XM : VEC_UD);
  }
}

/** True when every exception in `flags` is masked. */
export function masked(cpu: CpuCore, flags: number): boolean {
  return (flags & ~(cpu.mxcsr >>> MX_MASK_SHIFT) & 0x3f) === 0;
}
