/**
 * SYSCALL / SYSRET: a full user → kernel stub (swapgs, stack switch, frame
 * push) → user round trip, the selector arithmetic on STAR, FMASK, RCX/R11,
 * the #UD/#GP cases, and single-step across the pair.
 *
 * Expected values come from Intel SDM Vol. 2B "SYSCALL" and "SYSRET"
 * (Operation sections) and reference §1.5; never from the model's output.
 */
import { describe, expect, it } from 'vitest';
import {
  F, HOST, KDATA, KERNEL_CS, KERNEL_DS, KSTACK_TOP, KTEXT, LINUX_FMASK, PERCPU, R11, R12, RAX, RBP, RCX, RSP,
  USER_CS, USER_DS, USTACK_TOP, UTEXT, buildMachine, frame, reg, runToVector, setReg, u64,
} from './machine.js';

/** A Linux-like entry stub (reference §1.5 "What the entry code does"), returning with SYSRETQ. */
const SYSCALL_STUB = `
entry_syscall:
  swapgs
  movq %rsp, %gs:0x10
  movq %gs:0x8, %rsp
  pushq $0x2b
  pushq %gs:0x10
  pushq %r11
  pushq $0x33
  pushq %rcx
  pushfq
  popq %gs:0x18
  movq %rsp, %gs:0x20
  movq %gs:0x0, %rbp
  popq %rcx
  addq $8, %rsp
  popq %r11
  popq %rsp
  swapgs
  sysretq
`;

/** #DB handler: logs the frame's RIP and CS at (%r12), then IRETQ. */
const DB_LOGGER = `
db_handler:
  movq (%rsp), %rax
  movq %rax, (%r12)
  movq 8(%rsp), %rax
  movq %rax, 8(%r12)
  addq $16, %r12
  iretq
`;

const STUB_STACK_TOP = KSTACK_TOP - 0x800;

function syscallMachine(user: string, kernelExtra = '') {
  const m = buildMachine({
    kernel: SYSCALL_STUB + DB_LOGGER + kernelExtra,
    user,
    gates: { 3: { dpl: 3 }, 1: { target: 'db_handler', ist: 3 } },
  });
  m.cpu.lstar = m.k('entry_syscall');
  m.kwrite(PERCPU, u64(PERCPU)); // self pointer
  m.kwrite(PERCPU + 8, u64(STUB_STACK_TOP)); // the stub's stack (below RSP0's frames)
  m.cpu.gsBase = 0x7000_1000; // the user's GS base
  return m;
}

describe('SYSCALL → kernel stub → SYSRETQ round trip (SDM Vol. 2B SYSCALL/SYSRET; reference §1.5)', () => {
  const user = `
    pushq $0xed7
    popfq
    movq $0x1111, %rcx
    movq $0x2222, %r11
    movq $39, %rax
  sys:
    syscall
  after:
    int3
  `;

  it('RCX = next RIP, R11 = RFLAGS, RFLAGS &= ~FMASK, CS/SS from STAR[47:32], RSP unchanged; SYSRET restores', () => {
    const m = syscallMachine(user);
    m.toUser();
    runToVector(m, 3);
    const { cpu } = m;
    // In the kernel: the stub's frame at STUB_STACK_TOP - 40 (5 pushes).
    expect(m.kread(PERCPU + 0x20)).toBe(u64(STUB_STACK_TOP - 40));
    expect(m.stack(5, STUB_STACK_TOP - 40)).toEqual([u64(m.u('after')), 0x33n, 0xed7n, u64(USTACK_TOP), 0x2bn]);
    // RFLAGS in the kernel: 0xed7 & ~FMASK(0x257fd5) = bit 1 only.
    expect(m.kread(PERCPU + 0x18)).toBe(0x2n);
    // SWAPGS made GS.base = KERNEL_GS_BASE (the per-CPU area) inside the kernel.
    expect(reg(cpu, RBP)).toBe(u64(PERCPU));
    // After SYSRETQ: RCX and R11 as SYSCALL left them; CS = STAR[63:48] + 16 | 3, SS = + 8 | 3.
    expect(reg(cpu, RCX)).toBe(u64(m.u('after')));
    expect(reg(cpu, R11)).toBe(0xed7n);
    expect(reg(cpu, RAX)).toBe(39n);
    expect(cpu.gsBase).toBe(0x7000_1000);
    expect(cpu.kernelGsBase).toBe(PERCPU);
    // The int3 frame (on RSP0) shows the user state SYSRET produced.
    const f = frame(m, false);
    expect(f.rip).toBe(u64(m.u('after') + 1));
    expect(f.cs).toBe(BigInt(USER_CS));
    expect(f.ss).toBe(BigInt(USER_DS));
    expect(f.rsp).toBe(u64(USTACK_TOP));
    expect(f.rflags).toBe(0xed7n); // (R11 & 0x3C7FD7) | 2
  });

  it('SYSCALL: CS = STAR[47:32] & 0xFFFC, SS = STAR[47:32] + 8, RIP = LSTAR, CPL 0; nothing pushed', () => {
    const m = buildMachine({ user: 'syscall' });
    m.cpu.lstar = HOST + 0x800;
    m.cpu.starHi = (0x23 << 16) | 0x13; // RPL bits set in STAR[47:32]
    m.toUser(UTEXT, 0x10202); // RF and IF set
    const exit = m.cpu.run(10);
    expect(exit).toEqual({ kind: 'hostcall', address: HOST + 0x800 });
    expect(m.cpu.cs).toBe(0x10);
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.ss).toBe(0x1b);
    expect(m.cpu.reg64(RSP)).toBe(USTACK_TOP);
    expect(reg(m.cpu, RCX)).toBe(u64(UTEXT + 2));
    // R11 = RFLAGS with RF cleared (reference §1.5 / entry_64.S header: "clears rflags.RF, then saves rflags to r11").
    expect(reg(m.cpu, R11)).toBe(0x202n);
    expect(m.cpu.flags.get()).toBe(0x2); // IF masked by Linux's FMASK; RF cleared
  });

  it('SYSCALL applies exactly FMASK (bits not in FMASK survive)', () => {
    const m = buildMachine({ user: 'pushq $0x8c3\npopfq\nsyscall' });
    m.cpu.lstar = HOST + 0x800;
    m.cpu.fmask = F.CF | F.OF; // clear CF and OF only
    m.toUser();
    m.cpu.run(10);
    // POPF at CPL 3 with IOPL 0 leaves IF (set) alone (SDM Vol. 2B "POPF"): RFLAGS = 0xac3.
    expect(reg(m.cpu, R11)).toBe(0xac3n);
    expect(m.cpu.flags.get()).toBe(0xac3 & ~(F.CF | F.OF));
  });

  it('SYSRETQ: CS = STAR[63:48] + 16 | 3, SS = STAR[63:48] + 8 | 3, no descriptor check; RFLAGS = (R11 & 0x3C7FD7) | 2', () => {
    const m = buildMachine({
      kernel: 'movabs $0x400000, %rcx\nmovq $-257, %r11\nsysretq', // R11 = ~TF
      user: 'int3',
      gates: { 3: { dpl: 3 } },
    });
    m.cpu.starHi = (0x40 << 16) | 0x10;
    m.toKernel();
    runToVector(m, 3);
    const f = frame(m, false);
    expect(f.cs).toBe(0x53n);
    expect(f.ss).toBe(0x4bn);
    expect(f.rip).toBe(u64(UTEXT + 1));
    expect(f.rflags).toBe(BigInt((~0x100 & 0x3c7fd7) | 2));
  });

  it('SYSRETQ with a non-canonical RCX: #GP(0) at CPL 0, frame shows the kernel CS (reference §1.5 condition 4)', () => {
    const m = buildMachine({
      kernel: `
        movabs $0x0000800000000000, %rcx
        movq $0x202, %r11
      sr:
        sysretq`,
    });
    m.toKernel();
    runToVector(m, 13);
    const f = frame(m, true);
    expect(f.error).toBe(0n);
    expect(f.rip).toBe(u64(m.k('sr')));
    expect(f.cs).toBe(BigInt(KERNEL_CS));
    expect(f.ss).toBe(BigInt(KERNEL_DS));
    expect(f.rsp).toBe(u64(KSTACK_TOP - 0x1000));
    expect(m.cpu.cpl).toBe(0);
  });

  it('SYSRET at CPL 3 is #GP(0); SYSCALL with EFER.SCE = 0 is #UD', () => {
    const m = buildMachine({ user: 'sysretq' });
    m.toUser();
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0n, rip: u64(UTEXT), cs: 0x33n });

    const m2 = buildMachine({ user: 'syscall' });
    m2.cpu.mmu.setEfer(m2.cpu.mmu.efer & ~1);
    m2.toUser();
    runToVector(m2, 6);
    expect(frame(m2, false)).toMatchObject({ rip: u64(UTEXT), cs: 0x33n });
  });
});

describe('single-step across SYSCALL/SYSRET (SDM Vol. 3A §18.3.1.4; XSA-204; Linux syscall_64.c)', () => {
  // The SDM's general rule is a trap after every instruction that *began* with TF = 1.
  // SYSCALL and SYSRET are the documented-by-practice exception: the trap follows the
  // TF *resulting* from the instruction (Xen XSA-204: "A singlestep #DB is determined by
  // the resulting eflags value from the execution of SYSCALL"; Linux syscall_64.c:
  // "restoring TF [with SYSRET] results in a trap from userspace immediately after
  // SYSRET"). Reference §8 agrees: "SYSCALL itself produces no extra trap".
  const user = `
    pushfq
    orq $0x100, (%rsp)
    popfq
    nop
  s:
    syscall
  a:
    nop
  b:
    int3
  `;

  it('FMASK clears TF: no #DB in the kernel; SYSRET loading TF traps before the next user instruction', () => {
    const m = syscallMachine(user);
    m.toUser();
    setReg(m.cpu, R12, KDATA);
    runToVector(m, 3);
    const log = m.stack(6, KDATA);
    expect(reg(m.cpu, R12)).toBe(u64(KDATA + 48));
    expect(log).toEqual([u64(m.u('s')), 0x33n, u64(m.u('a')), 0x33n, u64(m.u('b')), 0x33n]);
  });

  it('FMASK leaves TF set: the #DB arrives in kernel mode at LSTAR, before the first kernel instruction', () => {
    const m = syscallMachine(user);
    m.cpu.fmask = F.IF;
    m.setGate(1, { ist: 3 }); // to the host-call range
    m.toUser();
    runToVector(m, 1); // the trap after `nop` (RIP = s)
    expect(frame(m, false).rip).toBe(u64(m.u('s')));
    // Resume as the handler's IRETQ would: back to user mode at s with TF set.
    m.toUser(m.u('s'), 0x302);
    runToVector(m, 1);
    const f = frame(m, false);
    expect(f.rip).toBe(u64(m.k('entry_syscall')));
    expect(f.cs).toBe(BigInt(KERNEL_CS));
    expect(f.ss).toBe(BigInt(KERNEL_DS)); // STAR[47:32] + 8
    expect(f.rsp).toBe(u64(USTACK_TOP)); // SYSCALL does not touch RSP
    expect(f.rflags & BigInt(F.TF)).toBe(BigInt(F.TF));
    expect(reg(m.cpu, R11) & BigInt(F.TF)).toBe(BigInt(F.TF));
    expect(KTEXT).toBeLessThan(0);
  });
});
