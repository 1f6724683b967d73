/**
 * MMU micro-benchmarks, exported for a bench harness (bench/run.ts may call
 * them; this file has no side effects on import).
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PKE, CR4_SMAP, EFER_LMA, EFER_LME, EFER_NXE } from '../src/cpu/arch.js';
import { MODE_USER, Mmu } from '../src/cpu/mmu.js';
import { PageTableBuilder } from '../src/cpu/page-table-builder.js';
import { PhysMemory } from '../src/cpu/phys-memory.js';

export interface MmuBenchResult {
  readonly name: string;
  readonly ops: number;
  readonly seconds: number;
  readonly nsPerOp: number;
  readonly mopsPerSec: number;
}

function setup(pages: number, stride = 0x1000): Mmu {
  const phys = new PhysMemory();
  const b = new PageTableBuilder(phys, { tableBase: 0x10_0000 });
  for (let i = 0; i < pages; i++) b.map4k(0x40_0000 + i * stride, 0x100_0000 + i * 0x1000, { writable: true, user: true, key: 1 });
  const mmu = new Mmu(phys);
  mmu.setEfer(EFER_LME | EFER_LMA | EFER_NXE);
  mmu.setCr0(CR0_PE | CR0_PG | CR0_WP);
  mmu.setCr4(CR4_PAE | CR4_PKE | CR4_SMAP);
  mmu.setCr3(b.root);
  return mmu;
}

function time(name: string, ops: number, body: () => number): MmuBenchResult {
  body(); // warm-up
  const t0 = performance.now();
  const sink = body();
  const seconds = (performance.now() - t0) / 1000;
  if (sink === -1) console.log(sink); // keep the result alive
  return { name, ops, seconds, nsPerOp: (seconds * 1e9) / ops, mopsPerSec: ops / seconds / 1e6 };
}

/** TLB-hit 32-bit reads (user mode, keys enabled) over 16 pages. */
export function benchTlbHitRead32(ops = 20_000_000): MmuBenchResult {
  const mmu = setup(16);
  return time('mmu read32 (TLB hit)', ops, () => {
    let acc = 0;
    for (let i = 0; i < ops; i++) acc = (acc + mmu.read32(0x40_0000 + ((i * 68) & 0xfffc), MODE_USER)) | 0;
    return acc;
  });
}

/** TLB-hit 32-bit writes (user mode, keys enabled) over 16 pages. */
export function benchTlbHitWrite32(ops = 20_000_000): MmuBenchResult {
  const mmu = setup(16);
  return time('mmu write32 (TLB hit)', ops, () => {
    for (let i = 0; i < ops; i++) mmu.write32(0x40_0000 + ((i * 68) & 0xfffc), i, MODE_USER);
    return 0;
  });
}

/** Page walks: two pages 16 MiB apart share a slot of the 4096-entry direct-mapped TLB, so every access misses. */
export function benchWalk(ops = 2_000_000): MmuBenchResult {
  const stride = 4096 * 0x1000;
  const mmu = setup(2, stride);
  return time('mmu read8 (TLB miss, full walk)', ops, () => {
    let acc = 0;
    for (let i = 0; i < ops; i++) acc = (acc + mmu.read8(0x40_0000 + (i & 1) * stride, MODE_USER)) | 0;
    return acc;
  });
}

export function runMmuBenchmarks(): MmuBenchResult[] {
  return [benchTlbHitRead32(), benchTlbHitWrite32(), benchWalk()];
}
