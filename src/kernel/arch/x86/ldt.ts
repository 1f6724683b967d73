/**
 * The per-mm Local Descriptor Table (mm->context.ldt) and its loading into
 * the CPU: the descriptor a `struct user_desc` becomes (fill_ldt), the
 * "clear this entry" test (LDT_empty), the ldt_struct of an mm, and
 * set_ldt / load_mm_ldt (a GDT LDT system descriptor at GDT_ENTRY_LDT, then
 * LLDT).
 *
 * @kernel arch/x86/kernel/ldt.c load_mm_ldt, alloc_ldt_struct, map_ldt_struct, install_ldt
 * @kernel arch/x86/include/asm/desc.h fill_ldt, LDT_empty, native_set_ldt, set_tssldt_descriptor
 * @kernel arch/x86/include/uapi/asm/ldt.h struct user_desc, LDT_ENTRIES, LDT_ENTRY_SIZE
 *
 * Where the table lives. Linux (without PTI) kzallocs/vzallocs
 * ldt->entries; with PTI it also maps them at LDT_BASE_ADDR (the "LDT remap
 * for PTI" area of mm.rst, 0xffff880000000000), in one of two slots of
 * LDT_ENTRIES * LDT_ENTRY_SIZE bytes, so that the old table stays mapped
 * until install_ldt has switched every CPU over. kentry keeps the LDT at
 * those two slots (mapped at boot, supervisor read/write, never user) and
 * alternates slots on each write_ldt as map_ldt_struct does. kentry has one
 * kernel page table for every user process, so the slots hold the LDT of
 * one mm at a time: load_mm_ldt of another mm rewrites them from that mm's
 * ldt_struct (kentry runs one user process at a time).
 *
 * Descriptor (SDM Vol. 3A §3.4.5, Figure 3-8), as a 64-bit little-endian word:
 *
 *   63..56 base 31:24   55 G  54 D/B  53 L  52 AVL  51..48 limit 19:16
 *   47 P  46..45 DPL  44 S  43..40 type   39..32 base 23:16
 *   31..16 base 15:0    15..0 limit 15:0
 *
 * The LDT system descriptor in the GDT is 16 bytes (SDM Vol. 3A §7.2.3,
 * Figure 7-4): the word above with S = 0, type 2, plus base 63:32 in the
 * next word.
 */
import { GDT_ADDRESS, PAGE_SIZE } from './memory-map.js';
import type { NativeRuntime } from './native.js';
import type { AddressSpace } from './address-space.js';
import type { Cpu } from '../../../cpu/exec.js';

/** uapi asm/ldt.h. */
export const LDT_ENTRIES = 8192;
export const LDT_ENTRY_SIZE = 8;
/** sizeof(struct user_desc). */
export const USER_DESC_SIZE = 16;

/** arch/x86/include/asm/segment.h (64-bit): GDT_ENTRIES 16, GDT_ENTRY_LDT 10 (two slots: 16 bytes). */
export const GDT_ENTRIES = 16;
export const GDT_ENTRY_LDT = 10;
/** DESC_LDT (arch/x86/include/asm/desc_defs.h): the system-descriptor type of an LDT. */
const DESC_LDT = 0x2;

/** LDT_BASE_ADDR with 4-level paging: LDT_PGD_ENTRY (-240) << PGDIR_SHIFT (arch/x86/include/asm/pgtable_64_types.h). */
export const LDT_BASE_ADDR = -240 * 2 ** 39;
/** LDT_SLOT_STRIDE: one slot holds a full LDT (a multiple of PAGE_SIZE). */
export const LDT_SLOT_STRIDE = LDT_ENTRIES * LDT_ENTRY_SIZE;

/** ldt_slot_va(slot). */
export function ldtSlotVa(slot: number): number {
  return LDT_BASE_ADDR + LDT_SLOT_STRIDE * slot;
}

/** struct user_desc, its bitfields unpacked (uapi asm/ldt.h). */
export interface UserDesc {
  readonly entryNumber: number;
  readonly baseAddr: number;
  readonly limit: number;
  readonly seg32bit: number;
  readonly contents: number;
  readonly readExecOnly: number;
  readonly limitInPages: number;
  readonly segNotPresent: number;
  readonly useable: number;
  readonly lm: number;
}

/** The 16 bytes of a struct user_desc: three u32s, then the bitfield word (LSB first). */
export function parseUserDesc(b: Uint8Array): UserDesc {
  const dv = new DataView(b.buffer, b.byteOffset, USER_DESC_SIZE);
  const bits = dv.getUint32(12, true);
  return {
    entryNumber: dv.getUint32(0, true),
    baseAddr: dv.getUint32(4, true),
    limit: dv.getUint32(8, true),
    seg32bit: bits & 1,
    contents: (bits >>> 1) & 3,
    readExecOnly: (bits >>> 3) & 1,
    limitInPages: (bits >>> 4) & 1,
    segNotPresent: (bits >>> 5) & 1,
    useable: (bits >>> 6) & 1,
    lm: (bits >>> 7) & 1,
  };
}

/** LDT_empty(info): the "clear this entry" pattern (lm is ignored on purpose: 32-bit apps lack it). */
export function ldtEmpty(i: UserDesc): boolean {
  return i.baseAddr === 0 && i.limit === 0 && i.contents === 0 && i.readExecOnly === 1 && i.seg32bit === 0 &&
    i.limitInPages === 0 && i.segNotPresent === 1 && i.useable === 0;
}

/**
 * fill_ldt(desc, info): a DPL-3 code/data descriptor with the accessed bit
 * set (so it can be mapped read-only) and L = 0 (a user LDT segment never
 * claims 64-bit code: that would confuse user_64bit_mode).
 */
export function fillLdt(i: UserDesc): bigint {
  const type = ((i.readExecOnly ^ 1) << 1) | (i.contents << 2) | 1;
  const lo = ((i.limit & 0xffff) | ((i.baseAddr & 0xffff) << 16)) >>> 0;
  const hi = (((i.baseAddr >>> 16) & 0xff) | (type << 8) | (1 << 12) /* S */ | (3 << 13) /* DPL */ |
    ((i.segNotPresent ^ 1) << 15) | (((i.limit >>> 16) & 0xf) << 16) | (i.useable << 20) |
    (i.seg32bit << 22) | (i.limitInPages << 23) | (i.baseAddr & 0xff00_0000)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The AVL bit (bit 52), which write_ldt's legacy mode clears. */
export const DESC_AVL = 1n << 52n;

/**
 * The mm_struct an LDT belongs to: any object standing for it (kentry's
 * UserMm lives above the arch layer, which only keys by its identity).
 */
export type MmKey = object;

/** struct ldt_struct: the table (nr_entries descriptors) and its remap slot. */
export interface LdtStruct {
  readonly entries: readonly bigint[];
  readonly slot: 0 | 1;
}

/** mm->context.ldt, beside each mm (null or absent: no LDT). */
const mmLdt = new WeakMap<MmKey, LdtStruct>();

export function mmContextLdt(mm: MmKey): LdtStruct | null {
  return mmLdt.get(mm) ?? null;
}

/** ldt_dup_context (fork's dup_mmap → arch_dup_mmap): the child mm gets a copy of the parent's LDT. */
export function ldtDupContext(old: MmKey, mm: MmKey): void {
  const ldt = mmLdt.get(old);
  if (ldt) mmLdt.set(mm, { entries: [...ldt.entries], slot: ldt.slot });
}

/** The mm whose LDT the remap slots of each machine (by its CPU) hold now. */
const slotsOwner = new WeakMap<Cpu, WeakRef<MmKey>>();

/**
 * Maps both LDT remap slots (boot; Linux maps them per LDT in
 * map_ldt_struct). Supervisor-only, writable (kentry writes the entries
 * through this mapping), never executable. Frames are not backed until
 * touched, so the unused part of a slot costs nothing.
 */
export function mapLdtSlots(space: AddressSpace, cpu: Cpu): void {
  for (const slot of [0, 1]) space.mapNew(ldtSlotVa(slot), LDT_SLOT_STRIDE, { writable: true, noExec: true, global: true });
  // The GDT holds GDT_ENTRIES descriptors (the LDT one among them): its limit covers them all.
  cpu.gdtLimit = Math.max(cpu.gdtLimit, GDT_ENTRIES * 8 - 1);
}

/** Writes ldt's entries into its slot (finalize_ldt_struct / map_ldt_struct: the CPU sees them there). */
export function writeLdtSlot(rt: NativeRuntime, mm: MmKey, ldt: LdtStruct): void {
  const base = ldtSlotVa(ldt.slot);
  ldt.entries.forEach((d, i) => rt.write64(base + i * LDT_ENTRY_SIZE, d));
  // Whatever lies beyond nr_entries up to the page end is zero (alloc_ldt_struct zeroes; the limit hides it).
  const end = Math.ceil((ldt.entries.length * LDT_ENTRY_SIZE) / PAGE_SIZE) * PAGE_SIZE;
  for (let off = ldt.entries.length * LDT_ENTRY_SIZE; off < end; off += 8) rt.write64(base + off, 0n);
  slotsOwner.set(rt.cpu, new WeakRef(mm));
}

/** install_ldt(mm, ldt): publish the new table (smp_store_release), then flush_ldt on this CPU. */
export function installLdt(rt: NativeRuntime, mm: MmKey, ldt: LdtStruct): void {
  mmLdt.set(mm, ldt);
  loadMmLdt(rt, mm);
}

/**
 * LLDT `selector` (SDM Vol. 2A "LLDT"): the CPU reads the GDT descriptor;
 * a null selector leaves LDTR unusable.
 */
function lldt(rt: NativeRuntime, selector: number): void {
  rt.cpu.lldt(selector);
}

/**
 * native_set_ldt(addr, entries): LLDT 0 for none; otherwise write the LDT
 * system descriptor (base addr, limit entries * 8 - 1) at GDT_ENTRY_LDT and
 * LLDT its selector.
 */
export function setLdt(rt: NativeRuntime, addr: number, entries: number): void {
  if (entries === 0) {
    lldt(rt, 0);
    return;
  }
  const base = BigInt.asUintN(64, BigInt(addr));
  const limit = entries * LDT_ENTRY_SIZE - 1;
  const lo = BigInt(limit & 0xffff) | ((base & 0xff_ffffn) << 16n) | (BigInt(DESC_LDT | 0x80 /* P, DPL 0, S = 0 */) << 40n) |
    (BigInt((limit >>> 16) & 0xf) << 48n) | (((base >> 24n) & 0xffn) << 56n);
  rt.write64(GDT_ADDRESS + GDT_ENTRY_LDT * 8, lo);
  rt.write64(GDT_ADDRESS + GDT_ENTRY_LDT * 8 + 8, base >> 32n);
  lldt(rt, GDT_ENTRY_LDT * 8);
}

/**
 * load_mm_ldt(mm): set_ldt(ldt->entries, nr_entries) when the mm has an
 * LDT (the PTI alias at ldt_slot_va(slot)), clear_LDT() otherwise. The
 * slots hold one mm's LDT at a time: another mm's is written back first.
 */
export function loadMmLdt(rt: NativeRuntime, mm: MmKey): void {
  const ldt = mmContextLdt(mm);
  if (!ldt) {
    setLdt(rt, 0, 0);
    return;
  }
  if (slotsOwner.get(rt.cpu)?.deref() !== mm) writeLdtSlot(rt, mm, ldt);
  setLdt(rt, ldtSlotVa(ldt.slot), ldt.entries.length);
}
