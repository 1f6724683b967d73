/**
 * The IST vectors run on the CPU: NMI from user mode (moved to the thread
 * stack) and from kernel mode with the user or the kernel GS base live
 * (paranoid_entry/exit, RDMSR sign test and FSGSBASE variants), #DB from
 * user mode (sync_regs to the task stack, noist_exc_debug) and from kernel
 * mode (paranoid), #MC from kernel mode, #DF on its IST stack, and a fault
 * on the user-return IRETQ with the fixup_bad_iret hook.
 * Expected values: reference §1.3–§1.4, SDM Vol. 3A §6.7.1, §6.14.5, §6.15.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS, builtinDesign } from '../../../src/design/registry.js';
import {
  IST_TOP, KERNEL_CS, KSTACK_TOP, UNMAPPED, USER_CS, USER_DS, reg, u64,
} from '../../x86/system/machine.js';
import { PERCPU } from './fixture.js';
import {
  GPRS, IST4_TOP, KRSP, MEMBER_OF, USER_GS, checkCallFrame, cReturn, entryMachine, expectRegsRestored, readPtRegs,
  runToC, runToKernelLoop, runToUserLoop, setAllRegs, toKernelAt, valueOf, writePtReg,
} from './harness.js';

const TF = 0x100;
const MINUS_ONE = 0xffff_ffff_ffff_ffffn;

function expectSavedRegs(p: Record<string, bigint>): void {
  for (const r of GPRS) expect(p[MEMBER_OF[r]!], MEMBER_OF[r]).toBe(valueOf(r));
  expect(p.orig_ax).toBe(MINUS_ONE);
}

for (const design of BUILTIN_DESIGNS) {
  describe(`IST entries (${design.name})`, () => {
    const size = design.ptRegs.size;

    it('NMI from user mode: pt_regs on the thread stack (rdx from the temp slot), user-return path', () => {
      const m = entryMachine(design);
      m.toUser(m.u('loop'), 0x203);
      setAllRegs(m);
      m.cpu.run(2);
      m.cpu.injectNmi();
      expect(runToC(m)).toBe('exc_nmi');
      checkCallFrame(m, KSTACK_TOP - size);
      const p = readPtRegs(m, KSTACK_TOP - size);
      expectSavedRegs(p);
      expect([p.ip, p.cs, p.flags, p.ss]).toEqual([u64(m.u('loop')), BigInt(USER_CS), 0x203n, BigInt(USER_DS)]);
      expect(m.cpu.gsBase).toBe(PERCPU);
      cReturn(m, 0n);
      runToUserLoop(m, 'loop');
      expectRegsRestored(m);
      expect(m.cpu.nmiBlocked).toBe(false);
      expect(BigInt(m.cpu.gsBase)).toBe(USER_GS);
    });

    for (const fsgsbase of [false, true]) {
      for (const userGs of [true, false]) {
        it(`NMI from kernel mode, ${userGs ? 'user' : 'kernel'} GS base live, ${fsgsbase ? 'RD/WRGSBASE' : 'RDMSR sign test'}`, () => {
          const m = entryMachine(design, { fsgsbase });
          toKernelAt(m, 'kloop', { userGs });
          m.cpu.run(2);
          m.cpu.injectNmi();
          expect(runToC(m)).toBe('exc_nmi');
          const at = IST_TOP[2] - size;
          checkCallFrame(m, at);
          const p = readPtRegs(m, at);
          expectSavedRegs(p);
          expect([p.ip, p.cs, p.sp]).toEqual([u64(m.k('kloop')), BigInt(KERNEL_CS), u64(KRSP)]);
          expect(m.cpu.gsBase, 'kernel GS base in exc_nmi').toBe(PERCPU);
          cReturn(m, 0n);
          runToKernelLoop(m, 'kloop');
          expectRegsRestored(m);
          expect(m.cpu.reg64(4)).toBe(KRSP);
          expect(BigInt(m.cpu.gsBase)).toBe(userGs ? USER_GS : BigInt(PERCPU));
          expect(BigInt(m.cpu.kernelGsBase)).toBe(userGs ? BigInt(PERCPU) : USER_GS);
          expect(m.cpu.nmiBlocked).toBe(false);
        });
      }
    }

    it('#DB from user mode (TF): IST frame moved to the task stack by sync_regs, noist_exc_debug', () => {
      const m = entryMachine(design);
      m.toUser(m.u('loop'), 0x202 | TF);
      setAllRegs(m);
      expect(runToC(m)).toBe('noist_exc_debug');
      const at = KSTACK_TOP - size;
      checkCallFrame(m, at);
      const p = readPtRegs(m, at);
      expectSavedRegs(p);
      expect([p.ip, p.cs, p.flags]).toEqual([u64(m.u('loop')), BigInt(USER_CS), BigInt(0x202 | TF)]);
      expect(m.cpu.gsBase).toBe(PERCPU);
      writePtReg(m, at, 'flags', 0x202);
      cReturn(m, 0n);
      runToUserLoop(m, 'loop');
      expectRegsRestored(m);
      expect(BigInt(m.cpu.gsBase)).toBe(USER_GS);
    });

    it('#DB from kernel mode with the user GS base: paranoid on the #DB IST stack', () => {
      const m = entryMachine(design);
      toKernelAt(m, 'kloop', { flags: 0x2 | TF, userGs: true });
      expect(runToC(m)).toBe('exc_debug');
      const at = IST_TOP[3] - size;
      checkCallFrame(m, at);
      expectSavedRegs(readPtRegs(m, at));
      expect(m.cpu.gsBase).toBe(PERCPU);
      writePtReg(m, at, 'flags', 0x2);
      cReturn(m, 0n);
      runToKernelLoop(m, 'kloop');
      expectRegsRestored(m);
      expect(BigInt(m.cpu.gsBase)).toBe(USER_GS);
    });

    it('#MC from kernel mode (int $18): paranoid on IST4', () => {
      const m = entryMachine(design);
      toKernelAt(m, 'kmc');
      expect(runToC(m)).toBe('exc_machine_check');
      const at = IST4_TOP - size;
      checkCallFrame(m, at);
      expectSavedRegs(readPtRegs(m, at));
      cReturn(m, 0n);
      runToKernelLoop(m, 'kmc_next');
      expectRegsRestored(m);
    });

    it('#DF (a #PF whose delivery faults on an unmapped stack): IST1, error code 0 in %rsi, orig_ax = -1', () => {
      const m = entryMachine(design);
      toKernelAt(m, 'kpf', { rsp: UNMAPPED });
      expect(runToC(m)).toBe('exc_double_fault');
      const at = IST_TOP[1] - size;
      checkCallFrame(m, at);
      expect(reg(m.cpu, 6)).toBe(0n);
      const p = readPtRegs(m, at);
      expectSavedRegs(p);
      expect([p.ip, p.cs, p.sp]).toEqual([u64(m.k('kpf')), BigInt(KERNEL_CS), u64(UNMAPPED)]);
    });
  });
}

describe('a fault on the user-return IRETQ (error_entry .Lerror_bad_iret, fixup_bad_iret hook)', () => {
  for (const name of ['upstream', 'aux']) {
    it(`${name}: SWAPGS, fixup_bad_iret, then the #GP as from user mode`, () => {
      const design = builtinDesign(name);
      const size = design.ptRegs.size;
      const top = KSTACK_TOP - size;
      const m = entryMachine(design, { fixupBadIret: true });
      m.toUser(m.u('gp'), 0x203);
      setAllRegs(m);
      expect(runToC(m)).toBe('exc_general_protection');
      writePtReg(m, top, 'ip', m.u('gp_next'));
      writePtReg(m, top, 'cs', USER_DS); // a data segment as CS: IRETQ raises #GP(0x28) in ring 0
      cReturn(m, 0n);
      expect(runToC(m)).toBe('fixup_bad_iret');
      expect(m.cpu.gsBase, 'SWAPGS before the C call').toBe(PERCPU);
      const bad = m.cpu.reg64(7);
      checkCallFrame(m, bad, true);
      const badRegs = readPtRegs(m, bad);
      expect(badRegs.cs).toBe(BigInt(KERNEL_CS));
      expect(badRegs.ip).toBe(u64(m.k('native_irq_return_iret')));
      // The C side: pt_regs at the top of the task stack, IRET frame from the bad IRETQ's stack.
      const iretFrame = Number(BigInt.asIntN(64, badRegs.sp!));
      for (const mem of design.ptRegs.members) {
        const fromIret = ['ip', 'cs', 'flags', 'sp', 'ss'].indexOf(mem.name);
        const v = fromIret >= 0 ? m.kread(iretFrame + 8 * fromIret) : badRegs[mem.name]!;
        m.kwrite(top + mem.offset, v);
      }
      cReturn(m, u64(top));
      expect(runToC(m)).toBe('exc_general_protection');
      checkCallFrame(m, top);
      expect(reg(m.cpu, 6)).toBe(0x28n);
      const p = readPtRegs(m, top);
      expectSavedRegs(p);
      expect([p.ip, p.cs]).toEqual([u64(m.u('gp_next')), BigInt(USER_DS)]);
      writePtReg(m, top, 'cs', USER_CS);
      cReturn(m, 0n);
      runToUserLoop(m, 'gp_next');
      expectRegsRestored(m);
      expect(BigInt(m.cpu.gsBase)).toBe(USER_GS);
    });
  }
});
