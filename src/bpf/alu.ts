/**
 * Arithmetic semantics on 64-bit values held as unsigned bigints.
 * @see Documentation/bpf/standardization/instruction-set.rst (RFC 9669) §4.1–§4.2
 *
 * - BPF_ALU (32-bit) operates on the low 32 bits and zero-extends the result.
 * - Division by zero: DIV/SDIV give 0, MOD/SMOD leave dst (zero-extended for
 *   32-bit, as the kernel's do_misc_fixups patches it with a `w = w` move).
 * - SDIV INT_MIN / -1 gives INT_MIN, SMOD by -1 gives 0 (no trap).
 * - Shift counts are masked: & 63 (ALU64), & 31 (ALU).
 * - SDIV/SMOD truncate toward zero; a remainder takes the dividend's sign.
 */
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_LSH, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR,
  BPF_RSH, BPF_SUB, BPF_TO_BE, BPF_XOR,
} from './opcodes.js';

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;

export function u64(v: bigint): bigint {
  return v & M64;
}

/** Sign-extends the low `bits` of `v`, as an unsigned 64-bit value. */
export function sext(v: bigint, bits: number): bigint {
  return BigInt.asUintN(64, BigInt.asIntN(bits, v));
}

/** Byte-swaps the low `bits` (16/32/64) of `v`, zero-extending the result. */
export function bswap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits; i += 8) out = (out << 8n) | ((v >> BigInt(i)) & 0xffn);
  return out;
}

function divide(a: bigint, b: bigint, bits: number, signed: boolean, mod: boolean): bigint {
  const mask = bits === 64 ? M64 : M32;
  if (b === 0n) return mod ? a & mask : 0n;
  if (!signed) return (mod ? a % b : a / b) & mask;
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  // BigInt division truncates toward zero and % takes the dividend's sign,
  // as C and RFC 9669 ("SDIV ... truncated toward zero"); INT_MIN / -1 wraps.
  return BigInt.asUintN(bits, mod ? sa % sb : sa / sb);
}

/**
 * One ALU or ALU64 operation: `dst = dst op src` (`off` selects SDIV/SMOD
 * and MOVSX). For BPF_END `src` is the width (the instruction's imm) and
 * `source` selects BPF_TO_LE/BPF_TO_BE; `bswapAlways` is the ALU64 form.
 */
export function aluOp(op: number, is64: boolean, dst: bigint, src: bigint, off: number, source: number): bigint {
  const bits = is64 ? 64 : 32;
  const mask = is64 ? M64 : M32;
  const a = dst & mask;
  const b = src & mask;
  switch (op) {
    case BPF_ADD:
      return (a + b) & mask;
    case BPF_SUB:
      return (a - b) & mask;
    case BPF_MUL:
      return (a * b) & mask;
    case BPF_DIV:
      return divide(a, b, bits, off === 1, false);
    case BPF_MOD:
      return divide(a, b, bits, off === 1, true);
    case BPF_OR:
      return a | b;
    case BPF_AND:
      return a & b;
    case BPF_XOR:
      return a ^ b;
    case BPF_LSH:
      return (a << (b & BigInt(bits - 1))) & mask;
    case BPF_RSH:
      return a >> (b & BigInt(bits - 1));
    case BPF_ARSH:
      return BigInt.asUintN(bits, BigInt.asIntN(bits, a) >> (b & BigInt(bits - 1)));
    case BPF_NEG:
      return (-a) & mask;
    case BPF_MOV:
      // MOVSX (off 8/16/32): sign-extend the low `off` bits of src into the operation width.
      return off === 0 ? b : BigInt.asUintN(bits, BigInt.asIntN(off, src));
    case BPF_END: {
      const width = Number(src);
      // ALU64|END is the unconditional BSWAP; ALU|END|TO_LE is a truncation on a little-endian machine.
      if (is64 || source === BPF_TO_BE) return bswap(dst, width);
      return dst & ((1n << BigInt(width)) - 1n);
    }
    default:
      throw new RangeError(`not an ALU operation: ${op.toString(16)}`);
  }
}
