/** Struct views and container_of over byte stores, checked at the byte level. */
import { describe, expect, it } from 'vitest';
import { containerOf, layoutOf, resolvePath } from '../../src/abi/layout.js';
import { ptRegs, siginfo } from '../../src/abi/structs/index.js';
import { StructView } from '../../src/abi/view.js';
import { BufferStore } from '../../src/lib/bytes.js';
import { builtinDesign, designStruct } from '../../src/design/registry.js';

describe('StructView', () => {
  it('writes little-endian at the member offset (pt_regs.ip at 128, reference §1.1)', () => {
    const buf = new Uint8Array(168);
    const v = new StructView(layoutOf(ptRegs), new BufferStore(buf), 0);
    v.set('ip', 0x1122334455667788n);
    expect([...buf.slice(128, 136)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(buf.slice(0, 128).every((b) => b === 0)).toBe(true);
    expect(v.get('ip')).toBe(0x1122334455667788n);
  });

  it('sign-extends signed members and truncates on write', () => {
    const v = StructView.zeroed(layoutOf(siginfo));
    v.set('si_code', -1);
    expect(v.get('si_code')).toBe(-1n);
    expect([...v.bytes('si_code')]).toEqual([0xff, 0xff, 0xff, 0xff]);
    v.set('si_pkey', 0x1_0000_0005n);
    expect(v.get('si_pkey')).toBe(5n);
    expect([...v.bytes().slice(0x20, 0x24)]).toEqual([5, 0, 0, 0]);
  });

  it('refuses to read a record as a scalar and names unknown members', () => {
    const v = StructView.zeroed(layoutOf(siginfo));
    expect(() => v.get('_sifields')).toThrow(/not a scalar/);
    expect(() => v.get('si_nope')).toThrow(/has no member 'si_nope'/);
    expect(() => resolvePath(layoutOf(ptRegs), 'ip.low')).toThrow(/has no member 'ip.low'/);
  });

  it('container_of from a pt_regs * reaches the extension written below it', () => {
    const d = builtinDesign('extended');
    const ext = designStruct(d, 'extended_pt_regs');
    const stack = new BufferStore(new Uint8Array(4096));
    const base = 1024;
    const outer = new StructView(ext, stack, base);
    outer.set('arch.pks', 0x55555554n);
    outer.set('regs.ip', 0x401000n);
    const regsAddress = base + 16;
    const regs = new StructView(d.ptRegs, stack, regsAddress);
    expect(regs.get('ip')).toBe(0x401000n);
    const back = new StructView(ext, stack, Number(containerOf(ext, 'regs', BigInt(regsAddress))));
    expect(back.get('arch.pks')).toBe(0x55555554n);
    expect(outer.member('regs', d.ptRegs).get('ip')).toBe(0x401000n);
  });
});
