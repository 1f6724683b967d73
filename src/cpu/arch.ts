/**
 * x86-64 architectural constants used by the MMU: control-register and EFER
 * bits, paging-structure entry bits, #PF error-code bits, and PKRU/PKRS
 * helpers. Bit positions only; no behaviour lives here.
 *
 * Source for everything below: Intel SDM Vol. 3A, chapter 2 (control
 * registers), chapter 4 (paging: §4.5 entry formats, §4.6 access rights,
 * §4.7 #PF error code) and the PKS facts in reference/linux-x86-entry.md §3.1.
 */

// ---------------------------------------------------------------------------
// Exception vectors used by the memory path (SDM Vol. 3A §6.15).

/** #GP: the CPU raises it for a non-canonical linear address, before any paging. */
export const VEC_GP = 13;
/** #PF: raised by the MMU; CR2 gets the faulting linear address. */
export const VEC_PF = 14;

// ---------------------------------------------------------------------------
// CR0 (SDM Vol. 3A §2.5). Values are plain numbers; bit 31 is tested with `!== 0`.

export const CR0_PE = 1 << 0;
/** Write Protect: when 1, supervisor-mode writes honour R/W=0 (and PKRU/PKRS WD). */
export const CR0_WP = 1 << 16;
/** Paging enable. Written as a positive number so it compares as unsigned. */
export const CR0_PG = 0x8000_0000;

// CR4 (SDM Vol. 3A §2.5; PKS bit from reference §3.1).
export const CR4_PAE = 1 << 5;
export const CR4_PGE = 1 << 7;
export const CR4_PCIDE = 1 << 17;
export const CR4_SMEP = 1 << 20;
export const CR4_SMAP = 1 << 21;
/** Protection keys for user-mode pages (PKRU). */
export const CR4_PKE = 1 << 22;
/** Protection keys for supervisor-mode pages (IA32_PKRS, MSR 0x6E1). */
export const CR4_PKS = 1 << 24;

// IA32_EFER (MSR 0xC0000080).
export const EFER_SCE = 1 << 0;
export const EFER_LME = 1 << 8;
/** Long mode active: IA-32e (4-level) paging is in use when CR0.PG = 1. */
export const EFER_LMA = 1 << 10;
/** Execute-disable enable: makes PTE bit 63 the XD flag instead of a reserved bit. */
export const EFER_NXE = 1 << 11;

// ---------------------------------------------------------------------------
// Paging-structure entries, 4-level paging (SDM Vol. 3A §4.5, Tables 4-14..4-19).
//
// Entries are handled as two 32-bit halves: `lo` = bits 31:0, `hi` = bits 63:32.
//
//   63  62  59 58   52 51      M M-1                12 11  9 8 7 6 5 4 3 2 1 0
//  +--+-------+-------+---------+----------------------+-----+-+-+-+-+-+-+-+-+-+
//  |XD| PKEY  | ignrd | rsvd(0) | physical address     | ign |G|S|D|A|C|T|U|W|P|
//  +--+-------+-------+---------+----------------------+-----+-+-+-+-+-+-+-+-+-+
//   XD   execute-disable when EFER.NXE=1, else reserved        (hi bit 31)
//   PKEY protection key, leaf entries only (ignored above)     (hi bits 30:27)
//   rsvd bits 51:MAXPHYADDR must be 0 when P=1                 (hi bits 19:M-32)
//   S    PS: page size. Reserved in a PML4E, and in a PDPTE here
//        (the model declares no 1-GiB pages); in a PDE it maps 2 MiB.
//   D    dirty (leaf only)  A accessed  C PCD  T PWT  U U/S  W R/W  P present
//
// A PDE with PS=1 (2-MiB page) also reserves bits 20:13 (bit 12 is PAT):
//
//   51        21 20      13 12 11 ... 0
//  +------------+----------+---+--------+
//  | frame 2MiB | rsvd (0) |PAT| flags  |
//  +------------+----------+---+--------+

export const PTE_P = 1 << 0;
export const PTE_RW = 1 << 1;
export const PTE_US = 1 << 2;
export const PTE_PWT = 1 << 3;
export const PTE_PCD = 1 << 4;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PTE_PS = 1 << 7;
export const PTE_G = 1 << 8;
/** Bits 20:13 of a 2-MiB PDE: reserved (SDM §4.5, "If the P flag and the PS flag of a PDE are both 1"). */
export const PDE2M_RSVD_LO = 0x001f_e000;
/** Physical-address bits 31:12 of a 4-KiB frame or table pointer, in `lo`. */
export const PTE_ADDR_LO = 0xffff_f000;
/** Physical-address bits 31:21 of a 2-MiB frame, in `lo`. */
export const PDE2M_ADDR_LO = 0xffe0_0000;
/** XD, bit 63, as a bit of `hi`. */
export const PTE_HI_XD = 0x8000_0000;
/** Protection key, bits 62:59, as a field of `hi` (bits 30:27). */
export const PTE_HI_PKEY_SHIFT = 27;
export const PTE_HI_PKEY_MASK = 0x7800_0000;

/** Page sizes the model supports (no 1-GiB pages). */
export const PAGE_SIZE_4K = 0x1000;
export const PAGE_SIZE_2M = 0x20_0000;

/** Upper bound of the architecture's MAXPHYADDR. */
export const MAXPHYADDR_LIMIT = 52;

// ---------------------------------------------------------------------------
// #PF error code (SDM Vol. 3A §4.7, Figure 4-12; reference §3.1 for PK):
//
//   31          16 15 14    7 6  5  4  3    2   1   0
//  +--------------+---+-------+--+--+--+----+---+---+---+
//  |   reserved   |SGX| rsvd  |SS|PK|I |RSVD|U/S|W/R| P |
//  +--------------+---+-------+--+--+--+----+---+---+---+
//   P    0 = no translation (a P flag was 0); 1 = protection violation or RSVD
//   W/R  the access was a write
//   U/S  the access was a user-mode access (implicit supervisor accesses: 0)
//   RSVD a reserved bit was set in a present entry (implies P = 1)
//   I    instruction fetch, reported only when CR4.SMEP = 1 or EFER.NXE = 1
//   PK   a protection key (PKRU or PKRS) blocked this data access

export const PF_P = 1 << 0;
export const PF_W = 1 << 1;
export const PF_U = 1 << 2;
export const PF_RSVD = 1 << 3;
export const PF_I = 1 << 4;
export const PF_PK = 1 << 5;
export const PF_SS = 1 << 6;
export const PF_SGX = 1 << 15;

/** `"P|W|U|PK"`-style rendering of a #PF error code, for traces and messages. */
export function describePfErrorCode(code: number): string {
  const names: [number, string][] = [
    [PF_P, 'P'], [PF_W, 'W'], [PF_U, 'U'], [PF_RSVD, 'RSVD'],
    [PF_I, 'I'], [PF_PK, 'PK'], [PF_SS, 'SS'], [PF_SGX, 'SGX'],
  ];
  const parts = names.filter(([bit]) => (code & bit) !== 0).map(([, n]) => n);
  return parts.length === 0 ? '0' : parts.join('|');
}

// ---------------------------------------------------------------------------
// PKRU / PKRS (reference §3.1 and §7): 16 keys, two bits per key.
//
//   31 30 29 28        ...         5   4   3   2   1   0
//  +----+----+----+----+-- ... --+---+---+---+---+---+---+
//  |WD15|AD15|WD14|AD14|   ...   |WD2|AD2|WD1|AD1|WD0|AD0|
//  +----+----+----+----+-- ... --+---+---+---+---+---+---+
//   ADk (bit 2k)   access disable: no data reads or writes with key k
//   WDk (bit 2k+1) write disable: no data writes with key k (for
//                  supervisor-mode accesses only when CR0.WP = 1)

export const PKEY_COUNT = 16;
/** Linux `PKR_AD_BIT` / `PKEY_DISABLE_ACCESS`. */
export const PKR_AD = 0x1;
/** Linux `PKR_WD_BIT` / `PKEY_DISABLE_WRITE`. */
export const PKR_WD = 0x2;

/** The AD bit of key `k` in PKRU/PKRS. */
export function pkrAdBit(k: number): number {
  return (PKR_AD << (2 * k)) >>> 0;
}

/** The WD bit of key `k` in PKRU/PKRS. */
export function pkrWdBit(k: number): number {
  return (PKR_WD << (2 * k)) >>> 0;
}

/** A PKRU/PKRS value in which only key `k` carries `rights` (a PKR_AD|PKR_WD mix). */
export function pkrValue(k: number, rights: number): number {
  return ((rights & 3) << (2 * k)) >>> 0;
}

/** The two rights bits (AD = bit 0, WD = bit 1) of key `k` in `pkr`. */
export function pkrRights(pkr: number, k: number): number {
  return (pkr >>> (2 * k)) & 3;
}
