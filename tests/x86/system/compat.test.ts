/**
 * Compatibility mode (IA-32e mode with CS.L = 0): IRETQ from CPL 0 to
 * 32- and 16-bit code with 32- and 16-bit stack segments from the GDT and
 * the LDT, the int3 trampoline of tools/testing/selftests/x86/sigreturn.c
 * (`mov %ss,%ecx; int3`) and the #BP frame it produces, IRET faults as
 * ordinary #GP/#NP/#SS of the IRET in kernel mode, a little 32- and 16-bit
 * code (stack, call/ret, branches, INC/DEC 40-4F, segment bases and
 * limits), and #UD for what compatibility mode does not model.
 *
 * Sources: SDM Vol. 2A "IRET/IRETD/IRETQ" Operation (IA-32e mode), Vol. 3A
 * §5.2.1 (CS.L/CS.D), §5.3 (limit checks), §6.14.2 (the 64-bit frame pushed
 * for events from compatibility mode), §3.4.5 (SS.B); Linux
 * arch/x86/kernel/espfix_64.c (why RSP[31:16] survive a 16-bit-SS IRET).
 */
import { describe, expect, it } from 'vitest';
import { segDesc } from './descriptor-builder.js';
import {
  GDT, KDATA, KSTACK_TOP, KTEXT, RAX, RBX, RCX, RDX, UDATA, UTEXT, buildMachine, frame, reg, runToVector, setReg, u64,
  type Machine,
} from './machine.js';

const USER32_CS = 0x23;
const USER_DS = 0x2b;
const USER_CS = 0x33;
const KERNEL_CS = 0x10;
const LDT_BASE = KDATA;
/** LDT entries (RPL 3, TI = 1), as sigreturn.c's setup_ldt makes them. */
const CODE16 = (6 << 3) | 7;
const DATA16 = (7 << 3) | 7;
const NONEXISTENT = (8 << 3) | 7;
const NPCODE32 = (9 << 3) | 7;
const NPDATA32 = (10 << 3) | 7;
const TRAMPOLINE = UTEXT + 0x100;
const RSP_REQUESTED = 0x8bad_f00d_5aad_c0den;

/** `mov %ss,%ecx; int3` (8C D1 CC) at TRAMPOLINE; `bytes` (hex) at UTEXT. */
function machine(bytes = ''): Machine {
  const hex = (s: string): string => (s.replace(/\s+/g, '').match(/../g) ?? ['90']).map((b) => `0x${b}`).join(', ');
  const m = buildMachine({
    kernel: 'f: iretq',
    user: `.byte ${hex(bytes || '90')}\n.balign 256, 0x90\n.byte 0x8c, 0xd1, 0xcc`,
    gates: { 3: { dpl: 3 } },
  });
  const ldt: Record<number, bigint> = {
    6: segDesc(TRAMPOLINE, 0xfff, 0xa, { dpl: 3 }), // code16: 16-bit, base = the trampoline
    7: segDesc(UDATA, 0xffff, 0x2, { dpl: 3 }), // data16: B = 0
    9: segDesc(TRAMPOLINE, 0xfff, 0xa, { dpl: 3, db: 1, p: 0 }),
    10: segDesc(UDATA, 0xffff, 0x2, { dpl: 3, db: 1, p: 0 }),
  };
  for (const [i, v] of Object.entries(ldt)) m.kwrite(LDT_BASE + Number(i) * 8, v);
  m.cpu.ldtr = 0x50;
  m.cpu.ldtBase = LDT_BASE;
  m.cpu.ldtLimit = 11 * 8 - 1;
  return m;
}

/** Kernel RSP for the IRET frame: a 64 KiB-unaligned address so RSP[31:16] are visible. */
const FRAME = KSTACK_TOP - 0x800;

/** Runs `iretq` at CPL 0 with the frame RIP, CS, RFLAGS, RSP, SS. */
function iret(m: Machine, rip: number, cs: number, ss: number, rsp = RSP_REQUESTED, rflags = 0x202): void {
  [BigInt(rip), BigInt(cs), BigInt(rflags), rsp, BigInt(ss)].forEach((v, i) => m.kwrite(FRAME + 8 * i, v));
  m.toKernel(KTEXT, 0x2, FRAME);
  setReg(m.cpu, RCX, 0);
}

describe('IRETQ to compatibility mode and the selftest trampoline', () => {
  const cases: [string, number, number, number][] = [
    ['32-bit CS (GDT), 32-bit SS', USER32_CS, USER_DS, TRAMPOLINE],
    ['16-bit CS (LDT, base = trampoline), 32-bit SS', CODE16, USER_DS, 0],
  ];
  for (const [what, cs, ss, rip] of cases) {
    it(`${what}: runs mov %ss,%ecx; int3 — #BP frame with EIP after the CC, zero-extended, CS, ESP (zero-extended), SS`, () => {
      const m = machine();
      iret(m, rip, cs, ss);
      runToVector(m, 3);
      expect(frame(m, false)).toEqual({ rip: BigInt(rip + 3), cs: BigInt(cs), rflags: 0x202n, rsp: RSP_REQUESTED & 0xffff_ffffn, ss: BigInt(ss) });
      expect(reg(m.cpu, RCX) & 0xffffn).toBe(BigInt(ss));
      expect(m.cpu.codeBits).toBe(64); // delivery went back to 64-bit mode
      expect(m.cpu.cs).toBe(KERNEL_CS);
    });
  }
  it('a 16-bit SS (LDT data16) with compatibility-mode CS: only SP is loaded, RSP[63:16] keep the kernel RSP', () => {
    for (const [cs, rip] of [[USER32_CS, TRAMPOLINE], [CODE16, 0]] as const) {
      const m = machine();
      iret(m, rip, cs, DATA16);
      runToVector(m, 3);
      const f = frame(m, false);
      expect(f.rsp).toBe((u64(FRAME) & ~0xffffn) | 0xc0den);
      expect(f.ss).toBe(BigInt(DATA16));
      expect(reg(m.cpu, RCX) & 0xffffn).toBe(BigInt(DATA16));
    }
  });
  it('a 16-bit SS with a 64-bit CS: the SS size does not matter, RSP is loaded whole', () => {
    const m = machine();
    iret(m, TRAMPOLINE, USER_CS, DATA16);
    runToVector(m, 3);
    expect(frame(m, false)).toMatchObject({ rsp: RSP_REQUESTED, cs: BigInt(USER_CS), ss: BigInt(DATA16) });
    expect(m.cpu.codeBits).toBe(64);
  });
  it('IRET back to 64-bit code after compatibility mode runs 64-bit code again', () => {
    const m = machine('48 b8 88 77 66 55 44 33 22 11 cc'); // movabs $0x1122334455667788, %rax; int3
    iret(m, TRAMPOLINE, USER32_CS, USER_DS);
    runToVector(m, 3);
    iret(m, UTEXT, USER_CS, USER_DS);
    runToVector(m, 3);
    expect(reg(m.cpu, RAX)).toBe(0x1122_3344_5566_7788n);
  });
});

describe('IRET faults are #GP/#NP/#SS of the IRET at CPL 0 (selector error codes)', () => {
  const faults: [string, number, number, number, number, bigint][] = [
    ['SS: an LDT entry that is all zeros (not writable data)', USER32_CS, NONEXISTENT, TRAMPOLINE, 13, BigInt(NONEXISTENT & ~3)],
    ['SS: beyond the LDT limit', USER32_CS, (20 << 3) | 7, TRAMPOLINE, 13, BigInt(((20 << 3) | 7) & ~3)],
    ['SS: a code segment', USER32_CS, USER_CS, TRAMPOLINE, 13, BigInt(USER_CS & ~3)],
    ['SS: null, returning to compatibility mode', USER32_CS, 0, TRAMPOLINE, 13, 0n],
    ['CS: not present (npcode32)', NPCODE32, USER_DS, TRAMPOLINE, 11, BigInt(NPCODE32 & ~3)],
    ['SS: not present (npdata32)', USER32_CS, NPDATA32, TRAMPOLINE, 12, BigInt(NPDATA32 & ~3)],
    ['EIP beyond the 16-bit CS limit', CODE16, USER_DS, 0x1000, 13, 0n],
    ['RIP above 4 GiB for compatibility mode', USER32_CS, USER_DS, 2 ** 32, 13, 0n],
    ['CS: a data segment', USER_DS, USER_DS, TRAMPOLINE, 13, BigInt(USER_DS & ~3)],
  ];
  for (const [what, cs, ss, rip, vector, code] of faults) {
    it(`${what}: #${vector === 13 ? 'GP' : vector === 11 ? 'NP' : 'SS'}(${code})`, () => {
      const m = machine();
      iret(m, rip, cs, ss);
      runToVector(m, vector);
      expect(frame(m, true)).toMatchObject({ error: code, rip: u64(KTEXT), cs: BigInt(KERNEL_CS) });
      expect(m.cpu.codeBits).toBe(64);
    });
  }
});

describe('32- and 16-bit code', () => {
  it('32-bit: mov, INC (40), push, call/ret with a stack argument, pop — on SS:ESP', () => {
    // mov $5,%eax; inc %eax; push %eax; call f; pop %ebx; int3; f: mov 4(%esp),%edx; ret
    const m = machine('b8 05 00 00 00 40 50 e8 02 00 00 00 5b cc 8b 54 24 04 c3');
    iret(m, UTEXT, USER32_CS, USER_DS, 0x7f_f000n);
    runToVector(m, 3);
    expect([reg(m.cpu, RAX), reg(m.cpu, RBX), reg(m.cpu, RDX)]).toEqual([6n, 6n, 6n]);
    expect(frame(m, false).rsp).toBe(0x7f_f000n);
    expect(frame(m, false).rip).toBe(BigInt(UTEXT + 14));
  });
  it('32-bit: a memory store through DS with a segment base (LDT data segment based at UDATA)', () => {
    // mov %ecx,%ds (ecx = data16); movl $0x11223344, 0x10 ; int3
    const m = machine('8e d9 c7 05 10 00 00 00 44 33 22 11 cc');
    iret(m, UTEXT, USER32_CS, USER_DS, 0x7f_f000n);
    setReg(m.cpu, RCX, DATA16);
    runToVector(m, 3);
    expect(m.uread(UDATA + 0x10) & 0xffff_ffffn).toBe(0x1122_3344n);
  });
  it('16-bit: DEC (48) on AX only, jmp rel8, a 16-bit SS with push/pop moving SP only', () => {
    // mov $0x1234,%ax; dec %ax; push %ax; pop %bx; jmp +1; (hlt) int3
    const m = machine('b8 34 12 48 50 5b eb 01 f4 cc');
    m.kwrite(LDT_BASE + 6 * 8, segDesc(UTEXT, 0xfff, 0xa, { dpl: 3 })); // code16 at UTEXT
    iret(m, 0, CODE16, DATA16, 0x1000n);
    setReg(m.cpu, RAX, 0xffff_ffff_0000_0000n);
    runToVector(m, 3);
    expect(reg(m.cpu, RAX)).toBe(0xffff_ffff_0000_1233n);
    expect(reg(m.cpu, RBX) & 0xffffn).toBe(0x1233n);
    expect(frame(m, false)).toMatchObject({ rip: 10n, rsp: (u64(FRAME) & ~0xffffn) | 0x1000n });
    expect(m.uread(UDATA + 0xffe) & 0xffffn).toBe(0x1233n);
  });
  it('16-bit: running past the CS limit is #GP(0) at the offending EIP', () => {
    const m = machine('90 90 90 90');
    m.kwrite(LDT_BASE + 6 * 8, segDesc(UTEXT, 1, 0xa, { dpl: 3 })); // limit 1: two bytes
    iret(m, 0, CODE16, USER_DS);
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0n, rip: 2n, cs: BigInt(CODE16) });
  });
  it('64-bit-only or unmodelled instructions are #UD in compatibility mode (SYSCALL, PUSHA), not run as 64-bit code', () => {
    for (const bytes of ['0f 05', '60', '63 c8']) {
      const m = machine(bytes);
      iret(m, UTEXT, USER32_CS, USER_DS);
      runToVector(m, 6);
      expect(frame(m, false)).toMatchObject({ rip: BigInt(UTEXT), cs: BigInt(USER32_CS) });
    }
  });
  it('the GDT is untouched by all this (sanity: USER32_CS is the flat 32-bit code of Linux)', () => {
    const m = machine();
    expect(m.kread(GDT + 4 * 8)).toBe(0x00cf_fb00_0000_ffffn);
  });
});
