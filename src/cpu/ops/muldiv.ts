/**
 * MUL, IMUL (one-, two- and three-operand), DIV, IDIV in every size.
 * MUL/IMUL set CF = OF when the product does not fit the destination; SF,
 * ZF, AF, PF are undefined (kentry sets them from the low result like
 * recent Intel cores; the host-CPU tests mask them). DIV/IDIV raise #DE
 * for a zero divisor or a quotient that does not fit; their flags are
 * undefined and left unchanged here.
 * @see Intel SDM Vol. 2A "MUL", "IMUL", "DIV", "IDIV"
 */
import { RAX, RDX, VEC_DE } from '../core.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CpuFault } from '../faults.js';
import { CF, OF, PF, SF, STATUS_FLAGS, ZF } from '../flags.js';

function big(lo: number, hi: number, size: number, signed: boolean): bigint {
  const bits = size * 8;
  const u = size === 8 ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) : BigInt(lo >>> 0) & ((1n << BigInt(bits)) - 1n);
  return signed ? BigInt.asIntN(bits, u) : u;
}

function loOf(v: bigint): number {
  return Number(BigInt.asUintN(32, v)) | 0;
}

function hiOf(v: bigint): number {
  return Number(BigInt.asUintN(32, v >> 32n)) | 0;
}

function setMulFlags(cpu: Cpu, overflow: boolean, low: bigint, size: number): void {
  const bits = BigInt(size * 8);
  const u = BigInt.asUintN(Number(bits), low);
  let b = Number(u & 0xffn);
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  const flags =
    (overflow ? CF | OF : 0) | (u === 0n ? ZF : 0) | ((u >> (bits - 1n)) & 1n ? SF : 0) | ((b & 1) === 0 ? PF : 0);
  cpu.flags.set((cpu.flags.get() & ~STATUS_FLAGS) | flags);
}

/** The r/m operand as a bigint. */
function rmBig(cpu: Cpu, insn: DecodedInsn, size: number, signed: boolean): bigint {
  const lo = cpu.readRm(insn, size);
  return big(lo, size === 8 ? cpu.readHi : 0, size, signed);
}

/** Writes a `2 × size` product to AX, DX:AX, EDX:EAX or RDX:RAX. */
function writeWide(cpu: Cpu, size: number, product: bigint): void {
  const bits = BigInt(size * 8);
  const low = BigInt.asUintN(size * 8, product);
  const high = BigInt.asUintN(size * 8, product >> bits);
  if (size === 1) {
    cpu.setReg(RAX, 2, Number(BigInt.asUintN(16, product)));
    return;
  }
  cpu.setReg(RAX, size, loOf(low), hiOf(low));
  cpu.setReg(RDX, size, loOf(high), hiOf(high));
}

/** The dividend: AX, DX:AX, EDX:EAX or RDX:RAX. */
function dividend(cpu: Cpu, size: number, signed: boolean): bigint {
  if (size === 1) return big(cpu.lo[RAX]!, 0, 2, signed);
  const bits = BigInt(size * 8);
  const low = big(cpu.lo[RAX]!, cpu.hi[RAX]!, size, false);
  const high = big(cpu.lo[RDX]!, cpu.hi[RDX]!, size, false);
  const u = (high << bits) | low;
  return signed ? BigInt.asIntN(size * 16, u) : u;
}

/** MUL r/m (F6/F7 /4). */
export function opMul(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const acc = size === 1 ? BigInt(cpu.lo[RAX]! & 0xff) : big(cpu.lo[RAX]!, cpu.hi[RAX]!, size, false);
  const p = acc * rmBig(cpu, insn, size, false);
  writeWide(cpu, size, p);
  setMulFlags(cpu, p >> BigInt(size * 8) !== 0n, p, size);
}

/** IMUL r/m (F6/F7 /5): signed, double-width result. */
export function opImul1(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const acc = big(cpu.lo[RAX]!, cpu.hi[RAX]!, size, true);
  const p = acc * rmBig(cpu, insn, size, true);
  writeWide(cpu, size, p);
  setMulFlags(cpu, BigInt.asIntN(size * 8, p) !== p, p, size);
}

function imulTruncated(cpu: Cpu, insn: DecodedInsn, a: bigint, b: bigint): void {
  const size = insn.opSize;
  const p = a * b;
  const r = BigInt.asIntN(size * 8, p);
  cpu.setReg(insn.reg, size, loOf(r), hiOf(r));
  setMulFlags(cpu, r !== p, p, size);
}

/** IMUL reg, r/m (0F AF). */
export function opImul2(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const b = rmBig(cpu, insn, size, true);
  imulTruncated(cpu, insn, big(cpu.lo[insn.reg]!, cpu.hi[insn.reg]!, size, true), b);
}

/** IMUL reg, r/m, imm (69, 6B). */
export function opImul3(cpu: Cpu, insn: DecodedInsn): void {
  const size = insn.opSize;
  const a = rmBig(cpu, insn, size, true);
  imulTruncated(cpu, insn, a, big(insn.immLo, insn.immHi, size, true));
}

function divide(cpu: Cpu, insn: DecodedInsn, signed: boolean): void {
  const size = insn.opSize;
  const d = rmBig(cpu, insn, size, signed);
  if (d === 0n) throw new CpuFault(VEC_DE, 0, '#DE');
  const n = dividend(cpu, size, signed);
  const q = n / d; // BigInt division truncates toward zero, as IDIV does
  const r = n % d;
  const fits = signed ? BigInt.asIntN(size * 8, q) === q : q >> BigInt(size * 8) === 0n;
  if (!fits) throw new CpuFault(VEC_DE, 0, '#DE');
  if (size === 1) {
    cpu.setReg(RAX, 2, Number(BigInt.asUintN(8, q)) | (Number(BigInt.asUintN(8, r)) << 8));
    return;
  }
  cpu.setReg(RAX, size, loOf(q), hiOf(q));
  cpu.setReg(RDX, size, loOf(r), hiOf(r));
}

/** DIV r/m (F6/F7 /6). */
export function opDiv(cpu: Cpu, insn: DecodedInsn): void {
  divide(cpu, insn, false);
}

/** IDIV r/m (F6/F7 /7). */
export function opIdiv(cpu: Cpu, insn: DecodedInsn): void {
  divide(cpu, insn, true);
}
