/**
 * entry_SYSCALL_64 run on the CPU for every built-in design: pt_regs at
 * the design's offsets holds the user registers (ax = -ENOSYS, orig_ax = nr,
 * cx = ip = return RIP, r11 = flags, sp/ss/cs from the contract), the
 * extension lies below it, %rsi = (int)nr; then both exits (do_syscall_64
 * true → SYSRET, false → IRET) restore every user register and the GS base.
 * Expected values: reference §1.3, §1.5 and SDM Vol. 2B SYSCALL/SYSRET.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { KSTACK_TOP, USER_CS, USER_DS, USTACK_TOP, reg, setReg, u64 } from '../../x86/system/machine.js';
import { PERCPU } from './fixture.js';
import {
  GPRS, MEMBER_OF, USER_GS, checkCallFrame, cReturn, entryMachine, expectRegsRestored, readPtRegs, runToC,
  runToUserLoop, setAllRegs, valueOf, writePtReg,
} from './harness.js';

const ENOSYS = 38n;
const USER_FLAGS = 0x203; // IF | CF

for (const design of BUILTIN_DESIGNS) {
  describe(`entry_SYSCALL_64 (${design.name})`, () => {
    const enter = () => {
      const m = entryMachine(design);
      m.toUser(m.u('sys'), USER_FLAGS);
      setAllRegs(m);
      setReg(m.cpu, 0, 0x1234_5678_8000_0005n); // nr: movslq takes the low 32 bits, sign-extended
      expect(runToC(m)).toBe('do_syscall_64');
      const at = KSTACK_TOP - design.ptRegs.size;
      return { m, at };
    };

    it('builds pt_regs at the design offsets on the task stack, extension below, regs cleared', () => {
      const { m, at } = enter();
      checkCallFrame(m, at);
      expect(reg(m.cpu, 6), 'rsi = (int)nr').toBe(0xffff_ffff_8000_0005n);
      const p = readPtRegs(m, at);
      const done = u64(m.u('done'));
      for (const r of GPRS) {
        const name = MEMBER_OF[r]!;
        const want = name === 'ax' ? BigInt.asUintN(64, -ENOSYS) : name === 'cx' ? done : name === 'r11' ? BigInt(USER_FLAGS) : valueOf(r);
        expect(p[name], name).toBe(want);
      }
      expect(p.orig_ax).toBe(0x1234_5678_8000_0005n);
      expect([p.ip, p.cs, p.flags, p.sp, p.ss]).toEqual([done, BigInt(USER_CS), BigInt(USER_FLAGS), u64(USTACK_TOP), BigInt(USER_DS)]);
      if ('pkrs' in p) expect(p.pkrs, 'placeholder').toBe(0n);
      // CLEAR_REGS: all saved registers but %rdi/%rax are zero (%rsi holds nr).
      for (const r of [1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15]) expect(reg(m.cpu, r), MEMBER_OF[r]).toBe(0n);
      expect(m.cpu.gsBase).toBe(PERCPU);
      expect(BigInt(m.cpu.kernelGsBase)).toBe(USER_GS);
      expect(m.kread(PERCPU + 0x18), 'user RSP in the scratch slot').toBe(u64(USTACK_TOP));
    });

    it('true → SYSRET: rax = regs->ax, RIP from regs->cx, user RSP, GS base swapped back', () => {
      const { m, at } = enter();
      writePtReg(m, at, 'ax', 42);
      // Only SYSRET returns to regs->cx; IRET would return to regs->ip.
      writePtReg(m, at, 'cx', m.u('other'));
      const extBelow = design.extension?.belowPtRegs ?? 0;
      for (let off = 8; off <= extBelow; off += 8) m.kwrite(at - off, 0x5a5a5a5an); // the C side uses its extension
      cReturn(m, 1n);
      runToUserLoop(m, 'other');
      expectRegsRestored(m, { 0: 42n, 1: u64(m.u('other')), 11: BigInt(USER_FLAGS) });
      expect(m.cpu.reg64(4)).toBe(USTACK_TOP);
      expect(m.cpu.flags.get()).toBe(USER_FLAGS);
      expect(BigInt(m.cpu.gsBase)).toBe(USER_GS);
      expect(m.cpu.kernelGsBase).toBe(PERCPU);
    });

    it('false → IRET: every register from pt_regs, RIP from regs->ip', () => {
      const { m, at } = enter();
      writePtReg(m, at, 'ax', -14);
      writePtReg(m, at, 'ip', m.u('other'));
      cReturn(m, 0xffff_ff00n); // only %al counts
      runToUserLoop(m, 'other');
      expectRegsRestored(m, { 0: BigInt.asUintN(64, -14n), 1: u64(m.u('done')), 11: BigInt(USER_FLAGS) });
      expect(m.cpu.reg64(4)).toBe(USTACK_TOP);
      expect(BigInt(m.cpu.gsBase)).toBe(USER_GS);
      expect(m.cpu.kernelGsBase).toBe(PERCPU);
    });
  });
}
