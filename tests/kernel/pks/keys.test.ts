/**
 * PKS constants and pkey_update_pkval() arithmetic; every expected value is
 * worked out by hand from the bit layout (reference §3.1: AD = bit 2k,
 * WD = bit 2k+1).
 */
import { describe, expect, it } from 'vitest';
import {
  PKEY_DISABLE_ACCESS, PKEY_DISABLE_WRITE, PKEY_READ_WRITE, PKR_AD_BIT, PKR_BITS_PER_PKEY, PKR_WD_BIT,
  PKS_INIT_VALUE, PKS_KEY_DEFAULT, PKS_NUM_KEYS, pkeyUpdatePkval, pkrAdMask, pkrWdMask,
} from '../../../src/kernel/arch/x86/pks.js';

describe('PKS constants', () => {
  it('match V9 04/45 and the uapi flags', () => {
    expect(PKS_NUM_KEYS).toBe(16);
    expect(PKR_AD_BIT).toBe(1);
    expect(PKR_WD_BIT).toBe(2);
    expect(PKR_BITS_PER_PKEY).toBe(2);
    expect(PKS_KEY_DEFAULT).toBe(0);
    expect([PKEY_DISABLE_ACCESS, PKEY_DISABLE_WRITE, PKEY_READ_WRITE]).toEqual([1, 2, 0]);
    expect(pkrAdMask(3)).toBe(0x40); // bit 6
    expect(pkrWdMask(3)).toBe(0x80); // bit 7
    expect(pkrWdMask(15)).toBe(0x8000_0000);
  });

  it('PKS_INIT_VALUE: key 0 read/write, AD set for keys 1..15, no WD bit', () => {
    // bits 2,4,...,30 -> binary 0101...0100 = 0x55555554
    expect(PKS_INIT_VALUE).toBe(0x5555_5554);
    expect(PKS_INIT_VALUE & 0b11).toBe(0); // key 0: neither AD nor WD
    for (let k = 1; k < 16; k++) {
      expect((PKS_INIT_VALUE >>> (2 * k)) & 3, `key ${k}`).toBe(PKEY_DISABLE_ACCESS);
    }
  });
});

describe('pkeyUpdatePkval', () => {
  const cases: [string, number, number, number, number][] = [
    ['key 1 read/write from INIT clears bit 2', 0x5555_5554, 1, PKEY_READ_WRITE, 0x5555_5550],
    ['key 1 write-disable from INIT: bit 2 off, bit 3 on', 0x5555_5554, 1, PKEY_DISABLE_WRITE, 0x5555_5558],
    ['key 1 no-access from INIT is unchanged', 0x5555_5554, 1, PKEY_DISABLE_ACCESS, 0x5555_5554],
    ['key 15 read/write clears bits 30,31', 0x5555_5554, 15, PKEY_READ_WRITE, 0x1555_5554],
    ['key 15 AD|WD sets bits 30,31', 0x5555_5554, 15, PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE, 0xd555_5554],
    ['key 0 no-access from 0', 0, 0, PKEY_DISABLE_ACCESS, 0x1],
    ['key 7 write-disable from 0: bit 15', 0, 7, PKEY_DISABLE_WRITE, 0x8000],
    ['key 3 with stray bits 0x7 keeps only AD|WD: bits 6,7', 0, 3, 0x7, 0xc0],
    ['key 2 read/write from all-ones clears bits 4,5', 0xffff_ffff, 2, PKEY_READ_WRITE, 0xffff_ffcf],
  ];
  for (const [name, pkval, pkey, prot, want] of cases) {
    it(name, () => {
      expect(pkeyUpdatePkval(pkval, pkey, prot)).toBe(want);
    });
  }
});
