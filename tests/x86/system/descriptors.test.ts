/**
 * LAR, LSL, VERR, VERW and LLDT against the SDM's rules, with descriptors
 * built here from SDM Vol. 3A §3.4.5 Figure 3-8 (independently of
 * src/cpu/descriptor.ts), in the GDT and in an LDT; and MOV Sreg through
 * the LDT.
 *
 * Sources: Intel SDM Vol. 2A "LAR" (Operation, Table "Segment and Gate
 * Types", IA-32e column: 64-bit TSS, busy TSS and call gate valid, LDT not),
 * "LSL" (LDT and TSS valid, call gate not; byte-granular limit), "LLDT"
 * (#GP(0) at CPL > 0, #GP(selector) for TI = 1 or a non-LDT descriptor,
 * #NP(selector) when not present); Vol. 2B "VERR/VERW"; Vol. 3A §3.5.2
 * (16-byte system descriptors in IA-32e mode).
 */
import { describe, expect, it } from 'vitest';
import {
  GDT, KDATA, KSTACK_TOP, KTEXT, RAX, RBX, RCX, buildMachine, frame, reg, runToVector, setReg, u64, type Machine,
} from './machine.js';
import { segDesc, sysDesc } from './descriptor-builder.js';

const USER_CS = 0x33;
const KERNEL_CS = 0x10;
const KERNEL_DS = 0x18;
const LDT_BASE = KDATA;

/** Extra GDT entries from index 7: a 7-entry Linux GDT plus these. */
interface Tables {
  gdt?: Record<number, bigint>;
  ldt?: Record<number, bigint>;
}

const CODE_XR = 0xa; // execute/read
const CODE_X = 0x8; // execute-only
const DATA_RW = 0x2;
const DATA_RO = 0x0;
const ZF = 0x40;
const CF = 0x1;

function withTables(m: Machine, t: Tables): void {
  let top = 7;
  for (const [i, v] of Object.entries(t.gdt ?? {})) {
    m.kwrite(GDT + Number(i) * 8, v);
    top = Math.max(top, Number(i) + 1);
  }
  m.cpu.gdtLimit = top * 8 - 1;
  const ldt = Object.entries(t.ldt ?? {});
  for (const [i, v] of ldt) m.kwrite(LDT_BASE + Number(i) * 8, v);
  if (ldt.length > 0) {
    const n = Math.max(...ldt.map(([i]) => Number(i))) + 1;
    m.cpu.ldtr = 0x50;
    m.cpu.ldtBase = LDT_BASE;
    m.cpu.ldtLimit = n * 8 - 1;
  }
}

/** Runs `bytes` (hex, spaces allowed) at CPL 3 up to an int3, with RCX = selector; returns the machine. */
function user(bytes: string, selector: number, t: Tables = {}, pre: (m: Machine) => void = () => {}): Machine {
  const m = buildMachine({ user: `.byte ${hexBytes(bytes)}\nint3`, gates: { 3: { dpl: 3 } } });
  withTables(m, t);
  m.toUser();
  setReg(m.cpu, RCX, selector);
  setReg(m.cpu, RAX, 0x1111_2222_3333_4444n);
  pre(m);
  runToVector(m, 3);
  return m;
}

function hexBytes(s: string): string {
  return (s.replace(/\s+/g, '').match(/../g) ?? []).map((b) => `0x${b}`).join(', ');
}

function zf(m: Machine): boolean {
  return (m.cpu.flags.get() & ZF) !== 0;
}

const LAR_EAX_ECX = '0f02c1';
const LAR_AX_CX = '660f02c1';
const LAR_RAX_RCX = '480f02c1';
const LSL_EAX_ECX = '0f03c1';
const LSL_AX_CX = '660f03c1';
const LSL_RAX_RCX = '480f03c1';
const VERR_CX = '0f00e1';
const VERW_CX = '0f00e9';

describe('LAR (SDM Vol. 2A "LAR")', () => {
  it('r32: dword 1 AND 00F0FF00H, ZF = 1, bits 63:32 cleared', () => {
    const m = user(LAR_EAX_ECX, USER_CS);
    expect(zf(m)).toBe(true);
    expect(reg(m.cpu, RAX)).toBe(0x00a0_fb00n); // __USER_CS 0x00affb00: G L P DPL3 S type B
  });
  it('r16: AND FF00H into AX only', () => {
    const m = user(LAR_AX_CX, USER_CS);
    expect(zf(m)).toBe(true);
    expect(reg(m.cpu, RAX)).toBe(0x1111_2222_3333_fb00n);
  });
  it('r64: zero-extended', () => {
    const m = user(LAR_RAX_RCX, 0x2b);
    expect(reg(m.cpu, RAX)).toBe(0x00c0_f300n);
  });
  it('only ZF changes (CF set before stays set)', () => {
    const m = user(`f9 ${LAR_EAX_ECX}`, USER_CS); // stc
    expect(m.cpu.flags.get() & (ZF | CF)).toBe(ZF | CF);
  });
  it('a memory operand is a word', () => {
    const m = user('0f0203', 0, {}, (mm) => {
      setReg(mm.cpu, RBX, KDATA); // not readable at CPL 3: use the user stack instead
      setReg(mm.cpu, RBX, 0x7f_f000);
      mm.cpu.mmu.write16(0x7f_f000, 0x0033, 3);
      mm.cpu.mmu.write16(0x7f_f002, 0xffff, 3);
    });
    expect(zf(m)).toBe(true);
    expect(reg(m.cpu, RAX)).toBe(0x00a0_fb00n);
  });
  const fails: [string, number, Tables?][] = [
    ['the null selector', 0],
    ['the null selector with RPL 3', 3],
    ['a selector beyond the GDT limit', 0x7b],
    ['a DPL 0 segment at CPL 3 (kernel CS)', KERNEL_CS | 3],
    ['RPL > DPL (DPL 2 data, RPL 3)', 0x3b, { gdt: { 7: segDesc(0, 0xfffff, DATA_RW, { dpl: 2 }) } }],
    ['an LDT selector with no LDT', 0x7],
    ['an LDT system descriptor (not valid for LAR in IA-32e mode)', 0x3b, { gdt: { 7: sysDesc(0n, 0xfff, 2, { dpl: 3 })[0], 8: 0n } }],
    ['a 64-bit interrupt gate type', 0x3b, { gdt: { 7: sysDesc(0n, 0, 0xe, { dpl: 3 })[0], 8: 0n } }],
    ['a TSS whose upper half is beyond the GDT limit', 0x3b, { gdt: { 7: sysDesc(0n, 0x67, 9, { dpl: 3 })[0] } }],
    ['a TSS whose upper half has a non-zero type', 0x3b, { gdt: { 7: sysDesc(0n, 0x67, 9, { dpl: 3 })[0], 8: 0x100n << 32n } }],
  ];
  for (const [what, sel, t] of fails) {
    it(`ZF = 0 and the destination unchanged: ${what}`, () => {
      const m = user(LAR_EAX_ECX, sel, t);
      expect(zf(m)).toBe(false);
      expect(reg(m.cpu, RAX)).toBe(0x1111_2222_3333_4444n);
    });
  }
  it('conforming code is visible whatever its DPL', () => {
    const m = user(LAR_EAX_ECX, 0x3b, { gdt: { 7: segDesc(0, 0xfffff, 0xe, { dpl: 0, l: 1, g: 1 }) } });
    expect(zf(m)).toBe(true);
    expect(reg(m.cpu, RAX)).toBe(0x00a0_9e00n);
  });
  it('a 64-bit TSS (16 bytes, DPL 3) and a 64-bit call gate are valid', () => {
    const [lo, hi] = sysDesc(0xffff_8880_1234_5000n, 0x67, 9, { dpl: 3 });
    const m = user(LAR_EAX_ECX, 0x3b, { gdt: { 7: lo, 8: hi } });
    expect(zf(m)).toBe(true);
    expect(reg(m.cpu, RAX)).toBe(0x0000_e900n);
    const gate = user(LAR_EAX_ECX, 0x3b, { gdt: { 7: sysDesc(0n, 0, 0xc, { dpl: 3 })[0], 8: 0n } });
    expect(zf(gate)).toBe(true);
  });
  it('reads the LDT for TI = 1 (entry 0 of the LDT is not the null selector)', () => {
    const t = { ldt: { 0: segDesc(0x1000, 0xfff, CODE_XR, { dpl: 3, db: 1 }), 2: segDesc(0x2000, 0xffff, DATA_RW, { dpl: 3 }) } };
    const m0 = user(LAR_EAX_ECX, 0x7, t);
    expect(zf(m0)).toBe(true);
    expect(reg(m0.cpu, RAX)).toBe(0x0040_fa00n);
    const m2 = user(LAR_EAX_ECX, 0x17, t);
    expect(reg(m2.cpu, RAX)).toBe(0x0000_f200n);
    const beyond = user(LAR_EAX_ECX, 0x1f, t);
    expect(zf(beyond)).toBe(false);
    const empty = user(LAR_EAX_ECX, 0xf, t); // entry 1: all zeros, a reserved system type
    expect(zf(empty)).toBe(false);
  });
});

describe('LSL (SDM Vol. 2A "LSL")', () => {
  it('a page-granular limit becomes byte-granular (limit << 12 | FFFH)', () => {
    const m = user(LSL_EAX_ECX, 0x2b);
    expect(zf(m)).toBe(true);
    expect(reg(m.cpu, RAX)).toBe(0xffff_ffffn);
  });
  it('r16 keeps the low 16 bits; r64 zero-extends', () => {
    expect(reg(user(LSL_AX_CX, 0x2b).cpu, RAX)).toBe(0x1111_2222_3333_ffffn);
    expect(reg(user(LSL_RAX_RCX, 0x2b).cpu, RAX)).toBe(0xffff_ffffn);
  });
  it('a byte-granular limit as is; an LDT descriptor and a TSS are valid, a call gate is not', () => {
    const t = { gdt: { 7: segDesc(0, 0x12345, DATA_RW, { dpl: 3 }), 8: sysDesc(0n, 0x7ff, 2, { dpl: 3 })[0], 9: 0n,
      10: sysDesc(0n, 0x67, 0xb, { dpl: 3 })[0], 11: 0n, 12: sysDesc(0n, 0x1234, 0xc, { dpl: 3 })[0], 13: 0n } };
    expect(reg(user(LSL_EAX_ECX, 0x3b, t).cpu, RAX)).toBe(0x12345n);
    expect(reg(user(LSL_EAX_ECX, 0x43, t).cpu, RAX)).toBe(0x7ffn);
    expect(reg(user(LSL_EAX_ECX, 0x53, t).cpu, RAX)).toBe(0x67n);
    const gate = user(LSL_EAX_ECX, 0x63, t);
    expect(zf(gate)).toBe(false);
    expect(reg(gate.cpu, RAX)).toBe(0x1111_2222_3333_4444n);
  });
  it('DPL 0 at CPL 3: ZF = 0', () => {
    expect(zf(user(LSL_EAX_ECX, KERNEL_DS | 3))).toBe(false);
  });
});

describe('VERR / VERW (SDM Vol. 2B "VERR/VERW")', () => {
  const t = { gdt: {
    7: segDesc(0, 0xfffff, DATA_RW, { dpl: 3 }),
    8: segDesc(0, 0xfffff, DATA_RO, { dpl: 3 }),
    9: segDesc(0, 0xfffff, CODE_X, { dpl: 3, db: 1 }),
    10: segDesc(0, 0xfffff, CODE_XR, { dpl: 3, db: 1 }),
    11: segDesc(0, 0xfffff, 0xe, { dpl: 0, db: 1 }), // conforming, readable, DPL 0
    12: segDesc(0, 0xfffff, 0xc, { dpl: 0, db: 1 }), // conforming, execute-only
    13: sysDesc(0n, 0x67, 9, { dpl: 3 })[0], 14: 0n,
  } };
  const cases: [string, number, boolean, boolean][] = [
    ['read/write data', 0x3b, true, true],
    ['read-only data', 0x43, true, false],
    ['execute-only code', 0x4b, false, false],
    ['readable code', 0x53, true, false],
    ['conforming readable code of DPL 0', 0x5b, true, false],
    ['conforming execute-only code', 0x63, false, false],
    ['a TSS (system descriptor)', 0x6b, false, false],
    ['DPL 0 data at CPL 3', KERNEL_DS | 3, false, false],
    ['the null selector', 0, false, false],
    ['beyond the GDT limit', 0x7b, false, false],
  ];
  for (const [what, sel, r, w] of cases) {
    it(`${what}: VERR ZF = ${r ? 1 : 0}, VERW ZF = ${w ? 1 : 0}`, () => {
      expect(zf(user(VERR_CX, sel, t))).toBe(r);
      expect(zf(user(VERW_CX, sel, t))).toBe(w);
    });
  }
});

describe('LLDT and LDT lookups (SDM Vol. 2A "LLDT"; Vol. 3A §3.4.2, §3.5.2)', () => {
  const LDT_SEL = 0x40;
  const ldtGdt = (o: { p?: 0 | 1; type?: number } = {}): Tables => {
    const [lo, hi] = sysDesc(BigInt.asUintN(64, BigInt(LDT_BASE)), 3 * 8 - 1, o.type ?? 2, { p: o.p ?? 1 });
    return { gdt: { 8: lo, 9: hi } };
  };
  function kernel(src: string, t: Tables): Machine {
    const m = buildMachine({ kernel: src });
    withTables(m, t);
    m.kwrite(LDT_BASE + 8, segDesc(0x1234_0000, 0xffff, DATA_RW, { dpl: 0, db: 1 }));
    m.toKernel(KTEXT, 0x2, KSTACK_TOP - 0x1000);
    return m;
  }
  const halt = (m: Machine): void => {
    const exit = m.cpu.run(100);
    expect(exit.kind).toBe('halt');
  };

  it('loads base (64-bit, from the 16-byte descriptor) and limit; an LDT selector then loads DS', () => {
    const m = kernel(`movw $${LDT_SEL}, %ax; lldt %ax; movw $0xc, %cx; movw %cx, %ds; hlt`, ldtGdt());
    halt(m);
    expect(m.cpu.ldtr).toBe(LDT_SEL);
    expect(m.cpu.ldtBase).toBe(LDT_BASE);
    expect(m.cpu.ldtLimit).toBe(23);
    expect(m.cpu.ds).toBe(0xc);
    expect(m.cpu.segBase[3]).toBe(0x1234_0000);
    expect(m.cpu.segLimit[3]).toBe(0xffff);
  });
  it('a null selector makes the LDTR null: LDT selectors then fault (#GP(selector))', () => {
    const m = kernel(`movw $${LDT_SEL}, %ax; lldt %ax; xorl %eax, %eax; lldt %ax; movw $0xc, %cx; f: movw %cx, %ds; hlt`, ldtGdt());
    runToVector(m, 13);
    expect(m.cpu.ldtLimit).toBe(-1);
    expect(frame(m, true)).toMatchObject({ error: 0xcn, rip: u64(m.k('f')) });
  });
  it('#GP(0) at CPL 3', () => {
    const m = buildMachine({ user: 'movw $0x40, %ax; lldt %ax' });
    m.toUser();
    runToVector(m, 13);
    expect(frame(m, true)).toMatchObject({ error: 0n, rip: u64(0x40_0004) });
  });
  const bad: [string, number, Tables, number, bigint][] = [
    ['a TI = 1 selector', 0x44, ldtGdt(), 13, 0x44n],
    ['a code descriptor', KERNEL_CS, ldtGdt(), 13, 0x10n],
    ['a TSS descriptor', LDT_SEL, ldtGdt({ type: 9 }), 13, 0x40n],
    ['beyond the GDT limit', 0x58, ldtGdt(), 13, 0x58n],
    ['a not-present LDT descriptor', LDT_SEL, ldtGdt({ p: 0 }), 11, 0x40n],
  ];
  for (const [what, sel, t, vector, code] of bad) {
    it(`${what}: #${vector === 13 ? 'GP' : 'NP'}(selector)`, () => {
      const m = kernel(`movw $${sel | 3}, %ax; f: lldt %ax; hlt`, t);
      runToVector(m, vector);
      expect(frame(m, true)).toMatchObject({ error: code, rip: u64(m.k('f')) });
      expect(m.cpu.ldtLimit).toBe(-1);
    });
  }
  it('cpu.lldt (the platform API) does what LLDT does', () => {
    const m = kernel('hlt', ldtGdt());
    m.cpu.lldt(LDT_SEL);
    expect(m.cpu.ldtBase).toBe(LDT_BASE);
    expect(() => m.cpu.lldt(KERNEL_CS)).toThrow(/#GP\(16\)/);
  });
});
