/**
 * perf register sampling (issue 6 item 6): PERF_SAMPLE_REGS_INTR samples on
 * every timer interrupt taken from user mode, read through perf_regs.c's
 * pt_regs_offset[] — once as compiled against upstream struct pt_regs
 * (upstreamOffsets), once as compiled for the design (designOffsets).
 * Oracles: the user loop's own register values (every GPR distinct and
 * known), its text range and stack, and named reads of the same pt_regs in
 * the same interrupt (which member really holds what).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/asm/index.js';
import { layoutOf } from '../../../src/abi/layout.js';
import {
  PERF_REG_X86_64_MAX, PERF_REG_X86_AX, PERF_REG_X86_DS, PERF_REG_X86_GS, PERF_REG_X86_IP, PERF_REG_X86_NAMES,
  PERF_REG_X86_R15, PERF_REG_X86_R8, PERF_REG_X86_SP, PERF_REG_X86_XMM0, PERF_SAMPLE_REGS_ABI_64, type PerfRegX86Name,
} from '../../../src/abi/structs/perf-regs.js';
import { ptRegs } from '../../../src/abi/structs/pt-regs.js';
import { EINVAL } from '../../../src/abi/errno.js';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import type { Design } from '../../../src/design/build.js';
import { bootKernel } from '../../../src/kernel/boot.js';
import { LOCAL_TIMER_VECTOR } from '../../../src/kernel/arch/x86/entry/symbols.js';
import { USER_CS, USER_DS, USER_STACK_TOP, USER_TEXT } from '../../../src/kernel/arch/x86/memory-map.js';
import {
  NO_PT_REGS_OFFSET, PERF_REGS_MASK_64, PERF_REG_PT_REGS_MEMBER, WarnOnce, attachRegsIntrSampler, designOffsets,
  perfOutputSampleRegs, perfRegValidate, perfRegsReach, perfRegValue, sampleRegsOrder, upstreamOffsets, type RegsIntrSampler,
} from '../../../src/kernel/arch/x86/perf-regs.js';

const design = (name: string): Design => BUILTIN_DESIGNS.find((d) => d.name === name)!;

/** The 15 GPRs the loop sets (all but rsp), each to a distinct value no pt_regs member can hold by accident. */
const GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const VALUE: Readonly<Record<string, bigint>> = Object.fromEntries(
  GPRS.map((r, i) => [r, 0x5eed_0000_0000_0000n | (BigInt(i + 1) * 0x0101_0101n)]),
);

const USER_LOOP = `
${GPRS.map((r) => `  movabs $0x${VALUE[r]!.toString(16)}, %${r}`).join('\n')}
spin:
  nop
  nop
  nop
  jmp spin
spin_end:
`;
const SYMS = assemble(USER_LOOP, { origin: USER_TEXT }).symbols;
const SPIN = SYMS.get('spin')!;
const SPIN_END = SYMS.get('spin_end')!;

/** perf name → the user register it should carry (CS/SS/FLAGS checked apart). */
const PERF_TO_GPR: Partial<Record<PerfRegX86Name, string>> = {
  AX: 'rax', BX: 'rbx', CX: 'rcx', DX: 'rdx', SI: 'rsi', DI: 'rdi', BP: 'rbp',
  R8: 'r8', R9: 'r9', R10: 'r10', R11: 'r11', R12: 'r12', R13: 'r13', R14: 'r14', R15: 'r15',
};

interface Run {
  readonly upstream: RegsIntrSampler;
  readonly own: RegsIntrSampler;
  /** Named reads of every pt_regs member of the design, at the same ticks as the samples. */
  readonly members: Record<string, bigint>[];
  readonly violations: number;
}

/**
 * Boots `d` with a timer every 201 instructions — longer than an
 * interrupt's round trip, so the loop runs between ticks (where in the loop
 * a tick lands depends on the entry path's length, so no IP is pinned) —
 * attaches both samplers and a named-member recorder, and runs the loop.
 */
function sampleRun(d: Design): Run {
  const k = bootKernel(d, { timerEvery: 201 });
  const upstream = attachRegsIntrSampler(k.c, { mask: PERF_REGS_MASK_64, table: upstreamOffsets });
  const own = attachRegsIntrSampler(k.c, { mask: PERF_REGS_MASK_64, table: designOffsets(d) });
  const members: Record<string, bigint>[] = [];
  const next = k.irqHandlers.get(LOCAL_TIMER_VECTOR)!;
  k.irqHandlers.set(LOCAL_TIMER_VECTOR, (rt, regs, vector) => {
    if (regs.userMode()) members.push(Object.fromEntries(d.ptRegs.members.map((m) => [m.name, regs.get(m.name)])));
    next(rt, regs, vector);
  });
  k.startUser(USER_LOOP, 'loop');
  expect(k.run(60_000).kind).toBe('budget');
  return { upstream, own, members, violations: k.violations().length };
}

/** Which pt_regs member (by named read at the same tick) holds `value`; a list when several do. */
function whoHolds(members: Record<string, bigint>, value: bigint): string {
  const names = Object.entries(members).filter(([, v]) => v === value).map(([n]) => n);
  return names.length ? names.join('|') : `0x${value.toString(16)}`;
}

/** For each sample, perf name → the member whose value came out (the same for every sample, or the test says so). */
function readsOf(s: RegsIntrSampler, members: readonly Record<string, bigint>[]): Record<string, string> {
  const seen = new Map<string, Set<string>>();
  s.samples.forEach((sample, i) => {
    const named = s.named(sample);
    for (const [name, v] of Object.entries(named)) {
      const set = seen.get(name) ?? new Set<string>();
      set.add(whoHolds(members[i]!, v));
      seen.set(name, set);
    }
  });
  return Object.fromEntries([...seen].map(([n, set]) => [n, [...set].join(', ')]));
}

function expectTrueRegisters(s: RegsIntrSampler): void {
  expect(s.samples.length).toBeGreaterThan(100);
  for (const sample of s.samples) {
    const r = s.named(sample);
    expect(sample.abi).toBe(PERF_SAMPLE_REGS_ABI_64);
    expect(sample.task).toBe('loop');
    expect(sample.regs).toHaveLength(20); // 24 numbers minus DS..GS
    expect(r.IP! >= SPIN && r.IP! < SPIN_END, `IP 0x${r.IP!.toString(16)} in the loop`).toBe(true);
    expect(r.IP).toBe(sample.ip);
    expect(r.SP).toBe(BigInt(USER_STACK_TOP));
    expect(r.CS).toBe(BigInt(USER_CS));
    expect(r.SS).toBe(BigInt(USER_DS));
    expect(r.FLAGS! & 0x200n).toBe(0x200n); // IF: user mode runs with interrupts on
    for (const [perf, gpr] of Object.entries(PERF_TO_GPR)) expect(r[perf as PerfRegX86Name], perf).toBe(VALUE[gpr]);
  }
  expect(s.warn.warnings).toEqual([]);
}

describe('pt_regs_offset[] (arch/x86/kernel/perf_regs.c)', () => {
  it('numbers the registers as uapi asm/perf_regs.h does', () => {
    expect(PERF_REG_X86_NAMES.indexOf('AX')).toBe(0);
    expect([PERF_REG_X86_AX, PERF_REG_X86_SP, PERF_REG_X86_IP, PERF_REG_X86_DS, PERF_REG_X86_GS]).toEqual([0, 7, 8, 12, 15]);
    expect([PERF_REG_X86_R8, PERF_REG_X86_R15, PERF_REG_X86_64_MAX]).toEqual([16, 23, 24]);
  });

  it('upstreamOffsets is offsetof(struct pt_regs, x) of the upstream layout, DS..GS (unsigned int)-1', () => {
    const l = layoutOf(ptRegs);
    expect(upstreamOffsets.offsets).toHaveLength(PERF_REG_X86_64_MAX);
    PERF_REG_X86_NAMES.forEach((name, i) => {
      const m = PERF_REG_PT_REGS_MEMBER[name];
      expect(upstreamOffsets.offsets[i]).toBe(m === null ? NO_PT_REGS_OFFSET : l.members.find((x) => x.name === m)!.offset);
    });
    // Known Linux values (v5.10 asm-offsets: PTREGS_AX 80, r15 0, ip 128, sp 152).
    expect(upstreamOffsets.offsets.slice(0, 12)).toEqual([80, 40, 88, 96, 104, 112, 32, 152, 128, 144, 136, 160]);
    expect(upstreamOffsets.offsets.slice(16)).toEqual([72, 64, 56, 48, 24, 16, 8, 0]);
    expect(upstreamOffsets.maxRegOffset).toBe(160);
  });

  it.each(['upstream', 'state-ref', 'extended', 'aux'])('designOffsets(%s) equals upstreamOffsets: pt_regs is untouched', (name) => {
    const t = designOffsets(design(name));
    expect(t.offsets).toEqual(upstreamOffsets.offsets);
    expect(t.maxRegOffset).toBe(upstreamOffsets.maxRegOffset);
  });

  it('designOffsets(pks-in-pt_regs) moves every entry 8 bytes up (the new first member)', () => {
    const t = designOffsets(design('pks-in-pt_regs'));
    t.offsets.forEach((o, i) => {
      const up = upstreamOffsets.offsets[i]!;
      expect(o).toBe(up === NO_PT_REGS_OFFSET ? NO_PT_REGS_OFFSET : up + 8);
    });
    expect(t.maxRegOffset).toBe(168);
  });
});

describe('perf_reg_value / perf_reg_validate / perf_output_sample_regs', () => {
  // A fake pt_regs in memory: word i holds 0x1000 + i.
  const mem = { read64: (a: number): bigint => BigInt(0x1000 + (a - 0x8000) / 8) };
  const regs = 0x8000;

  it('reads each register at its table offset; DS..GS are 0 (offset beyond MAX_REG_OFFSET)', () => {
    const warn = new WarnOnce();
    expect(perfRegValue(mem, regs, PERF_REG_X86_AX, upstreamOffsets, warn)).toBe(0x1000n + 10n);
    expect(perfRegValue(mem, regs, PERF_REG_X86_R15, upstreamOffsets, warn)).toBe(0x1000n);
    for (let idx = PERF_REG_X86_DS; idx <= PERF_REG_X86_GS; idx++) expect(perfRegValue(mem, regs, idx, upstreamOffsets, warn)).toBe(0n);
    expect(warn.warnings).toEqual([]);
  });

  it('an index beyond the table is 0 with one WARN (WARN_ON_ONCE); XMM numbers are 0 without (no PEBS xmm_regs)', () => {
    const warn = new WarnOnce();
    expect(perfRegValue(mem, regs, 24, upstreamOffsets, warn)).toBe(0n);
    expect(perfRegValue(mem, regs, 31, upstreamOffsets, warn)).toBe(0n);
    expect(warn.warnings).toHaveLength(1);
    expect(warn.warnings[0]).toMatch(/idx 24 >= ARRAY_SIZE\(pt_regs_offset\) \(24\)/);
    const quiet = new WarnOnce();
    expect(perfRegValue(mem, regs, PERF_REG_X86_XMM0, upstreamOffsets, quiet)).toBe(0n);
    expect(quiet.warnings).toEqual([]);
  });

  it('validates masks as x86-64 perf_reg_validate does', () => {
    expect(perfRegValidate(PERF_REGS_MASK_64)).toBe(0);
    expect(perfRegValidate(0n)).toBe(-EINVAL);
    expect(perfRegValidate(1n << BigInt(PERF_REG_X86_DS))).toBe(-EINVAL);
    expect(perfRegValidate(1n << 24n)).toBe(-EINVAL);
    expect(perfRegValidate(1n << BigInt(PERF_REG_X86_XMM0))).toBe(0); // allowed here; the PMU capability decides
  });

  it('outputs one value per set bit, lowest bit first', () => {
    const mask = (1n << 23n) | (1n << 8n) | 1n; // R15, IP, AX
    expect(sampleRegsOrder(mask)).toEqual([0, 8, 23]);
    expect(perfOutputSampleRegs(mem, regs, mask, upstreamOffsets, new WarnOnce())).toEqual([0x1000n + 10n, 0x1000n + 16n, 0x1000n]);
  });
});

describe.each(['upstream', 'state-ref', 'extended', 'aux'])('PERF_SAMPLE_REGS_INTR on timer ticks under %s', (name) => {
  it('either table samples the interrupted user loop exactly', () => {
    const run = sampleRun(design(name));
    expectTrueRegisters(run.upstream);
    expectTrueRegisters(run.own);
    expect(run.upstream.samples.map((s) => s.regs)).toEqual(run.own.samples.map((s) => s.regs));
    expect(run.violations).toBe(0);
  });
});

describe('PERF_SAMPLE_REGS_INTR on timer ticks under pks-in-pt_regs', () => {
  const run = sampleRun(design('pks-in-pt_regs'));

  it('designOffsets (a kernel built for the design) samples the user loop exactly', () => {
    expectTrueRegisters(run.own);
    expect(run.violations).toBe(0);
  });

  it('upstreamOffsets reads, for every register, the pt_regs member 8 bytes below it', () => {
    expect(run.upstream.samples).toHaveLength(run.own.samples.length);
    expect(run.members).toHaveLength(run.own.samples.length);
    // What each PERF_REG_X86_* number carries in the sample (identified by a named read of the same pt_regs).
    expect(readsOf(run.upstream, run.members)).toEqual({
      AX: 'r8', BX: 'bp', CX: 'ax', DX: 'cx', SI: 'dx', DI: 'si', BP: 'r12',
      SP: 'flags', IP: 'orig_ax', FLAGS: 'cs', CS: 'ip', SS: 'sp',
      R8: 'r9', R9: 'r10', R10: 'r11', R11: 'bx', R12: 'r13', R13: 'r14', R14: 'r15', R15: 'pkrs',
    });
    expect(readsOf(run.own, run.members)).toEqual(
      Object.fromEntries(Object.entries(PERF_REG_PT_REGS_MEMBER).filter(([, m]) => m !== null).map(([n, m]) => [n, m])),
    );
    // So the "IP" of every sample is orig_ax (-1 for an interrupt), and "SP" is RFLAGS.
    for (const s of run.upstream.samples) {
      const r = run.upstream.named(s);
      expect(r.IP).toBe(0xffff_ffff_ffff_ffffn);
      expect(r.SP! & 0x200n).toBe(0x200n);
      expect(r.R15).toBe(run.members[run.upstream.samples.indexOf(s)]!.pkrs);
    }
    expect(run.upstream.warn.warnings).toEqual([]);
  });

  it('perfRegsReach predicts the same from the layouts alone', () => {
    const d = design('pks-in-pt_regs');
    const reach = perfRegsReach(upstreamOffsets, d.ptRegs).filter((r) => r.meant !== null);
    expect(Object.fromEntries(reach.map((r) => [r.reg, r.reads]))).toEqual(readsOf(run.upstream, run.members));
    expect(perfRegsReach(designOffsets(d), d.ptRegs).every((r) => r.reads === r.meant)).toBe(true);
    for (const name of ['upstream', 'state-ref', 'extended', 'aux']) {
      expect(perfRegsReach(upstreamOffsets, design(name).ptRegs).every((r) => r.reads === r.meant), name).toBe(true);
    }
  });
});
