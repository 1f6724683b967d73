/**
 * SSE2/SSSE3 integer and bitwise operations on whole XMM registers:
 * logic (PAND… and the ANDPS/ANDPD… family, which are the same bits),
 * compares, PMINUB/PMAXUB, add/subtract, unpacks, shifts (by register or
 * memory count, by imm8, byte shifts), shuffles, PSHUFB, PALIGNR.
 * Every m128 operand here must be 16-byte aligned (#GP(0) otherwise; legacy
 * SSE encoding, SDM Vol. 2 "Exceptions" of each entry, Table 2-18 class 4).
 * Lanes are little-endian: lane 0 is the lowest.
 */
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { A, A16, A8, B, B16, B8, C, C16, C8, loadA, loadB, requireSse, storeXmm } from './sse-common.js';

type Binary = () => void;

/** Runs `f` on A = xmm[reg], B = xmm/m128 (aligned), then stores A. */
function binary(f: Binary): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    loadB(cpu, insn, true);
    loadA(cpu, insn.reg);
    f();
    storeXmm(cpu, insn.reg, A);
  };
}

// --- logic ------------------------------------------------------------------

export const opPand = binary(() => { for (let k = 0; k < 4; k++) A[k] = A[k]! & B[k]!; });
export const opPandn = binary(() => { for (let k = 0; k < 4; k++) A[k] = ~A[k]! & B[k]!; });
export const opPor = binary(() => { for (let k = 0; k < 4; k++) A[k] = A[k]! | B[k]!; });
export const opPxor = binary(() => { for (let k = 0; k < 4; k++) A[k] = A[k]! ^ B[k]!; });

// --- compares, min/max ------------------------------------------------------

const I8A = new Int8Array(A.buffer);
const I8B = new Int8Array(B.buffer);
const I16A = new Int16Array(A.buffer);
const I16B = new Int16Array(B.buffer);

export const opPcmpeqb = binary(() => { for (let i = 0; i < 16; i++) A8[i] = A8[i] === B8[i] ? 0xff : 0; });
export const opPcmpeqw = binary(() => { for (let i = 0; i < 8; i++) A16[i] = A16[i] === B16[i] ? 0xffff : 0; });
export const opPcmpeqd = binary(() => { for (let k = 0; k < 4; k++) A[k] = A[k] === B[k] ? -1 : 0; });
export const opPcmpgtb = binary(() => { for (let i = 0; i < 16; i++) I8A[i] = I8A[i]! > I8B[i]! ? -1 : 0; });
export const opPcmpgtw = binary(() => { for (let i = 0; i < 8; i++) I16A[i] = I16A[i]! > I16B[i]! ? -1 : 0; });
export const opPcmpgtd = binary(() => { for (let k = 0; k < 4; k++) A[k] = A[k]! > B[k]! ? -1 : 0; });
export const opPminub = binary(() => { for (let i = 0; i < 16; i++) if (B8[i]! < A8[i]!) A8[i] = B8[i]!; });
export const opPmaxub = binary(() => { for (let i = 0; i < 16; i++) if (B8[i]! > A8[i]!) A8[i] = B8[i]!; });

// --- add/subtract (wrap-around) ---------------------------------------------

export const opPaddb = binary(() => { for (let i = 0; i < 16; i++) A8[i] = A8[i]! + B8[i]!; });
export const opPaddw = binary(() => { for (let i = 0; i < 8; i++) A16[i] = A16[i]! + B16[i]!; });
export const opPaddd = binary(() => { for (let k = 0; k < 4; k++) A[k] = (A[k]! + B[k]!) | 0; });
export const opPsubb = binary(() => { for (let i = 0; i < 16; i++) A8[i] = A8[i]! - B8[i]!; });
export const opPsubw = binary(() => { for (let i = 0; i < 8; i++) A16[i] = A16[i]! - B16[i]!; });
export const opPsubd = binary(() => { for (let k = 0; k < 4; k++) A[k] = (A[k]! - B[k]!) | 0; });

function addQ(k: number, sub: boolean): void {
  const al = A[k]! >>> 0;
  const bl = B[k]! >>> 0;
  const lo = sub ? al - bl : al + bl;
  const carry = sub ? (lo < 0 ? -1 : 0) : lo > 0xffff_ffff ? 1 : 0;
  A[k] = lo | 0;
  A[k + 1] = (sub ? A[k + 1]! - B[k + 1]! : A[k + 1]! + B[k + 1]!) + carry;
}

export const opPaddq = binary(() => { addQ(0, false); addQ(2, false); });
export const opPsubq = binary(() => { addQ(0, true); addQ(2, true); });

// --- unpacks: interleave the low (or high) halves, A's element first ------

function unpack(width: number, high: boolean): Binary {
  return () => {
    const n = 8 / width; // elements per half
    const base = high ? n : 0;
    for (let i = 0; i < n; i++) {
      for (let b = 0; b < width; b++) {
        C8[(2 * i) * width + b] = A8[(base + i) * width + b]!;
        C8[(2 * i + 1) * width + b] = B8[(base + i) * width + b]!;
      }
    }
    A.set(C);
  };
}

export const opPunpcklbw = binary(unpack(1, false));
export const opPunpcklwd = binary(unpack(2, false));
export const opPunpckldq = binary(unpack(4, false));
export const opPunpcklqdq = binary(unpack(8, false));
export const opPunpckhbw = binary(unpack(1, true));
export const opPunpckhwd = binary(unpack(2, true));
export const opPunpckhdq = binary(unpack(4, true));
export const opPunpckhqdq = binary(unpack(8, true));

// --- shifts -----------------------------------------------------------------

const SHL = 0;
const SHR = 1;
const SAR = 2;

/** Shifts every `width`-byte lane of A by `count` (unsigned; ≥ lane bits clears, or fills with the sign for SAR). */
function shiftLanes(width: number, kind: number, count: number): void {
  const bits = width * 8;
  if (count >= bits) {
    if (kind !== SAR) {
      A.fill(0);
      return;
    }
    count = bits - 1;
  }
  if (width === 2) {
    for (let i = 0; i < 8; i++) {
      const v = A16[i]!;
      A16[i] = kind === SHL ? v << count : kind === SHR ? v >>> count : ((v << 16) >> 16) >> count;
    }
  } else if (width === 4) {
    for (let k = 0; k < 4; k++) {
      const v = A[k]!;
      A[k] = kind === SHL ? v << count : kind === SHR ? v >>> count : v >> count;
    }
  } else {
    for (let k = 0; k < 4; k += 2) {
      const lo = A[k]! >>> 0;
      const hi = A[k + 1]! >>> 0;
      if (count === 0) continue;
      if (kind === SHL) {
        if (count >= 32) {
          A[k + 1] = lo << (count - 32);
          A[k] = 0;
        } else {
          A[k + 1] = (hi << count) | (lo >>> (32 - count));
          A[k] = lo << count;
        }
      } else if (count >= 32) {
        A[k] = hi >>> (count - 32);
        A[k + 1] = 0;
      } else {
        A[k] = (lo >>> count) | (hi << (32 - count));
        A[k + 1] = hi >>> count;
      }
    }
  }
}

/** The count of PSRLW xmm, xmm/m128 and friends: the low qword of B, unsigned (a high half makes it huge). */
function countOfB(): number {
  return B[1] !== 0 ? 0xffff_ffff : B[0]! >>> 0;
}

function shiftByB(width: number, kind: number): Binary {
  return () => shiftLanes(width, kind, countOfB());
}

/** Rows that share a mnemonic: 66 0F D1-F3 /r take the count from xmm/m128; 66 0F 71-73 /digit ib from imm8. */
function shiftDispatch(width: number, kind: number): (cpu: Cpu, insn: DecodedInsn) => void {
  const byReg = binary(shiftByB(width, kind));
  return (cpu, insn) => {
    const o = insn.opcode & 0xff;
    if (o < 0x71 || o > 0x73) {
      byReg(cpu, insn);
      return;
    }
    requireSse(cpu);
    loadA(cpu, insn.rm);
    shiftLanes(width, kind, insn.immLo & 0xff);
    storeXmm(cpu, insn.rm, A);
  };
}

export const opPsrlwAny = shiftDispatch(2, SHR);
export const opPsrldAny = shiftDispatch(4, SHR);
export const opPsrlqAny = shiftDispatch(8, SHR);
export const opPsrawAny = shiftDispatch(2, SAR);
export const opPsradAny = shiftDispatch(4, SAR);
export const opPsllwAny = shiftDispatch(2, SHL);
export const opPslldAny = shiftDispatch(4, SHL);
export const opPsllqAny = shiftDispatch(8, SHL);

/** PSRLDQ xmm, imm8 (66 0F 73 /3): byte shift right; counts above 15 clear the register. */
export function opPsrldq(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  loadA(cpu, insn.rm);
  const n = insn.immLo & 0xff;
  for (let i = 0; i < 16; i++) C8[i] = i + n < 16 ? A8[i + n]! : 0;
  storeXmm(cpu, insn.rm, C);
}

/** PSLLDQ xmm, imm8 (66 0F 73 /7): byte shift left. */
export function opPslldq(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  loadA(cpu, insn.rm);
  const n = insn.immLo & 0xff;
  for (let i = 0; i < 16; i++) C8[i] = i - n >= 0 ? A8[i - n]! : 0;
  storeXmm(cpu, insn.rm, C);
}

// --- shuffles ---------------------------------------------------------------

/** PSHUFD / PSHUFLW / PSHUFHW xmm1, xmm2/m128, imm8: the result comes from B only. */
function shuffleB(f: (imm: number) => void): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    loadB(cpu, insn, true);
    f(insn.immLo & 0xff);
    storeXmm(cpu, insn.reg, C);
  };
}

export const opPshufd = shuffleB((imm) => {
  for (let k = 0; k < 4; k++) C[k] = B[(imm >> (2 * k)) & 3]!;
});
export const opPshuflw = shuffleB((imm) => {
  for (let i = 0; i < 4; i++) C16[i] = B16[(imm >> (2 * i)) & 3]!;
  C[2] = B[2]!;
  C[3] = B[3]!;
});
export const opPshufhw = shuffleB((imm) => {
  C[0] = B[0]!;
  C[1] = B[1]!;
  for (let i = 0; i < 4; i++) C16[4 + i] = B16[4 + ((imm >> (2 * i)) & 3)]!;
});

/** SHUFPS / SHUFPD: low result elements from A, high ones from B. */
function shuffleAB(f: (imm: number) => void): (cpu: Cpu, insn: DecodedInsn) => void {
  return (cpu, insn) => {
    requireSse(cpu);
    loadB(cpu, insn, true);
    loadA(cpu, insn.reg);
    f(insn.immLo & 0xff);
    storeXmm(cpu, insn.reg, C);
  };
}

export const opShufps = shuffleAB((imm) => {
  C[0] = A[imm & 3]!;
  C[1] = A[(imm >> 2) & 3]!;
  C[2] = B[(imm >> 4) & 3]!;
  C[3] = B[(imm >> 6) & 3]!;
});
export const opShufpd = shuffleAB((imm) => {
  const a = (imm & 1) * 2;
  const b = ((imm >> 1) & 1) * 2;
  C[0] = A[a]!;
  C[1] = A[a + 1]!;
  C[2] = B[b]!;
  C[3] = B[b + 1]!;
});

/** UNPCKLPS/UNPCKHPS interleave dwords, UNPCKLPD/UNPCKHPD qwords: the same as PUNPCK*DQ / *QDQ. */
export const opUnpcklps = opPunpckldq;
export const opUnpckhps = opPunpckhdq;
export const opUnpcklpd = opPunpcklqdq;
export const opUnpckhpd = opPunpckhqdq;

/** PSHUFB xmm1, xmm2/m128 (SSSE3): byte i = bit 7 of B[i] ? 0 : A[B[i] & 15]. */
export const opPshufb = binary(() => {
  for (let i = 0; i < 16; i++) {
    const s = B8[i]!;
    C8[i] = s & 0x80 ? 0 : A8[s & 15]!;
  }
  A.set(C);
});

/** PALIGNR xmm1, xmm2/m128, imm8 (SSSE3): bytes imm8..imm8+15 of A:B (A high); beyond 31 are zero. */
export function opPalignr(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  loadB(cpu, insn, true);
  loadA(cpu, insn.reg);
  const n = insn.immLo & 0xff;
  for (let i = 0; i < 16; i++) {
    const j = i + n;
    C8[i] = j < 16 ? B8[j]! : j < 32 ? A8[j - 16]! : 0;
  }
  storeXmm(cpu, insn.reg, C);
}
