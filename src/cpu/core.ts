/**
 * The architectural state of one logical x86-64 CPU and the helpers every
 * instruction handler uses: register access by size, memory access through
 * the MMU in the current mode, effective addresses, and raising faults.
 * The run loop (exec.ts), exception delivery (deliver.ts) and the handlers
 * (ops/*.ts) all work on a `CpuCore`. Nothing here knows about Linux.
 *
 * Representation (DESIGN.md §7): a 64-bit register is two int32 halves in
 * `lo[r]` / `hi[r]` (Int32Array: small integers stay unboxed in V8); RIP
 * and other addresses are JS numbers holding the sign-extended canonical
 * value, the MMU's address contract (mmu.ts).
 */
import { loadLdtr } from './descriptor.js';
import { CpuFault, PageFault } from './faults.js';
import { Rflags, AC } from './flags.js';
import { HOST_LITTLE_ENDIAN } from './tlb.js';
import {
  ACCESS_WRITE, MODE_SUPERVISOR, MODE_SUPERVISOR_AC, MODE_USER, type AccessMode, type Mmu,
} from './mmu.js';
import {
  BASE_RIP, HIGH_BYTE_REG, HIGH_BYTE_RM, NO_REG, SEG_CS, SEG_FS, SEG_GS, SEG_SS, type DecodedInsn,
} from './decode/insn.js';

export const RAX = 0;
export const RCX = 1;
export const RDX = 2;
export const RBX = 3;
export const RSP = 4;
export const RBP = 5;
export const RSI = 6;
export const RDI = 7;

/** Exception vectors (SDM Vol. 3A Table 6-1). */
export const VEC_DE = 0;
export const VEC_DB = 1;
export const VEC_NMI = 2;
export const VEC_BP = 3;
export const VEC_OF = 4;
export const VEC_UD = 6;
export const VEC_NM = 7;
export const VEC_DF = 8;
export const VEC_TS = 10;
export const VEC_NP = 11;
export const VEC_SS = 12;
export const VEC_GP = 13;
export const VEC_PF = 14;
export const VEC_MF = 16;
export const VEC_AC = 17;
export const VEC_MC = 18;
export const VEC_XM = 19;

const TWO_32 = 4294967296;

/** Code modes (`CpuCore.codeBits`). */
export type CodeBits = 16 | 32 | 64;

const DESC_L_BIT = 1 << 21;
const DESC_P_BIT = 1 << 15;
const DESC_CODE_BIT = 1 << 11;
const DESC_EC_BIT = 1 << 10;
const DESC_DB_BIT = 1 << 22;
/**
 * Hidden-part attributes of a flat read/write data segment with B = 1 (P,
 * DPL 0, S, type 3): what segment registers hold until loaded, and what
 * SYSCALL/SYSRET give SS (SDM Vol. 2B "SYSRET": "SS.B := 1 ... SS.Type := 3").
 */
export const FLAT_DATA_ATTR = (1 << 15) | (1 << 12) | (3 << 8) | DESC_DB_BIT | (1 << 23);

/** True when (hi, lo) is a canonical 48-bit address: bits 63:47 all equal. */
export function isCanonical(hi: number): boolean {
  return (hi << 16) >> 16 === hi;
}

/** The linear-address number of a canonical (hi, lo) pair. */
export function linearOf(hi: number, lo: number): number {
  return hi * TWO_32 + (lo >>> 0);
}

export class CpuCore {
  /** GPR bits 31:0, in encoding order RAX..R15. */
  readonly lo = new Int32Array(16);
  /** GPR bits 63:32. */
  readonly hi = new Int32Array(16);
  /** RIP of the instruction being executed (canonical, as a number). */
  rip = 0;
  /** RIP after it; branches write here. */
  nextRip = 0;
  readonly flags = new Rflags();

  // Segment selectors; in 64-bit mode only CS.RPL (= CPL), SS and the FS/GS bases matter.
  cs = 0;
  ss = 0;
  ds = 0;
  es = 0;
  fs = 0;
  gs = 0;
  /** FS/GS bases (canonical numbers); IA32_KERNEL_GS_BASE for SWAPGS. */
  fsBase = 0;
  gsBase = 0;
  kernelGsBase = 0;

  /** Current privilege level (CS.RPL). */
  cpl = 0;
  /**
   * The code mode CS selects (SDM Vol. 3A §5.2.1, IA-32e mode): 64 when
   * CS.L = 1 (64-bit mode), else compatibility mode with CS.D giving 32- or
   * 16-bit default operand and address sizes. Changes only when CS is
   * loaded (`setCs`, `loadCs`), so the 64-bit paths test nothing else.
   */
  codeBits: CodeBits = 64;
  /**
   * Hidden parts of the segment registers ES, CS, SS, DS, FS, GS (indexed
   * by SEG_*; SDM Vol. 3A §3.4.3): base, byte-granular limit, and dword 1
   * of the descriptor (type, S, DPL, P, D/B, G — LAR's layout; 0 =
   * unusable, loaded with a null selector). Only compatibility mode uses
   * them; in 64-bit mode only the FS/GS bases count (`fsBase`, `gsBase`).
   */
  readonly segBase = new Float64Array(6);
  readonly segLimit = new Float64Array(6).fill(0xffff_ffff);
  readonly segAttr = new Int32Array(6).fill(FLAT_DATA_ATTR);
  /** MMU mode for explicit data accesses: depends on CPL and RFLAGS.AC. */
  dataMode: AccessMode = MODE_SUPERVISOR;

  /** CR2: the last page-fault address. */
  cr2 = 0;
  /** IDTR / GDTR bases and limits, and the TSS base (TR), set by the platform. */
  idtBase = 0;
  idtLimit = 0;
  gdtBase = 0;
  gdtLimit = 0;
  tssBase = 0;
  /**
   * LDTR (SDM Vol. 3A §2.4.2): selector, base and byte-granular limit of the
   * current LDT; limit -1 while the LDTR is null (no entries), so every
   * TI = 1 selector then lies beyond it. Loaded by LLDT or `setLdtr`
   * (descriptor.ts).
   */
  ldtr = 0;
  ldtBase = 0;
  ldtLimit = -1;

  // SSE state: XMM0-15 as 4 dwords each; MXCSR. x87 control/status/tag (abridged) words.
  readonly xmm = new Int32Array(64);
  mxcsr = 0x1f80;
  fpuCw = 0x037f;
  fpuSw = 0;
  fpuTw = 0;
  /**
   * ST0-7 as 8 × 10 bytes. No x87 arithmetic is modelled; the bytes are kept
   * so FXSAVE/FXRSTOR and XSAVE/XRSTOR round-trip them as hardware does.
   */
  readonly x87Regs = new Uint8Array(80);

  // SYSCALL MSRs (SDM Vol. 3A §5.8.8): STAR as halves, LSTAR/CSTAR as canonical numbers, FMASK 32 bits.
  starLo = 0;
  starHi = 0;
  lstar = 0;
  cstar = 0;
  fmask = 0;
  tscAux = 0;
  /** XCR0: enabled XSAVE components (x87 always). */
  xcr0 = 1;

  /** NMIs are blocked from NMI delivery until the next IRET (SDM Vol. 3A §6.7.1). */
  nmiBlocked = false;

  /**
   * The fault of an access whose *last* byte leaves the canonical range:
   * #SS(0) for stack-segment references, else #GP(0) (SDM Vol. 3A §6.15
   * "Interrupt 12—Stack Fault Exception": "a non-canonical address ... in
   * a memory reference that uses the SS segment"). Set by every effective
   * address (and by the stack and string helpers) before the access.
   */
  endVector = VEC_GP;

  /** Scratch result of `read64`: bits 63:32 of the last value read. */
  readHi = 0;

  // Hot pages: the last page an 8-byte-aligned 64-bit access went through
  // the MMU to, with its frame as words — one for PUSH/POP (the stack), one
  // for 64-bit loads and stores (including the kernel's pt_regs accesses),
  // so the stack and a per-CPU page used in turn do not evict each other.
  // Further aligned 64-bit accesses to a hot page in the same data mode
  // skip the TLB lookup and rights check while the TLB epoch is unchanged:
  // the epoch moves on every fill, invalidation, code-frame marking, and
  // change of paging controls or effective PKRU/PKRS (tlb.ts), so an access
  // allowed then is allowed now. Writes need `writable` (a write went
  // through: the leaf's D flag is set and the frame holds no decodes); a
  // write allowed implies a read allowed in the same mode (SDM Vol. 3A §4.6).
  private readonly stackHot = new HotPage();
  private readonly dataHot = new HotPage();

  constructor(readonly mmu: Mmu) {}

  // ---------------------------------------------------------------------
  // Mode

  /**
   * Loads CS for 64-bit code (SYSCALL, SYSRET, event delivery: their
   * targets are 64-bit by construction) and derives CPL and the
   * data-access mode.
   */
  setCs(selector: number): void {
    this.cs = selector & 0xffff;
    this.cpl = selector & 3;
    this.updateDataMode();
    if (this.codeBits !== 64) this.setCodeBits(64);
  }

  /**
   * Loads CS from a checked code-segment descriptor (IRET, far transfers):
   * the hidden part, CPL = the selector's RPL, and the code mode from L and
   * D (SDM Vol. 3A §5.2.1: L = 1 is 64-bit mode, else D selects 32- or
   * 16-bit compatibility mode). `attr` is descriptor dword 1.
   */
  loadCs(selector: number, base: number, limit: number, attr: number): void {
    this.setSegmentCache(SEG_CS, base, limit, attr);
    this.cs = selector & 0xffff;
    this.cpl = selector & 3;
    this.updateDataMode();
    const bits: CodeBits = (attr & DESC_L_BIT) !== 0 ? 64 : (attr & DESC_DB_BIT) !== 0 ? 32 : 16;
    if (bits !== this.codeBits) this.setCodeBits(bits);
  }

  /**
   * LLDT without its CPL check: loads LDTR from the GDT's 16-byte LDT
   * descriptor `selector` (#GP(selector) / #NP(selector) as LLDT raises
   * them); a null selector leaves the LDTR null. See descriptor.ts `loadLdtr`.
   */
  lldt(selector: number): void {
    loadLdtr(this, selector);
  }

  /** Sets a segment register's hidden part (`sreg` = SEG_*). */
  setSegmentCache(sreg: number, base: number, limit: number, attr: number): void {
    this.segBase[sreg] = base;
    this.segLimit[sreg] = limit;
    this.segAttr[sreg] = attr;
  }

  /** Changes the code mode; the run loop overrides `codeModeChanged` to leave its fast path. */
  private setCodeBits(bits: CodeBits): void {
    this.codeBits = bits;
    this.codeModeChanged();
  }

  /** Called after `codeBits` changed. */
  protected codeModeChanged(): void {}

  /** Re-derives the MMU mode after a change of CPL or RFLAGS.AC. */
  updateDataMode(): void {
    this.dataMode = this.cpl === 3 ? MODE_USER : (this.flags.raw & AC) !== 0 ? MODE_SUPERVISOR_AC : MODE_SUPERVISOR;
  }

  // ---------------------------------------------------------------------
  // Faults

  /** Throws a fault with an error code (#GP(0), #SS(0), ...). */
  fault(vector: number, errorCode = 0): never {
    throw new CpuFault(vector, errorCode, `#${vectorName(vector)}(${errorCode})`);
  }

  /** #UD for the instruction at RIP. */
  undefinedOpcode(): never {
    throw new CpuFault(VEC_UD, 0, '#UD');
  }

  // ---------------------------------------------------------------------
  // Registers by operand size (bytes). Values are int32 bit patterns.

  /** Reads bits 31:0 of register `r` at `size` (1, 2, 4, 8), zero-extended for 1 and 2. */
  getReg(r: number, size: number, highByte = false): number {
    if (size === 1) return highByte ? (this.lo[r - 4]! >>> 8) & 0xff : this.lo[r]! & 0xff;
    if (size === 2) return this.lo[r]! & 0xffff;
    return this.lo[r]!;
  }

  /**
   * Writes a register at `size`: 8- and 16-bit writes merge, 32-bit writes
   * zero bits 63:32 (SDM Vol. 1 §3.4.1.1), 64-bit writes take `hi`.
   */
  setReg(r: number, size: number, value: number, hi = 0, highByte = false): void {
    if (size === 1) {
      if (highByte) this.lo[r - 4] = (this.lo[r - 4]! & ~0xff00) | ((value & 0xff) << 8);
      else this.lo[r] = (this.lo[r]! & ~0xff) | (value & 0xff);
    } else if (size === 2) {
      this.lo[r] = (this.lo[r]! & ~0xffff) | (value & 0xffff);
    } else {
      this.lo[r] = value;
      this.hi[r] = size === 8 ? hi : 0;
    }
  }

  /** The ModRM.reg operand's register value at the instruction's size. */
  regOperand(insn: DecodedInsn, size: number): number {
    return this.getReg(insn.reg, size, (insn.highByte & HIGH_BYTE_REG) !== 0);
  }

  /** A register as a canonical-or-not 64-bit number (exact only if canonical); for addresses. */
  reg64(r: number): number {
    return linearOf(this.hi[r]!, this.lo[r]!);
  }

  // ---------------------------------------------------------------------
  // Effective addresses

  /**
   * The linear address of the instruction's memory operand: base + index ×
   * scale + disp, truncated to 32 bits under a 67 prefix, plus the FS/GS
   * base, then checked canonical: #GP(0), or #SS(0) for stack references
   * (SDM Vol. 3A §6.15 "#SS", Vol. 1 §3.3.7.1 canonical addressing).
   */
  effectiveAddress(insn: DecodedInsn): number {
    const b = insn.base;
    const seg = insn.segment;
    if (b !== BASE_RIP && insn.addrSize === 8 && seg !== SEG_FS && seg !== SEG_GS) {
      // The common form, in halves: lo gathers base.lo + index.lo * scale + disp.lo (< 2^36).
      let lo = insn.disp >>> 0;
      let hi = insn.dispHi;
      if (b !== NO_REG) {
        lo += this.lo[b]! >>> 0;
        hi += this.hi[b]!;
      }
      const x = insn.index;
      if (x !== NO_REG) {
        lo += (this.lo[x]! >>> 0) * insn.scale;
        hi += Math.imul(this.hi[x]!, insn.scale);
      }
      hi = (hi + ((lo / TWO_32) | 0)) | 0;
      const vector = seg === SEG_SS ? VEC_SS : VEC_GP;
      if ((hi << 16) >> 16 !== hi) this.fault(vector, 0);
      this.endVector = vector;
      return hi * TWO_32 + (lo >>> 0);
    }
    return this.effectiveAddressSlow(insn);
  }

  /** `effectiveAddress` for RIP-relative, 32-bit (67 prefix) and FS/GS-based operands. */
  private effectiveAddressSlow(insn: DecodedInsn): number {
    let lo: number;
    let hi: number;
    const b = insn.base;
    if (b === BASE_RIP) {
      // nextRip is canonical and |disp| < 2^31: the sum is exact.
      const sum = this.nextRip + insn.disp;
      hi = Math.floor(sum / TWO_32);
      lo = sum - hi * TWO_32;
    } else {
      // Add in halves: lo gathers base.lo + index.lo * scale + disp.lo (< 2^36).
      lo = insn.disp >>> 0;
      hi = insn.dispHi;
      if (b !== NO_REG) {
        lo += this.lo[b]! >>> 0;
        hi += this.hi[b]!;
      }
      const x = insn.index;
      if (x !== NO_REG) {
        lo += (this.lo[x]! >>> 0) * insn.scale;
        hi += Math.imul(this.hi[x]!, insn.scale);
      }
      const carry = Math.floor(lo / TWO_32);
      lo -= carry * TWO_32;
      hi = (hi + carry) | 0;
    }
    if (insn.addrSize === 4) {
      hi = 0; // a 32-bit effective address is zero-extended
      lo = lo >>> 0;
    } else if (insn.addrSize === 2) {
      hi = 0; // 16-bit addressing wraps at 64 KiB (compatibility mode only)
      lo = lo & 0xffff;
    }
    const seg = insn.segment;
    if (this.codeBits !== 64) return this.compatLinear(seg, lo, 1);
    if (seg === SEG_FS || seg === SEG_GS) {
      const base = seg === SEG_FS ? this.fsBase : this.gsBase;
      const baseHi = Math.floor(base / TWO_32);
      const l = lo + (base - baseHi * TWO_32);
      const c = Math.floor(l / TWO_32);
      lo = l - c * TWO_32;
      hi = (hi + baseHi + c) | 0;
    }
    const vector = seg === SEG_SS ? VEC_SS : VEC_GP;
    if (!isCanonical(hi)) this.fault(vector, 0);
    this.endVector = vector;
    return linearOf(hi, lo);
  }

  /**
   * Compatibility mode: the linear address of `size` bytes at `offset` in
   * segment `sreg` (SEG_*): base + offset modulo 2^32, after the usability
   * and limit checks (SDM Vol. 3A §5.3: expand-up, offset + size - 1 <=
   * limit; expand-down data, offset > limit and the end within 64 KiB or
   * 4 GiB by B) — #GP(0), or #SS(0) for SS. Sets `endVector`.
   */
  compatLinear(sreg: number, offset: number, size: number): number {
    const attr = this.segAttr[sreg]!;
    const vector = sreg === SEG_SS ? VEC_SS : VEC_GP;
    if ((attr & DESC_P_BIT) === 0) this.fault(vector, 0);
    const last = offset + size - 1;
    const limit = this.segLimit[sreg]!;
    if ((attr & (DESC_CODE_BIT | DESC_EC_BIT)) === DESC_EC_BIT) {
      if (offset <= limit || last > ((attr & DESC_DB_BIT) !== 0 ? 0xffff_ffff : 0xffff)) this.fault(vector, 0);
    } else if (last > limit) {
      this.fault(vector, 0);
    }
    this.endVector = vector;
    const base = sreg === SEG_FS ? this.fsBase : sreg === SEG_GS ? this.gsBase : this.segBase[sreg]!;
    return ((base % TWO_32) + TWO_32 + offset) % TWO_32;
  }

  // ---------------------------------------------------------------------
  // Memory, in the current data mode. Values are int32 bit patterns.

  read(la: number, size: number): number {
    if (la > LAST_CANONICAL_PAGE) checkEnd(la, size, this.endVector);
    const m = this.mmu;
    switch (size) {
      case 1: return m.read8(la, this.dataMode);
      case 2: return m.read16(la, this.dataMode);
      case 4: return m.read32(la, this.dataMode) | 0;
      default: return this.read64(la);
    }
  }

  /** Reads 64 bits: returns bits 31:0, leaves bits 63:32 in `readHi`. */
  read64(la: number): number {
    const off = la & 0xfff;
    const h = this.dataHot;
    if ((off & 7) === 0 && la - off === h.page && h.epoch === this.mmu.tlb.epoch && h.mode === this.dataMode) {
      const w = h.words;
      this.readHi = w[(off >>> 2) + 1]!;
      return w[off >>> 2]!;
    }
    if (la > LAST_CANONICAL_PAGE) checkEnd(la, 8, this.endVector);
    const lo = this.mmu.read64Lo(la, this.dataMode);
    this.readHi = this.mmu.readHi;
    if ((off & 7) === 0) this.heat(h, la, false);
    return lo;
  }

  /**
   * Makes `la`'s page the hot page `h` after an aligned 64-bit access to it
   * succeeded (a write when `write`). Never the last page below the
   * canonical hole, whose accesses need the end check.
   */
  private heat(h: HotPage, la: number, write: boolean): void {
    if (!HOST_LITTLE_ENDIAN || la >= LAST_CANONICAL_PAGE) return;
    const page = la - (la & 0xfff);
    const epoch = this.mmu.tlb.epoch;
    if (page === h.page && epoch === h.epoch && h.mode === this.dataMode) {
      if (write) h.writable = true;
      return;
    }
    const words = this.mmu.cachedWords(la);
    if (words === null) return;
    const hi = Math.floor(page / TWO_32);
    h.page = page;
    h.pageHi = hi | 0;
    h.pageLo = (page - hi * TWO_32) | 0;
    h.epoch = epoch;
    h.mode = this.dataMode;
    h.writable = write;
    h.words = words;
  }

  /**
   * Reads the memory destination of a read-modify-write instruction (ALU
   * ops other than CMP/TEST, INC DEC NEG NOT, shifts, BTS/BTR/BTC, XCHG,
   * XADD, CMPXCHG*). The processor checks such an operand for writing
   * before it reads it, so a page fault there reports a write (error code
   * W = 1; SDM Vol. 3A §4.7: W/R describes "the access causing the
   * page-fault exception", here the instruction's write; the AMD host
   * agrees). Costs nothing until the read faults: then the write check is
   * redone to raise the write-flavoured fault. Bits 63:32 of a 64-bit
   * read in `readHi`.
   */
  readForWrite(la: number, size: number): number {
    try {
      return this.read(la, size);
    } catch (e) {
      if (e instanceof PageFault) this.probeWrite(la, size);
      throw e;
    }
  }

  /** Checks `size` bytes at `la` for a write (the first byte's page, then the last one's): throws its PageFault. */
  private probeWrite(la: number, size: number): void {
    this.mmu.translate(la, ACCESS_WRITE, this.dataMode);
    const last = la + size - 1;
    if (Math.floor(last / 4096) !== Math.floor(la / 4096)) this.mmu.translate(last, ACCESS_WRITE, this.dataMode);
  }

  write(la: number, size: number, value: number, hi = 0): void {
    if (la > LAST_CANONICAL_PAGE) checkEnd(la, size, this.endVector);
    const m = this.mmu;
    switch (size) {
      case 1: m.write8(la, value, this.dataMode); return;
      case 2: m.write16(la, value, this.dataMode); return;
      case 4: m.write32(la, value, this.dataMode); return;
      default: m.write64Halves(la, value, hi, this.dataMode);
    }
  }

  /** A 64-bit store (the hot case of `write`, without the size switch). */
  write64(la: number, lo: number, hi: number): void {
    const off = la & 0xfff;
    const h = this.dataHot;
    if ((off & 7) === 0 && la - off === h.page && h.writable && h.epoch === this.mmu.tlb.epoch && h.mode === this.dataMode) {
      const w = h.words;
      w[off >>> 2] = lo;
      w[(off >>> 2) + 1] = hi;
      return;
    }
    if (la > LAST_CANONICAL_PAGE) checkEnd(la, 8, this.endVector);
    this.mmu.write64Halves(la, lo, hi, this.dataMode);
    if ((off & 7) === 0) this.heat(h, la, true);
  }

  /** The r/m operand (register or memory) at `size`; for size 8 bits 63:32 go to `readHi`. */
  readRm(insn: DecodedInsn, size: number): number {
    if (insn.mod === 3) {
      if (size === 8) this.readHi = this.hi[insn.rm]!;
      return this.getReg(insn.rm, size, (insn.highByte & HIGH_BYTE_RM) !== 0);
    }
    return this.read(this.effectiveAddress(insn), size);
  }

  /** Writes the r/m operand; `la` is the address already computed for a read-modify-write, or -1. */
  writeRm(insn: DecodedInsn, size: number, value: number, hi = 0): void {
    if (insn.mod === 3) this.setReg(insn.rm, size, value, hi, (insn.highByte & HIGH_BYTE_RM) !== 0);
    else this.write(this.effectiveAddress(insn), size, value, hi);
  }

  // ---------------------------------------------------------------------
  // Stack (64-bit mode: RSP, SS ignored for addressing)

  /** Pushes a 64-bit value (or a 16-bit one when size is 2). */
  push(size: number, value: number, hi = 0): void {
    const sp = this.reg64(RSP) - size;
    const la = canonicalOrFault(sp, VEC_SS);
    this.endVector = VEC_SS;
    this.write(la, size, value, hi);
    this.setRspNumber(la);
  }

  /**
   * PUSH of a 64-bit value: `push(8, lo, hi)` with RSP updated in halves.
   * Stacks near the top of the lower canonical half, or a non-canonical
   * RSP, take `push` (which raises #SS(0)).
   */
  push64(lo: number, hi: number): void {
    const spLo = this.lo[RSP]!;
    const spHi = this.hi[RSP]!;
    const off = (spLo & 0xfff) - 8;
    const h = this.stackHot;
    if (off >= 0 && (off & 7) === 0 && (spLo & ~0xfff) === h.pageLo && spHi === h.pageHi && h.writable &&
        h.epoch === this.mmu.tlb.epoch && h.mode === this.dataMode) {
      // The hot page, not its first slot: no borrow into bits 63:32.
      const w = h.words;
      w[off >>> 2] = lo;
      w[(off >>> 2) + 1] = hi;
      this.lo[RSP] = spLo - 8;
      this.endVector = VEC_SS;
      return;
    }
    const la = spHi * TWO_32 + (spLo >>> 0) - 8;
    if (la < -(2 ** 47) || la >= LAST_CANONICAL_PAGE) {
      this.push(8, lo, hi);
      return;
    }
    this.endVector = VEC_SS;
    this.mmu.write64Halves(la, lo, hi, this.dataMode);
    if ((la & 7) === 0) this.heat(h, la, true);
    const l = (spLo >>> 0) - 8;
    this.lo[RSP] = l | 0;
    if (l < 0) this.hi[RSP] = (spHi - 1) | 0;
  }

  /** POP of a 64-bit value (`pop(8)`): bits 31:0 returned, 63:32 in `readHi`. */
  pop64(): number {
    const spLo = this.lo[RSP]!;
    const spHi = this.hi[RSP]!;
    const off = spLo & 0xfff;
    const h = this.stackHot;
    if ((off & 7) === 0 && (spLo & ~0xfff) === h.pageLo && spHi === h.pageHi &&
        h.epoch === this.mmu.tlb.epoch && h.mode === this.dataMode) {
      const w = h.words;
      this.readHi = w[(off >>> 2) + 1]!;
      const v = w[off >>> 2]!;
      const l = (spLo >>> 0) + 8;
      this.lo[RSP] = l | 0;
      if (l > 0xffff_ffff) this.hi[RSP] = (spHi + 1) | 0;
      this.endVector = VEC_SS;
      return v;
    }
    const la = spHi * TWO_32 + (spLo >>> 0);
    if (la < -(2 ** 47) || la >= LAST_CANONICAL_PAGE) return this.pop(8);
    this.endVector = VEC_SS;
    const m = this.mmu;
    const v = m.read64Lo(la, this.dataMode);
    this.readHi = m.readHi;
    if ((off & 7) === 0) this.heat(h, la, false);
    const l = (spLo >>> 0) + 8;
    this.lo[RSP] = l | 0;
    if (l > 0xffff_ffff) this.hi[RSP] = (spHi + 1) | 0;
    return v;
  }

  /** Pops a value of `size` (8 or 2); bits 63:32 in `readHi`. */
  pop(size: number): number {
    const la = canonicalOrFault(this.reg64(RSP), VEC_SS);
    this.endVector = VEC_SS;
    const v = size === 8 ? this.read64(la) : this.read(la, size);
    this.setRspNumber(la + size);
    return v;
  }

  /** Sets RSP from a (canonical or wrapped) address number. */
  setRspNumber(value: number): void {
    const hi = Math.floor(value / TWO_32);
    this.hi[RSP] = hi | 0;
    this.lo[RSP] = (value - hi * TWO_32) | 0;
  }
}

/** A page cached for aligned 64-bit accesses (CpuCore's hot pages). */
class HotPage {
  /** Linear address of the page (NaN: none), and its two halves. */
  page = NaN;
  pageLo = 0;
  pageHi = 0;
  /** TLB epoch and data mode it was checked in. */
  epoch = -1;
  mode = -1;
  /** A write went through (else only reads may use it). */
  writable = false;
  words: Int32Array = new Int32Array(0);
}

/** Start of the last page below the canonical hole. */
const LAST_CANONICAL_PAGE = 2 ** 47 - 4096;

/** An access whose last byte leaves the lower canonical half is #GP(0), or #SS(0) on the stack (SDM Vol. 1 §3.3.7.1). */
function checkEnd(la: number, size: number, vector: number): void {
  if (la < 2 ** 47 && la + size > 2 ** 47) throw new CpuFault(vector, 0, `#${vectorName(vector)}(0)`);
}

function canonicalOrFault(la: number, vector: number): number {
  if (la < -(2 ** 47) || la >= 2 ** 47) throw new CpuFault(vector, 0, `#${vectorName(vector)}(0)`);
  return la;
}

const VECTOR_NAMES = ['DE', 'DB', 'NMI', 'BP', 'OF', 'BR', 'UD', 'NM', 'DF', 'CSO', 'TS', 'NP', 'SS', 'GP', 'PF', '15', 'MF', 'AC', 'MC', 'XM', 'VE', 'CP'];

export function vectorName(vector: number): string {
  return VECTOR_NAMES[vector] ?? String(vector);
}
