/**
 * Events at instruction boundaries and returns from them: NMI delivery and
 * blocking until IRETQ, maskable interrupts held by IF = 0 and the STI
 * shadow, external vectors without an error code, TF single-step (POPF that
 * sets / clears TF), RF set by IRETQ, and IRETQ to CPL 3 and CPL 0.
 *
 * Sources: Intel SDM Vol. 3A §6.7.1 (NMI blocking), §6.8.1/§6.8.3 (IF, STI
 * shadow), §6.9 Table 6-2 (priorities), §6.13 (no error code for external
 * interrupts), §18.3.1.1 (RF), §18.3.1.4 (single-step), Vol. 2A "IRET" and
 * "STI"; reference §1.2 and §8.
 */
import { describe, expect, it } from 'vitest';
import {
  F, HOST, IST_TOP, KDATA, KERNEL_CS, KERNEL_DS, KSTACK_TOP, KTEXT, R12, R14, RAX, RBX, RCX, USER_CS, USER_DS,
  USTACK_TOP, UTEXT, buildMachine, frame, reg, runToVector, setReg, u64,
} from './machine.js';

const KRSP = KSTACK_TOP - 0x1000;

describe('NMI (§6.7.1: blocked from delivery until the next IRET)', () => {
  const kernel = `
  main:
    incq %rax
    jmp main
  nmi:
    incq %r14
    nop
    nop
  nmi_iret:
    iretq
  `;

  it('delivered once at a boundary; a second NMI is held until IRETQ, then delivered', () => {
    const m = buildMachine({ kernel, gates: { 2: { target: 'nmi', ist: 2 } } });
    const { cpu } = m;
    m.toKernel(m.k('main'), 0x202, KRSP);
    cpu.run(3);
    cpu.injectNmi();
    cpu.run(1); // NMI delivered, then `incq %r14`
    expect(reg(cpu, R14)).toBe(1n);
    expect(cpu.nmiBlocked).toBe(true);
    expect(cpu.reg64(4)).toBe(IST_TOP[2] - 40); // no error code
    const first = frame(m, false);
    expect(first.cs).toBe(BigInt(KERNEL_CS));
    expect(first.rsp).toBe(u64(KRSP));
    expect(first.ss).toBe(BigInt(KERNEL_DS));
    expect(cpu.flags.get() & F.IF).toBe(0); // interrupt gate

    cpu.injectNmi();
    cpu.run(2); // the two nops: still in the handler, NMI held
    expect(reg(cpu, R14)).toBe(1n);
    expect(cpu.rip).toBe(m.k('nmi_iret'));
    cpu.run(1); // IRETQ: unblocks
    expect(cpu.nmiBlocked).toBe(false);
    expect(u64(cpu.rip)).toBe(first.rip);
    cpu.run(1); // the held NMI, then `incq %r14`
    expect(reg(cpu, R14)).toBe(2n);
    expect(frame(m, false).rip).toBe(first.rip);
    cpu.run(3);
    cpu.run(10); // back in main: no further NMI
    expect(reg(cpu, R14)).toBe(2n);
  });

  it('NMI is not masked by IF = 0', () => {
    const m = buildMachine({ kernel });
    m.toKernel(m.k('main'), 0x2, KRSP);
    m.cpu.injectNmi();
    runToVector(m, 2);
    expect(frame(m, false).rip).toBe(u64(m.k('main')));
  });

  it('an IRETQ that faults still unblocks NMIs (§6.7.1)', () => {
    const m = buildMachine({ kernel: 'pushq $0\npushq $0\npushq $2\npushq $0\npushq $0\niretq' }); // CS = 0
    m.toKernel(KTEXT, 0x2, KRSP);
    m.cpu.nmiBlocked = true;
    runToVector(m, 13);
    expect(frame(m, true).error).toBe(0n);
    expect(m.cpu.nmiBlocked).toBe(false);
  });
});

describe('maskable interrupts (§6.8.1, §6.8.3, §6.13)', () => {
  it('held while IF = 0; after STI, held for one more instruction (the STI shadow)', () => {
    const m = buildMachine({ kernel: 'nop\nnop\nsti\ninc %rbx\nafter:\ninc %rcx\nhlt' });
    m.toKernel(KTEXT, 0x2, KRSP);
    m.cpu.injectInterrupt(0x30);
    runToVector(m, 0x30);
    expect(reg(m.cpu, RBX)).toBe(1n);
    expect(reg(m.cpu, RCX)).toBe(0n);
    const f = frame(m, false);
    expect(f.rip).toBe(u64(m.k('after')));
    expect(f.rflags).toBe(0x202n);
    expect(m.cpu.reg64(4)).toBe(KRSP - 40);
  });

  it('held across CLI … STI', () => {
    const m = buildMachine({ kernel: 'cli\ninc %rbx\ninc %rbx\nsti\nnop\nafter:\nnop' });
    m.toKernel(KTEXT, 0x202, KRSP);
    m.cpu.run(1); // cli
    m.cpu.injectInterrupt(0x31);
    runToVector(m, 0x31);
    expect(reg(m.cpu, RBX)).toBe(2n);
    expect(frame(m, false).rip).toBe(u64(m.k('after')));
  });

  it('an external interrupt on vector 14 pushes no error code (§6.13) and no RF', () => {
    const m = buildMachine({ kernel: 'nop\nnext:\nnop' });
    m.toKernel(KTEXT, 0x202, KRSP);
    m.cpu.run(1);
    m.cpu.injectInterrupt(14);
    runToVector(m, 14);
    expect(m.cpu.reg64(4)).toBe(KRSP - 40);
    expect(frame(m, false)).toEqual({
      rip: u64(m.k('next')), cs: BigInt(KERNEL_CS), rflags: 0x202n, rsp: u64(KRSP), ss: BigInt(KERNEL_DS),
    });
  });

  it('from user mode: delivered on RSP0 with the user SS:RSP', () => {
    const m = buildMachine({ user: 'nop\nnext:\nnop' });
    m.toUser();
    m.cpu.run(1);
    m.cpu.injectInterrupt(0x40);
    runToVector(m, 0x40);
    expect(frame(m, false)).toEqual({
      rip: u64(m.u('next')), cs: BigInt(USER_CS), rflags: 0x202n, rsp: u64(USTACK_TOP), ss: BigInt(USER_DS),
    });
  });
});

describe('single-step (§18.3.1.4; reference §8)', () => {
  const DB_LOGGER = `
  db_handler:
    movq (%rsp), %rax
    movq %rax, (%r12)
    movq 8(%rsp), %rax
    movq %rax, 8(%r12)
    movq 16(%rsp), %rax
    movq %rax, 16(%r12)
    addq $24, %r12
    iretq
  `;
  const user = `
    pushfq
    orq $0x100, (%rsp)
    popfq
  n1:
    nop
  n2:
    pushfq
  n3:
    andq $-257, (%rsp)
  n4:
    popfq
  n5:
    nop
    int3
  `;

  it('no trap after the POPF that sets TF; a trap after each later instruction, including the POPF that clears it', () => {
    const m = buildMachine({ kernel: DB_LOGGER, user, gates: { 1: { target: 'db_handler', ist: 3 }, 3: { dpl: 3 } } });
    m.toUser();
    setReg(m.cpu, R12, KDATA);
    runToVector(m, 3);
    const n = Number(reg(m.cpu, R12) - u64(KDATA)) / 24;
    const log = m.stack(n * 3, KDATA);
    const tf = BigInt(0x202 | F.TF);
    expect(log).toEqual([
      u64(m.u('n2')), 0x33n, tf,
      u64(m.u('n3')), 0x33n, tf,
      u64(m.u('n4')), 0x33n, tf,
      u64(m.u('n5')), 0x33n, 0x202n,
    ]);
    // The int3 frame: TF clear, RIP after int3.
    expect(frame(m, false).rflags).toBe(0x202n);
  });

  it('the #DB trap frame: RIP of the next instruction, RF clear, no error code; TF cleared in the handler', () => {
    const m = buildMachine({ user: 'nop\nnext:\nnop', gates: { 1: { ist: 3 } } });
    m.toUser(UTEXT, 0x302);
    runToVector(m, 1);
    expect(m.cpu.reg64(4)).toBe(IST_TOP[3] - 40);
    expect(frame(m, false)).toEqual({
      rip: u64(m.u('next')), cs: BigInt(USER_CS), rflags: 0x302n, rsp: u64(USTACK_TOP), ss: BigInt(USER_DS),
    });
    expect(m.cpu.flags.get() & F.TF).toBe(0);
  });

  it('an instruction that faults with TF = 1 gets its fault, not a single-step trap', () => {
    const m = buildMachine({ user: 'ud2', gates: { 1: { ist: 3 } } });
    m.toUser(UTEXT, 0x302);
    runToVector(m, 6);
    expect(frame(m, false)).toMatchObject({ rip: u64(UTEXT), rflags: BigInt(0x302 | F.RF) });
  });

  it('the single-step trap is delivered before a pending interrupt (Table 6-2: priority 4 before 6)', () => {
    const m = buildMachine({ user: 'nop\nnop', gates: { 1: { ist: 3 } } });
    m.toUser(UTEXT, 0x302);
    m.cpu.injectInterrupt(0x30); // IF = 1: delivered at the first boundary, before any instruction
    runToVector(m, 0x30);
    expect(frame(m, false).rip).toBe(u64(UTEXT));
  });
});

describe('RF (§18.3.1.1)', () => {
  const kernel = `
    movq %rsp, %rax
    pushq $0x18
    pushq %rax
    pushq $0x10202
    pushq $0x10
    leaq target(%rip), %rax
    pushq %rax
    iretq
  target:
    nop
    nop
  `;
  for (const masked of [false, true]) {
    it(`IRETQ loading RF = 1 keeps it until the next instruction completes${masked ? ' (IRETQ on the careful path)' : ''}`, () => {
      const m = buildMachine({ kernel });
      m.toKernel(KTEXT, 0x2, KRSP);
      if (masked) m.cpu.injectInterrupt(0x30); // pending with IF = 0 until the IRETQ sets IF
      else m.cpu.run(7);
      if (!masked) {
        m.cpu.run(1); // iretq
        expect(m.cpu.rip).toBe(m.k('target'));
        expect(m.cpu.flags.get() & F.RF).toBe(F.RF);
        m.cpu.injectInterrupt(0x30);
      }
      runToVector(m, 0x30);
      // Delivered before `target` runs: the pushed RFLAGS still has RF.
      expect(frame(m, false)).toMatchObject({ rip: u64(m.k('target')), rflags: BigInt(0x202 | F.RF) });
    });
  }

  it('RF is cleared once the instruction after the IRETQ completes', () => {
    const m = buildMachine({ kernel });
    m.toKernel(KTEXT, 0x2, KRSP);
    m.cpu.run(8);
    expect(m.cpu.flags.get() & F.RF).toBe(F.RF);
    m.cpu.run(1);
    expect(m.cpu.flags.get() & F.RF).toBe(0);
  });
});

describe('IRETQ (Vol. 2A "IRET", IA-32e mode: RIP, CS, RFLAGS, RSP, SS always popped)', () => {
  it('to CPL 3: CS, SS and RSP from the frame', () => {
    const m = buildMachine({
      kernel: `pushq $0x2b\npushq $${USTACK_TOP - 0x100}\npushq $0x246\npushq $0x33\npushq $${UTEXT}\niretq`,
      user: 'int3',
      gates: { 3: { dpl: 3 } },
    });
    m.toKernel(KTEXT, 0x2, KRSP);
    runToVector(m, 3);
    expect(frame(m, false)).toEqual({
      rip: u64(UTEXT + 1), cs: 0x33n, rflags: 0x246n, rsp: u64(USTACK_TOP - 0x100), ss: 0x2bn,
    });
  });

  it('to CPL 0: RSP and SS are popped too (SS may be NULL at CPL 0)', () => {
    const m = buildMachine({
      kernel: `
        movq %rsp, %rbx
        subq $0x200, %rbx
        pushq $0
        pushq %rbx
        pushq $0x2
        pushq $0x10
        leaq target(%rip), %rax
        pushq %rax
        iretq
      target:
        ud2`,
    });
    m.toKernel(KTEXT, 0x2, KRSP);
    runToVector(m, 6);
    expect(m.cpu.ss).toBe(0);
    expect(m.cpu.reg64(4)).toBe(KRSP - 0x200 - 40);
    expect(frame(m, false)).toEqual({
      rip: u64(m.k('target')), cs: BigInt(KERNEL_CS), rflags: BigInt(0x2 | F.RF), rsp: u64(KRSP - 0x200), ss: 0n,
    });
  });

  it('to CPL 3 with a NULL SS → #GP(0)', () => {
    const m = buildMachine({ kernel: `pushq $0\npushq $${USTACK_TOP}\npushq $0x202\npushq $0x33\npushq $${UTEXT}\nir:\niretq` });
    m.toKernel(KTEXT, 0x2, KRSP);
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0n, rip: u64(m.k('ir')), cs: BigInt(KERNEL_CS) });
    expect(m.cpu.cpl).toBe(0);
  });

  it('from CPL 3 to a CS with RPL < CPL → #GP(CS selector)', () => {
    const m = buildMachine({ user: 'pushq $0x18\npushq %rsp\npushq $0x202\npushq $0x10\npushq $0\niretq' });
    m.toUser();
    runToVector(m, 13);
    expect(frame(m, true).error).toBe(0x10n);
  });

  it('at CPL 3 (IOPL 0), IRETQ changes neither IF nor IOPL', () => {
    const m = buildMachine({
      user: `movq %rsp, %rax\npushq $0x2b\npushq %rax\npushq $0x3002\npushq $0x33\nleaq t(%rip), %rax\npushq %rax\niretq\nt:\nint3`,
      gates: { 3: { dpl: 3 } },
    });
    m.toUser();
    runToVector(m, 3);
    expect(frame(m, false).rflags).toBe(0x202n);
  });

  it('with RFLAGS.NT = 1 → #GP(0) (IA-32e mode: no task return)', () => {
    const m = buildMachine({ kernel: 'pushq $0x18\npushq %rsp\npushq $2\npushq $0x10\npushq $0\niretq' });
    m.toKernel(KTEXT, 0x2 | F.NT, KRSP);
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0n, rflags: BigInt(0x2 | F.NT | F.RF) });
  });
});

describe('HLT (Vol. 2A "HLT"; reference §8)', () => {
  it('at CPL 0: a halt exit with RIP after the HLT', () => {
    const m = buildMachine({ kernel: 'nop\nhlt\nafter:\nnop' });
    m.toKernel();
    expect(m.cpu.run(100)).toEqual({ kind: 'halt' });
    expect(m.cpu.rip).toBe(m.k('after'));
  });

  it('at CPL 3: #GP(0) at the HLT', () => {
    const m = buildMachine({ user: 'hlt' });
    m.toUser();
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0n, rip: u64(UTEXT) });
    expect(HOST).toBeLessThan(0);
    expect(reg(m.cpu, RAX)).toBe(0n);
  });
});
