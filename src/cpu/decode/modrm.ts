/**
 * ModRM / SIB / displacement decoding for 64-bit mode (SDM Vol. 2 §2.1.3,
 * §2.2.1.3-§2.2.1.6, Tables 2-2 and 2-3).
 *
 *     ModRM  7 6 | 5 4 3 | 2 1 0        SIB  7 6   | 5 4 3 | 2 1 0
 *            mod |  reg  |  rm                scale | index | base
 *
 *   mod = 3          register operand rm (+REX.B)
 *   rm = 4           a SIB byte follows
 *   mod = 0, rm = 5  RIP-relative disp32 (EIP-relative with 67)
 *   SIB index = 4    no index (REX.X = 1 makes it R12, a real index)
 *   SIB base = 5     with mod = 0: no base, disp32 (REX.B does not matter)
 *   mod = 1 / 2      disp8 / disp32, sign-extended
 *
 * REX.B never changes which encodings need a SIB or a displacement: R12 as a
 * base needs a SIB like RSP, R13 with mod = 0 is RIP-relative like RBP.
 * 67 changes only the register width (EA truncated to 32 bits), not the
 * encoding, in 64-bit mode.
 */
import type { DecodedInsn } from './insn.js';
import { BASE_RIP, NO_REG, SEG_DS, SEG_SS } from './insn.js';
import { REX_B, REX_X } from './prefixes.js';

/**
 * Decodes the memory operand of a ModRM byte with mod != 3 whose SIB and
 * displacement start at `p`, into `insn.base/index/scale/disp/dispHi` and the
 * default segment. Returns the position after the displacement, or -1 when
 * the bytes run past `lim`.
 */
export function decodeMemOperand(insn: DecodedInsn, w: Uint8Array, p: number, lim: number, modrm: number, rex: number, compat = false): number {
  const mod = modrm >> 6;
  const rm = modrm & 7;
  let base: number;
  let index = NO_REG;
  let scale = 1;
  let dispBytes = mod === 1 ? 1 : mod === 2 ? 4 : 0;
  if (rm === 4) {
    if (p >= lim) return -1;
    const sib = w[p++] ?? 0;
    scale = 1 << (sib >> 6);
    const idx = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
    if (idx !== 4) index = idx;
    const b = sib & 7;
    if (b === 5 && mod === 0) {
      base = NO_REG;
      dispBytes = 4;
    } else {
      base = b | (rex & REX_B ? 8 : 0);
    }
  } else if (rm === 5 && mod === 0) {
    // RIP-relative in 64-bit mode; a plain disp32 in 32-bit addressing outside it (SDM Vol. 2 Table 2-2 note 1).
    base = compat ? NO_REG : BASE_RIP;
    dispBytes = 4;
  } else {
    base = rm | (rex & REX_B ? 8 : 0);
  }
  let disp = 0;
  if (dispBytes === 1) {
    if (p >= lim) return -1;
    disp = ((w[p++] ?? 0) << 24) >> 24;
  } else if (dispBytes === 4) {
    if (p + 4 > lim) return -1;
    disp = (w[p] ?? 0) | ((w[p + 1] ?? 0) << 8) | ((w[p + 2] ?? 0) << 16) | ((w[p + 3] ?? 0) << 24);
    p += 4;
  }
  insn.base = base;
  insn.index = index;
  insn.scale = scale;
  insn.disp = disp;
  insn.dispHi = disp < 0 ? -1 : 0;
  // rSP/rBP bases default to SS (SDM Vol. 1 §3.7.4); no effect on the address in 64-bit mode.
  insn.segment = base === 4 || base === 5 ? SEG_SS : SEG_DS;
  return p;
}

/**
 * 16-bit addressing (SDM Vol. 2 Table 2-1), compatibility mode with an
 * address size of 16: rm 0..7 = BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP
 * (disp16 alone when mod = 0), BX; mod 1 / 2 add disp8 / disp16. BP-based
 * forms default to SS. The displacement is stored sign-extended; the
 * effective address wraps at 16 bits.
 */
export function decodeMemOperand16(insn: DecodedInsn, w: Uint8Array, p: number, lim: number, modrm: number): number {
  const mod = modrm >> 6;
  const rm = modrm & 7;
  let dispBytes = mod === 1 ? 1 : mod === 2 ? 2 : 0;
  let base = BASE16[rm] ?? NO_REG;
  const index = INDEX16[rm] ?? NO_REG;
  if (mod === 0 && rm === 6) {
    base = NO_REG;
    dispBytes = 2;
  }
  let disp = 0;
  if (dispBytes === 1) {
    if (p >= lim) return -1;
    disp = ((w[p++] ?? 0) << 24) >> 24;
  } else if (dispBytes === 2) {
    if (p + 2 > lim) return -1;
    disp = (((w[p] ?? 0) | ((w[p + 1] ?? 0) << 8)) << 16) >> 16;
    p += 2;
  }
  insn.base = base;
  insn.index = index;
  insn.scale = 1;
  insn.disp = disp;
  insn.dispHi = disp < 0 ? -1 : 0;
  insn.segment = base === 5 ? SEG_SS : SEG_DS;
  return p;
}

const BX = 3;
const BP = 5;
const SI = 6;
const DI = 7;
const BASE16 = [BX, BX, BP, BP, SI, DI, BP, BX] as const;
const INDEX16 = [SI, DI, SI, DI, NO_REG, NO_REG, NO_REG, NO_REG] as const;
