/**
 * idtentry stubs run on the CPU for every built-in design: #PF and #GP from
 * user and kernel mode (error code in %rsi, orig_ax = -1, SWAPGS only from
 * user mode), #BP from kernel with Linux's 6-word gap, and the timer IRQ
 * (sign-extended vector in %rsi); each returns through error_return with
 * every register restored. Expected values: reference §1.2–§1.3, SDM Vol. 3A
 * §4.7 (page-fault error code), §6.13, §6.14.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { KERNEL_CS, KERNEL_DS, KSTACK_TOP, USER_CS, USER_DS, USTACK_TOP, reg, u64 } from '../../x86/system/machine.js';
import { PERCPU } from './fixture.js';
import {
  GPRS, KRSP, MEMBER_OF, USER_GS, checkCallFrame, cReturn, entryMachine, expectRegsRestored, readPtRegs, runToC,
  runToKernelLoop, runToUserLoop, setAllRegs, toKernelAt, valueOf, writePtReg, type EntryMachine,
} from './harness.js';

const USER_FLAGS = 0x203;
const RF = 0x1_0000;
const MINUS_ONE = 0xffff_ffff_ffff_ffffn;

function expectSavedRegs(p: Record<string, bigint>): void {
  for (const r of GPRS) expect(p[MEMBER_OF[r]!], MEMBER_OF[r]).toBe(valueOf(r));
  expect(p.orig_ax, 'orig_ax = -1').toBe(MINUS_ONE);
  if ('pkrs' in p) expect(p.pkrs).toBe(0n);
}

function userFault(design: (typeof BUILTIN_DESIGNS)[number], label: string): EntryMachine {
  const m = entryMachine(design);
  m.toUser(m.u(label), USER_FLAGS);
  setAllRegs(m);
  return m;
}

for (const design of BUILTIN_DESIGNS) {
  describe(`idtentry (${design.name})`, () => {
    const userAt = KSTACK_TOP - design.ptRegs.size;
    const kernelAt = KRSP - design.ptRegs.size;

    const fromUser = [
      { what: '#PF (write to a read-only page)', label: 'pf', next: 'pf_next', cfunc: 'exc_page_fault', code: 7n },
      { what: '#GP (int $0x80 through a DPL 0 gate)', label: 'gp', next: 'gp_next', cfunc: 'exc_general_protection', code: 0x402n },
    ];
    for (const c of fromUser) {
      it(`${c.what} from user mode: RSP0 frame, error code in %rsi, SWAPGS both ways`, () => {
        const m = userFault(design, c.label);
        expect(runToC(m)).toBe(c.cfunc);
        checkCallFrame(m, userAt);
        expect(reg(m.cpu, 6), 'error code').toBe(c.code);
        const p = readPtRegs(m, userAt);
        expectSavedRegs(p);
        expect([p.ip, p.cs, p.flags, p.sp, p.ss]).toEqual([u64(m.u(c.label)), BigInt(USER_CS), BigInt(USER_FLAGS | RF), u64(USTACK_TOP), BigInt(USER_DS)]);
        if (c.cfunc === 'exc_page_fault') expect(m.cpu.cr2).toBe(0x60_1000);
        expect(m.cpu.gsBase).toBe(PERCPU);
        writePtReg(m, userAt, 'ip', m.u(c.next));
        cReturn(m, 0n);
        runToUserLoop(m, c.next);
        expectRegsRestored(m);
        expect(m.cpu.reg64(4)).toBe(USTACK_TOP);
        expect(m.cpu.flags.get()).toBe(USER_FLAGS);
        expect(BigInt(m.cpu.gsBase)).toBe(USER_GS);
        expect(m.cpu.kernelGsBase).toBe(PERCPU);
      });
    }

    const fromKernel = [
      { what: '#PF (supervisor write to a read-only page, WP)', label: 'kpf', next: 'kpf_next', cfunc: 'exc_page_fault', code: 3n },
      { what: '#GP (non-canonical address)', label: 'kgp', next: 'kgp_next', cfunc: 'exc_general_protection', code: 0n },
    ];
    for (const c of fromKernel) {
      it(`${c.what} from kernel mode: frame on the current stack, no SWAPGS`, () => {
        const m = entryMachine(design);
        toKernelAt(m, c.label);
        expect(runToC(m)).toBe(c.cfunc);
        checkCallFrame(m, kernelAt);
        expect(reg(m.cpu, 6), 'error code').toBe(c.code);
        const p = readPtRegs(m, kernelAt);
        expectSavedRegs(p);
        expect([p.ip, p.cs, p.flags, p.sp, p.ss]).toEqual([u64(m.k(c.label)), BigInt(KERNEL_CS), BigInt(0x2 | RF), u64(KRSP), BigInt(KERNEL_DS)]);
        expect(m.cpu.gsBase).toBe(PERCPU);
        writePtReg(m, kernelAt, 'ip', m.k(c.next));
        cReturn(m, 0n);
        runToKernelLoop(m, c.next);
        expectRegsRestored(m);
        expect(m.cpu.reg64(4)).toBe(KRSP);
        expect(m.cpu.gsBase).toBe(PERCPU);
      });
    }

    it('#BP from kernel mode: pt_regs 6 words lower (the int3_emulate_call gap), IRETQ after the int3', () => {
      const m = entryMachine(design);
      toKernelAt(m, 'kint3');
      expect(runToC(m)).toBe('exc_int3');
      const at = kernelAt - 48;
      checkCallFrame(m, at);
      const p = readPtRegs(m, at);
      expectSavedRegs(p);
      expect([p.ip, p.cs, p.sp]).toEqual([u64(m.k('kint3_next')), BigInt(KERNEL_CS), u64(KRSP)]);
      cReturn(m, 0n);
      runToKernelLoop(m, 'kint3_next');
      expectRegsRestored(m);
      expect(m.cpu.reg64(4)).toBe(KRSP);
    });

    it('LOCAL_TIMER_VECTOR from user mode: irq_entries_start stub, vector sign-extended in %rsi', () => {
      const m = userFault(design, 'loop');
      m.cpu.run(3);
      m.cpu.injectInterrupt(0xec);
      expect(runToC(m)).toBe('common_interrupt');
      checkCallFrame(m, userAt);
      expect(reg(m.cpu, 6)).toBe(0xffff_ffff_ffff_ffecn);
      const p = readPtRegs(m, userAt);
      expectSavedRegs(p);
      expect([p.ip, p.cs, p.flags]).toEqual([u64(m.u('loop')), BigInt(USER_CS), BigInt(USER_FLAGS)]);
      cReturn(m, 0n);
      runToUserLoop(m, 'loop');
      expectRegsRestored(m);
      expect(BigInt(m.cpu.gsBase)).toBe(USER_GS);
    });
  });
}
