/**
 * The benchmarks `npm run bench` runs. M2 adds guest MIPS and entry
 * round-trips here (DESIGN.md §7).
 */
import { layoutOf } from '../src/abi/layout.js';
import { ptRegs } from '../src/abi/structs/index.js';
import { StructView } from '../src/abi/view.js';
import type { Benchmark } from './harness.js';
import { CPU_BENCHMARK } from './cpu.js';
import { IRQ_BENCHMARK, SYSCALL_BENCHMARK } from './entry.js';
import { MMU_BENCHMARKS } from './mmu.js';

const structViewRead: Benchmark = {
  name: 'struct view: pt_regs field read',
  unit: 'field read',
  setup() {
    const v = StructView.zeroed(layoutOf(ptRegs));
    v.set('ip', 0x401000n);
    const names = ['ip', 'sp', 'flags', 'ax', 'orig_ax', 'cs', 'ss', 'di'];
    return () => {
      let acc = 0n;
      for (let i = 0; i < 1000; i++) acc ^= v.get(names[i & 7]!);
      if (acc === -1n) throw new Error('unreachable');
      return 1000;
    };
  },
};

export const BENCHMARKS: readonly Benchmark[] = [CPU_BENCHMARK, SYSCALL_BENCHMARK, IRQ_BENCHMARK, ...MMU_BENCHMARKS, structViewRead];
