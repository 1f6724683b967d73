/**
 * perf PERF_SAMPLE_REGS_INTR on timer ticks (perf-regs.ts): a user loop with
 * known values in every GPR, sampled through a pt_regs_offset[] table —
 * `upstreamOffsets` (perf_regs.o compiled against upstream struct pt_regs:
 * a fixed compiled offset) or `designOffsets` (rebuilt for the design's
 * struct pt_regs: the offsets relocated). The loop is one instruction, so
 * every tick samples the same user state under every design.
 */
import { PERF_REG_X86_NAMES } from '../../abi/structs/perf-regs.js';
import type { Design } from '../../design/build.js';
import { PERF_REGS_MASK_64, attachRegsIntrSampler, designOffsets, upstreamOffsets } from '../arch/x86/perf-regs.js';
import { bootKernel } from '../boot.js';

const GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const LOOP = `
${GPRS.map((r, i) => `  movabs $0x${(0x5eed_0000_0000_0000n | (BigInt(i + 1) * 0x0101_0101n)).toString(16)}, %${r}`).join('\n')}
spin:
  jmp spin
`;

export interface PerfRun {
  /** Distinct samples (PERF_REG_X86_* name → value), in first-seen order. */
  readonly distinct: readonly Readonly<Record<string, bigint>>[];
  readonly samples: number;
  readonly warnings: readonly string[];
}

/** Samples the loop under `design` with the table a kernel `compiled` for upstream or for the design. */
export function runPerfWorkload(design: Design, compiled: 'upstream' | 'design'): PerfRun {
  const k = bootKernel(design, { timerEvery: 301 });
  const sampler = attachRegsIntrSampler(k.c, {
    mask: PERF_REGS_MASK_64, table: compiled === 'upstream' ? upstreamOffsets : designOffsets(design),
  });
  k.startUser(LOOP, 'perf-loop');
  k.run(20_000);
  const seen = new Map<string, Record<string, bigint>>();
  for (const s of sampler.samples) {
    const named = sampler.named(s);
    const rec: Record<string, bigint> = {};
    for (const name of PERF_REG_X86_NAMES) {
      const v = named[name];
      if (v !== undefined) rec[name] = v;
    }
    seen.set(Object.entries(rec).map(([n, v]) => `${n}=${v}`).join(','), rec);
  }
  return { distinct: [...seen.values()], samples: sampler.samples.length, warnings: sampler.warn.warnings };
}
