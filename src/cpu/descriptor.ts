/**
 * Segment descriptors and the tables that hold them: the GDT (GDTR) and the
 * LDT (LDTR). Every lookup by selector goes through `descriptorAt`, which
 * honours the selector's TI bit (SDM Vol. 3A §3.4.2: TI = 1 selects the
 * LDT) and the table limit (§3.5.1: "the processor ... checks that the
 * selector index × 8 + 7 is within the limit"; 16 bytes for the system
 * descriptors of IA-32e mode, §3.5.2).
 *
 * Code/data descriptor (8 bytes, SDM Vol. 3A §3.4.5 Figure 3-8):
 *
 *   dword 0   31..16 base 15:0          15..0  limit 15:0
 *   dword 1   31..24 base 31:24   23 G  22 D/B  21 L  20 AVL  19..16 limit 19:16
 *             15 P  14..13 DPL  12 S  11..8 type (11: code; code 10 C 9 R; data 10 E 9 W)  7..0 base 23:16
 *
 * System descriptors (LDT, TSS) are 16 bytes in IA-32e mode: dword 2 holds
 * base 63:32, and dword 3's type field (bits 12:8) must be 0 (Table 3-2,
 * "upper 8 bytes of a 16-byte descriptor").
 *
 * Descriptor reads are implicit supervisor-mode accesses (§4.6.1); the
 * accessed bit is not written back (nothing in kentry reads it).
 */
import { VEC_GP } from './arch.js';
import { CpuFault } from './faults.js';
import { MODE_IMPLICIT_SUPERVISOR, type AccessMode } from './mmu.js';

/** #NP (SDM Vol. 3A Table 6-1). */
const VEC_NP = 11;

/**
 * What descriptor lookups need of the CPU (CpuCore has it all; a structural
 * type, so CpuCore can call into this file without an import cycle).
 */
export interface DescriptorTables {
  readonly mmu: { read32(la: number, mode: AccessMode): number };
  gdtBase: number;
  gdtLimit: number;
  ldtr: number;
  ldtBase: number;
  ldtLimit: number;
}

export const DESC_A = 1 << 8;
/** Data: writable; code: readable. */
export const DESC_RW = 1 << 9;
/** Data: expand-down; code: conforming. */
export const DESC_EC = 1 << 10;
export const DESC_CODE = 1 << 11;
export const DESC_S = 1 << 12;
export const DESC_P = 1 << 15;
export const DESC_AVL = 1 << 20;
export const DESC_L = 1 << 21;
export const DESC_DB = 1 << 22;
export const DESC_G = 1 << 23;

/** System descriptor types of IA-32e mode (SDM Vol. 3A Table 3-2). */
export const SYS_LDT = 0x2;
export const SYS_TSS64 = 0x9;
export const SYS_TSS64_BUSY = 0xb;
export const SYS_CALL_GATE64 = 0xc;

/** A descriptor's first two dwords (int32 bit patterns) and, for a 16-byte system descriptor, base 63:32. */
export interface Descriptor {
  readonly lo: number;
  readonly hi: number;
  /** Dword 2 of a 16-byte system descriptor (base 63:32), else 0. */
  readonly baseHi: number;
}

/** True for the null selector (index 0 in the GDT; RPL ignored). SDM Vol. 3A §3.4.2. */
export function isNullSelector(selector: number): boolean {
  return (selector & 0xfffc) === 0;
}

/**
 * The descriptor `selector` names, or null when it lies (all `size` bytes
 * of it) beyond its table's limit — including any TI = 1 selector while the
 * LDTR is null (its limit is -1). The null selector is not special here:
 * callers check it first, as the instructions do.
 */
export function descriptorAt(cpu: DescriptorTables, selector: number): Descriptor | null {
  const index = selector & 0xfff8;
  const ldt = (selector & 4) !== 0;
  const base = ldt ? cpu.ldtBase : cpu.gdtBase;
  const limit = ldt ? cpu.ldtLimit : cpu.gdtLimit;
  if (index + 7 > limit) return null;
  const m = cpu.mmu;
  const lo = m.read32(base + index, MODE_IMPLICIT_SUPERVISOR) | 0;
  const hi = m.read32(base + index + 4, MODE_IMPLICIT_SUPERVISOR) | 0;
  if ((hi & DESC_S) !== 0) return { lo, hi, baseHi: 0 };
  // A system descriptor: 16 bytes in IA-32e mode; the upper half must be in the table and typed 0.
  if (index + 15 > limit) return null;
  const baseHi = m.read32(base + index + 8, MODE_IMPLICIT_SUPERVISOR) | 0;
  const upper = m.read32(base + index + 12, MODE_IMPLICIT_SUPERVISOR);
  if (((upper >>> 8) & 0x1f) !== 0) return null;
  return { lo, hi, baseHi };
}

/** Type field (bits 11:8 of dword 1). */
export function descType(hi: number): number {
  return (hi >>> 8) & 0xf;
}

export function descDpl(hi: number): number {
  return (hi >>> 13) & 3;
}

/** Base 31:0 of a descriptor, as an unsigned number. */
export function descBase(d: Descriptor): number {
  return ((d.lo >>> 16) | ((d.hi & 0xff) << 16) | (d.hi & 0xff00_0000)) >>> 0;
}

/** The byte-granular limit: the 20-bit field, scaled by 4 KiB with G = 1 (SDM Vol. 3A §3.4.5 "G flag"). */
export function descLimit(d: Descriptor): number {
  const raw = (d.lo & 0xffff) | (d.hi & 0xf_0000);
  return (d.hi & DESC_G) !== 0 ? raw * 4096 + 0xfff : raw;
}

/** Code segment that is conforming (type 11x1x). */
export function isConformingCode(hi: number): boolean {
  return (hi & (DESC_S | DESC_CODE | DESC_EC)) === (DESC_S | DESC_CODE | DESC_EC);
}

/**
 * Loads the LDTR's hidden part directly (what LLDT does after its checks):
 * `limit` is the byte-granular table limit, -1 for a null LDTR (no entries).
 * For a platform that keeps its LDT outside the GDT, as `tssBase` is set.
 */
export function setLdtr(cpu: DescriptorTables, selector: number, base: number, limit: number): void {
  cpu.ldtr = selector & 0xffff;
  cpu.ldtBase = base;
  cpu.ldtLimit = limit;
}

/** True when bits 63:47 of an address with bits 63:32 = `hi` are all equal. */
function canonicalHi(hi: number): boolean {
  return (hi << 16) >> 16 === hi;
}

function selectorFault(vector: number, code: number): never {
  throw new CpuFault(vector, code, `#${vector === VEC_GP ? 'GP' : 'NP'}(${code})`);
}

/**
 * LLDT's checks and load (SDM Vol. 2A "LLDT" Operation and 64-Bit Mode
 * Exceptions), CPL check excluded: a null selector makes the LDTR null (no
 * entries); otherwise the selector must name, in the GDT, a present 16-byte
 * LDT descriptor with a canonical base — #GP(selector) for TI = 1, beyond
 * the GDT limit, another type, a bad upper half or a non-canonical base;
 * #NP(selector) when not present.
 */
export function loadLdtr(cpu: DescriptorTables, selector: number): void {
  const sel = selector & 0xffff;
  const code = sel & 0xfffc;
  if (isNullSelector(sel)) {
    setLdtr(cpu, sel, 0, -1);
    return;
  }
  if ((sel & 4) !== 0) selectorFault(VEC_GP, code);
  const d = descriptorAt(cpu, sel);
  if (d === null || (d.hi & DESC_S) !== 0 || descType(d.hi) !== SYS_LDT || !canonicalHi(d.baseHi)) selectorFault(VEC_GP, code);
  if ((d.hi & DESC_P) === 0) selectorFault(VEC_NP, code);
  setLdtr(cpu, sel, d.baseHi * 4294967296 + descBase(d), descLimit(d));
}
