/**
 * The MMU: 4-level (IA-32e) paging with 4-KiB and 2-MiB pages, access-rights
 * and protection-key checks, accessed/dirty updates, and a software TLB.
 *
 * ## Address contract
 * A linear address is a JS number holding the sign-extended canonical 48-bit
 * value, i.e. an integer in [-2^47, 2^47) (0xffff_8000_0000_0000 is -2^47).
 * The CPU checks canonicality before calling the MMU: a non-canonical address
 * is #GP (or #SS), never #PF, so the MMU treats one as a caller bug
 * (`InternalError`). A multi-byte access must be canonical in every byte; an
 * access that wraps from -1 to 0 is fine. Physical addresses are integers in
 * [0, 2^MAXPHYADDR); MAXPHYADDR belongs to `PhysMemory`.
 *
 * ## Access mode and kind
 * The caller passes, per access, a kind (READ, WRITE, FETCH) and a mode
 * (SDM Vol. 3A §4.6.1 "Determination of Access Rights"):
 *   MODE_USER                 CPL = 3.
 *   MODE_SUPERVISOR           CPL < 3, explicit access, RFLAGS.AC = 0.
 *   MODE_SUPERVISOR_AC        CPL < 3, explicit access, RFLAGS.AC = 1.
 *   MODE_IMPLICIT_SUPERVISOR  implicit supervisor-mode access (GDT/LDT/IDT/
 *                             TSS, and the stack pushes of event delivery) at
 *                             any CPL: a supervisor-mode access, so the U/S
 *                             bit of the error code is 0 even at CPL 3, and
 *                             under SMAP it never reaches user-mode pages.
 * The MMU holds no copy of RFLAGS or CPL.
 *
 * ## Rules implemented (SDM Vol. 3A, 2016+ text as copied at
 * https://xem.github.io/minix86/manual/intel-x86-and-64-manual-vol3/ pages
 * o_fe12b1e2a880e0ce-127 (§4.5), -133..-135 (§4.6), -136/-137 (§4.7),
 * -137 (§4.8), -141 and -145/-146 (§4.10); PKS per the sources cited below)
 *
 * A user-mode address is one whose U/S flag is 1 at every level; otherwise it
 * is a supervisor-mode address (§4.6.1).
 *   user-mode access:  no access to supervisor-mode addresses; writes need
 *                      R/W = 1 at every level; fetches need XD = 0 at every
 *                      level when NXE = 1.
 *   supervisor access: reads of supervisor addresses always allowed; writes
 *                      need R/W = 1 everywhere only when CR0.WP = 1; data
 *                      accesses to user addresses are refused when CR4.SMAP = 1
 *                      unless the access is explicit with AC = 1; fetches from
 *                      user addresses are refused when CR4.SMEP = 1; fetches
 *                      need XD = 0 everywhere when NXE = 1.
 * Protection keys (§4.6.2): key = bits 62:59 of the leaf entry. A user-mode
 * address is checked against PKRU when CR4.PKE = 1; a supervisor-mode address
 * against IA32_PKRS when CR4.PKS = 1 (both need IA-32e paging). Only data
 * accesses are checked; fetches ignore keys. ADk refuses reads and writes.
 * WDk refuses writes by user-mode accesses, and by supervisor-mode accesses
 * only when CR0.WP = 1.
 *
 * Error code (§4.7): P = 0 for "no translation" (some P flag 0), else 1;
 * W = write access; U = user-mode access; RSVD = reserved bit in a present
 * entry; I = fetch and (CR4.SMEP = 1 or EFER.NXE = 1); PK = the key check
 * above refused the access. PK is set whenever the key refuses a data access
 * to a translated address, even if an ordinary rights check fails too (the
 * §4.7 PK condition has no "otherwise allowed" clause), and never for
 * not-present or reserved-bit faults.
 *
 * Reserved bits with 4-level paging and P = 1 (§4.5): bits 51:MAXPHYADDR at
 * every level; PS in a PML4E; PS in a PDPTE (no 1-GiB pages are declared);
 * bits 20:13 in a 2-MiB PDE; bit 63 when EFER.NXE = 0. Bits 58:52 are
 * ignored, and 62:59 are ignored or the key, never reserved.
 *
 * PKS: the SDM revision above predates PKS. The PKRS rules follow the PKRU
 * rules with "supervisor-mode address" for "user-mode address", as described
 * in reference §3.1 and as implemented by QEMU (target/i386 mmu_translate:
 * PKRS chosen when the leaf U/S is 0, WD applied when the access is a user
 * access or CR0.WP = 1) and by KVM's PKS emulation patch ("[PATCH v6 5/7]
 * KVM: MMU: Add support for PKS emulation", 20220221080840.7369-6-
 * chenyi.qiang@intel.com: "The PK register ... indexed by the PK depends on
 * the type of _address_ (not access type!)"). UNCONFIRMED against SDM text:
 * in particular that a user-mode access to a supervisor-mode address whose
 * PKRS rights refuse it reports PK = 1 (besides P and U). This model reports
 * it, as QEMU and KVM do.
 *
 * ## Accessed / dirty flags (§4.8)
 * "Whenever the processor uses a paging-structure entry as part of
 * linear-address translation, it sets the accessed flag in that entry";
 * "whenever there is a write to a linear address, the processor sets the
 * dirty flag ... in the paging-structure entry that identifies the final
 * physical address". Choice: A and D are written only when the access
 * succeeds; a faulting access writes nothing (as Bochs and QEMU do). The SDM
 * §6.15 footnote allows the accessed flag of a non-leaf entry to be set on a
 * protection-violation fault; this model does not, so no A/D write is ever
 * left behind by a fault.
 *
 * ## TLB (§4.10) — see tlb.ts
 * A translation is cached only after a successful access (so the A flags it
 * relies on are set, §4.10.2.3 / §4.10.3.1). Rights are combined at access
 * time, so CR0.WP, CR4.SMAP/PKE/PKS and PKRU/PKRS changes take effect on the
 * next access without a flush. A write through an entry whose D flag was 0
 * walks again and sets D. A TLB hit whose cached rights refuse the access
 * raises #PF from the cached rights (a "spurious" fault in the sense of
 * §4.10.4.3); every #PF invalidates the TLB entries for the faulting
 * address (§4.10.4.1), so a retry walks the tables afresh.
 * Flushes: MOV to CR3 flushes everything, global pages included (allowed:
 * "MOV to CR3 may invalidate TLB entries for global pages"; CR4.PGE/G are not
 * modelled); MOV to CR4 flushes when PGE, PCIDE or PAE changes or SMEP goes
 * 0 -> 1 (§4.10.4.1); MOV to CR0 flushes when PG changes; a change of
 * EFER.NXE, LME or LMA flushes too (more than required, always allowed, and it
 * keeps cached entries consistent with the NXE-dependent reserved bit 63).
 *
 * ## Page-crossing accesses
 * An access that crosses a 4-KiB boundary translates both pages before any
 * byte moves, so a fault on the second page leaves memory unchanged; CR2 is
 * then the first byte of the second page. That matches Bochs; the SDM does
 * not say which address a split access reports (UNCONFIRMED). A/D flags of
 * the first page may already have been set when the second page faults.
 */
import { InternalError, assert } from '../lib/errors.js';
import {
  CR0_PG, CR0_WP, CR4_PAE, CR4_PCIDE, CR4_PGE, CR4_PKE, CR4_PKS, CR4_SMAP, CR4_SMEP,
  EFER_LMA, EFER_LME, EFER_NXE, PAGE_SIZE_2M, PAGE_SIZE_4K, PDE2M_ADDR_LO, PDE2M_RSVD_LO,
  PF_I, PF_P, PF_PK, PF_RSVD, PF_U, PF_W, PTE_A, PTE_ADDR_LO, PTE_D, PTE_HI_PKEY_MASK,
  PTE_HI_PKEY_SHIFT, PTE_HI_XD, PTE_P, PTE_PS, PTE_RW, PTE_US,
} from './arch.js';
import { PageFault } from './faults.js';
import type { PhysMemory } from './phys-memory.js';
import { DEFAULT_TLB_ENTRIES, HOST_LITTLE_ENDIAN, TLB_CODE, tlbSlot, TLB_D, TLB_LARGE, TLB_PKEY_SHIFT, TLB_RW, TLB_US, TLB_XD, Tlb } from './tlb.js';

// Access kinds.
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_FETCH = 2;
export type AccessKind = typeof ACCESS_READ | typeof ACCESS_WRITE | typeof ACCESS_FETCH;

// Access modes.
export const MODE_USER = 0;
export const MODE_SUPERVISOR = 1;
export const MODE_SUPERVISOR_AC = 2;
export const MODE_IMPLICIT_SUPERVISOR = 3;
export type AccessMode =
  | typeof MODE_USER | typeof MODE_SUPERVISOR | typeof MODE_SUPERVISOR_AC | typeof MODE_IMPLICIT_SUPERVISOR;

/** Lowest canonical address (0xffff_8000_0000_0000 as a sign-extended number). */
export const LINEAR_MIN = -(2 ** 47);
/** One past the highest canonical address. */
export const LINEAR_END = 2 ** 47;

const TWO_32 = 2 ** 32;
const TWO_48 = 2 ** 48;

/** Permission-table values (index: attr bits 3:0 << 4 | kind << 2 | mode). */
const PERM_OK = 0;
const PERM_FAULT = 1;
const PERM_NEED_DIRTY = 2;

export interface MmuOptions {
  /** Software TLB entries (power of two). */
  readonly tlbEntries?: number;
}

/** One paging-structure entry seen by `probe`. */
export interface ProbeEntry {
  /** 4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE. */
  readonly level: 1 | 2 | 3 | 4;
  readonly name: 'PML4E' | 'PDPTE' | 'PDE' | 'PTE';
  /** Physical address of the entry. */
  readonly entryAddress: number;
  readonly lo: number;
  readonly hi: number;
}

/** Result of a side-effect-free walk. */
export type ProbeResult =
  | {
      readonly ok: true;
      /** false when CR0.PG = 0 (identity mapping, no entries). */
      readonly paging: boolean;
      readonly entries: readonly ProbeEntry[];
      readonly physical: number;
      readonly pageSize: number;
      /** R/W = 1 at every level. */
      readonly writable: boolean;
      /** U/S = 1 at every level: a user-mode address. */
      readonly user: boolean;
      /** XD = 1 at some level (raw; matters only when EFER.NXE = 1). */
      readonly executeDisable: boolean;
      /** Leaf bits 62:59. */
      readonly key: number;
      readonly accessed: boolean;
      readonly dirty: boolean;
    }
  | {
      readonly ok: false;
      readonly entries: readonly ProbeEntry[];
      readonly reason: 'not-present' | 'reserved-bit';
      readonly level: 1 | 2 | 3 | 4;
    };

const LEVEL_NAMES = ['PTE', 'PTE', 'PDE', 'PDPTE', 'PML4E'] as const;

/** Index of `la`'s entry in the table of `level` (4 = PML4 ... 1 = PT). */
export function tableIndex(la: number, level: 1 | 2 | 3 | 4): number {
  const u = la < 0 ? la + TWO_48 : la;
  return Math.floor(u / 2 ** (3 + 9 * level)) % 512;
}

export class Mmu {
  readonly phys: PhysMemory;
  readonly tlb: Tlb;

  private cr0Value = 0;
  private cr3Value = 0;
  private cr4Value = 0;
  private eferValue = 0;
  private pkruValue = 0;
  private pkrsValue = 0;

  // State derived from the registers above by `recompute`.
  private pagingOn = false;
  private cr3Base = 0;
  /** Reserved bits of an entry's high half (51:MAXPHYADDR, plus 63 when NXE = 0). */
  private rsvdHi = 0;
  private readonly rsvdAddrHi: number;
  /** PF_I when fetch faults report I (SMEP or NXE), else 0. */
  private fetchIBit = 0;
  /** PKRU if CR4.PKE and IA-32e paging, else 0 (so checks vanish). */
  private pkruEff = 0;
  private pkrsEff = 0;
  private readonly perm = new Int32Array(512);
  /** Per (kind << 2 | mode): which of AD (1) / WD (2) apply. */
  private readonly keyMask = new Int32Array(16);

  // Walk scratch (no allocation on a miss).
  private readonly walkAddr = new Float64Array(4);
  private readonly walkLo = new Int32Array(4);
  private readonly scratch = new Uint8Array(8);
  // The TLB's arrays, hoisted for the hot path.
  private readonly tTags: Float64Array;
  private readonly tAttrs: Int32Array;
  private readonly tBytes: Uint8Array[];
  private readonly tWords: Int32Array[];
  private readonly tMask: number;

  constructor(phys: PhysMemory, options: MmuOptions = {}) {
    this.phys = phys;
    this.tlb = new Tlb(options.tlbEntries ?? DEFAULT_TLB_ENTRIES);
    this.tTags = this.tlb.tags;
    this.tAttrs = this.tlb.attrs;
    this.tBytes = this.tlb.bytes;
    this.tWords = this.tlb.words;
    this.tMask = this.tlb.mask;
    const m = phys.maxPhysAddrBits;
    this.rsvdAddrHi = (((1 << 20) - 1) & ~((1 << (m - 32)) - 1)) >>> 0;
    this.recompute();
  }

  // -------------------------------------------------------------------------
  // Control state

  get cr0(): number { return this.cr0Value; }
  get cr3(): number { return this.cr3Value; }
  get cr4(): number { return this.cr4Value; }
  get efer(): number { return this.eferValue; }
  get pkru(): number { return this.pkruValue; }
  get pkrs(): number { return this.pkrsValue; }

  /** MOV to CR0. Flushes the TLB when PG changes; WP needs none (checked per access). */
  setCr0(value: number): void {
    const v = value >>> 0;
    const changed = (this.cr0Value ^ v) >>> 0;
    this.cr0Value = v;
    if ((changed & CR0_PG) !== 0) this.tlb.flushAll();
    this.recompute();
  }

  /**
   * MOV to CR3: the PML4 base is bits 51:12 (bits 11:0 — PWT/PCD, or a PCID —
   * are kept but unused). The CPU has already refused reserved bits with #GP.
   * Flushes the whole TLB.
   */
  setCr3(value: number): void {
    const base = value - (value % PAGE_SIZE_4K);
    if (!(Number.isInteger(value) && base >= 0 && base < this.phys.addressLimit)) {
      throw new InternalError(`CR3 value ${value} has no valid PML4 base below 2^${this.phys.maxPhysAddrBits}`);
    }
    this.cr3Value = value;
    this.cr3Base = base;
    this.tlb.flushAll();
  }

  /** MOV to CR4. Flushes on PGE/PCIDE/PAE changes and SMEP 0 -> 1 (SDM §4.10.4.1). */
  setCr4(value: number): void {
    const v = value >>> 0;
    const changed = (this.cr4Value ^ v) >>> 0;
    const smepOn = (v & CR4_SMEP) !== 0 && (this.cr4Value & CR4_SMEP) === 0;
    this.cr4Value = v;
    if ((changed & (CR4_PGE | CR4_PCIDE | CR4_PAE)) !== 0 || smepOn) this.tlb.flushAll();
    this.recompute();
  }

  /** WRMSR(IA32_EFER). Flushes when NXE, LME or LMA changes. */
  setEfer(value: number): void {
    const v = value >>> 0;
    const changed = (this.eferValue ^ v) >>> 0;
    this.eferValue = v;
    if ((changed & (EFER_NXE | EFER_LMA | EFER_LME)) !== 0) this.tlb.flushAll();
    this.recompute();
  }

  /** WRPKRU / XRSTOR. No flush: every access reads the current value. */
  setPkru(value: number): void {
    this.pkruValue = value >>> 0;
    this.recomputeKeys();
  }

  /**
   * WRMSR(IA32_PKRS). No flush: every access reads the current value. Cheap
   * on purpose: the entry code writes PKRS on every kernel entry and exit.
   */
  setPkrs(value: number): void {
    this.pkrsValue = value >>> 0;
    this.recomputeKeys();
  }

  /** The key registers in effect: zero (no restriction) unless CR4.PKE/PKS and IA-32e paging. */
  private recomputeKeys(): void {
    const ia32e = (this.cr0Value & CR0_PG) !== 0 && (this.eferValue & EFER_LMA) !== 0;
    const pkru = ia32e && (this.cr4Value & CR4_PKE) !== 0 ? this.pkruValue : 0;
    const pkrs = ia32e && (this.cr4Value & CR4_PKS) !== 0 ? this.pkrsValue : 0;
    // Rights changed: translations cached outside the TLB are checked again (tlb.ts `epoch`).
    if (pkru !== this.pkruEff || pkrs !== this.pkrsEff) this.tlb.epoch++;
    this.pkruEff = pkru;
    this.pkrsEff = pkrs;
  }

  /** INVLPG: drops the TLB entries for `la`'s page, whatever its size. */
  invlpg(la: number): void {
    this.tlb.invalidate(la);
  }


  get stats(): { readonly hits: number; readonly misses: number } {
    return { hits: this.tlb.hits, misses: this.tlb.misses };
  }

  private recompute(): void {
    this.tlb.epoch++; // rights (WP, SMEP, NXE, paging) may have changed
    const cr0 = this.cr0Value;
    const cr4 = this.cr4Value;
    const efer = this.eferValue;
    this.pagingOn = (cr0 & CR0_PG) !== 0;
    const wp = (cr0 & CR0_WP) !== 0;
    const smep = (cr4 & CR4_SMEP) !== 0;
    const smap = (cr4 & CR4_SMAP) !== 0;
    const nxe = (efer & EFER_NXE) !== 0;
    this.rsvdHi = (this.rsvdAddrHi | (nxe ? 0 : PTE_HI_XD)) >>> 0;
    this.fetchIBit = smep || nxe ? PF_I : 0;
    this.recomputeKeys();

    for (let attr = 0; attr < 32; attr++) {
      const code = (attr & TLB_CODE) !== 0;
      const rw = (attr & TLB_RW) !== 0;
      const us = (attr & TLB_US) !== 0;
      const xd = (attr & TLB_XD) !== 0;
      const d = (attr & TLB_D) !== 0;
      for (let kind = 0; kind < 3; kind++) {
        for (let mode = 0; mode < 4; mode++) {
          let v = PERM_OK;
          if (this.pagingOn) {
            if (ordinaryRightsRefuse(rw, us, xd, kind, mode, wp, smep, smap, nxe)) v = PERM_FAULT;
            else if (kind === ACCESS_WRITE && (!d || code)) v = PERM_NEED_DIRTY; // walk to set D / report a code write
          }
          this.perm[(attr << 4) | (kind << 2) | mode] = v;
        }
      }
    }
    for (let mode = 0; mode < 4; mode++) {
      this.keyMask[(ACCESS_READ << 2) | mode] = 1;
      this.keyMask[(ACCESS_WRITE << 2) | mode] = mode === MODE_USER || wp ? 3 : 1;
      this.keyMask[(ACCESS_FETCH << 2) | mode] = 0;
    }
  }

  // -------------------------------------------------------------------------
  // Translation

  /**
   * Translates `la` for one access of `kind` in `mode`: the physical address,
   * or throws `PageFault`. Updates A/D and the TLB exactly as an access does.
   */
  translate(la: number, kind: AccessKind, mode: AccessMode): number {
    const s = this.slot(la, kind, mode);
    return this.tlb.frames[s]! + (la & 0xfff);
  }

  /**
   * Marks the 4-KiB frame at physical `frame` as holding cached instructions:
   * from now on a write to it (through any mapping, or by the host) reports
   * itself via `phys.onCodeWrite` first.
   */
  markCode(frame: number): void {
    this.phys.codeFrames.add(frame);
    this.tlb.epoch++; // writes to it must take the slow path from now on, including cached ones
    const t = this.tlb;
    for (let s = 0; s < t.size; s++) if (t.frames[s] === frame && !Number.isNaN(t.tags[s])) t.attrs[s]! |= TLB_CODE;
  }

  /** A guest write reached a code frame: it stops being one (until cached again). */
  private codeWritten(frame: number): void {
    const t = this.tlb;
    for (let s = 0; s < t.size; s++) if (t.frames[s] === frame) t.attrs[s]! &= ~TLB_CODE;
    if (this.phys.codeFrames.delete(frame)) this.phys.onCodeWrite?.(frame);
  }

  /** Physical address of the last `fetchFrame` (frame base + offset). */
  fetchPhys = 0;

  /**
   * Instruction fetch: the bytes of the 4-KiB frame holding `la` (the
   * instruction starts at `la & 0xfff`), with `fetchPhys` set to its
   * physical address — what the decode cache keys on. Throws PageFault.
   */
  fetchFrame(la: number, mode: AccessMode): Uint8Array {
    const s = this.slot(la, ACCESS_FETCH, mode);
    this.fetchPhys = this.tlb.frames[s]! + (la & 0xfff);
    return this.tBytes[s]!;
  }

  /**
   * The words of `la`'s frame when the TLB holds `la`'s page, else null.
   * No rights check: for a caller whose access there just succeeded.
   */
  cachedWords(la: number): Int32Array | null {
    const s = tlbSlot(la, this.tMask);
    return this.tTags[s] === la - (la & 0xfff) ? this.tWords[s]! : null;
  }

  /** TLB slot of a permitted translation of `la` (hot path). */
  private slot(la: number, kind: number, mode: number): number {
    const s = tlbSlot(la, this.tMask);
    if (this.tTags[s] === la - (la & 0xfff)) {
      const a = this.tAttrs[s]!;
      const ak = (kind << 2) | mode;
      const pkr = (a & TLB_US) !== 0 ? this.pkruEff : this.pkrsEff;
      if ((this.perm[((a & 31) << 4) | ak]! | ((pkr >>> ((a >>> 4) & 0x1e)) & this.keyMask[ak]!)) === 0) {
        this.tlb.hits++;
        return s;
      }
      return this.hitRefused(s, la, kind, mode);
    }
    return this.walk(la, kind, mode);
  }

  /** A TLB hit whose cached rights refuse the access, or a write needing D. */
  private hitRefused(s: number, la: number, kind: number, mode: number): number {
    const a = this.tlb.attrs[s]!;
    const ak = (kind << 2) | mode;
    const pkr = (a & TLB_US) !== 0 ? this.pkruEff : this.pkrsEff;
    const pk = (pkr >>> ((a >>> 4) & 0x1e)) & this.keyMask[ak]!;
    if (this.perm[((a & 31) << 4) | ak] === PERM_FAULT || pk !== 0) {
      throw this.fault(la, PF_P | (pk !== 0 ? PF_PK : 0), kind, mode);
    }
    if ((a & TLB_CODE) !== 0 && kind === ACCESS_WRITE) {
      // A write to a frame holding cached instructions: drop those decodes, then write.
      this.codeWritten(this.tlb.frames[s]!);
      if ((this.tlb.attrs[s]! & TLB_D) !== 0) return s;
    }
    // PERM_NEED_DIRTY: walk again so the leaf's D flag gets set (§4.8).
    return this.walk(la, kind, mode);
  }

  /** Builds a #PF for `la` and drops its TLB entries (SDM §4.10.4.1). */
  private fault(la: number, bits: number, kind: number, mode: number): PageFault {
    let code = bits;
    if (kind === ACCESS_WRITE) code |= PF_W;
    else if (kind === ACCESS_FETCH) code |= this.fetchIBit;
    if (mode === MODE_USER) code |= PF_U;
    this.tlb.invalidate(la);
    return new PageFault(code, la);
  }

  /** Page walk for a TLB miss: checks, A/D updates, TLB fill. Returns the slot. */
  private walk(la: number, kind: number, mode: number): number {
    const t = this.tlb;
    t.misses++;
    if (!(Number.isInteger(la) && la >= LINEAR_MIN && la < LINEAR_END)) {
      throw new InternalError(`non-canonical or non-integer linear address ${la} reached the MMU (the CPU must raise #GP)`);
    }
    const phys = this.phys;
    if (!this.pagingOn) {
      if (la < 0 || la >= phys.addressLimit) {
        throw new InternalError(`address ${la} beyond physical memory with paging disabled`);
      }
      const frame = la - (la & 0xfff);
      return t.fill(la, frame, TLB_RW | TLB_US | TLB_D, phys.frameOf(frame));
    }
    assert((this.eferValue & EFER_LMA) !== 0, 'CR0.PG = 1 without EFER.LMA: only 4-level paging is modelled');

    const hi16 = Math.floor((la < 0 ? la + TWO_48 : la) / TWO_32);
    const lo32 = la >>> 0;
    const rsvdHi = this.rsvdHi;
    let table = this.cr3Base;
    let rwAll = 1;
    let usAll = 1;
    let xdAny = 0;
    let n = 0;
    let frame = 0;
    let leafLo = 0;
    let leafHi = 0;
    let large = false;
    for (let level = 4; ; level--) {
      const index =
        level === 4 ? (hi16 >>> 7) & 0x1ff
        : level === 3 ? ((hi16 & 0x7f) << 2) | (lo32 >>> 30)
        : level === 2 ? (lo32 >>> 21) & 0x1ff
        : (lo32 >>> 12) & 0x1ff;
      const ea = table + index * 8;
      const lo = phys.read32(ea);
      const hi = phys.read32(ea + 4);
      this.walkAddr[n] = ea;
      this.walkLo[n] = lo;
      n++;
      if ((lo & PTE_P) === 0) throw this.fault(la, 0, kind, mode);
      const ps = (lo & PTE_PS) !== 0;
      if ((hi & rsvdHi) !== 0 || (ps && (level >= 3 || (level === 2 && (lo & PDE2M_RSVD_LO) !== 0)))) {
        throw this.fault(la, PF_P | PF_RSVD, kind, mode);
      }
      rwAll &= lo >>> 1;
      usAll &= lo >>> 2;
      xdAny |= hi >>> 31;
      if (level === 1) {
        frame = ((lo & PTE_ADDR_LO) >>> 0) + (hi & 0xf_ffff) * TWO_32;
        leafLo = lo;
        leafHi = hi;
        break;
      }
      if (ps) {
        // 2-MiB page (level 2): frame of the 4-KiB splinter containing la.
        frame = ((lo & PDE2M_ADDR_LO) >>> 0) + (hi & 0xf_ffff) * TWO_32 + (lo32 & 0x1f_f000);
        leafLo = lo;
        leafHi = hi;
        large = true;
        break;
      }
      table = ((lo & PTE_ADDR_LO) >>> 0) + (hi & 0xf_ffff) * TWO_32;
    }

    const key = (leafHi & PTE_HI_PKEY_MASK) >>> PTE_HI_PKEY_SHIFT;
    const rights = (rwAll & 1) * TLB_RW | (usAll & 1) * TLB_US | (xdAny & 1) * TLB_XD;
    const ak = (kind << 2) | mode;
    const pkr = (rights & TLB_US) !== 0 ? this.pkruEff : this.pkrsEff;
    const pk = (pkr >>> (key * 2)) & this.keyMask[ak]!;
    if (this.perm[((rights | TLB_D) << 4) | ak] === PERM_FAULT || pk !== 0) {
      throw this.fault(la, PF_P | (pk !== 0 ? PF_PK : 0), kind, mode);
    }

    // The access is allowed: set A on every entry used, D on the leaf for a write.
    const last = n - 1;
    for (let i = 0; i < n; i++) {
      const lo = this.walkLo[i]!;
      let set = PTE_A;
      if (i === last && kind === ACCESS_WRITE) set |= PTE_D;
      if ((lo & set) !== set) phys.write32(this.walkAddr[i]!, (lo | set) >>> 0);
    }
    const dirty = (leafLo & PTE_D) !== 0 || kind === ACCESS_WRITE;
    let attr = rights | (dirty ? TLB_D : 0) | (key << TLB_PKEY_SHIFT) | (large ? TLB_LARGE : 0);
    if (phys.codeFrames.size !== 0 && phys.codeFrames.has(frame)) {
      if (kind === ACCESS_WRITE) this.codeWritten(frame);
      else attr |= TLB_CODE;
    }
    return t.fill(la, frame, attr, phys.frameOf(frame));
  }

  // -------------------------------------------------------------------------
  // Data and fetch accesses. Values are unsigned numbers.

  read8(la: number, mode: AccessMode): number {
    return this.tBytes[this.slot(la, ACCESS_READ, mode)]![la & 0xfff]!;
  }

  read16(la: number, mode: AccessMode): number {
    return this.load16(la, ACCESS_READ, mode);
  }

  read32(la: number, mode: AccessMode): number {
    return this.load32(la, ACCESS_READ, mode);
  }

  /** 64-bit read as a bigint (off the hot path). */
  read64(la: number, mode: AccessMode): bigint {
    this.gather(la, 8, ACCESS_READ, mode);
    const s = this.scratch;
    const lo = (s[0]! | (s[1]! << 8) | (s[2]! << 16) | (s[3]! << 24)) >>> 0;
    const hi = (s[4]! | (s[5]! << 8) | (s[6]! << 16) | (s[7]! << 24)) >>> 0;
    return BigInt(lo) | (BigInt(hi) << 32n);
  }

  /** 64-bit read into `out[at]` (bits 31:0) and `out[at + 1]` (bits 63:32); allocation-free. */
  /**
   * 64-bit read as halves on the hot path: returns bits 31:0 (int32) and
   * leaves bits 63:32 in `readHi`; allocation-free, one translation when
   * the value is within a page.
   */
  read64Lo(la: number, mode: AccessMode): number {
    const off = la & 0xfff;
    if (HOST_LITTLE_ENDIAN && (off & 7) === 0) {
      const w = this.tWords[this.slot(la, ACCESS_READ, mode)]!;
      this.readHi = w[(off >>> 2) + 1]!;
      return w[off >>> 2]!;
    }
    if (off <= 0xff8) {
      const b = this.tBytes[this.slot(la, ACCESS_READ, mode)]!;
      this.readHi = b[off + 4]! | (b[off + 5]! << 8) | (b[off + 6]! << 16) | (b[off + 7]! << 24);
      return b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24);
    }
    this.gather(la, 8, ACCESS_READ, mode);
    const s = this.scratch;
    this.readHi = s[4]! | (s[5]! << 8) | (s[6]! << 16) | (s[7]! << 24);
    return s[0]! | (s[1]! << 8) | (s[2]! << 16) | (s[3]! << 24);
  }

  /** Bits 63:32 of the last `read64Lo`. */
  readHi = 0;

  read64Halves(la: number, mode: AccessMode, out: Uint32Array, at = 0): void {
    this.gather(la, 8, ACCESS_READ, mode);
    const s = this.scratch;
    out[at] = s[0]! | (s[1]! << 8) | (s[2]! << 16) | (s[3]! << 24);
    out[at + 1] = s[4]! | (s[5]! << 8) | (s[6]! << 16) | (s[7]! << 24);
  }

  fetch8(la: number, mode: AccessMode): number {
    return this.tBytes[this.slot(la, ACCESS_FETCH, mode)]![la & 0xfff]!;
  }

  fetch16(la: number, mode: AccessMode): number {
    return this.load16(la, ACCESS_FETCH, mode);
  }

  fetch32(la: number, mode: AccessMode): number {
    return this.load32(la, ACCESS_FETCH, mode);
  }

  write8(la: number, value: number, mode: AccessMode): void {
    this.tBytes[this.slot(la, ACCESS_WRITE, mode)]![la & 0xfff] = value;
  }

  write16(la: number, value: number, mode: AccessMode): void {
    const off = la & 0xfff;
    if (off <= 0xffe) {
      const b = this.tBytes[this.slot(la, ACCESS_WRITE, mode)]!;
      b[off] = value;
      b[off + 1] = value >>> 8;
      return;
    }
    const s = this.scratch;
    s[0] = value;
    s[1] = value >>> 8;
    this.scatter(la, 2, mode);
  }

  write32(la: number, value: number, mode: AccessMode): void {
    const off = la & 0xfff;
    if (HOST_LITTLE_ENDIAN && (off & 3) === 0) {
      this.tWords[this.slot(la, ACCESS_WRITE, mode)]![off >>> 2] = value;
      return;
    }
    if (off <= 0xffc) {
      const b = this.tBytes[this.slot(la, ACCESS_WRITE, mode)]!;
      b[off] = value;
      b[off + 1] = value >>> 8;
      b[off + 2] = value >>> 16;
      b[off + 3] = value >>> 24;
      return;
    }
    const s = this.scratch;
    s[0] = value;
    s[1] = value >>> 8;
    s[2] = value >>> 16;
    s[3] = value >>> 24;
    this.scatter(la, 4, mode);
  }

  /** 64-bit write from halves (bits 31:0, bits 63:32); all-or-nothing across pages. */
  write64Halves(la: number, lo: number, hi: number, mode: AccessMode): void {
    const off = la & 0xfff;
    if (HOST_LITTLE_ENDIAN && (off & 7) === 0) {
      const w = this.tWords[this.slot(la, ACCESS_WRITE, mode)]!;
      w[off >>> 2] = lo;
      w[(off >>> 2) + 1] = hi;
      return;
    }
    if (off <= 0xff8) {
      const b = this.tBytes[this.slot(la, ACCESS_WRITE, mode)]!;
      b[off] = lo; b[off + 1] = lo >>> 8; b[off + 2] = lo >>> 16; b[off + 3] = lo >>> 24;
      b[off + 4] = hi; b[off + 5] = hi >>> 8; b[off + 6] = hi >>> 16; b[off + 7] = hi >>> 24;
      return;
    }
    const s = this.scratch;
    s[0] = lo; s[1] = lo >>> 8; s[2] = lo >>> 16; s[3] = lo >>> 24;
    s[4] = hi; s[5] = hi >>> 8; s[6] = hi >>> 16; s[7] = hi >>> 24;
    this.scatter(la, 8, mode);
  }

  write64(la: number, value: bigint, mode: AccessMode): void {
    this.write64Halves(la, Number(value & 0xffff_ffffn), Number((value >> 32n) & 0xffff_ffffn), mode);
  }

  /** Reads `len` bytes; every page is translated before any byte is copied. */
  readBytes(la: number, len: number, mode: AccessMode): Uint8Array {
    const off = la & 0xfff;
    if (len > 0 && off + len <= PAGE_SIZE_4K) return this.tBytes[this.slot(la, ACCESS_READ, mode)]!.slice(off, off + len);
    const out = new Uint8Array(len);
    const pages = this.translateRange(la, len, ACCESS_READ, mode);
    let done = 0;
    for (const [bytes, off] of pages) {
      const n = Math.min(len - done, PAGE_SIZE_4K - off);
      out.set(bytes.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /** Writes `data`; every page is translated before any byte is written. */
  writeBytes(la: number, data: Uint8Array, mode: AccessMode): void {
    const off = la & 0xfff;
    const len = data.length;
    if (len > 0 && off + len <= PAGE_SIZE_4K) {
      const b = this.tBytes[this.slot(la, ACCESS_WRITE, mode)]!;
      if (len <= 16) for (let i = 0; i < len; i++) b[off + i] = data[i]!;
      else b.set(data, off);
      return;
    }
    const pages = this.translateRange(la, data.length, ACCESS_WRITE, mode);
    let done = 0;
    for (const [bytes, off] of pages) {
      const n = Math.min(data.length - done, PAGE_SIZE_4K - off);
      bytes.set(data.subarray(done, done + n), off);
      done += n;
    }
  }

  private load16(la: number, kind: number, mode: number): number {
    const off = la & 0xfff;
    if (off <= 0xffe) {
      const b = this.tBytes[this.slot(la, kind, mode)]!;
      return b[off]! | (b[off + 1]! << 8);
    }
    this.gather(la, 2, kind, mode);
    return this.scratch[0]! | (this.scratch[1]! << 8);
  }

  private load32(la: number, kind: number, mode: number): number {
    const off = la & 0xfff;
    if (HOST_LITTLE_ENDIAN && (off & 3) === 0) return this.tWords[this.slot(la, kind, mode)]![off >>> 2]! >>> 0;
    if (off <= 0xffc) {
      const b = this.tBytes[this.slot(la, kind, mode)]!;
      return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
    }
    this.gather(la, 4, kind, mode);
    const s = this.scratch;
    return (s[0]! | (s[1]! << 8) | (s[2]! << 16) | (s[3]! << 24)) >>> 0;
  }

  /** Address of the first byte of the page after `la`'s, checked canonical. */
  private nextPage(la: number): number {
    const next = la + (PAGE_SIZE_4K - (la & 0xfff));
    if (next >= LINEAR_END) {
      throw new InternalError('access runs past the top of the lower canonical half (the CPU must raise #GP)');
    }
    return next;
  }

  /** Copies `size` (<= 8) bytes at `la` into `scratch`, translating both pages first. */
  private gather(la: number, size: number, kind: number, mode: number): void {
    const off = la & 0xfff;
    const b1 = this.tBytes[this.slot(la, kind, mode)]!;
    const first = PAGE_SIZE_4K - off;
    if (first >= size) {
      for (let i = 0; i < size; i++) this.scratch[i] = b1[off + i]!;
      return;
    }
    const b2 = this.tBytes[this.slot(this.nextPage(la), kind, mode)]!;
    for (let i = 0; i < size; i++) this.scratch[i] = i < first ? b1[off + i]! : b2[i - first]!;
  }

  /** Writes `size` bytes from `scratch` at `la`, after translating every page touched. */
  private scatter(la: number, size: number, mode: number): void {
    const off = la & 0xfff;
    const b1 = this.tBytes[this.slot(la, ACCESS_WRITE, mode)]!;
    const first = PAGE_SIZE_4K - off;
    if (first >= size) {
      for (let i = 0; i < size; i++) b1[off + i] = this.scratch[i]!;
      return;
    }
    const b2 = this.tBytes[this.slot(this.nextPage(la), ACCESS_WRITE, mode)]!;
    for (let i = 0; i < size; i++) {
      if (i < first) b1[off + i] = this.scratch[i]!;
      else b2[i - first] = this.scratch[i]!;
    }
  }

  /** Translates every page of [la, la + len) in order; returns (frame bytes, offset) pairs. */
  private translateRange(la: number, len: number, kind: number, mode: number): [Uint8Array, number][] {
    const pages: [Uint8Array, number][] = [];
    if (len <= 0) return pages;
    let cur = la;
    let left = len;
    for (;;) {
      const off = cur & 0xfff;
      pages.push([this.tBytes[this.slot(cur, kind, mode)]!, off]);
      const n = PAGE_SIZE_4K - off;
      if (n >= left) return pages;
      left -= n;
      cur = this.nextPage(cur);
    }
  }

  // -------------------------------------------------------------------------
  // Inspection

  /**
   * Side-effect-free walk of the current tables for debuggers and
   * visualizers: no TLB use or fill, no A/D writes, no rights check, and no
   * allocation of untouched physical frames (they read as zero).
   */
  probe(la: number): ProbeResult {
    if (!this.pagingOn) {
      return {
        ok: true, paging: false, entries: [], physical: la, pageSize: PAGE_SIZE_4K,
        writable: true, user: true, executeDisable: false, key: 0, accessed: true, dirty: true,
      };
    }
    const entries: ProbeEntry[] = [];
    let table = this.cr3Base;
    let rw = true;
    let us = true;
    let xd = false;
    for (let level = 4 as 1 | 2 | 3 | 4; ; level = (level - 1) as 1 | 2 | 3 | 4) {
      const ea = table + tableIndex(la, level) * 8;
      const lo = this.peek32(ea);
      const hi = this.peek32(ea + 4);
      entries.push({ level, name: LEVEL_NAMES[level], entryAddress: ea, lo, hi });
      if ((lo & PTE_P) === 0) return { ok: false, entries, reason: 'not-present', level };
      const ps = (lo & PTE_PS) !== 0;
      if ((hi & this.rsvdHi) !== 0 || (ps && (level >= 3 || (level === 2 && (lo & PDE2M_RSVD_LO) !== 0)))) {
        return { ok: false, entries, reason: 'reserved-bit', level };
      }
      rw &&= (lo & PTE_RW) !== 0;
      us &&= (lo & PTE_US) !== 0;
      xd ||= (hi & PTE_HI_XD) !== 0;
      const high = (hi & 0xf_ffff) * TWO_32;
      if (level === 1 || ps) {
        const pageSize = level === 1 ? PAGE_SIZE_4K : PAGE_SIZE_2M;
        const base = ((lo & (level === 1 ? PTE_ADDR_LO : PDE2M_ADDR_LO)) >>> 0) + high;
        const u = la < 0 ? la + TWO_48 : la;
        return {
          ok: true, paging: true, entries, physical: base + (u % pageSize), pageSize,
          writable: rw, user: us, executeDisable: xd,
          key: (hi & PTE_HI_PKEY_MASK) >>> PTE_HI_PKEY_SHIFT,
          accessed: (lo & PTE_A) !== 0, dirty: (lo & PTE_D) !== 0,
        };
      }
      table = ((lo & PTE_ADDR_LO) >>> 0) + high;
    }
  }

  /** Reads physical memory without allocating untouched frames. */
  private peek32(pa: number): number {
    return this.phys.isAllocated(pa) ? this.phys.read32(pa) : 0;
  }
}

/**
 * The ordinary (non-key) access-rights decision of SDM Vol. 3A §4.6.1 for
 * the combined rights of a translation: true when the access is refused.
 */
function ordinaryRightsRefuse(
  rw: boolean, us: boolean, xd: boolean, kind: number, mode: number,
  wp: boolean, smep: boolean, smap: boolean, nxe: boolean,
): boolean {
  if (mode === MODE_USER) {
    if (!us) return true; // user-mode accesses never reach supervisor-mode addresses
    if (kind === ACCESS_WRITE) return !rw;
    if (kind === ACCESS_FETCH) return nxe && xd;
    return false;
  }
  // Supervisor-mode access (explicit with AC = 0/1, or implicit).
  if (kind === ACCESS_FETCH) return (us && smep) || (nxe && xd);
  if (us && smap && mode !== MODE_SUPERVISOR_AC) return true;
  if (kind === ACCESS_WRITE) return wp && !rw;
  return false;
}
