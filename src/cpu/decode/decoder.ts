/**
 * The x86-64 instruction decoder (64-bit mode, and compatibility mode for
 * the rows that allow it): bytes in, a filled
 * `DecodedInsn` out. Pure, no dependencies beyond the opcode table, no
 * allocation except the record's copy of its bytes.
 *
 * Steps (SDM Vol. 2 §2.1, Figure 2-1):
 *   1. prefixes (prefixes.ts), REX last
 *   2. opcode: one byte, or 0F xx, 0F 38 xx, 0F 3A xx
 *   3. the opcode slot in DISPATCH; #UD if empty
 *   4. ModRM if the slot has one; choose the row by mandatory prefix, /digit,
 *      mod, exact ModRM byte and REX.W/REX.B
 *   5. LOCK check, operand-register checks (Sreg, CRn)
 *   6. SIB and displacement (modrm.ts), then the immediate
 *
 * Compatibility mode (`bits` 32 or 16; SDM Vol. 1 §3.6, Vol. 2 §2.1, Vol. 3A
 * §5.2.1): 40-4F are opcodes (INC/DEC), not REX; ES/CS/SS/DS overrides
 * count; operand and address sizes default to `bits` and 66/67 toggle them
 * (no 64-bit operands; d64/f64 forms follow the operand size); 32-bit
 * ModRM has no RIP-relative form, 16-bit ModRM is its own table (modrm.ts);
 * Jz is rel16 at operand size 16; only rows marked MODES_COMPAT match.
 *
 * Anything that does not match a row is #UD (`op = OP_UD`): kentry never
 * guesses. An instruction that would need a 16th byte is OP_TOO_LONG (#GP);
 * a window that ends early is OP_TRUNCATED (see insn.ts).
 */
import {
  type DecodedInsn,
  HIGH_BYTE_REG,
  HIGH_BYTE_RM,
  MAX_INSN_LENGTH,
  NO_REG,
  OP_TOO_LONG,
  OP_TRUNCATED,
  OP_UD,
  PFX_ADDRSIZE,
  PFX_LOCK,
  PFX_OPSIZE,
  PFX_REP,
  PFX_REPNE,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_SS,
} from './insn.js';
import { decodeMemOperand, decodeMemOperand16 } from './modrm.js';
import {
  PK_ADDRSIZE,
  PK_FS,
  PK_GS,
  PK_LOCK,
  PK_NONE,
  PK_OPSIZE,
  PK_REP,
  PK_REPNE,
  PK_REX,
  PK_SEG_IGNORED,
  PREFIX_KIND,
  REX_B,
  REX_R,
  REX_W,
} from './prefixes.js';
import { DISPATCH, DISPATCH_COMPAT, DISPATCH_LISTS, DISPATCH_UD, OPTABLE, SLOT_HAS_MODRM } from '../optable.js';

// --- per-row facts as small integers, worked out once from OPTABLE ---------

const MP_ANY = 0;
const MP_NONE = 1;
const MP_66 = 2;
const MP_F2 = 3;
const MP_F3 = 4;
const MOD_NONE = 0;
const MOD_ANY = 1;
const MOD_REG = 2;
const MOD_MEM = 3;
const MOD_FORCE_REG = 4;
const RX_ANY = 0;
const RX_W0 = 1;
const RX_W1 = 2;
const RX_B0 = 3;
const SZ = { b: 0, w: 1, d: 2, q: 3, x: 4, v: 5, d64: 6, f64: 7, y: 8 } as const;
const IM = { none: 0, Ib: 1, Ibs: 2, Iw: 3, Iz: 4, Iv: 5, Jb: 6, Jz: 7, IwIb: 8, moffs: 9 } as const;
/** ROW_FLAGS bits. */
const F_LOCK = 1;
const F_BYTE_REG = 2; // Gb: reg 4..7 without REX is AH..BH
const F_BYTE_RM = 4; // Eb (mod = 3) or Zb: rm 4..7 without REX is AH..BH
const F_SREG = 8; // Sw operand (digits mask already limits it)
const F_CREG = 16; // Cq operand: CR0/2/3/4/8 only
const F_PLUS_R = 32;

const N = OPTABLE.length;
const ROW_PFX = new Uint8Array(N);
const ROW_MOD = new Uint8Array(N);
const ROW_REX = new Uint8Array(N);
const ROW_DIGITS = new Uint8Array(N);
const ROW_RMBYTE = new Int16Array(N);
const ROW_SIZE = new Uint8Array(N);
const ROW_IMM = new Uint8Array(N);
const ROW_FLAGS = new Uint8Array(N);
/** Mnemonic by row and operand size (index: 0 for opSize 2, 1 for 4, 2 otherwise). */
const ROW_MNEMONIC: string[] = [];

OPTABLE.forEach((r, i) => {
  ROW_PFX[i] = { any: MP_ANY, none: MP_NONE, '66': MP_66, F2: MP_F2, F3: MP_F3 }[r.pfx];
  ROW_MOD[i] = { none: MOD_NONE, any: MOD_ANY, reg: MOD_REG, mem: MOD_MEM, forceReg: MOD_FORCE_REG }[r.modrm];
  ROW_REX[i] = { any: RX_ANY, W0: RX_W0, W1: RX_W1, B0: RX_B0 }[r.rex];
  ROW_DIGITS[i] = r.digits;
  ROW_RMBYTE[i] = r.rmByte;
  ROW_SIZE[i] = SZ[r.size];
  ROW_IMM[i] = IM[r.imm];
  const has = (o: string): boolean => r.operands.some((x) => x === o);
  ROW_FLAGS[i] = (r.lock ? F_LOCK : 0) | (has('Gb') ? F_BYTE_REG : 0) | (has('Eb') || has('Zb') ? F_BYTE_RM : 0)
    | (has('Sw') ? F_SREG : 0) | (has('Cq') ? F_CREG : 0) | (r.plusR ? F_PLUS_R : 0);
  const sm = r.sizeMnemonics;
  ROW_MNEMONIC.push(sm ? sm[0] : r.mnemonic, sm ? sm[1] : r.mnemonic, sm ? sm[2] : r.mnemonic);
});

/** Valid control registers for MOV to/from CRn (SDM Vol. 3A §2.5). */
const VALID_CR = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 8);

/**
 * Decodes the instruction at `w[start]` into `insn` (every field is
 * rewritten) and returns `insn`.
 *
 * @param w       byte window; bytes at [start, end) are the instruction stream
 * @param start   offset of the first byte
 * @param end     end of the valid bytes (exclusive); at most 15 are read
 * @param address linear address of the first byte, copied to `insn.address`
 *                (in compatibility mode: its offset in CS, EIP)
 * @param bits    64 (64-bit mode), or 32 / 16 (compatibility mode, CS.D = 1 / 0)
 */
export function decodeInsn(insn: DecodedInsn, w: Uint8Array, start = 0, end = w.length, address = 0, bits: 16 | 32 | 64 = 64): DecodedInsn {
  const hard = start + MAX_INSN_LENGTH;
  const lim = end < hard ? end : hard;
  // Why a read past `lim` fails: the 15-byte limit, or the window.
  const short = end < hard ? OP_TRUNCATED : OP_TOO_LONG;
  insn.address = address;
  insn.hasModrm = false;
  insn.mod = 0;
  insn.reg = 0;
  insn.regOp = 0;
  insn.rm = 0;
  insn.highByte = 0;
  insn.base = NO_REG;
  insn.index = NO_REG;
  insn.scale = 1;
  insn.disp = 0;
  insn.dispHi = 0;
  insn.immLo = 0;
  insn.immHi = 0;
  insn.imm2 = 0;
  insn.opcode = 0;

  // 1. prefixes
  let p = start;
  let pfx = 0;
  let rex = 0;
  let seg = -1;
  for (;;) {
    if (p >= lim) return fail(insn, w, start, p, short, pfx, rex);
    const b = w[p] ?? 0;
    const kind = PREFIX_KIND[b] ?? PK_NONE;
    if (kind === PK_NONE || (kind === PK_REX && bits !== 64)) break; // 40-4F: INC/DEC outside 64-bit mode
    p++;
    if (kind === PK_REX) {
      rex = b;
      continue;
    }
    rex = 0;
    if (kind === PK_LOCK) pfx |= PFX_LOCK;
    else if (kind === PK_REP) pfx = (pfx & ~PFX_REPNE) | PFX_REP;
    else if (kind === PK_REPNE) pfx = (pfx & ~PFX_REP) | PFX_REPNE;
    else if (kind === PK_OPSIZE) pfx |= PFX_OPSIZE;
    else if (kind === PK_ADDRSIZE) pfx |= PFX_ADDRSIZE;
    else if (kind === PK_FS) seg = SEG_FS;
    else if (kind === PK_GS) seg = SEG_GS;
    else if (kind === PK_SEG_IGNORED && bits !== 64) seg = LEGACY_SEG[(b >> 3) & 3] ?? SEG_DS; // the last one wins
  }

  // 2. opcode
  let map = 0;
  let opc = w[p++] ?? 0;
  if (opc === 0x0f) {
    if (p >= lim) return fail(insn, w, start, p, short, pfx, rex);
    opc = w[p++] ?? 0;
    map = 1;
    if (opc === 0x38 || opc === 0x3a) {
      if (p >= lim) return fail(insn, w, start, p, short, pfx, rex);
      map = opc === 0x38 ? 2 : 3;
      opc = w[p++] ?? 0;
    }
  }
  const slot = (map << 8) | opc;
  insn.opcode = slot;
  const compat = bits !== 64;
  const d = (compat ? DISPATCH_COMPAT.dispatch[slot] : DISPATCH[slot]) ?? DISPATCH_UD;
  if (d === DISPATCH_UD) return fail(insn, w, start, p, OP_UD, pfx, rex);

  // 3-4. ModRM and row selection
  let modrm = -1;
  if ((compat ? DISPATCH_COMPAT.hasModrm[slot] : SLOT_HAS_MODRM[slot]) === 1) {
    if (p >= lim) return fail(insn, w, start, p, short, pfx, rex);
    modrm = w[p++] ?? 0;
  }
  let row = d;
  if (d < 0) {
    row = -1;
    const list = (compat ? DISPATCH_COMPAT.lists[-2 - d] : DISPATCH_LISTS[-2 - d]) ?? [];
    const mp = pfx & PFX_REP ? MP_F3 : pfx & PFX_REPNE ? MP_F2 : pfx & PFX_OPSIZE ? MP_66 : MP_NONE;
    const mod = modrm >> 6;
    for (let k = 0; k < list.length; k++) {
      const r = list[k] ?? 0;
      const rp = ROW_PFX[r];
      if (rp !== MP_ANY && rp !== mp) continue;
      if (modrm >= 0) {
        if ((ROW_DIGITS[r] ?? 0) & (1 << ((modrm >> 3) & 7)) ? false : true) continue;
        const rm = ROW_MOD[r];
        if (rm === MOD_REG ? mod !== 3 : rm === MOD_MEM ? mod === 3 : false) continue;
        const rb = ROW_RMBYTE[r] ?? -1;
        if (rb >= 0 && rb !== modrm) continue;
      }
      const rx = ROW_REX[r];
      if (rx !== RX_ANY && (rx === RX_W0 ? (rex & REX_W) !== 0 : rx === RX_W1 ? (rex & REX_W) === 0 : (rex & REX_B) !== 0)) continue;
      row = r;
      break;
    }
    if (row < 0) return fail(insn, w, start, p, OP_UD, pfx, rex);
  }

  // 5. LOCK, register checks
  const flags = ROW_FLAGS[row] ?? 0;
  const modRule = ROW_MOD[row] ?? MOD_NONE;
  const memForm = modrm >= 0 && modrm < 0xc0 && modRule !== MOD_FORCE_REG;
  if (pfx & PFX_LOCK && !(flags & F_LOCK && memForm)) return fail(insn, w, start, p, OP_UD, pfx, rex);
  if (modrm >= 0) {
    insn.hasModrm = true;
    insn.mod = modRule === MOD_FORCE_REG ? 3 : modrm >> 6;
    insn.regOp = (modrm >> 3) & 7;
    insn.reg = insn.regOp | (rex & REX_R ? 8 : 0);
    insn.rm = (modrm & 7) | (rex & REX_B ? 8 : 0);
    if (flags & F_CREG && !((VALID_CR >> insn.reg) & 1)) return fail(insn, w, start, p, OP_UD, pfx, rex);
    if (flags & F_SREG) insn.reg = insn.regOp; // REX.R does not extend Sreg numbers
  } else if (flags & F_PLUS_R) {
    insn.rm = (opc & 7) | (rex & REX_B ? 8 : 0);
  }

  // sizes
  const addr32 = (pfx & PFX_ADDRSIZE) !== 0;
  insn.addrSize = addr32 ? 4 : 8;
  const W = (rex & REX_W) !== 0;
  const o16 = (pfx & PFX_OPSIZE) !== 0;
  let opSize: number;
  if (compat) {
    // 66 / 67 toggle the defaults of the code segment (SDM Vol. 1 §3.6 Table 3-3).
    insn.addrSize = (bits === 16) !== addr32 ? 2 : 4;
    const small = (bits === 16) !== o16;
    const rule = ROW_SIZE[row];
    opSize = rule === SZ.b ? 1 : rule === SZ.w ? 2 : rule === SZ.d || rule === SZ.y ? 4 : rule === SZ.q ? 8 : rule === SZ.x ? 16 : small ? 2 : 4;
  } else switch (ROW_SIZE[row]) {
    case SZ.b: opSize = 1; break;
    case SZ.w: opSize = 2; break;
    case SZ.d: opSize = 4; break;
    case SZ.q: opSize = 8; break;
    case SZ.x: opSize = 16; break;
    case SZ.v: opSize = W ? 8 : o16 ? 2 : 4; break;
    case SZ.d64: opSize = W ? 8 : o16 ? 2 : 8; break;
    case SZ.f64: opSize = 8; break;
    default: opSize = W ? 8 : 4; break; // y
  }
  insn.opSize = opSize;
  if (rex === 0) {
    if (flags & F_BYTE_REG && insn.reg >= 4) insn.highByte |= HIGH_BYTE_REG;
    if (flags & F_BYTE_RM && (insn.mod === 3 || modrm < 0) && insn.rm >= 4) insn.highByte |= HIGH_BYTE_RM;
  }

  // 6. memory operand, immediate
  insn.segment = seg >= 0 ? seg : SEG_DS;
  if (memForm) {
    p = insn.addrSize === 2 ? decodeMemOperand16(insn, w, p, lim, modrm) : decodeMemOperand(insn, w, p, lim, modrm, rex, compat);
    if (p < 0) return fail(insn, w, start, lim, short, pfx, rex);
    if (seg >= 0) insn.segment = seg;
  }
  const immKind = ROW_IMM[row];
  if (immKind !== IM.none) {
    const n = immKind === IM.Ib || immKind === IM.Ibs || immKind === IM.Jb ? 1
      : immKind === IM.Iw ? 2
      : immKind === IM.IwIb ? 3
      : immKind === IM.Iz ? (opSize === 2 ? 2 : 4)
      : immKind === IM.Iv ? opSize
      : immKind === IM.moffs ? insn.addrSize
      : opSize === 2 ? 2 : 4; // Jz: rel16 only at operand size 16 (compatibility mode; f64 is 8 in 64-bit mode)
    if (p + n > lim) return fail(insn, w, start, lim, short, pfx, rex);
    const lo = n === 1 ? (w[p] ?? 0) : n === 2 || n === 3 ? (w[p] ?? 0) | ((w[p + 1] ?? 0) << 8)
      : (w[p] ?? 0) | ((w[p + 1] ?? 0) << 8) | ((w[p + 2] ?? 0) << 16) | ((w[p + 3] ?? 0) << 24);
    const hi = n === 8 ? (w[p + 4] ?? 0) | ((w[p + 5] ?? 0) << 8) | ((w[p + 6] ?? 0) << 16) | ((w[p + 7] ?? 0) << 24) : 0;
    p += n;
    switch (immKind) {
      case IM.Ib: insn.immLo = lo; break;
      case IM.Iw: insn.immLo = lo; break;
      case IM.IwIb: insn.immLo = lo; insn.imm2 = w[p - 1] ?? 0; break;
      case IM.Ibs: setSigned(insn, (lo << 24) >> 24, opSize); break;
      case IM.Jb: setSigned(insn, (lo << 24) >> 24, 8); break;
      case IM.Jz: setSigned(insn, n === 2 ? (lo << 16) >> 16 : lo | 0, 8); break;
      case IM.Iz: setSigned(insn, opSize === 2 ? lo : lo | 0, opSize); break;
      case IM.Iv: insn.immLo = lo >>> 0; insn.immHi = hi >>> 0; break;
      default: // moffs: an absolute address, zero-extended with 67
        insn.disp = lo | 0;
        insn.dispHi = hi | 0;
        insn.segment = seg >= 0 ? seg : SEG_DS;
        break;
    }
  }

  insn.op = row;
  insn.length = p - start;
  insn.bytes = w.slice(start, p);
  insn.prefixes = pfx;
  insn.rex = rex;
  insn.mnemonic = ROW_MNEMONIC[row * 3 + (opSize === 2 ? 0 : opSize === 4 ? 1 : 2)] ?? '(bad)';
  // E3 tests ECX under an address-size prefix: its name is JECXZ (SDM Vol. 2A "Jcc").
  if (insn.mnemonic === 'jrcxz' && insn.addrSize === 4) insn.mnemonic = 'jecxz';
  return insn;
}

/** Segment of the ES/CS/SS/DS override prefixes 26/2E/36/3E, by bits 4:3 of the byte. */
const LEGACY_SEG = [SEG_ES, SEG_CS, SEG_SS, SEG_DS] as const;

/** Stores a signed 32-bit value extended to `size` bytes as unsigned halves. */
function setSigned(insn: DecodedInsn, v: number, size: number): void {
  if (size === 1) insn.immLo = v & 0xff;
  else if (size === 2) insn.immLo = v & 0xffff;
  else insn.immLo = v >>> 0;
  insn.immHi = size === 8 && v < 0 ? 0xffffffff : 0;
}

function fail(insn: DecodedInsn, w: Uint8Array, start: number, p: number, op: number, pfx: number, rex: number): DecodedInsn {
  insn.op = op;
  insn.length = p - start;
  insn.bytes = w.slice(start, p);
  insn.prefixes = pfx;
  insn.rex = rex;
  insn.mnemonic = op === OP_UD ? '(bad)' : op === OP_TOO_LONG ? '(too long)' : '(truncated)';
  return insn;
}

export { OP_TOO_LONG, OP_TRUNCATED, OP_UD };
