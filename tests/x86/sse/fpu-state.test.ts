/**
 * Model-only tests of the state-save instructions and the SSE availability
 * rules, against byte layouts worked out by hand from the SDM (Vol. 1
 * §10.5.1 Table 10-2, §13.4-13.8; Vol. 3A §13.1), for what the host cannot
 * show: PKRU in XSAVE (the host has no usable PKU here), CR0/CR4 settings
 * the harness cannot change, and XSAVEC-less #GP on the compacted form.
 */
import { describe, expect, it } from 'vitest';
import type { Cpu } from '../../../src/cpu/exec.js';
import { MODE_SUPERVISOR } from '../../../src/cpu/mmu.js';
import { asm } from '../host/gas.js';
import { CODE_BASE, DATA_BASE } from '../host/native.js';
import { modelMachine } from '../model.js';

const AREA = Number(DATA_BASE) + 0x1000; // 4 KiB aligned
const CR0_MP = 1 << 1;
const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;
const CR4_OSFXSR = 1 << 9;
const CR4_OSXMMEXCPT = 1 << 10;
const CR4_OSXSAVE = 1 << 18;
const CR4_PKE = 1 << 22;

interface Run {
  readonly cpu: Cpu;
  /** Vector of the fault, or -1 when the snippet completed. */
  readonly vector: number;
  bytes(offset: number, length: number): Uint8Array;
}

/** Runs `code` at CPL 3 on the harness-shaped model machine after `setup`. */
function run(code: string, setup: (cpu: Cpu) => void = () => {}, image?: Uint8Array): Run {
  const bytes = asm(code);
  const { cpu } = modelMachine(bytes, new Uint8Array(0x4000));
  if (image) cpu.mmu.writeBytes(AREA, image, MODE_SUPERVISOR);
  cpu.rip = Number(CODE_BASE);
  cpu.lo[7] = AREA; // rdi
  cpu.lo[4] = AREA + 0x2000; // rsp in the data area
  setup(cpu);
  // modelMachine leaves the host-call range for runModel to set: the gates point at HANDLERS + vector.
  const gate = cpu.mmu.read16(cpu.idtBase, MODE_SUPERVISOR) | (cpu.mmu.read16(cpu.idtBase + 6, MODE_SUPERVISOR) << 16);
  const hi = cpu.mmu.read32(cpu.idtBase + 8, MODE_SUPERVISOR) | 0;
  const h = hi * 2 ** 32 + (gate >>> 0);
  cpu.hostcallStart = h;
  cpu.hostcallEnd = h + 257;
  const exit = cpu.run(1000);
  if (exit.kind !== 'hostcall') throw new Error(`unexpected exit ${exit.kind}`);
  const vector = exit.address === h + 256 ? -1 : exit.address - h;
  return { cpu, vector, bytes: (o, n) => cpu.mmu.readBytes(AREA + o, n, MODE_SUPERVISOR) };
}

function le(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function setXmm(cpu: Cpu, r: number, dwords: readonly number[]): void {
  dwords.forEach((d, k) => (cpu.xmm[r * 4 + k] = d | 0));
}

describe('FXSAVE layout (SDM Vol. 1 Table 10-2, 64-bit format)', () => {
  const r = run('fxsave64 (%rdi)', (cpu) => {
    cpu.fpuCw = 0x027f;
    cpu.fpuSw = 0x3800;
    cpu.fpuTw = 0x81;
    cpu.mxcsr = 0x9fa5;
    setXmm(cpu, 0, [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
    setXmm(cpu, 15, [-1, 0x11223344, 0, 0x80000000]);
  });
  it('completes', () => expect(r.vector).toBe(-1));
  it('FCW, FSW, abridged FTW, reserved byte, FOP, FIP, FDP', () => {
    expect([...r.bytes(0, 24)]).toEqual([0x7f, 0x02, 0x00, 0x38, 0x81, 0, 0, 0, ...new Array(16).fill(0)]);
  });
  it('MXCSR at 24, MXCSR_MASK 0xFFFF at 28', () => {
    expect(le(r.bytes(24, 4))).toBe(0x9fa5n);
    expect(le(r.bytes(28, 4))).toBe(0xffffn);
  });
  it('XMM0 at 160, XMM15 at 400', () => {
    expect([...r.bytes(160, 16)]).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(le(r.bytes(400, 16))).toBe(0x80000000_00000000_11223344_ffffffffn);
  });
  it('bytes 416..511 are not written', () => expect(r.bytes(416, 96).every((b) => b === 0)).toBe(true));
});

describe('XSAVE with PKRU (standard format, PKRU at 2688)', () => {
  const setup = (cpu: Cpu): void => {
    cpu.mmu.setCr4(cpu.mmu.cr4 | CR4_PKE);
    cpu.xcr0 = 0x203;
    cpu.mmu.setPkru(0x5555_5554);
    cpu.mxcsr = 0x1f80;
    cpu.lo[0] = -1; // EAX
    cpu.lo[2] = -1; // EDX
  };
  const r = run('xsave64 (%rdi)', setup);
  it('saves PKRU in bytes 2688..2691, zero in 2692..2695', () => {
    expect(r.vector).toBe(-1);
    expect(le(r.bytes(2688, 4))).toBe(0x5555_5554n);
    expect(le(r.bytes(2692, 4))).toBe(0n);
  });
  it('XSTATE_BV = x87|SSE|PKRU (every saved component, no init optimization); XCOMP_BV untouched', () => {
    expect(le(r.bytes(512, 8))).toBe(0x203n);
    expect(le(r.bytes(520, 8))).toBe(0n);
  });
  it('keeps XSTATE_BV bits outside RFBM', () => {
    const image = new Uint8Array(4096);
    image[512] = 0x01; // x87 set, left alone when RFBM = SSE|PKRU
    image[513] = 0x00;
    const r2 = run('xsave64 (%rdi)', (cpu) => {
      setup(cpu);
      cpu.lo[0] = 0x202;
      cpu.lo[2] = 0;
    }, image);
    expect(le(r2.bytes(512, 8))).toBe(0x203n);
    expect(le(r2.bytes(0, 2))).toBe(0n); // x87 not saved: FCW untouched
  });
  it('XRSTOR loads PKRU when XSTATE_BV[9] = 1, and 0 (its init value) when clear', () => {
    const image = new Uint8Array(4096);
    const dv = new DataView(image.buffer);
    dv.setUint32(24, 0x1f80, true);
    dv.setUint32(512, 0x203, true);
    dv.setUint32(2688, 0x0000_000c, true);
    const loaded = run('xrstor64 (%rdi)', setup, image);
    expect(loaded.vector).toBe(-1);
    expect(loaded.cpu.mmu.pkru).toBe(0xc);
    dv.setUint32(512, 0x003, true);
    const init = run('xrstor64 (%rdi)', setup, image);
    expect(init.cpu.mmu.pkru).toBe(0);
  });
});

describe('XRSTOR (SDM Vol. 1 §13.8, standard form)', () => {
  function image(bv: number, mxcsr = 0x3f80): Uint8Array {
    const b = new Uint8Array(1024);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, 0x027f, true);
    dv.setUint32(24, mxcsr, true);
    for (let k = 0; k < 256; k++) b[160 + k] = k;
    dv.setUint32(512, bv, true);
    return b;
  }
  const base = (cpu: Cpu): void => {
    cpu.lo[0] = 3;
    cpu.lo[2] = 0;
    cpu.fpuCw = 0x0f7f;
    cpu.xmm.fill(7);
  };
  it('XSTATE_BV = SSE only: x87 initialised, XMM and MXCSR loaded', () => {
    const r = run('xrstor64 (%rdi)', base, image(2));
    expect(r.vector).toBe(-1);
    expect(r.cpu.fpuCw).toBe(0x037f);
    expect(r.cpu.mxcsr).toBe(0x3f80);
    expect(r.cpu.xmm[0]).toBe(0x03020100);
  });
  it('XSTATE_BV = x87 only: XMM zeroed, MXCSR still loaded from memory (RFBM has SSE)', () => {
    const r = run('xrstor64 (%rdi)', base, image(1));
    expect(r.cpu.fpuCw).toBe(0x027f);
    expect([...r.cpu.xmm].every((v) => v === 0)).toBe(true);
    expect(r.cpu.mxcsr).toBe(0x3f80);
  });
  it('RFBM = x87 only: XMM and MXCSR untouched', () => {
    const r = run('xrstor64 (%rdi)', (cpu) => {
      base(cpu);
      cpu.lo[0] = 1;
    }, image(3));
    expect(r.cpu.xmm[0]).toBe(7);
    expect(r.cpu.mxcsr).toBe(0x1f80);
  });
  it.each([
    ['compacted form (XCOMP_BV[63])', (b: Uint8Array) => (b[527] = 0x80)],
    ['XCOMP_BV non-zero', (b: Uint8Array) => (b[520] = 1)],
    ['header bytes 16..23 non-zero', (b: Uint8Array) => (b[530] = 1)],
    ['XSTATE_BV bit outside XCR0', (b: Uint8Array) => (b[513] = 2)],
    ['reserved MXCSR bit', (b: Uint8Array) => (b[26] = 1)],
  ])('#GP(0): %s, and nothing changes', (_name, poke) => {
    const img = image(3);
    poke(img);
    const r = run('xrstor64 (%rdi)', base, img);
    expect(r.vector).toBe(13);
    expect(r.cpu.fpuCw).toBe(0x0f7f);
    expect(r.cpu.xmm[0]).toBe(7);
  });
  it('#GP(0) when not 64-byte aligned; #UD without CR4.OSXSAVE; #NM with CR0.TS', () => {
    expect(run('xrstor64 16(%rdi)', base, image(3)).vector).toBe(13);
    expect(run('xsave 32(%rdi)', base).vector).toBe(13);
    expect(run('xsave (%rdi)', (cpu) => cpu.mmu.setCr4(cpu.mmu.cr4 & ~CR4_OSXSAVE)).vector).toBe(6);
    expect(run('xrstor (%rdi)', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_TS), image(3)).vector).toBe(7);
  });
});

describe('SSE availability and SIMD exceptions (SDM Vol. 3A §13.1, Vol. 1 §11.5)', () => {
  it('#UD with CR4.OSFXSR = 0 or CR0.EM = 1; #NM with CR0.TS = 1', () => {
    expect(run('paddb %xmm1, %xmm2', (cpu) => cpu.mmu.setCr4(cpu.mmu.cr4 & ~CR4_OSFXSR)).vector).toBe(6);
    expect(run('addsd %xmm1, %xmm2', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_EM)).vector).toBe(6);
    expect(run('movdqa %xmm1, %xmm2', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_TS)).vector).toBe(7);
    expect(run('ldmxcsr (%rdi)', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_TS)).vector).toBe(7);
  });
  it('FXSAVE: #NM with CR0.TS or CR0.EM', () => {
    expect(run('fxsave (%rdi)', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_TS)).vector).toBe(7);
    expect(run('fxsave (%rdi)', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_EM)).vector).toBe(7);
  });
  it('an unmasked exception is #XM with CR4.OSXMMEXCPT = 1, #UD without; flags set, destination kept', () => {
    const divByZero = (cpu: Cpu): void => {
      cpu.mxcsr = 0x1f80 & ~(1 << 9); // ZM clear
      setXmm(cpu, 1, [0, 0x3ff00000, 0, 0]); // 1.0
      setXmm(cpu, 2, [0, 0, 0, 0]);
    };
    const xm = run('divsd %xmm2, %xmm1', divByZero);
    expect(xm.vector).toBe(19);
    expect(xm.cpu.mxcsr & 0x3f).toBe(0x4);
    expect(xm.cpu.xmm[5]).toBe(0x3ff00000);
    const ud = run('divsd %xmm2, %xmm1', (cpu) => {
      divByZero(cpu);
      cpu.mmu.setCr4(cpu.mmu.cr4 & ~CR4_OSXMMEXCPT);
    });
    expect(ud.vector).toBe(6);
  });
  it('WAIT: #NM only when CR0.MP and CR0.TS are both set; x87 control instructions #NM with TS', () => {
    expect(run('fwait', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_TS)).vector).toBe(-1);
    expect(run('fwait', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_TS | CR0_MP)).vector).toBe(7);
    expect(run('fnstcw (%rdi)', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_TS)).vector).toBe(7);
    expect(run('fninit', (cpu) => cpu.mmu.setCr0(cpu.mmu.cr0 | CR0_EM)).vector).toBe(7);
  });
});
