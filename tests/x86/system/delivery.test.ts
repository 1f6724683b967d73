/**
 * Exception and interrupt delivery in 64-bit mode: frame layout with and
 * without an error code, the RSP0 switch from user mode, 16-byte alignment,
 * IST, interrupt vs trap gate, the DPL check of INT n / INT3, #PF error codes
 * and CR2, the double-fault rules and the triple-fault exit, and reference
 * §8's table of traps as Linux reports them.
 *
 * Sources: Intel SDM Vol. 3A §6.12 (gates, DPL check), §6.13 (error code),
 * §6.14.1-§6.14.5 (64-bit gates, frame, alignment, IST), §6.15 (#DF, #PF,
 * Tables 6-4/6-5), §4.7 (#PF error code), §18.3.1.1 (RF), Vol. 2A "INT n";
 * reference §1.2 and §8.
 */
import { describe, expect, it } from 'vitest';
import {
  F, IST_TOP, KERNEL_CS, KERNEL_DS, KSTACK_TOP, KTEXT, UDATA, UDATA_RO, UNMAPPED, USER_CS, USER_DS, USTACK_TOP, UTEXT,
  buildMachine, frame, runToVector, u64,
} from './machine.js';

const KRSP = KSTACK_TOP - 0x1000; // 16-byte aligned kernel RSP for CPL-0 code

describe('frame layout from user mode (SDM §6.14.2 Figure 6-9; reference §1.2)', () => {
  it('no error code (ud2): RSP0 switch, SS:RSP of the user pushed, new SS = NULL, RF set (reference §8)', () => {
    const m = buildMachine({ user: 'nop\nud2' });
    m.toUser();
    runToVector(m, 6);
    expect(m.cpu.reg64(4)).toBe(KSTACK_TOP - 40);
    expect(frame(m, false)).toEqual({
      rip: u64(UTEXT + 1), cs: BigInt(USER_CS), rflags: BigInt(0x202 | F.RF), rsp: u64(USTACK_TOP), ss: BigInt(USER_DS),
    });
    expect(m.cpu.cs).toBe(KERNEL_CS);
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.ss).toBe(0); // NULL selector, RPL = new CPL (§6.14.4)
    expect(m.cpu.flags.get() & (F.IF | F.TF | F.RF | F.NT)).toBe(0); // interrupt gate
  });

  it('with error code (hlt at CPL 3 → #GP(0)): [rsp] = error code, RIP at the hlt, RF set (reference §8)', () => {
    const m = buildMachine({ user: 'hlt' });
    m.toUser();
    runToVector(m, 13);
    expect(m.cpu.reg64(4)).toBe(KSTACK_TOP - 48);
    expect(frame(m, true)).toEqual({
      error: 0n, rip: u64(UTEXT), cs: BigInt(USER_CS), rflags: BigInt(0x202 | F.RF), rsp: u64(USTACK_TOP), ss: BigInt(USER_DS),
    });
  });

  it('TSS.RSP0 ≡ 8 (mod 16) is aligned down before the pushes (§6.14.2)', () => {
    const m = buildMachine({ user: 'ud2', rsp0: KSTACK_TOP - 8 });
    m.toUser();
    runToVector(m, 6);
    expect(m.cpu.reg64(4)).toBe(KSTACK_TOP - 16 - 40);
    expect(frame(m, false).rsp).toBe(u64(USTACK_TOP));
  });
});

describe('frame layout from kernel mode: no stack switch, alignment (§6.14.2)', () => {
  it('RSP ≡ 8 (mod 16): the frame top is 16-aligned, the old RSP and SS are pushed as they were', () => {
    const m = buildMachine({ kernel: 'nop\nud2' });
    m.toKernel(KTEXT, 0x2, KRSP + 8);
    runToVector(m, 6);
    const sp = m.cpu.reg64(4);
    expect(sp).toBe(KRSP - 40);
    expect((((sp + 40) % 16) + 16) % 16).toBe(0); // the SS slot ends on a 16-byte boundary
    expect(frame(m, false)).toEqual({
      rip: u64(KTEXT + 1), cs: BigInt(KERNEL_CS), rflags: BigInt(0x2 | F.RF), rsp: u64(KRSP + 8), ss: BigInt(KERNEL_DS),
    });
    expect(m.cpu.ss).toBe(KERNEL_DS); // unchanged without a privilege change
  });

  it('with an error code the frame is one word longer; RSP already aligned stays', () => {
    const m = buildMachine({ kernel: 'movq $0, (%rax)', gates: {} });
    m.toKernel(KTEXT, 0x2, KRSP);
    runToVector(m, 14);
    expect(m.cpu.reg64(4)).toBe(KRSP - 48);
    const f = frame(m, true);
    expect(f.error).toBe(2n); // W, not present, supervisor (§4.7)
    expect(f.rsp).toBe(u64(KRSP));
    expect(m.cpu.cr2).toBe(0);
  });
});

describe('IST (§6.14.5)', () => {
  it('a gate with IST = n always switches to TSS.ISTn, also at CPL 0, aligned to 16', () => {
    const m = buildMachine({
      kernel: 'int $0x41',
      gates: { 0x41: { ist: 2 } },
      ist: { 2: IST_TOP[2] - 8 },
    });
    m.toKernel(KTEXT, 0x2, KRSP + 8);
    runToVector(m, 0x41);
    expect(m.cpu.reg64(4)).toBe(IST_TOP[2] - 16 - 40);
    expect(frame(m, false)).toMatchObject({ rip: u64(KTEXT + 2), cs: BigInt(KERNEL_CS), rsp: u64(KRSP + 8), ss: BigInt(KERNEL_DS) });
  });

  it('from user mode the IST wins over RSP0', () => {
    const m = buildMachine({ user: 'ud2', gates: { 6: { ist: 1 } } });
    m.toUser();
    runToVector(m, 6);
    expect(m.cpu.reg64(4)).toBe(IST_TOP[1] - 40);
    expect(frame(m, false).ss).toBe(BigInt(USER_DS));
    expect(m.cpu.ss).toBe(0);
  });
});

describe('interrupt gate vs trap gate (§6.12.1.3)', () => {
  for (const type of ['int', 'trap'] as const) {
    it(`${type} gate: IF ${type === 'int' ? 'cleared' : 'kept'}; TF, NT, RF cleared; pushed RFLAGS unchanged`, () => {
      const m = buildMachine({ user: 'int $0x80', gates: { 0x80: { type, dpl: 3 } } });
      m.toUser(UTEXT, 0x202 | F.NT | F.TF);
      runToVector(m, 0x80);
      expect(frame(m, false).rflags).toBe(BigInt(0x202 | F.NT | F.TF));
      expect(frame(m, false).rip).toBe(u64(UTEXT + 2));
      expect(m.cpu.flags.get() & (F.IF | F.TF | F.NT | F.RF)).toBe(type === 'int' ? 0 : F.IF);
    });
  }
});

describe('INT n / INT3 privilege check (§6.12.1.1; Vol. 2A "INT n"; reference §8)', () => {
  it('int $0x2d with a DPL-0 gate from CPL 3 → #GP(0x16a), RIP at the INT, RF set', () => {
    const m = buildMachine({ user: 'nop\nint $0x2d' });
    m.toUser();
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0x16an, rip: u64(UTEXT + 1), cs: BigInt(USER_CS), rflags: BigInt(0x202 | F.RF) });
  });

  it('int3 with a DPL-0 gate → #GP(3 × 8 + 2)', () => {
    const m = buildMachine({ user: 'int3' });
    m.toUser();
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0x1an, rip: u64(UTEXT) });
  });

  it('int $13 failing its DPL check is a plain #GP(0x6a), not #DF (Table 6-4: INT n is benign)', () => {
    const m = buildMachine({ user: 'int $13', gates: { 8: { ist: 1 } } });
    m.toUser();
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0x6an, rip: u64(UTEXT) });
  });

  it('int3 with a DPL-3 gate → #BP, RIP after it (+1), RF clear, no error code (reference §8)', () => {
    const m = buildMachine({ user: 'nop\nint3', gates: { 3: { dpl: 3 } } });
    m.toUser();
    runToVector(m, 3);
    expect(m.cpu.reg64(4)).toBe(KSTACK_TOP - 40);
    expect(frame(m, false)).toMatchObject({ rip: u64(UTEXT + 2), cs: BigInt(USER_CS), rflags: 0x202n });
  });

  it('the two-byte `int $3` (CD 03) and int $4 push RIP + 2', () => {
    const m = buildMachine({ user: '.byte 0xcd, 3', gates: { 3: { dpl: 3 } } });
    m.toUser();
    runToVector(m, 3);
    expect(frame(m, false).rip).toBe(u64(UTEXT + 2));
    const m4 = buildMachine({ user: 'int $4', gates: { 4: { dpl: 3 } } });
    m4.toUser();
    runToVector(m4, 4);
    expect(frame(m4, false)).toMatchObject({ rip: u64(UTEXT + 2), rflags: 0x202n });
  });

  it('at CPL 0 a DPL-0 gate is allowed', () => {
    const m = buildMachine({ kernel: 'int $0x2d' });
    m.toKernel();
    runToVector(m, 0x2d);
    expect(frame(m, false)).toMatchObject({ rip: u64(KTEXT + 2), cs: BigInt(KERNEL_CS) });
  });

  it('a gate whose target code segment has DPL > CPL → #GP(selector + EXT) (Vol. 2A "INT n": new code-segment DPL > CPL)', () => {
    // Software: EXT = 0; the #GP is a fault of the INT (RIP at it), delivered at CPL 0.
    const m = buildMachine({ kernel: 'int $0x50', gates: { 0x50: { selector: USER_CS } } });
    m.toKernel();
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0x30n, rip: u64(KTEXT), cs: BigInt(KERNEL_CS) });
    // Hardware exception: EXT = 1.
    const m2 = buildMachine({ kernel: 'ud2', gates: { 6: { selector: USER_CS } } });
    m2.toKernel();
    runToVector(m2, 13);
    expect(frame(m2, true)).toMatchObject({ error: 0x31n, rip: u64(KTEXT), cs: BigInt(KERNEL_CS) });
    expect(m2.cpu.cpl).toBe(0);
  });

  it('a not-present gate → #NP(vector × 8 + 2 + EXT)', () => {
    const m = buildMachine({ user: 'ud2', gates: { 6: { present: false } } });
    m.toUser();
    runToVector(m, 11);
    // #UD is benign: the #NP is delivered serially (Table 6-5), EXT = 1 (hardware event).
    expect(frame(m, true)).toMatchObject({ error: BigInt(6 * 8 + 2 + 1), rip: u64(UTEXT) });
  });
});

describe('#PF error code and CR2 through delivery (§4.7, §6.15 "#PF")', () => {
  const cases: [string, string, bigint, number][] = [
    ['user read of an unmapped page', 'movabs $0x10000000, %rax\nmovq (%rax), %rbx', 0x4n, 0x1000_0000],
    ['user write to a read-only page', `movabs $${UDATA_RO}, %rax\nmovq %rbx, (%rax)`, 0x7n, UDATA_RO],
    ['user read of a supervisor page', `movabs $${u64(KSTACK_TOP - 8)}, %rax\nmovq (%rax), %rbx`, 0x5n, KSTACK_TOP - 8],
  ];
  for (const [name, code, err, addr] of cases) {
    it(`${name}: error ${err}, CR2, RIP at the access, RF set`, () => {
      const m = buildMachine({ user: code });
      m.toUser();
      runToVector(m, 14);
      const f = frame(m, true);
      expect(f.error).toBe(err);
      expect(f.rip).toBe(u64(UTEXT + 10)); // after the 10-byte movabs
      expect(f.rflags).toBe(BigInt(0x202 | F.RF));
      expect(m.cpu.cr2).toBe(addr);
    });
  }

  it('user fetch from an XD page: I/D (bit 4) | U | P = 0x15, RIP = CR2 = the target', () => {
    const m = buildMachine({ user: `movabs $${UDATA}, %rax\njmp *%rax` });
    m.toUser();
    runToVector(m, 14);
    expect(frame(m, true)).toMatchObject({ error: 0x15n, rip: u64(UDATA) });
    expect(m.cpu.cr2).toBe(UDATA);
  });
});

describe('double fault and triple fault (§6.15 "#DF", Tables 6-4 and 6-5)', () => {
  it('#PF while pushing the frame (unmapped RSP0) → #PF again → #DF(0) on its IST stack; CR2 = the push address', () => {
    const rsp0 = UNMAPPED + 0x1000;
    const m = buildMachine({ user: 'ud2', rsp0, gates: { 8: { ist: 1 } } });
    m.toUser();
    runToVector(m, 8);
    expect(m.cpu.reg64(4)).toBe(IST_TOP[1] - 48);
    expect(frame(m, true).error).toBe(0n);
    expect(m.cpu.cr2).toBe(rsp0 - 8);
  });

  it('a user #PF whose delivery pushes into an unmapped RSP0 → #DF(0)', () => {
    const rsp0 = UNMAPPED + 0x2000;
    const m = buildMachine({ user: 'movabs $0x10000000, %rax\nmovq (%rax), %rbx', rsp0, gates: { 8: { ist: 1 } } });
    m.toUser();
    runToVector(m, 8);
    expect(frame(m, true).error).toBe(0n);
    expect(m.cpu.cr2).toBe(rsp0 - 8);
  });

  it('contributory then contributory: #GP whose gate is not present → #NP → #DF(0)', () => {
    const m = buildMachine({ user: 'hlt', gates: { 13: { present: false }, 8: { ist: 1 } } });
    m.toUser();
    runToVector(m, 8);
    expect(frame(m, true).error).toBe(0n);
  });

  it('page fault then contributory: #PF whose gate is not present → #NP → #DF(0)', () => {
    const m = buildMachine({ user: 'movabs $0x10000000, %rax\nmovq (%rax), %rbx', gates: { 14: { present: false }, 8: { ist: 1 } } });
    m.toUser();
    runToVector(m, 8);
    expect(frame(m, true).error).toBe(0n);
    expect(m.cpu.cr2).toBe(0x1000_0000);
  });

  it('contributory then page fault: handled serially (#PF delivered, not #DF)', () => {
    // #GP from user; its gate is an IST gate whose stack is unmapped → #PF; the #PF uses RSP0.
    const m = buildMachine({ user: 'hlt', gates: { 13: { ist: 3 } }, ist: { 3: UNMAPPED + 0x1000 } });
    m.toUser();
    runToVector(m, 14);
    expect(frame(m, true)).toMatchObject({ error: 0x2n, rip: u64(UTEXT), cs: BigInt(USER_CS) });
    expect(m.cpu.cr2).toBe(UNMAPPED + 0x1000 - 8);
  });

  it('a fault while delivering #DF is a triple fault: the CPU exits', () => {
    const m = buildMachine({ user: 'ud2', rsp0: UNMAPPED + 0x1000 }); // #DF gate without IST: same bad stack
    m.toUser();
    const exit = m.cpu.run(100);
    expect(exit.kind).toBe('triple-fault');
  });

  it('a not-present #DF gate is also a triple fault', () => {
    const m = buildMachine({ user: 'hlt', gates: { 13: { present: false }, 8: { present: false } } });
    m.toUser();
    expect(m.cpu.run(100).kind).toBe('triple-fault');
  });
});
