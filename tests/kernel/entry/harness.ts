/**
 * Runs the generated entry text on the real CPU: the machine of
 * tests/x86/system/machine.ts with the IDT filled from entryIdt(), LSTAR =
 * entry_SYSCALL_64, IST4 for #MC, per-CPU data at KERNEL_GS_BASE and the C
 * functions in the host-call range. The test plays the C function: at each
 * `hostcall` it inspects the stack, then simulates `ret` with a result in
 * %rax after clobbering every caller-saved register (System V).
 */
import { expect } from 'vitest';
import type { Design } from '../../../src/design/build.js';
import { entryIdt, generateEntryText } from '../../../src/kernel/arch/x86/entry/index.js';
import {
  CR4_FSGSBASE, KDATA, KSTACK_TOP, RSP, buildMachine, reg, setReg, u64, type GateSpec, type Machine,
} from '../../x86/system/machine.js';
import { PERCPU, PER_CPU_TOP_OF_STACK, cfuncAt, dummySymbols } from './fixture.js';

export const USER_GS = 0x7000_1000n;
export const IST4_TOP = KDATA + 0x2000;

/** GPR numbers except RSP, and a distinct, non-canonical value for each (so a swap shows). */
export const GPRS = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] as const;
/** pt_regs member of each GPR number. */
export const MEMBER_OF: Readonly<Record<number, string>> = {
  0: 'ax', 1: 'cx', 2: 'dx', 3: 'bx', 5: 'bp', 6: 'si', 7: 'di', 8: 'r8', 9: 'r9', 10: 'r10', 11: 'r11', 12: 'r12', 13: 'r13', 14: 'r14', 15: 'r15',
};
export function valueOf(r: number): bigint {
  return 0x8000_0000_0000_0000n | (BigInt(r + 1) * 0x0101_0101_0101n);
}

export const USER = `
sys:     syscall
done:    jmp done
other:   jmp other
pf:      movq %rbx, 0x601000
pf_next: jmp pf_next
gp:      int $0x80
gp_next: jmp gp_next
loop:    jmp loop
`;

export const KERNEL = `
kpf:      movq %rax, 0x601000
kpf_next: jmp kpf_next
kgp:      movq (%rsi), %rax
kgp_next: jmp kgp_next
kint3:    int3
kint3_next: jmp kint3_next
kloop:    jmp kloop
kmc:      int $18
kmc_next: jmp kmc_next
`;

export interface EntryMachine extends Machine {
  readonly design: Design;
}

export function entryMachine(design: Design, opts: { fsgsbase?: boolean; fixupBadIret?: boolean } = {}): EntryMachine {
  const sym = dummySymbols(opts.fsgsbase ?? false, opts.fixupBadIret ?? false);
  const gates: Record<number, GateSpec> = {};
  for (const g of entryIdt(sym)) gates[g.vector] = { target: g.label, ist: g.ist, dpl: g.dpl };
  const m = buildMachine({
    kernel: generateEntryText(design, sym) + KERNEL,
    user: USER,
    gates,
    ist: { 4: IST4_TOP },
    cr4: opts.fsgsbase ? CR4_FSGSBASE : 0,
  });
  m.cpu.lstar = m.k('entry_SYSCALL_64');
  m.kwrite(PERCPU + PER_CPU_TOP_OF_STACK, u64(KSTACK_TOP));
  m.cpu.gsBase = Number(USER_GS);
  return { ...m, design };
}

/** Every GPR but RSP set to its distinct value. */
export function setAllRegs(m: Machine): void {
  for (const r of GPRS) setReg(m.cpu, r, valueOf(r));
}

/** Runs to the next C function; returns its name. */
export function runToC(m: Machine, budget = 5_000): string {
  const exit = m.cpu.run(budget);
  if (exit.kind !== 'hostcall') throw new Error(`expected a C call, got ${exit.kind} at ${m.cpu.rip.toString(16)}`);
  const name = cfuncAt(exit.address);
  if (!name) throw new Error(`hostcall at unknown address ${exit.address.toString(16)}`);
  return name;
}

/** Simulated C `ret` with %rax = result; caller-saved registers clobbered as C may. */
export function cReturn(m: Machine, rax: bigint): void {
  const { cpu } = m;
  const sp = cpu.reg64(RSP);
  const ret = m.kread(sp);
  for (const r of [1, 2, 6, 7, 8, 9, 10, 11]) setReg(cpu, r, 0xdead_0000n + BigInt(r));
  setReg(cpu, 0, rax);
  cpu.setRspNumber(sp + 8);
  cpu.rip = Number(BigInt.asIntN(64, ret));
}

/** pt_regs of the design at `at`, by member. */
export function readPtRegs(m: EntryMachine, at: number): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const mem of m.design.ptRegs.members) out[mem.name] = m.kread(at + mem.offset);
  return out;
}

export function writePtReg(m: EntryMachine, at: number, member: string, v: bigint | number): void {
  const mem = m.design.ptRegs.members.find((x) => x.name === member)!;
  m.kwrite(at + mem.offset, BigInt.asUintN(64, BigInt(v)));
}

export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** The checks every C call gets: %rdi = pt_regs, the extension right below it, 8-byte alignment. */
export function checkCallFrame(m: EntryMachine, ptRegsAt: number, calledFromErrorEntry = false): void {
  const { cpu } = m;
  const below = m.design.extension?.belowPtRegs ?? 0;
  expect(cpu.reg64(7), 'rdi = pt_regs').toBe(ptRegsAt);
  // At the call, RSP = pt_regs - PTREGS_AUX_SIZE; the return address is below it.
  // From inside error_entry (fixup_bad_iret), error_entry's own return address sits between.
  const extra = calledFromErrorEntry ? 8 : 0;
  expect(cpu.reg64(RSP) + 8 + extra, 'extension below pt_regs').toBe(ptRegsAt - below);
  expect(mod(cpu.reg64(RSP), 8)).toBe(0);
  // Each design's hardware frame starts 16-aligned, so pt_regs + the extension keeps its parity.
  expect(mod(ptRegsAt - below, 16), 'stack parity').toBe((m.design.ptRegs.size + below) % 16 === 0 ? 0 : 8);
}

export function runToUserLoop(m: Machine, label: string): void {
  const exit = m.cpu.run(2_000);
  expect(exit.kind).toBe('budget');
  expect(m.cpu.cpl).toBe(3);
  expect(m.cpu.rip).toBe(m.u(label));
}

export function runToKernelLoop(m: Machine, label: string): void {
  const exit = m.cpu.run(2_000);
  expect(exit.kind).toBe('budget');
  expect(m.cpu.cpl).toBe(0);
  expect(m.cpu.rip).toBe(m.k(label));
}

/** Kernel mode at `label` with RSP = KRSP; `userGs`: the GS base is still the user's (as before SWAPGS). */
export function toKernelAt(m: Machine, label: string, opts: { flags?: number; rsp?: number; userGs?: boolean } = {}): void {
  m.toKernel(m.k(label), opts.flags ?? 0x2, opts.rsp ?? KRSP);
  m.cpu.gsBase = opts.userGs ? Number(USER_GS) : PERCPU;
  m.cpu.kernelGsBase = opts.userGs ? PERCPU : Number(USER_GS);
  setAllRegs(m);
}

/** Kernel stack pointer for kernel-mode tests (16-aligned, well inside the task stack). */
export const KRSP = KSTACK_TOP - 0x1000;

/** All GPRs equal their values, except the listed ones. */
export function expectRegsRestored(m: Machine, except: Readonly<Record<number, bigint>> = {}): void {
  for (const r of GPRS) expect(reg(m.cpu, r), `${MEMBER_OF[r]}`).toBe(except[r] ?? valueOf(r));
}
