/**
 * ESPFIX64's page tables and per-CPU variables after boot (init_espfix_bsp /
 * init_espfix_ap as espfix.ts models them), the IRET path the entry text
 * gains, and the LDT remap slots: reference §1.3 (native_irq_return_ldt).
 */
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../../src/design/registry.js';
import { ESPFIX_BASE_ADDR, espfixBaseAddr } from '../../../src/kernel/arch/x86/espfix.js';
import { LDT_BASE_ADDR, LDT_SLOT_STRIDE } from '../../../src/kernel/arch/x86/ldt.js';
import { PER_CPU_BASE } from '../../../src/kernel/arch/x86/memory-map.js';
import { PER_CPU, bootPlatform } from '../../../src/kernel/arch/x86/platform.js';

const TWO_32 = 2 ** 32;

describe('ESPFIX64', () => {
  const p = bootPlatform({ design: builtinDesign('upstream'), entryFunctions: {} });
  const mmu = p.cpu.mmu;
  const perCpu = (off: number): number => {
    const r = mmu.probe(PER_CPU_BASE + off);
    if (!r.ok) throw new Error('per-CPU area not mapped');
    const lo = p.phys.read32(r.physical);
    const hi = p.phys.read32(r.physical + 4) | 0;
    return hi * TWO_32 + lo;
  };

  it('CPU 0 ministack: ESPFIX_BASE_ADDR = 0xffffff0000000000 (page_random = slot_random = 0), bits 31:16 zero', () => {
    expect(BigInt.asUintN(64, BigInt(ESPFIX_BASE_ADDR))).toBe(0xffff_ff00_0000_0000n);
    expect(espfixBaseAddr(0)).toBe(ESPFIX_BASE_ADDR);
    // 64 stacks per page; the page number's bits above 15:12 move to bits 47:32.
    expect(espfixBaseAddr(65) - ESPFIX_BASE_ADDR).toBe(0x1000 + 64);
    expect(espfixBaseAddr(64 * 16) - ESPFIX_BASE_ADDR).toBe(TWO_32);
    expect(perCpu(PER_CPU.espfixStack)).toBe(ESPFIX_BASE_ADDR);
  });

  it('every value of bits 31:16 reaches the same page, read-only and supervisor-only; espfix_waddr is its writable alias', () => {
    const waddr = perCpu(PER_CPU.espfixWaddr);
    const w = mmu.probe(waddr);
    expect(w.ok && w.writable).toBe(true);
    const phys = w.ok ? w.physical : -1;
    for (const x of [0, 1, 0x5aad, 0x8000, 0xc0de, 0xffff]) {
      const r = mmu.probe(ESPFIX_BASE_ADDR + x * 0x1_0000 + 0x28);
      expect(r.ok, `alias 0x${x.toString(16)}`).toBe(true);
      if (!r.ok) continue;
      expect(r.physical).toBe(phys + 0x28);
      expect(r.writable).toBe(false);
      expect(r.user).toBe(false);
    }
    // Bits 15:12 are not aliased: the next page of the 64-KiB window is unmapped.
    expect(mmu.probe(ESPFIX_BASE_ADDR + 0x1000).ok).toBe(false);
  });

  it('the IRET path checks SS.TI at .Lnative_iret and has native_irq_return_ldt', () => {
    expect(p.entryText).toMatch(/testb \$4, SS-RIP\(%rsp\)\n\s+jnz native_irq_return_ldt\n/);
    expect(p.symbols.has('native_irq_return_ldt')).toBe(true);
    expect(p.entryText).toContain('orq %gs:PER_CPU_ESPFIX_STACK, %rax');
  });
});

describe('LDT remap slots and the GDT', () => {
  const p = bootPlatform({ design: builtinDesign('aux'), entryFunctions: {} });
  it('both slots are mapped supervisor read/write, never user; the GDT limit covers GDT_ENTRIES = 16', () => {
    for (const a of [LDT_BASE_ADDR, LDT_BASE_ADDR + LDT_SLOT_STRIDE, LDT_BASE_ADDR + 2 * LDT_SLOT_STRIDE - 8]) {
      const r = p.cpu.mmu.probe(a);
      expect(r.ok && r.writable && !r.user).toBe(true);
    }
    expect(p.cpu.gdtLimit).toBe(16 * 8 - 1);
  });
});
