/**
 * struct user_desc → LDT descriptor (fill_ldt), the "clear" pattern
 * (LDT_empty) and the remap-slot addresses, against values worked out from
 * arch/x86/include/asm/desc.h and checked by guest/ldt-modify.c on the host.
 */
import { describe, expect, it } from 'vitest';
import {
  DESC_AVL, LDT_BASE_ADDR, LDT_SLOT_STRIDE, fillLdt, ldtEmpty, ldtSlotVa, parseUserDesc, type UserDesc,
} from '../../../src/kernel/arch/x86/ldt.js';

function desc(p: Partial<UserDesc>): UserDesc {
  return {
    entryNumber: 0, baseAddr: 0, limit: 0, seg32bit: 0, contents: 0, readExecOnly: 0, limitInPages: 0, segNotPresent: 0,
    useable: 0, lm: 0, ...p,
  };
}

function bytes(entry: number, base: number, limit: number, bits: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, entry, true);
  dv.setUint32(4, base, true);
  dv.setUint32(8, limit, true);
  dv.setUint32(12, bits, true);
  return b;
}

describe('struct user_desc', () => {
  it('unpacks the bitfield word LSB first: seg_32bit, contents:2, read_exec_only, limit_in_pages, seg_not_present, useable, lm', () => {
    const d = parseUserDesc(bytes(6, 0x403000, 4095, 1 | (2 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7)));
    expect(d).toEqual({
      entryNumber: 6, baseAddr: 0x403000, limit: 4095, seg32bit: 1, contents: 2, readExecOnly: 1, limitInPages: 1,
      segNotPresent: 1, useable: 1, lm: 1,
    });
  });
});

describe('fill_ldt', () => {
  it('a 32-bit conforming code segment, not present (the one contents-3 case write_ldt takes)', () => {
    expect(fillLdt(desc({ baseAddr: 0x1000, limit: 0xfff, seg32bit: 1, contents: 3, segNotPresent: 1 }))).toBe(0x00407f0010000fffn);
  });
  it('execute-only 32-bit code in pages: type 9, G and D set, L never set (lm is ignored)', () => {
    expect(fillLdt(desc({ baseAddr: 0x12345678, limit: 0xabcde, seg32bit: 1, contents: 2, readExecOnly: 1, limitInPages: 1, lm: 1 })))
      .toBe(0x12caf9345678bcden);
  });
  it('16-bit expand-down data (contents 1) and a 16-bit data segment with AVL', () => {
    expect(fillLdt(desc({ limit: 0xffff, contents: 1 }))).toBe(0x0000f7000000ffffn);
    expect(fillLdt(desc({ limit: 3, useable: 1 }))).toBe(0x0010f30000000003n);
    expect(DESC_AVL).toBe(1n << 52n);
  });
  it('only limit bits 19:0 reach the descriptor', () => {
    expect(fillLdt(desc({ limit: 0xfff_ffff, seg32bit: 1 }))).toBe(0x004ff3000000ffffn);
  });
  it('an all-zero user_desc in the new mode is a present, zero-limit data segment (not LDT_empty)', () => {
    expect(ldtEmpty(desc({}))).toBe(false);
    expect(fillLdt(desc({}))).toBe(0x0000f30000000000n);
  });
});

describe('LDT_empty', () => {
  it('is read_exec_only and seg_not_present with everything else zero, whatever lm says', () => {
    expect(ldtEmpty(desc({ readExecOnly: 1, segNotPresent: 1 }))).toBe(true);
    expect(ldtEmpty(desc({ readExecOnly: 1, segNotPresent: 1, lm: 1 }))).toBe(true);
    expect(ldtEmpty(desc({ readExecOnly: 1, segNotPresent: 1, useable: 1 }))).toBe(false);
    expect(ldtEmpty(desc({ readExecOnly: 1, segNotPresent: 1, limit: 1 }))).toBe(false);
  });
});

describe('LDT remap slots', () => {
  it('sit at LDT_BASE_ADDR = 0xffff880000000000, LDT_ENTRIES * 8 apart', () => {
    expect(BigInt.asUintN(64, BigInt(LDT_BASE_ADDR))).toBe(0xffff_8800_0000_0000n);
    expect(LDT_SLOT_STRIDE).toBe(65536);
    expect(ldtSlotVa(1) - ldtSlotVa(0)).toBe(65536);
  });
});
