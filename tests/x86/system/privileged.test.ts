/**
 * Privileged and system-register instructions: RDMSR/WRMSR (EFER, STAR,
 * LSTAR, FMASK, FS_BASE, GS_BASE, KERNEL_GS_BASE, PKRS) with their #GP
 * cases, MOV to/from CR0/CR2/CR3/CR4 with reserved bits, INVLPG, SWAPGS,
 * RDFSBASE/WRFSBASE, RDPKRU/WRPKRU, RDTSC with CR4.TSD, and CPUID's
 * declared features at the SDM's bit positions.
 *
 * Sources: Intel SDM Vol. 2 entries of each instruction ("Operation" and
 * "Protected/64-Bit Mode Exceptions"), Vol. 2A "CPUID" Tables 3-8/3-10,
 * Vol. 3A §2.2.1 (EFER), §2.5 (CR0/CR4 bits), §4.5 Table 4-12 (CR3),
 * §5.8.8 (SYSCALL MSRs), Vol. 4 (MSR indices); reference §1.5, §3.1, §7.
 */
import { describe, expect, it } from 'vitest';
import { cpuid } from '../../../src/cpu/cpuid.js';
import {
  CR0_VALUE, CR4_BASE, CR4_FSGSBASE, CR4_PKE, EFER_VALUE, KSTACK_TOP, KTEXT, PERCPU, RAX, RBX, RCX, RDX, RSI, UDATA, UTEXT,
  buildMachine, frame, reg, runToVector, setReg, u64, type Machine,
} from './machine.js';

const KRSP = KSTACK_TOP - 0x1000;

function kernel(src: string, cr4 = 0): Machine {
  const m = buildMachine({ kernel: src, cr4 });
  m.toKernel(KTEXT, 0x2, KRSP);
  return m;
}

function expectHalt(m: Machine): void {
  const exit = m.cpu.run(1000);
  if (exit.kind !== 'halt') throw new Error(`expected halt, got ${JSON.stringify(exit)} at ${m.cpu.rip.toString(16)}`);
}

/** Runs to #GP and checks error code 0 and RIP at label `f`. */
function expectGp0(m: Machine, label = 'f', user = false): void {
  runToVector(m, 13);
  expect(frame(m, true)).toMatchObject({ error: 0n, rip: u64(user ? m.u(label) : m.k(label)) });
}

const MSR = {
  EFER: 0xc000_0080, STAR: 0xc000_0081, LSTAR: 0xc000_0082, FMASK: 0xc000_0084,
  FS_BASE: 0xc000_0100, GS_BASE: 0xc000_0101, KERNEL_GS_BASE: 0xc000_0102, PKRS: 0x6e1,
} as const;

describe('RDMSR / WRMSR (SDM Vol. 2B "RDMSR", "WRMSR"; Vol. 3A §5.8.8; reference §3.1)', () => {
  const roundTrips: [string, number, number, number][] = [
    ['STAR', MSR.STAR, 0x1234_5678, 0x0023_0010],
    ['LSTAR', MSR.LSTAR, 0x8100_0000, 0xffff_ffff],
    ['FMASK', MSR.FMASK, 0x257fd5, 0],
    ['FS_BASE', MSR.FS_BASE, 0x1000, 0x7fff],
    ['GS_BASE', MSR.GS_BASE, 0x2000, 0xffff_8000],
    ['KERNEL_GS_BASE', MSR.KERNEL_GS_BASE, 0x3000, 0xffff_8888],
    ['IA32_PKRS', MSR.PKRS, 0xffff_ffff, 0],
    ['EFER (SCE|LME|LMA|NXE)', MSR.EFER, EFER_VALUE, 0],
  ];
  for (const [name, index, lo, hi] of roundTrips) {
    it(`${name}: WRMSR EDX:EAX then RDMSR returns it in EDX:EAX (upper halves of RAX/RDX cleared)`, () => {
      const m = kernel(`
        movl $${index}, %ecx
        movl $${lo}, %eax
        movl $${hi}, %edx
        wrmsr
        movq $-1, %rax
        movq $-1, %rdx
        rdmsr
        hlt`);
      expectHalt(m);
      expect(reg(m.cpu, RAX)).toBe(BigInt(lo >>> 0));
      expect(reg(m.cpu, RDX)).toBe(BigInt(hi >>> 0));
    });
  }

  it('the MSRs feed the CPU: LSTAR, FS/GS bases, KERNEL_GS_BASE, PKRS', () => {
    const m = kernel(`
      movl $${MSR.LSTAR}, %ecx; movl $0x81000000, %eax; movl $0xffffffff, %edx; wrmsr
      movl $${MSR.FS_BASE}, %ecx; movl $0x1000, %eax; movl $0x7fff, %edx; wrmsr
      movl $${MSR.KERNEL_GS_BASE}, %ecx; movl $0x3000, %eax; movl $0xffff8888, %edx; wrmsr
      movl $${MSR.PKRS}, %ecx; movl $0x0c, %eax; xorl %edx, %edx; wrmsr
      hlt`);
    expectHalt(m);
    expect(m.cpu.lstar).toBe(KTEXT);
    expect(m.cpu.fsBase).toBe(0x7fff_0000_1000);
    expect(m.cpu.kernelGsBase).toBe(-0x7778_0000_0000 + 0x3000);
    expect(m.cpu.mmu.pkrs).toBe(0x0c);
  });

  const gpCases: [string, number, number, number][] = [
    ['an unknown MSR', 0x12345, 0, 0],
    ['LSTAR non-canonical (0x0000800000000000)', MSR.LSTAR, 0, 0x8000],
    ['FS_BASE non-canonical (0x8000000000000000)', MSR.FS_BASE, 0, 0x8000_0000],
    ['KERNEL_GS_BASE non-canonical', MSR.KERNEL_GS_BASE, 0, 0x0001_0000],
    ['IA32_PKRS with bits 63:32 set (reference §3.1)', MSR.PKRS, 0, 1],
    ['EFER with reserved bit 1', MSR.EFER, EFER_VALUE | 2, 0],
    ['EFER with bits 63:32 set', MSR.EFER, EFER_VALUE, 1],
    ['EFER clearing LME while CR0.PG = 1 (Vol. 3A §10.8.5)', MSR.EFER, EFER_VALUE & ~0x100, 0],
  ];
  for (const [name, index, lo, hi] of gpCases) {
    it(`WRMSR of ${name} → #GP(0), nothing written`, () => {
      const m = kernel(`movl $${index}, %ecx\nmovl $${lo}, %eax\nmovl $${hi}, %edx\nf:\nwrmsr\nhlt`);
      const before = [m.cpu.lstar, m.cpu.fsBase, m.cpu.kernelGsBase, m.cpu.mmu.pkrs, m.cpu.mmu.efer];
      expectGp0(m);
      expect([m.cpu.lstar, m.cpu.fsBase, m.cpu.kernelGsBase, m.cpu.mmu.pkrs, m.cpu.mmu.efer]).toEqual(before);
    });
  }

  it('RDMSR of an unknown MSR → #GP(0)', () => {
    expectGp0(kernel('movl $0x12345, %ecx\nf:\nrdmsr\nhlt'));
  });

  it('RDMSR / WRMSR at CPL 3 → #GP(0)', () => {
    for (const insn of ['rdmsr', 'wrmsr']) {
      const m = buildMachine({ user: `movl $${MSR.STAR}, %ecx\nf:\n${insn}` });
      m.toUser();
      expectGp0(m, 'f', true);
    }
  });
});

describe('SWAPGS (Vol. 2B "SWAPGS")', () => {
  it('at CPL 0 exchanges GS.base and IA32_KERNEL_GS_BASE', () => {
    const m = kernel('swapgs\nhlt');
    m.cpu.gsBase = 0x7000_0000;
    expectHalt(m);
    expect(m.cpu.gsBase).toBe(PERCPU);
    expect(m.cpu.kernelGsBase).toBe(0x7000_0000);
  });

  it('at CPL 3 → #GP(0)', () => {
    const m = buildMachine({ user: 'f:\nswapgs' });
    m.toUser();
    expectGp0(m, 'f', true);
  });
});

describe('RDFSBASE / WRFSBASE / WRGSBASE (Vol. 2B)', () => {
  it('#UD with CR4.FSGSBASE = 0', () => {
    const m = buildMachine({ user: 'rdfsbase %rax' });
    m.toUser();
    runToVector(m, 6);
    expect(frame(m, false).rip).toBe(u64(UTEXT));
  });

  it('with CR4.FSGSBASE = 1 at CPL 3: read, write, 32-bit zero-extension, #GP(0) for a non-canonical value', () => {
    const m = buildMachine({
      user: `
        rdfsbase %rax
        movq $-1, %rbx
        wrgsbase %ebx
        movabs $0x0000800000000000, %rcx
      f:
        wrfsbase %rcx`,
      cr4: CR4_FSGSBASE,
    });
    m.cpu.fsBase = 0x1234_5678_9000;
    m.toUser();
    expectGp0(m, 'f', true);
    expect(reg(m.cpu, RAX)).toBe(0x1234_5678_9000n);
    expect(m.cpu.gsBase).toBe(0xffff_ffff);
    expect(m.cpu.fsBase).toBe(0x1234_5678_9000);
  });
});

describe('RDPKRU / WRPKRU (Vol. 2B; reference §7)', () => {
  it('WRPKRU loads EAX; RDPKRU returns it in EAX with EDX = 0', () => {
    const m = buildMachine({
      user: 'movl $0x55555554, %eax\nxorl %ecx, %ecx\nxorl %edx, %edx\nwrpkru\nmovq $-1, %rdx\nmovq $-1, %rax\nrdpkru\nint3',
      cr4: CR4_PKE,
      gates: { 3: { dpl: 3 } },
    });
    m.toUser();
    runToVector(m, 3);
    expect(m.cpu.mmu.pkru).toBe(0x5555_5554);
    expect(reg(m.cpu, RAX)).toBe(0x5555_5554n);
    expect(reg(m.cpu, RDX)).toBe(0n);
  });

  const cases: [string, string][] = [
    ['WRPKRU with ECX ≠ 0', 'movl $1, %ecx\nxorl %edx, %edx\nf:\nwrpkru'],
    ['WRPKRU with EDX ≠ 0', 'xorl %ecx, %ecx\nmovl $1, %edx\nf:\nwrpkru'],
    ['RDPKRU with ECX ≠ 0', 'movl $1, %ecx\nf:\nrdpkru'],
  ];
  for (const [name, code] of cases) {
    it(`${name} → #GP(0)`, () => {
      const m = buildMachine({ user: code, cr4: CR4_PKE });
      m.toUser();
      expectGp0(m, 'f', true);
      expect(m.cpu.mmu.pkru).toBe(0);
    });
  }

  it('#UD with CR4.PKE = 0', () => {
    const m = buildMachine({ user: 'xorl %ecx, %ecx\nrdpkru' });
    m.toUser();
    runToVector(m, 6);
  });
});

describe('MOV to/from control registers (Vol. 2B "MOV—Move to/from Control Registers"; Vol. 3A §2.5)', () => {
  it('reads CR0, CR3, CR4; CR2 round-trips', () => {
    const m = kernel('mov %cr0, %rax\nmov %cr3, %rbx\nmov %cr4, %rcx\nmovabs $0xffff800000001234, %rdx\nmov %rdx, %cr2\nmov %cr2, %rsi\nhlt');
    expectHalt(m);
    expect(reg(m.cpu, RAX)).toBe(BigInt(CR0_VALUE));
    expect(reg(m.cpu, RBX)).toBe(BigInt(m.pt.root));
    expect(reg(m.cpu, RCX)).toBe(BigInt(CR4_BASE));
    expect(reg(m.cpu, RSI)).toBe(0xffff_8000_0000_1234n);
  });

  it('CR0 with CD = NW = 1 is accepted; CR3 reload keeps the tables', () => {
    const m = kernel(`mov %cr0, %rax\norl $0x60000000, %eax\nmov %rax, %cr0\nmov %cr3, %rbx\nmov %rbx, %cr3\nhlt`);
    expectHalt(m);
    expect(m.cpu.mmu.cr0).toBe((CR0_VALUE | 0x6000_0000) >>> 0);
  });

  const gp: [string, string][] = [
    ['CR0 bit 32 (bits 63:32 reserved)', 'mov %cr0, %rax\nbts $32, %rax\nf:\nmov %rax, %cr0'],
    ['CR0 with PG = 0 in IA-32e mode', 'mov %cr0, %rax\nbtr $31, %rax\nf:\nmov %rax, %cr0'],
    ['CR0 with NW = 1, CD = 0', 'mov %cr0, %rax\nbts $29, %rax\nbtr $30, %rax\nf:\nmov %rax, %cr0'],
    ['CR4 bit 15 (reserved)', 'mov %cr4, %rax\nbts $15, %rax\nf:\nmov %rax, %cr4'],
    ['CR4 bit 32', 'mov %cr4, %rax\nbts $32, %rax\nf:\nmov %rax, %cr4'],
    ['CR4 with PAE = 0 in IA-32e mode', 'mov %cr4, %rax\nbtr $5, %rax\nf:\nmov %rax, %cr4'],
    ['CR4.VME (feature not reported by CPUID)', 'mov %cr4, %rax\nbts $0, %rax\nf:\nmov %rax, %cr4'],
    ['CR4.PCIDE (not reported)', 'mov %cr4, %rax\nbts $17, %rax\nf:\nmov %rax, %cr4'],
    ['CR3 bit 46 (at MAXPHYADDR = 46: bits 63:46 reserved, Table 4-12)', 'mov %cr3, %rax\nbts $46, %rax\nf:\nmov %rax, %cr3'],
    ['CR3 bit 63 with CR4.PCIDE = 0', 'mov %cr3, %rax\nbts $63, %rax\nf:\nmov %rax, %cr3'],
  ];
  for (const [name, code] of gp) {
    it(`${name} → #GP(0), register unchanged`, () => {
      const m = kernel(code + '\nhlt');
      const before = [m.cpu.mmu.cr0, m.cpu.mmu.cr3, m.cpu.mmu.cr4];
      expectGp0(m);
      expect([m.cpu.mmu.cr0, m.cpu.mmu.cr3, m.cpu.mmu.cr4]).toEqual(before);
    });
  }

  it('MOV CR at CPL 3 → #GP(0); CR1 → #UD', () => {
    const m = buildMachine({ user: 'f:\nmov %cr0, %rax' });
    m.toUser();
    expectGp0(m, 'f', true);
    const m1 = kernel('.byte 0x0f, 0x22, 0xc8\nhlt'); // mov %rax, %cr1
    runToVector(m1, 6);
  });
});

describe('CR4 bits vs CPUID (Vol. 3A §2.5: a CR4 bit of an unreported feature is reserved)', () => {
  // [CR4 bit, CPUID leaf, sub-leaf, register index (0 EAX … 3 EDX), bit] from Vol. 2A "CPUID".
  const pairs: [string, number, number, number, number, number][] = [
    ['TSD', 2, 1, 0, 3, 4], ['DE', 3, 1, 0, 3, 2], ['PSE', 4, 1, 0, 3, 3], ['MCE', 6, 1, 0, 3, 7],
    ['PGE', 7, 1, 0, 3, 13], ['OSFXSR', 9, 1, 0, 3, 24], ['OSXMMEXCPT', 10, 1, 0, 3, 25],
    ['FSGSBASE', 16, 7, 0, 1, 0], ['OSXSAVE', 18, 1, 0, 2, 26], ['SMEP', 20, 7, 0, 1, 7],
    ['SMAP', 21, 7, 0, 1, 20], ['PKE', 22, 7, 0, 2, 3], ['PKS', 24, 7, 0, 2, 31],
  ];
  for (const [name, bit, leaf, sub, r, fbit] of pairs) {
    it(`CR4.${name} (bit ${bit}) is accepted and CPUID.(${leaf.toString(16)}h,${sub}) reports its feature`, () => {
      const m = kernel(`mov %cr4, %rax\nbts $${bit}, %rax\nmov %rax, %cr4\nhlt`);
      expectHalt(m);
      expect((m.cpu.mmu.cr4 >>> bit) & 1).toBe(1);
      expect((cpuid(m.cpu, leaf, sub)[r]! >>> fbit) & 1).toBe(1);
    });
  }
});

describe('INVLPG (Vol. 2A "INVLPG")', () => {
  it('drops a stale translation', () => {
    const m = kernel(`
      movabs $${UDATA}, %rbx
      movq (%rbx), %rax
      hlt
      movq (%rbx), %rax
      invlpg (%rbx)
    f:
      movq (%rbx), %rax
      hlt`);
    expectHalt(m);
    m.pt.updateEntry(UDATA, 1, { clearLo: 1 }); // P = 0 behind the TLB's back
    runToVector(m, 14);
    expect(frame(m, true)).toMatchObject({ error: 0n, rip: u64(m.k('f')) });
    expect(m.cpu.cr2).toBe(UDATA);
  });

  it('a non-canonical address is a NOP (no #GP)', () => {
    const m = kernel('movabs $0x0000800000000000, %rax\ninvlpg (%rax)\nhlt');
    expectHalt(m);
  });

  it('at CPL 3 → #GP(0)', () => {
    const m = buildMachine({ user: `movq $${UDATA}, %rax\nf:\ninvlpg (%rax)` });
    m.toUser();
    expectGp0(m, 'f', true);
  });
});

describe('RDTSC (Vol. 2B "RDTSC")', () => {
  it('CR4.TSD = 1: #GP(0) at CPL 3, allowed at CPL 0', () => {
    const m = buildMachine({ user: 'f:\nrdtsc', cr4: 1 << 2 });
    m.toUser();
    expectGp0(m, 'f', true);
    expectHalt(kernel('rdtsc\nhlt', 1 << 2));
  });
});

describe('CPUID (Vol. 2A "CPUID" Tables 3-8, 3-10; the feature set declared in cpuid.ts)', () => {
  it('leaf 0 through the instruction: max leaf in EAX, "GenuineIntel" in EBX, EDX, ECX; upper halves cleared', () => {
    const m = buildMachine({ user: 'movq $-1, %rbx\nmovq $-1, %rdx\nxorl %eax, %eax\ncpuid\nint3', gates: { 3: { dpl: 3 } } });
    m.toUser();
    setReg(m.cpu, RCX, -1n);
    runToVector(m, 3);
    const text = [RBX, RDX, RCX].map((r) => {
      const v = Number(reg(m.cpu, r));
      return String.fromCharCode(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
    }).join('');
    expect(text).toBe('GenuineIntel');
    expect(reg(m.cpu, RAX)).toBeGreaterThanOrEqual(7n);
    expect(reg(m.cpu, RBX) >> 32n).toBe(0n);
  });

  const bit = (m: Machine, leaf: number, sub: number, r: number, b: number): number => (cpuid(m.cpu, leaf, sub)[r]! >>> b) & 1;

  it('leaf 1 EDX: FPU 0, TSC 4, MSR 5, PAE 6, CX8 8, CMOV 15, FXSR 24, SSE 25, SSE2 26; no SEP (11), no APIC (9)', () => {
    const m = buildMachine();
    for (const b of [0, 4, 5, 6, 8, 15, 24, 25, 26]) expect(bit(m, 1, 0, 3, b)).toBe(1);
    expect(bit(m, 1, 0, 3, 11)).toBe(0);
    expect(bit(m, 1, 0, 3, 9)).toBe(0);
  });

  it('leaf 1 ECX: XSAVE 26; OSXSAVE 27 mirrors CR4.OSXSAVE; POPCNT 23; no AVX (28), no x2APIC (21)', () => {
    const m = buildMachine();
    expect(bit(m, 1, 0, 2, 26)).toBe(1);
    expect(bit(m, 1, 0, 2, 27)).toBe(0);
    expect(bit(m, 1, 0, 2, 23)).toBe(1);
    expect(bit(m, 1, 0, 2, 28)).toBe(0);
    const m2 = buildMachine({ cr4: 1 << 18 });
    expect(bit(m2, 1, 0, 2, 27)).toBe(1);
  });

  it('leaf 7.0: EBX FSGSBASE 0, SMEP 7, SMAP 20; ECX PKU 3, OSPKE 4 mirrors CR4.PKE, PKS 31 (reference §3.1); no AVX2 (EBX 5)', () => {
    const m = buildMachine();
    expect([bit(m, 7, 0, 1, 0), bit(m, 7, 0, 1, 7), bit(m, 7, 0, 1, 20)]).toEqual([1, 1, 1]);
    expect([bit(m, 7, 0, 2, 3), bit(m, 7, 0, 2, 4), bit(m, 7, 0, 2, 31)]).toEqual([1, 0, 1]);
    expect(bit(m, 7, 0, 1, 5)).toBe(0);
    expect(bit(buildMachine({ cr4: CR4_PKE }), 7, 0, 2, 4)).toBe(1);
  });

  it('leaf 80000001h: EDX SYSCALL 11, NX 20, LM 29, no 1-GiB pages (26); ECX LAHF/SAHF 0', () => {
    const m = buildMachine();
    expect([bit(m, 0x8000_0001, 0, 3, 11), bit(m, 0x8000_0001, 0, 3, 20), bit(m, 0x8000_0001, 0, 3, 29)]).toEqual([1, 1, 1]);
    expect(bit(m, 0x8000_0001, 0, 3, 26)).toBe(0);
    expect(bit(m, 0x8000_0001, 0, 2, 0)).toBe(1);
  });

  it('leaf 80000008h: EAX[7:0] = MAXPHYADDR, EAX[15:8] = 48 linear bits', () => {
    const m = buildMachine();
    const [eax] = cpuid(m.cpu, 0x8000_0008, 0);
    expect(eax & 0xff).toBe(m.cpu.mmu.phys.maxPhysAddrBits);
    expect((eax >>> 8) & 0xff).toBe(48);
  });

  it('leaf 0Dh: sub-leaf 0 EAX = XCR0 bits x87|SSE|PKRU; sub-leaf 9 (PKRU) size 8 at offset 2688', () => {
    const m = buildMachine();
    expect(cpuid(m.cpu, 0xd, 0)[0]).toBe(0x203);
    expect(cpuid(m.cpu, 0xd, 9).slice(0, 2)).toEqual([8, 2688]);
  });
});
