/**
 * MMU tests. Every expected error code below is written by hand from the
 * SDM Vol. 3A rules (§4.5 reserved bits, §4.6 access rights and keys, §4.7
 * error code) as summarized in mmu.ts; none is computed by the code under
 * test. Register bits are spelled out here too, independently of arch.ts.
 */
import { describe, expect, it } from 'vitest';
import { KentryError } from '../lib/errors.js';
import { PageFault } from './faults.js';
import {
  ACCESS_FETCH, ACCESS_READ, ACCESS_WRITE, MODE_IMPLICIT_SUPERVISOR, MODE_SUPERVISOR, MODE_SUPERVISOR_AC,
  MODE_USER, Mmu, type AccessKind, type AccessMode,
} from './mmu.js';
import { PageTableBuilder, type EntryEdit, type MapFlags } from './page-table-builder.js';
import { PhysMemory, PhysMemoryLimitError } from './phys-memory.js';

// #PF error-code bits (SDM Figure 4-12).
const P = 0x01;
const W = 0x02;
const U = 0x04;
const RSVD = 0x08;
const I = 0x10;
const PK = 0x20;

// Register bits (SDM §2.5; CR4.PKS = bit 24 per reference §3.1).
const CR0_PE = 0x1;
const CR0_WP = 0x1_0000;
const CR0_PG = 0x8000_0000;
const CR4_PAE = 0x20;
const CR4_SMEP = 0x10_0000;
const CR4_SMAP = 0x20_0000;
const CR4_PKE = 0x40_0000;
const CR4_PKS = 0x100_0000;
const EFER_LME = 0x100;
const EFER_LMA = 0x400;
const EFER_NXE = 0x800;

// PTE bits in the low half, and bits of the high half (bit 32 + n = 1 << n).
const PTE_P = 0x1;
const PTE_RW = 0x2;
const PTE_US = 0x4;
const PTE_A = 0x20;
const PTE_D = 0x40;
const PTE_PS = 0x80;
const HI_XD = 0x8000_0000; // bit 63

const LA = 0x40_0000; // 4-KiB test page
const PA = 0x80_0000;
const LA_2M = 0x4000_0000; // 2-MiB test page (PDPT index 1)
const PA_2M = 0xa0_0000;
const KEY = 5;

const u = MODE_USER;
const s = MODE_SUPERVISOR;
const ac = MODE_SUPERVISOR_AC;
const imp = MODE_IMPLICIT_SUPERVISOR;
const r = ACCESS_READ;
const w = ACCESS_WRITE;
const f = ACCESS_FETCH;

interface Cfg {
  readonly wp?: boolean;
  readonly nxe?: boolean;
  readonly smep?: boolean;
  readonly smap?: boolean;
  readonly pke?: boolean;
  readonly pks?: boolean;
  readonly pkru?: number;
  readonly pkrs?: number;
  readonly maxPhys?: number;
}

function machine(cfg: Cfg = {}): { phys: PhysMemory; b: PageTableBuilder; mmu: Mmu } {
  const phys = new PhysMemory({ maxPhysAddrBits: cfg.maxPhys ?? 46 });
  const b = new PageTableBuilder(phys, { tableBase: 0x10_0000 });
  const mmu = new Mmu(phys, { tlbEntries: 64 });
  mmu.setEfer(EFER_LME | EFER_LMA | ((cfg.nxe ?? true) ? EFER_NXE : 0));
  mmu.setCr0(CR0_PE | CR0_PG | ((cfg.wp ?? true) ? CR0_WP : 0));
  mmu.setCr4(CR4_PAE | (cfg.smep === true ? CR4_SMEP : 0) | (cfg.smap === true ? CR4_SMAP : 0)
    | (cfg.pke === true ? CR4_PKE : 0) | (cfg.pks === true ? CR4_PKS : 0));
  mmu.setPkru(cfg.pkru ?? 0);
  mmu.setPkrs(cfg.pkrs ?? 0);
  mmu.setCr3(b.root);
  return { phys, b, mmu };
}

/** Result of one access: 'ok' or the #PF error code (CR2 checked to be `la`). */
function attempt(mmu: Mmu, la: number, kind: AccessKind, mode: AccessMode): number | 'ok' {
  try {
    mmu.translate(la, kind, mode);
    return 'ok';
  } catch (e) {
    if (!(e instanceof PageFault)) throw e;
    expect(e.vector).toBe(14);
    expect(e.address).toBe(la);
    return e.errorCode;
  }
}

// ---------------------------------------------------------------------------
// Protection keys: user/supervisor mode x read/write/fetch x AD/WD x CR0.WP x
// page owner (user page -> PKRU, supervisor page -> PKRS) x PKE/PKS on/off.
//
// The leaf has key 5, R/W = 1, XD = 0; NXE = 1, SMEP = SMAP = 0. "en" = 1
// turns on the enable of the register that governs the page (PKE for a user
// page, PKS for a supervisor page); the other enable is always on and the
// other register denies key 5 completely, which must make no difference.

type Owner = 'user' | 'sup';
type Rights = 'AD' | 'WD';
type KeyRow = [mode: AccessMode, kind: AccessKind, rights: Rights, wp: 0 | 1, owner: Owner, en: 0 | 1, expected: number | 'ok'];

const KEY_ROWS: KeyRow[] = [
  // user mode, user page (PKRU)
  [u, r, 'AD', 0, 'user', 1, P | U | PK], [u, r, 'AD', 0, 'user', 0, 'ok'],
  [u, r, 'AD', 1, 'user', 1, P | U | PK], [u, r, 'AD', 1, 'user', 0, 'ok'],
  [u, r, 'WD', 0, 'user', 1, 'ok'], [u, r, 'WD', 0, 'user', 0, 'ok'],
  [u, r, 'WD', 1, 'user', 1, 'ok'], [u, r, 'WD', 1, 'user', 0, 'ok'],
  [u, w, 'AD', 0, 'user', 1, P | W | U | PK], [u, w, 'AD', 0, 'user', 0, 'ok'],
  [u, w, 'AD', 1, 'user', 1, P | W | U | PK], [u, w, 'AD', 1, 'user', 0, 'ok'],
  [u, w, 'WD', 0, 'user', 1, P | W | U | PK], [u, w, 'WD', 0, 'user', 0, 'ok'],
  [u, w, 'WD', 1, 'user', 1, P | W | U | PK], [u, w, 'WD', 1, 'user', 0, 'ok'],
  [u, f, 'AD', 0, 'user', 1, 'ok'], [u, f, 'AD', 0, 'user', 0, 'ok'],
  [u, f, 'AD', 1, 'user', 1, 'ok'], [u, f, 'AD', 1, 'user', 0, 'ok'],
  [u, f, 'WD', 0, 'user', 1, 'ok'], [u, f, 'WD', 0, 'user', 0, 'ok'],
  [u, f, 'WD', 1, 'user', 1, 'ok'], [u, f, 'WD', 1, 'user', 0, 'ok'],
  // supervisor mode, user page (PKRU; SMAP off)
  [s, r, 'AD', 0, 'user', 1, P | PK], [s, r, 'AD', 0, 'user', 0, 'ok'],
  [s, r, 'AD', 1, 'user', 1, P | PK], [s, r, 'AD', 1, 'user', 0, 'ok'],
  [s, r, 'WD', 0, 'user', 1, 'ok'], [s, r, 'WD', 0, 'user', 0, 'ok'],
  [s, r, 'WD', 1, 'user', 1, 'ok'], [s, r, 'WD', 1, 'user', 0, 'ok'],
  [s, w, 'AD', 0, 'user', 1, P | W | PK], [s, w, 'AD', 0, 'user', 0, 'ok'],
  [s, w, 'AD', 1, 'user', 1, P | W | PK], [s, w, 'AD', 1, 'user', 0, 'ok'],
  [s, w, 'WD', 0, 'user', 1, 'ok'], [s, w, 'WD', 0, 'user', 0, 'ok'],
  [s, w, 'WD', 1, 'user', 1, P | W | PK], [s, w, 'WD', 1, 'user', 0, 'ok'],
  [s, f, 'AD', 0, 'user', 1, 'ok'], [s, f, 'AD', 0, 'user', 0, 'ok'],
  [s, f, 'AD', 1, 'user', 1, 'ok'], [s, f, 'AD', 1, 'user', 0, 'ok'],
  [s, f, 'WD', 0, 'user', 1, 'ok'], [s, f, 'WD', 0, 'user', 0, 'ok'],
  [s, f, 'WD', 1, 'user', 1, 'ok'], [s, f, 'WD', 1, 'user', 0, 'ok'],
  // user mode, supervisor page (PKRS): always a U/S violation; PK when PKRS refuses
  [u, r, 'AD', 0, 'sup', 1, P | U | PK], [u, r, 'AD', 0, 'sup', 0, P | U],
  [u, r, 'AD', 1, 'sup', 1, P | U | PK], [u, r, 'AD', 1, 'sup', 0, P | U],
  [u, r, 'WD', 0, 'sup', 1, P | U], [u, r, 'WD', 0, 'sup', 0, P | U],
  [u, r, 'WD', 1, 'sup', 1, P | U], [u, r, 'WD', 1, 'sup', 0, P | U],
  [u, w, 'AD', 0, 'sup', 1, P | W | U | PK], [u, w, 'AD', 0, 'sup', 0, P | W | U],
  [u, w, 'AD', 1, 'sup', 1, P | W | U | PK], [u, w, 'AD', 1, 'sup', 0, P | W | U],
  [u, w, 'WD', 0, 'sup', 1, P | W | U | PK], [u, w, 'WD', 0, 'sup', 0, P | W | U],
  [u, w, 'WD', 1, 'sup', 1, P | W | U | PK], [u, w, 'WD', 1, 'sup', 0, P | W | U],
  [u, f, 'AD', 0, 'sup', 1, P | U | I], [u, f, 'AD', 0, 'sup', 0, P | U | I],
  [u, f, 'AD', 1, 'sup', 1, P | U | I], [u, f, 'AD', 1, 'sup', 0, P | U | I],
  [u, f, 'WD', 0, 'sup', 1, P | U | I], [u, f, 'WD', 0, 'sup', 0, P | U | I],
  [u, f, 'WD', 1, 'sup', 1, P | U | I], [u, f, 'WD', 1, 'sup', 0, P | U | I],
  // supervisor mode, supervisor page (PKRS)
  [s, r, 'AD', 0, 'sup', 1, P | PK], [s, r, 'AD', 0, 'sup', 0, 'ok'],
  [s, r, 'AD', 1, 'sup', 1, P | PK], [s, r, 'AD', 1, 'sup', 0, 'ok'],
  [s, r, 'WD', 0, 'sup', 1, 'ok'], [s, r, 'WD', 0, 'sup', 0, 'ok'],
  [s, r, 'WD', 1, 'sup', 1, 'ok'], [s, r, 'WD', 1, 'sup', 0, 'ok'],
  [s, w, 'AD', 0, 'sup', 1, P | W | PK], [s, w, 'AD', 0, 'sup', 0, 'ok'],
  [s, w, 'AD', 1, 'sup', 1, P | W | PK], [s, w, 'AD', 1, 'sup', 0, 'ok'],
  [s, w, 'WD', 0, 'sup', 1, 'ok'], [s, w, 'WD', 0, 'sup', 0, 'ok'],
  [s, w, 'WD', 1, 'sup', 1, P | W | PK], [s, w, 'WD', 1, 'sup', 0, 'ok'],
  [s, f, 'AD', 0, 'sup', 1, 'ok'], [s, f, 'AD', 0, 'sup', 0, 'ok'],
  [s, f, 'AD', 1, 'sup', 1, 'ok'], [s, f, 'AD', 1, 'sup', 0, 'ok'],
  [s, f, 'WD', 0, 'sup', 1, 'ok'], [s, f, 'WD', 0, 'sup', 0, 'ok'],
  [s, f, 'WD', 1, 'sup', 1, 'ok'], [s, f, 'WD', 1, 'sup', 0, 'ok'],
];

const MODE_NAME = ['user', 'sup', 'sup+AC', 'implicit'];
const KIND_NAME = ['read', 'write', 'fetch'];

describe('protection keys (PKRU for user pages, PKRS for supervisor pages)', () => {
  it('covers the whole matrix', () => {
    expect(KEY_ROWS).toHaveLength(96);
  });

  it.each(KEY_ROWS.map((row) => {
    const [mode, kind, rights, wp, owner, en, expected] = row;
    const name = `${MODE_NAME[mode]} ${KIND_NAME[kind]} ${owner} page ${rights} WP=${wp} ${owner === 'user' ? 'PKE' : 'PKS'}=${en}`;
    return { name, mode, kind, rights, wp, owner, en, expected };
  }))('$name', ({ mode, kind, rights, wp, owner, en, expected }) => {
    // key 5: AD = bit 10 (0x400), WD = bit 11 (0x800)
    const caseBits = rights === 'AD' ? 0x400 : 0x800;
    const userPage = owner === 'user';
    const { b, mmu } = machine({
      wp: wp === 1,
      pke: userPage ? en === 1 : true,
      pks: userPage ? true : en === 1,
      pkru: userPage ? caseBits : 0xc00,
      pkrs: userPage ? 0xc00 : caseBits,
    });
    b.map4k(LA, PA, { writable: true, user: userPage, key: KEY });
    expect(attempt(mmu, LA, kind, mode)).toBe(expected);
  });

  it('uses the page key, not another key', () => {
    // PKRU denies key 4 (bits 8, 9); the page has key 5.
    const { b, mmu } = machine({ pke: true, pkru: 0x300 });
    b.map4k(LA, PA, { writable: true, user: true, key: 5 });
    expect(attempt(mmu, LA, w, u)).toBe('ok');
  });

  it('key 15 uses PKRU bits 30 (AD) and 31 (WD)', () => {
    const { b, mmu } = machine({ pke: true, pkru: 0x8000_0000 });
    b.map4k(LA, PA, { writable: true, user: true, key: 15 });
    expect(attempt(mmu, LA, r, u)).toBe('ok');
    expect(attempt(mmu, LA, w, u)).toBe(P | W | U | PK);
    mmu.setPkru(0x4000_0000);
    expect(attempt(mmu, LA, r, u)).toBe(P | U | PK);
  });

  it('applies PKRS to implicit supervisor accesses', () => {
    const { b, mmu } = machine({ pks: true, pkrs: 0x400 });
    b.map4k(LA, PA, { writable: true, user: false, key: KEY });
    expect(attempt(mmu, LA, r, imp)).toBe(P | PK);
  });
});

// ---------------------------------------------------------------------------
// Paging bits, one rule per row.

interface BitCase {
  readonly name: string;
  readonly cfg?: Cfg;
  readonly page?: MapFlags;
  readonly large?: boolean;
  /** Edits applied after mapping: [level, edit]. */
  readonly edits?: readonly (readonly [1 | 2 | 3 | 4, EntryEdit])[];
  readonly mode: AccessMode;
  readonly kind: AccessKind;
  readonly expected: number | 'ok';
}

const RW_USER: MapFlags = { writable: true, user: true };
const RO_USER: MapFlags = { writable: false, user: true };
const RW_SUP: MapFlags = { writable: true, user: false };
const RO_SUP: MapFlags = { writable: false, user: false };

const BIT_CASES: BitCase[] = [
  // Not present at each level: P = 0, the other bits describe the access.
  { name: 'PML4E not present, user write', edits: [[4, { clearLo: PTE_P }]], mode: u, kind: w, expected: W | U },
  { name: 'PDPTE not present, user write', edits: [[3, { clearLo: PTE_P }]], mode: u, kind: w, expected: W | U },
  { name: 'PDE not present, user write', edits: [[2, { clearLo: PTE_P }]], mode: u, kind: w, expected: W | U },
  { name: 'PTE not present, user write', edits: [[1, { clearLo: PTE_P }]], mode: u, kind: w, expected: W | U },
  { name: 'PTE not present, supervisor read', edits: [[1, { clearLo: PTE_P }]], mode: s, kind: r, expected: 0 },
  { name: 'PDE not present, user fetch, NXE=1', edits: [[2, { clearLo: PTE_P }]], mode: u, kind: f, expected: U | I },
  { name: 'PTE not present, supervisor fetch, NXE=0 SMEP=0: no I', cfg: { nxe: false }, edits: [[1, { clearLo: PTE_P }]], mode: s, kind: f, expected: 0 },
  { name: 'PTE not present, supervisor fetch, NXE=0 SMEP=1: I', cfg: { nxe: false, smep: true }, edits: [[1, { clearLo: PTE_P }]], mode: s, kind: f, expected: I },
  { name: 'PTE not present, implicit write at any CPL: U=0', edits: [[1, { clearLo: PTE_P }]], mode: imp, kind: w, expected: W },
  { name: 'reserved bits are not checked when P=0', edits: [[1, { clearLo: PTE_P, setHi: 0x8_0000 }]], mode: u, kind: r, expected: U },
  { name: '2-MiB PDE not present', large: true, edits: [[2, { clearLo: PTE_P }]], mode: u, kind: r, expected: U },

  // Reserved bits (P = 1): RSVD and P set. MAXPHYADDR = 46 unless stated.
  { name: 'PTE bit 46 (first bit >= MAXPHYADDR)', edits: [[1, { setHi: 0x4000 }]], mode: u, kind: r, expected: P | U | RSVD },
  { name: 'PTE bit 51, user write', edits: [[1, { setHi: 0x8_0000 }]], mode: u, kind: w, expected: P | W | U | RSVD },
  { name: 'PML4E bit 46, supervisor read', edits: [[4, { setHi: 0x4000 }]], mode: s, kind: r, expected: P | RSVD },
  { name: 'PDPTE bit 50, user fetch NXE=1', edits: [[3, { setHi: 0x4_0000 }]], mode: u, kind: f, expected: P | U | RSVD | I },
  { name: 'PDE (table) bit 47', edits: [[2, { setHi: 0x8000 }]], mode: u, kind: r, expected: P | U | RSVD },
  { name: 'PTE bit 52 is ignored', edits: [[1, { setHi: 0x10_0000 }]], mode: u, kind: r, expected: 'ok' },
  { name: 'PTE bit 58 is ignored', edits: [[1, { setHi: 0x400_0000 }]], mode: u, kind: r, expected: 'ok' },
  { name: 'MAXPHYADDR=40: PTE bit 40 reserved', cfg: { maxPhys: 40 }, edits: [[1, { setHi: 0x100 }]], mode: u, kind: r, expected: P | U | RSVD },
  { name: 'MAXPHYADDR=40: PTE bit 39 is an address bit', cfg: { maxPhys: 40 }, edits: [[1, { setHi: 0x80 }]], mode: u, kind: r, expected: 'ok' },
  { name: 'PS in a PML4E is reserved', edits: [[4, { setLo: PTE_PS }]], mode: u, kind: r, expected: P | U | RSVD },
  { name: 'PS in a PDPTE is reserved (no 1-GiB pages)', edits: [[3, { setLo: PTE_PS }]], mode: u, kind: r, expected: P | U | RSVD },
  { name: 'NXE=0: bit 63 of the PTE reserved', cfg: { nxe: false }, page: { ...RW_USER, noExec: true }, mode: u, kind: r, expected: P | U | RSVD },
  { name: 'NXE=0: bit 63 of the PML4E reserved', cfg: { nxe: false }, edits: [[4, { setHi: HI_XD }]], mode: u, kind: r, expected: P | U | RSVD },
  { name: 'NXE=0 SMEP=0: supervisor fetch, bit 63 set: no I', cfg: { nxe: false }, page: { ...RW_SUP, noExec: true }, mode: s, kind: f, expected: P | RSVD },
  { name: 'NXE=0 SMEP=1: supervisor fetch, bit 63 set: I', cfg: { nxe: false, smep: true }, page: { ...RW_SUP, noExec: true }, mode: s, kind: f, expected: P | RSVD | I },
  { name: '2-MiB PDE bit 13 reserved', large: true, edits: [[2, { setLo: 0x2000 }]], mode: u, kind: r, expected: P | U | RSVD },
  { name: '2-MiB PDE bit 20 reserved', large: true, edits: [[2, { setLo: 0x10_0000 }]], mode: u, kind: r, expected: P | U | RSVD },
  { name: '2-MiB PDE bit 12 (PAT) not reserved', large: true, edits: [[2, { setLo: 0x1000 }]], mode: u, kind: r, expected: 'ok' },
  { name: 'PTE bit 7 (PAT) with address bit 13 set is fine', edits: [[1, { setLo: PTE_PS | 0x2000 }]], mode: u, kind: r, expected: 'ok' },
  { name: 'key bits with PKE=PKS=0 are not reserved', page: { ...RW_USER, key: 15 }, mode: u, kind: w, expected: 'ok' },

  // U/S, R/W, XD above the leaf.
  { name: 'U/S=0 in the PDPTE makes a supervisor address: user read', edits: [[3, { clearLo: PTE_US }]], mode: u, kind: r, expected: P | U },
  { name: 'U/S=0 in the PML4E: user write', edits: [[4, { clearLo: PTE_US }]], mode: u, kind: w, expected: P | W | U },
  { name: 'U/S=0 in the PDE: SMAP does not apply to a supervisor address', cfg: { smap: true }, edits: [[2, { clearLo: PTE_US }]], mode: s, kind: r, expected: 'ok' },
  { name: 'U/S=0 in the PDE: SMEP does not apply to a supervisor address', cfg: { smep: true }, edits: [[2, { clearLo: PTE_US }]], mode: s, kind: f, expected: 'ok' },
  { name: 'R/W=0 in the PDE: user write', edits: [[2, { clearLo: PTE_RW }]], mode: u, kind: w, expected: P | W | U },
  { name: 'R/W=0 in the PDE: user read is fine', edits: [[2, { clearLo: PTE_RW }]], mode: u, kind: r, expected: 'ok' },
  { name: 'R/W=0 in the PDPTE: supervisor write, WP=1', page: RW_SUP, edits: [[3, { clearLo: PTE_RW }]], mode: s, kind: w, expected: P | W },
  { name: 'R/W=0 in the PDPTE: supervisor write, WP=0', cfg: { wp: false }, page: RW_SUP, edits: [[3, { clearLo: PTE_RW }]], mode: s, kind: w, expected: 'ok' },
  { name: 'XD in the PML4E: user fetch', edits: [[4, { setHi: HI_XD }]], mode: u, kind: f, expected: P | U | I },
  { name: 'XD in the PDE: supervisor fetch', page: RW_SUP, edits: [[2, { setHi: HI_XD }]], mode: s, kind: f, expected: P | I },
  { name: 'XD in the PML4E: user read is fine', edits: [[4, { setHi: HI_XD }]], mode: u, kind: r, expected: 'ok' },
  { name: 'XD in the leaf: user fetch', page: { ...RW_USER, noExec: true }, mode: u, kind: f, expected: P | U | I },
  { name: 'XD clear everywhere: user fetch', page: RW_USER, mode: u, kind: f, expected: 'ok' },

  // CR0.WP.
  { name: 'WP=0: supervisor write to a read-only supervisor page', cfg: { wp: false }, page: RO_SUP, mode: s, kind: w, expected: 'ok' },
  { name: 'WP=1: supervisor write to a read-only supervisor page', page: RO_SUP, mode: s, kind: w, expected: P | W },
  { name: 'WP=1: implicit write to a read-only supervisor page', page: RO_SUP, mode: imp, kind: w, expected: P | W },
  { name: 'WP=0: supervisor write to a read-only user page', cfg: { wp: false }, page: RO_USER, mode: s, kind: w, expected: 'ok' },
  { name: 'WP=1: supervisor write to a read-only user page', page: RO_USER, mode: s, kind: w, expected: P | W },
  { name: 'WP=0: user write to a read-only user page still faults', cfg: { wp: false }, page: RO_USER, mode: u, kind: w, expected: P | W | U },

  // SMEP.
  { name: 'SMEP=1: supervisor fetch from a user page', cfg: { smep: true }, mode: s, kind: f, expected: P | I },
  { name: 'SMEP=0: supervisor fetch from a user page', mode: s, kind: f, expected: 'ok' },
  { name: 'SMEP=1 NXE=0: supervisor fetch from a user page reports I', cfg: { smep: true, nxe: false }, mode: s, kind: f, expected: P | I },
  { name: 'SMEP=1: user fetch from a user page', cfg: { smep: true }, mode: u, kind: f, expected: 'ok' },
  { name: 'NXE=0 SMEP=0: user fetch from a supervisor page: no I', cfg: { nxe: false }, page: RW_SUP, mode: u, kind: f, expected: P | U },
  { name: 'NXE=1: user fetch from a supervisor page', page: RW_SUP, mode: u, kind: f, expected: P | U | I },

  // SMAP with RFLAGS.AC and implicit accesses.
  { name: 'SMAP=1 AC=0: supervisor read of a user page', cfg: { smap: true }, mode: s, kind: r, expected: P },
  { name: 'SMAP=1 AC=0: supervisor write to a user page', cfg: { smap: true }, mode: s, kind: w, expected: P | W },
  { name: 'SMAP=1 AC=1: supervisor read of a user page', cfg: { smap: true }, mode: ac, kind: r, expected: 'ok' },
  { name: 'SMAP=1 AC=1: supervisor write to a user page', cfg: { smap: true }, mode: ac, kind: w, expected: 'ok' },
  { name: 'SMAP=1 AC=1 WP=1: write to a read-only user page', cfg: { smap: true }, page: RO_USER, mode: ac, kind: w, expected: P | W },
  { name: 'SMAP=1 AC=1 WP=0: write to a read-only user page', cfg: { smap: true, wp: false }, page: RO_USER, mode: ac, kind: w, expected: 'ok' },
  { name: 'SMAP=1: implicit read of a user page', cfg: { smap: true }, mode: imp, kind: r, expected: P },
  { name: 'SMAP=1: implicit write to a user page', cfg: { smap: true }, mode: imp, kind: w, expected: P | W },
  { name: 'SMAP=0: supervisor read of a user page', mode: s, kind: r, expected: 'ok' },
  { name: 'SMAP=0: implicit read of a user page', mode: imp, kind: r, expected: 'ok' },
  { name: 'SMAP=1: supervisor read of a supervisor page', cfg: { smap: true }, page: RW_SUP, mode: s, kind: r, expected: 'ok' },
  { name: 'SMAP=1 SMEP=0: supervisor fetch from a user page (SMAP is data only)', cfg: { smap: true }, mode: s, kind: f, expected: 'ok' },

  // SMAP, WP and R/W combined with keys: PK is reported alongside other violations.
  { name: 'SMAP=1 AC=1, PKRU AD: read of a user page', cfg: { smap: true, pke: true, pkru: 0x400 }, page: { ...RW_USER, key: KEY }, mode: ac, kind: r, expected: P | PK },
  { name: 'SMAP=1 AC=0, PKRU AD: read of a user page', cfg: { smap: true, pke: true, pkru: 0x400 }, page: { ...RW_USER, key: KEY }, mode: s, kind: r, expected: P | PK },
  { name: 'SMAP=1 implicit, PKRU AD: read of a user page', cfg: { smap: true, pke: true, pkru: 0x400 }, page: { ...RW_USER, key: KEY }, mode: imp, kind: r, expected: P | PK },
  { name: 'WP=1, PKRU WD: supervisor write to a read-only user page', cfg: { pke: true, pkru: 0x800 }, page: { ...RO_USER, key: KEY }, mode: s, kind: w, expected: P | W | PK },
  { name: 'WP=0, PKRU WD: supervisor write to a read-only user page', cfg: { wp: false, pke: true, pkru: 0x800 }, page: { ...RO_USER, key: KEY }, mode: s, kind: w, expected: 'ok' },
  { name: 'PKRU WD: user write to a read-only user page', cfg: { pke: true, pkru: 0x800 }, page: { ...RO_USER, key: KEY }, mode: u, kind: w, expected: P | W | U | PK },
  { name: 'SMEP=1, PKRU AD: supervisor fetch from a user page (fetch ignores keys)', cfg: { smep: true, pke: true, pkru: 0x400 }, page: { ...RW_USER, key: KEY }, mode: s, kind: f, expected: P | I },
  { name: 'PKRS AD, WP=1: supervisor write to a read-only supervisor page', cfg: { pks: true, pkrs: 0x400 }, page: { ...RO_SUP, key: KEY }, mode: s, kind: w, expected: P | W | PK },
];

describe('access rights and error codes', () => {
  it.each(BIT_CASES)('$name', (c) => {
    const { b, mmu } = machine(c.cfg);
    const la = c.large === true ? LA_2M : LA;
    if (c.large === true) b.map2m(la, PA_2M, c.page ?? RW_USER);
    else b.map4k(la, PA, c.page ?? RW_USER);
    for (const [level, edit] of c.edits ?? []) b.updateEntry(la, level, edit);
    expect(attempt(mmu, la, c.kind, c.mode)).toBe(c.expected);
  });
});

// ---------------------------------------------------------------------------

describe('accessed and dirty flags (SDM §4.8)', () => {
  it('a read sets A at every level and leaves D clear', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    for (const level of [4, 3, 2, 1] as const) expect(b.readEntry(LA, level).lo & PTE_A).toBe(0);
    mmu.read8(LA, u);
    for (const level of [4, 3, 2, 1] as const) expect(b.readEntry(LA, level).lo & PTE_A).toBe(PTE_A);
    expect(b.readEntry(LA, 1).lo & PTE_D).toBe(0);
    expect(b.readEntry(LA, 2).lo & PTE_D).toBe(0);
  });

  it('a write sets D on the leaf only', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    mmu.write8(LA, 1, u);
    expect(b.readEntry(LA, 1).lo & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    for (const level of [4, 3, 2] as const) expect(b.readEntry(LA, level).lo & (PTE_A | PTE_D)).toBe(PTE_A);
  });

  it('a 2-MiB page: A on PML4E, PDPTE, PDE; D on the PDE after a write', () => {
    const { b, mmu } = machine();
    b.map2m(LA_2M, PA_2M, RW_USER);
    mmu.read8(LA_2M + 0x12_345, u);
    expect(b.readEntry(LA_2M, 2).lo & (PTE_A | PTE_D)).toBe(PTE_A);
    mmu.write8(LA_2M + 0x1f_ffff, 1, u);
    expect(b.readEntry(LA_2M, 2).lo & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(b.readEntry(LA_2M, 3).lo & (PTE_A | PTE_D)).toBe(PTE_A);
  });

  it('a faulting access sets neither A nor D', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RO_USER);
    expect(attempt(mmu, LA, w, u)).toBe(P | W | U);
    for (const level of [4, 3, 2, 1] as const) expect(b.readEntry(LA, level).lo & (PTE_A | PTE_D)).toBe(0);
  });

  it('a write through a cached entry whose D is clear walks again and sets D', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    mmu.read8(LA, u);
    const misses = mmu.stats.misses;
    mmu.write8(LA, 7, u);
    expect(mmu.stats.misses).toBe(misses + 1);
    expect(b.readEntry(LA, 1).lo & PTE_D).toBe(PTE_D);
    mmu.write8(LA + 1, 8, u); // now D is cached: a hit
    expect(mmu.stats.misses).toBe(misses + 1);
  });

  it('the re-walk for D sees a PTE made read-only meanwhile', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    mmu.read8(LA, u);
    b.updateEntry(LA, 1, { clearLo: PTE_RW });
    expect(attempt(mmu, LA, w, u)).toBe(P | W | U);
  });
});

describe('2-MiB pages', () => {
  it('offset bits 20:0 come from the linear address', () => {
    const { phys, b, mmu } = machine();
    b.map2m(LA_2M, PA_2M, RW_USER);
    phys.write32(PA_2M + 0x12_3454, 0xdead_beef);
    expect(mmu.translate(LA_2M + 0x12_3454, r, u)).toBe(PA_2M + 0x12_3454);
    expect(mmu.read32(LA_2M + 0x12_3454, u)).toBe(0xdead_beef);
    const p = mmu.probe(LA_2M + 0x1f_fff0);
    expect(p.ok && p.pageSize === 0x20_0000 && p.physical === PA_2M + 0x1f_fff0).toBe(true);
  });
});

// ---------------------------------------------------------------------------

describe('TLB (SDM §4.10)', () => {
  it('a stale translation survives a PTE edit until INVLPG', () => {
    const { phys, b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    phys.write8(PA, 0x11);
    phys.write8(PA + 0x1000, 0x22);
    expect(mmu.read8(LA, u)).toBe(0x11);
    b.updateEntry(LA, 1, { setLo: 0x1000 }); // now points at PA + 0x1000
    expect(mmu.read8(LA, u)).toBe(0x11);
    mmu.invlpg(LA + 0xabc);
    expect(mmu.read8(LA, u)).toBe(0x22);
  });

  it('a stale translation survives until a CR3 write', () => {
    const { phys, b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    phys.write8(PA, 0x11);
    expect(mmu.read8(LA, u)).toBe(0x11);
    b.updateEntry(LA, 1, { clearLo: PTE_P });
    expect(mmu.read8(LA, u)).toBe(0x11); // still cached
    mmu.setCr3(mmu.cr3);
    expect(attempt(mmu, LA, r, u)).toBe(U);
  });

  it('INVLPG anywhere in a 2-MiB page drops all its cached 4-KiB pieces', () => {
    const { phys, b, mmu } = machine();
    b.map2m(LA_2M, PA_2M, RW_USER);
    phys.write8(PA_2M + 0x1000, 1);
    phys.write8(PA_2M + 0x5000, 2);
    phys.write8(PA_2M + 0x40_1000, 3);
    phys.write8(PA_2M + 0x40_5000, 4);
    expect(mmu.read8(LA_2M + 0x1000, u)).toBe(1);
    expect(mmu.read8(LA_2M + 0x5000, u)).toBe(2);
    b.updateEntry(LA_2M, 2, { setLo: 0x40_0000 }); // frame + 4 MiB
    mmu.invlpg(LA_2M + 0x1f_f000);
    expect(mmu.read8(LA_2M + 0x1000, u)).toBe(3);
    expect(mmu.read8(LA_2M + 0x5000, u)).toBe(4);
  });

  it('a PKRU change takes effect on a TLB hit without a flush', () => {
    const { b, mmu } = machine({ pke: true });
    b.map4k(LA, PA, { ...RW_USER, key: KEY });
    mmu.read8(LA, u);
    // Make the in-memory PTE not present: if the MMU walked, it would report P=0.
    b.updateEntry(LA, 1, { clearLo: PTE_P });
    mmu.setPkru(0x400); // AD for key 5
    expect(attempt(mmu, LA, r, u)).toBe(P | U | PK);
  });

  it('a PKRS change takes effect on a TLB hit without a flush', () => {
    const { b, mmu } = machine({ pks: true });
    b.map4k(LA, PA, { ...RW_SUP, key: KEY });
    mmu.write8(LA, 1, s);
    const hits = mmu.stats.hits;
    mmu.write8(LA, 2, s);
    expect(mmu.stats.hits).toBe(hits + 1);
    b.updateEntry(LA, 1, { clearLo: PTE_P });
    mmu.setPkrs(0x800); // WD for key 5, CR0.WP = 1
    expect(attempt(mmu, LA, w, s)).toBe(P | W | PK);
  });

  it('CR0.WP and CR4.SMAP changes apply to cached entries', () => {
    const { b, mmu } = machine({ wp: false });
    b.map4k(LA, PA, RO_USER);
    mmu.write8(LA, 1, s); // WP = 0: allowed, cached
    mmu.setCr0(CR0_PE | CR0_PG | CR0_WP);
    expect(attempt(mmu, LA, w, s)).toBe(P | W);
    mmu.setCr0(CR0_PE | CR0_PG);
    mmu.read8(LA, s);
    mmu.setCr4(CR4_PAE | CR4_SMAP);
    expect(attempt(mmu, LA, r, s)).toBe(P);
    expect(attempt(mmu, LA, r, ac)).toBe('ok');
  });

  it('a #PF drops the TLB entry for the faulting address', () => {
    const { phys, b, mmu } = machine({ pke: true });
    b.map4k(LA, PA, { ...RW_USER, key: KEY });
    phys.write8(PA, 0x11);
    phys.write8(PA + 0x1000, 0x22);
    expect(mmu.read8(LA, u)).toBe(0x11);
    b.updateEntry(LA, 1, { setLo: 0x1000 }); // stale cache still says PA
    mmu.setPkru(0x400);
    expect(attempt(mmu, LA, r, u)).toBe(P | U | PK); // faults from the cached entry ...
    mmu.setPkru(0);
    expect(mmu.read8(LA, u)).toBe(0x22); // ... which the fault dropped: a fresh walk
  });

  it('not-present translations are not cached', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    b.updateEntry(LA, 1, { clearLo: PTE_P });
    expect(attempt(mmu, LA, r, u)).toBe(U);
    b.updateEntry(LA, 1, { setLo: PTE_P }); // P 0 -> 1 needs no invalidation (§4.10.4.3)
    expect(attempt(mmu, LA, r, u)).toBe('ok');
  });

  it('counts hits and misses', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    mmu.read32(LA, u);
    mmu.read32(LA + 4, u);
    mmu.read32(LA + 8, u);
    expect(mmu.stats).toEqual({ hits: 2, misses: 1 });
  });
});

// ---------------------------------------------------------------------------

describe('page-crossing accesses', () => {
  it('read and write values across a boundary', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    b.map4k(LA + 0x1000, PA + 0x5000, RW_USER); // physically discontiguous
    mmu.write32(LA + 0xffe, 0x4433_2211, u);
    expect(mmu.read32(LA + 0xffe, u)).toBe(0x4433_2211);
    expect(mmu.read16(LA + 0xfff, u)).toBe(0x3322);
    mmu.write64(LA + 0xffc, 0x8877_6655_4433_2211n, u);
    expect(mmu.read64(LA + 0xffc, u)).toBe(0x8877_6655_4433_2211n);
    expect(mmu.phys.read8(PA + 0x5003)).toBe(0x88);
    const out = new Uint32Array(2);
    mmu.read64Halves(LA + 0xffc, u, out);
    expect([...out]).toEqual([0x4433_2211, 0x8877_6655]);
  });

  it('a fault on the second page writes nothing; CR2 is the second page start', () => {
    const { phys, b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    b.map4k(LA + 0x1000, PA + 0x1000, RO_USER);
    phys.write32(PA + 0xffc, 0xaaaa_aaaa);
    let caught: unknown;
    try {
      mmu.write32(LA + 0xffe, 0x4433_2211, u);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PageFault);
    expect((caught as PageFault).errorCode).toBe(P | W | U);
    expect((caught as PageFault).address).toBe(LA + 0x1000);
    expect(phys.read32(PA + 0xffc)).toBe(0xaaaa_aaaa);
    expect(phys.read8(PA + 0x1000)).toBe(0);
  });

  it('a not-present second page on a read reports P=0 at the second page', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    try {
      mmu.read64(LA + 0xffa, u);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PageFault);
      expect((e as PageFault).errorCode).toBe(U);
      expect((e as PageFault).address).toBe(LA + 0x1000);
    }
  });

  it('writeBytes translates every page before writing', () => {
    const { phys, b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    b.map4k(LA + 0x1000, PA + 0x1000, RW_USER);
    b.map4k(LA + 0x2000, PA + 0x2000, RO_USER);
    expect(() => mmu.writeBytes(LA + 0x800, new Uint8Array(0x2000).fill(0x5a), u)).toThrow(PageFault);
    expect(phys.read8(PA + 0x800)).toBe(0);
    mmu.writeBytes(LA + 0x800, new Uint8Array(0x1000).fill(0x5a), u);
    expect(mmu.readBytes(LA + 0x7ff, 0x1002, u)).toEqual(
      Uint8Array.from({ length: 0x1002 }, (_, i) => (i === 0 || i === 0x1001 ? 0 : 0x5a)));
  });

  it('instruction fetch crossing into an XD page faults with I at the second page', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    b.map4k(LA + 0x1000, PA + 0x1000, { ...RW_USER, noExec: true });
    try {
      mmu.fetch32(LA + 0xffd, u);
      expect.unreachable();
    } catch (e) {
      expect((e as PageFault).errorCode).toBe(P | U | I);
      expect((e as PageFault).address).toBe(LA + 0x1000);
    }
  });
});

// ---------------------------------------------------------------------------

describe('canonical upper-half addresses', () => {
  const KLA = -(2 ** 47) + 0x3000; // 0xffff_8000_0000_3000
  it('translates and reports CR2 as the sign-extended address', () => {
    const { phys, b, mmu } = machine();
    b.map4k(KLA, PA, RW_SUP);
    phys.write32(PA + 8, 0x1234_5678);
    expect(mmu.read32(KLA + 8, s)).toBe(0x1234_5678);
    try {
      mmu.read8(KLA + 8, u);
      expect.unreachable();
    } catch (e) {
      expect((e as PageFault).address).toBe(KLA + 8);
      expect((e as PageFault).errorCode).toBe(P | U);
      expect((e as PageFault).message).toContain('0xffff800000003008');
    }
    // PML4 index 256 (bits 47:39 of 0xffff_8000_0000_3000)
    expect((mmu.probe(KLA).entries[0]?.entryAddress ?? 0) - b.root).toBe(256 * 8);
  });

  it('refuses a non-canonical address as a caller bug, not a #PF', () => {
    const { mmu } = machine();
    expect(() => mmu.read8(2 ** 47, s)).toThrow(KentryError);
    expect(() => mmu.read8(2 ** 47, s)).not.toThrow(PageFault);
  });
});

describe('probe', () => {
  it('reports rights, key and page size without side effects', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, { writable: false, user: true, noExec: true, key: 9 });
    const p = mmu.probe(LA + 0x10);
    expect(p).toMatchObject({ ok: true, physical: PA + 0x10, pageSize: 0x1000, writable: false, user: true, executeDisable: true, key: 9, accessed: false });
    expect(p.entries.map((e) => e.name)).toEqual(['PML4E', 'PDPTE', 'PDE', 'PTE']);
    expect(b.readEntry(LA, 1).lo & PTE_A).toBe(0);
    expect(mmu.stats).toEqual({ hits: 0, misses: 0 });
  });

  it('reports where a walk fails', () => {
    const { b, mmu } = machine();
    b.map4k(LA, PA, RW_USER);
    b.updateEntry(LA, 2, { setHi: 0x4000 });
    expect(mmu.probe(LA)).toMatchObject({ ok: false, reason: 'reserved-bit', level: 2 });
    expect(mmu.probe(LA + 0x8000_0000_00)).toMatchObject({ ok: false, reason: 'not-present', level: 4 });
  });
});

describe('physical memory', () => {
  it('allocates frames on first touch and enforces its limit', () => {
    const phys = new PhysMemory({ limitBytes: 0x3000 });
    expect(phys.read32(0x1234)).toBe(0);
    phys.write32(0x5ffe, 0xcafe_babe); // crosses into a second frame: 3 frames total
    expect(phys.read32(0x5ffe)).toBe(0xcafe_babe);
    let caught: unknown;
    try {
      phys.write8(0x9000, 1);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PhysMemoryLimitError);
    expect((caught as PhysMemoryLimitError).code).toBe('phys-memory-limit');
  });

  it('refuses addresses at or above 2^MAXPHYADDR', () => {
    const phys = new PhysMemory({ maxPhysAddrBits: 36 });
    expect(() => phys.read8(2 ** 36)).toThrow(KentryError);
    expect(phys.read64(2 ** 36 - 8)).toBe(0n);
  });
});

describe('paging disabled', () => {
  it('maps linear to physical one to one', () => {
    const phys = new PhysMemory();
    const mmu = new Mmu(phys);
    phys.write8(0x1234, 0x77);
    expect(mmu.read8(0x1234, u)).toBe(0x77);
    expect(mmu.translate(0x1234, w, u)).toBe(0x1234);
  });
});

