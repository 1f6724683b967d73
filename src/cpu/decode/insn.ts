/**
 * The decoded-instruction record: everything the interpreter needs, worked
 * out once by the decoder (STYLE.md §2.1; blink's `struct Machine` decode
 * fields, v86's decoded form). A record is plain data plus the handler the
 * dispatch table resolved; the decode cache (icache.ts) keeps it per address.
 *
 * Register numbers are 0..15 in encoding order with REX bits applied:
 *   0 RAX  1 RCX  2 RDX  3 RBX  4 RSP  5 RBP  6 RSI  7 RDI  8..15 R8..R15
 * For byte operands without a REX prefix, 4..7 mean AH, CH, DH, BH; the
 * decoder reports that case with `highByte` bits (see below), so handlers
 * never look at prefixes again.
 *
 * Sizes are in bytes. Immediates are stored sign- or zero-extended as the
 * instruction defines, split into 32-bit halves (`immLo`, `immHi`) so no
 * bigint is needed; `imm2` holds the second immediate of ENTER (imm8).
 */

/** Opcode maps. */
export const MAP_PRIMARY = 0;
export const MAP_0F = 1;
export const MAP_0F38 = 2;
export const MAP_0F3A = 3;

/** Prefix bits in `prefixes`. */
export const PFX_LOCK = 1 << 0;
export const PFX_REP = 1 << 1; // F3
export const PFX_REPNE = 1 << 2; // F2
export const PFX_OPSIZE = 1 << 3; // 66
export const PFX_ADDRSIZE = 1 << 4; // 67

/** Segment override / default segment in `segment`. */
export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;

/** `base` value for RIP-relative addressing; -1 means no base / no index. */
export const BASE_RIP = 16;
export const NO_REG = -1;

/**
 * `op` values that are not table rows (every other value is an index into
 * OPTABLE). For all three, `length` and `bytes` cover the bytes the decoder
 * looked at, and only `address`, `length`, `bytes`, `op`, `mnemonic`,
 * `prefixes` and `rex` are meaningful.
 *
 * - OP_UD        invalid in 64-bit mode, or valid but not modelled: #UD.
 * - OP_TOO_LONG  the instruction would be longer than 15 bytes: #GP(0)
 *                (SDM Vol. 2 §2.3.11). Reported whether or not the bytes
 *                would otherwise decode; the decoder never reads byte 16.
 * - OP_TRUNCATED the byte window ended before the instruction did; `length`
 *                is the window length, i.e. the offset of the first missing
 *                byte. The caller fetches more (a fetch fault there is a
 *                #PF at `address + length`) and decodes again.
 */
export const OP_UD = -1;
export const OP_TOO_LONG = -2;
export const OP_TRUNCATED = -3;

/** Longest legal instruction (SDM Vol. 2 §2.3.11). */
export const MAX_INSN_LENGTH = 15;

/** `highByte` bits: operand `reg` (bit 0) or `rm` (bit 1) names AH/CH/DH/BH. */
export const HIGH_BYTE_REG = 1;
export const HIGH_BYTE_RM = 2;

export interface DecodedInsn {
  /** Linear address of the first byte. */
  address: number;
  /** Total length in bytes (1..15). */
  length: number;
  /** The raw bytes, for the cache's validation and for disassembly. */
  bytes: Uint8Array;
  /** MAP_* << 8 | opcode byte. */
  opcode: number;
  /** Index into the opcode table (optable.ts) of the matched entry; -1 for #UD. */
  op: number;
  /** Mnemonic for traces and disassembly ("add", "movdqa", "(bad)"). */
  mnemonic: string;
  /** PFX_* bits. */
  prefixes: number;
  /** REX byte (0x40..0x4f) or 0. */
  rex: number;
  /** Effective operand size: 1, 2, 4 or 8 (16 for full-XMM operations). */
  opSize: number;
  /** Effective address size: 4 or 8. */
  addrSize: number;
  /** ModRM present. */
  hasModrm: boolean;
  /** ModRM.mod (0..3); 3 = register operand. */
  mod: number;
  /** ModRM.reg with REX.R (0..15); for group opcodes the /digit is in `regOp`. */
  reg: number;
  /** ModRM.reg without REX: the /digit of group opcodes (0..7). */
  regOp: number;
  /** ModRM.rm with REX.B when mod = 3, or the register of a +r opcode (0..15). */
  rm: number;
  /** HIGH_BYTE_* bits. */
  highByte: number;
  /** Memory operand: base register, BASE_RIP, or NO_REG. */
  base: number;
  /** Memory operand: index register or NO_REG. */
  index: number;
  /** 1, 2, 4 or 8. */
  scale: number;
  /** Sign-extended displacement, bits 31:0, as a signed 32-bit number. */
  disp: number;
  /**
   * Displacement bits 63:32 as a signed 32-bit number: the sign of `disp`,
   * except for the moffs forms (A0-A3), whose 64-bit offset does not fit in
   * `disp` alone. The effective address is base + index*scale + (dispHi:disp)
   * mod 2^64, then truncated to 32 bits when `addrSize` is 4.
   */
  dispHi: number;
  /** SEG_* of the memory operand (override, else DS/SS default). */
  segment: number;
  /**
   * Immediate, bits 31:0, as an unsigned 32-bit number (already sign- or
   * zero-extended to the operand size as the form says, and masked to it:
   * `83 /0 ib` with 66 and ib = 0xff gives 0xffff). Jb/Jz displacements are
   * sign-extended to 64 bits.
   */
  immLo: number;
  /** Immediate, bits 63:32, as an unsigned 32-bit number (0 below 64-bit operand size). */
  immHi: number;
  /** Second immediate (ENTER's nesting level), else 0. */
  imm2: number;
}

/** A record with every field set, for reuse by the decoder (one shape, no later additions). */
export function newDecodedInsn(): DecodedInsn {
  return {
    address: 0,
    length: 0,
    bytes: EMPTY_BYTES,
    opcode: 0,
    op: OP_UD,
    mnemonic: '(bad)',
    prefixes: 0,
    rex: 0,
    opSize: 4,
    addrSize: 8,
    hasModrm: false,
    mod: 0,
    reg: 0,
    regOp: 0,
    rm: 0,
    highByte: 0,
    base: NO_REG,
    index: NO_REG,
    scale: 1,
    disp: 0,
    dispHi: 0,
    segment: SEG_DS,
    immLo: 0,
    immHi: 0,
    imm2: 0,
  };
}

const EMPTY_BYTES = new Uint8Array(0);
