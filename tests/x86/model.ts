/**
 * Runs a native-harness case (tests/x86/host/native.ts) on kentry's CPU and
 * reports the result in the same shape, so the two can be compared field by
 * field. The model machine mirrors the harness's address space (code page at
 * CODE_BASE, data area at DATA_BASE, guard pages unmapped) at CPL 3, and adds
 * a minimal supervisor side: a GDT with Linux's selectors (reference §1.5),
 * a TSS whose RSP0 is a kernel stack, and an IDT whose 256 gates point into
 * the host-call range — so a fault is delivered through the IDT exactly as
 * on hardware, and the loop stops at the handler address with the frame on
 * the kernel stack, from which the "signal" is read.
 */
import { createCpu } from '../../src/cpu/machine.js';
import { Mmu } from '../../src/cpu/mmu.js';
import { PageTableBuilder } from '../../src/cpu/page-table-builder.js';
import { PhysMemory } from '../../src/cpu/phys-memory.js';
import type { Cpu } from '../../src/cpu/exec.js';
import {
  CODE_BASE, DATA_BASE, DATA_SIZE, DEFAULT_MXCSR, GPR_NAMES, RFLAGS_FIXED, STACK_TOP,
  dataBefore, type DataPatch, type Gprs, type NativeCase, type NativeResult,
} from './host/native.js';
import { LINUX_GDT } from '../../src/kernel/arch/x86/platform.js';

/** Kernel addresses (upper half), as sign-extended numbers. */
const KERNEL_BASE = -0x7778_0000_0000; // 0xffff888800000000
const GDT = KERNEL_BASE;
const IDT = KERNEL_BASE + 0x1000;
const TSS = KERNEL_BASE + 0x2000;
const KSTACK_BOTTOM = KERNEL_BASE + 0x4000;
const KSTACK_TOP = KSTACK_BOTTOM + 0x2000;
/** Gate n's handler address: HANDLERS + n (never fetched: it is in the host-call range). */
const HANDLERS = KERNEL_BASE + 0x10_0000;

// Physical layout.
const PT_BASE = 0x10_0000;
const PHYS_CODE = 0x40_0000;
const PHYS_DATA = 0x50_0000;
const PHYS_KERNEL = 0x60_0000;

/** Linux's 64-bit GDT, shared with the kernel model's boot (src/kernel/arch/x86/platform.ts). */
const GDT_ENTRIES = LINUX_GDT;

const CR0_PE = 1;
const CR0_WP = 1 << 16;
const CR0_PG = 0x8000_0000;
const CR4_PAE = 1 << 5;
const CR4_OSFXSR = 1 << 9;
const CR4_OSXMMEXCPT = 1 << 10;
const CR4_FSGSBASE = 1 << 16;
const CR4_OSXSAVE = 1 << 18;
const EFER = (1 << 0) | (1 << 8) | (1 << 10) | (1 << 11); // SCE LME LMA NXE

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function num(v: bigint): number {
  // Canonical 64-bit address as a sign-extended number.
  return Number(BigInt.asIntN(64, v));
}

function gate(vector: number): Uint8Array {
  const offset = BigInt.asUintN(64, BigInt(HANDLERS + vector));
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, Number(offset & 0xffffn), true);
  dv.setUint16(2, 0x10, true);
  const dpl = vector === 3 || vector === 4 ? 3 : 0; // int3 / into are DPL 3 system gates in Linux
  dv.setUint8(5, 0x80 | (dpl << 5) | 0xe);
  dv.setUint16(6, Number((offset >> 16n) & 0xffffn), true);
  dv.setUint32(8, Number((offset >> 32n) & 0xffff_ffffn), true);
  return b;
}

/** The code page as the harness lays it out: the snippet, `jmp *disp32(%rip)` through the page's last quad, int3 elsewhere. */
function codePage(code: Uint8Array): Uint8Array {
  const page = new Uint8Array(0x1000).fill(0xcc);
  page.set(code, 0);
  const exitAt = code.length;
  const disp = 0x1000 - 8 - (exitAt + 6);
  page.set([0xff, 0x25, disp & 0xff, (disp >> 8) & 0xff, 0, 0], exitAt);
  new DataView(page.buffer).setBigUint64(0x1000 - 8, BigInt.asUintN(64, BigInt(HANDLERS + 256)), true);
  return page;
}

export interface ModelMachine {
  readonly cpu: Cpu;
  readonly phys: PhysMemory;
}

/** A CPL-3 machine with the harness's address space and a minimal kernel side. */
export function modelMachine(code: Uint8Array, data: Uint8Array): ModelMachine {
  const phys = new PhysMemory();
  const b = new PageTableBuilder(phys, { tableBase: PT_BASE });
  b.map4k(num(CODE_BASE), PHYS_CODE, { writable: true, user: true });
  for (let off = 0; off < DATA_SIZE; off += 0x1000) {
    b.map4k(num(DATA_BASE) + off, PHYS_DATA + off, { writable: true, user: true, noExec: true });
  }
  for (let off = 0; off < 0x6000; off += 0x1000) {
    b.map4k(KERNEL_BASE + off, PHYS_KERNEL + off, { writable: true, user: false, noExec: true });
  }
  phys.writeBytes(PHYS_CODE, codePage(code));
  phys.writeBytes(PHYS_DATA, data);
  GDT_ENTRIES.forEach((e, i) => {
    phys.write32(PHYS_KERNEL + i * 8, Number(e & 0xffff_ffffn));
    phys.write32(PHYS_KERNEL + i * 8 + 4, Number(e >> 32n));
  });
  for (let v = 0; v < 256; v++) phys.writeBytes(PHYS_KERNEL + 0x1000 + v * 16, gate(v));
  // TSS.RSP0 at offset 4.
  const rsp0 = BigInt.asUintN(64, BigInt(KSTACK_TOP));
  phys.write32(PHYS_KERNEL + 0x2000 + 4, Number(rsp0 & 0xffff_ffffn));
  phys.write32(PHYS_KERNEL + 0x2000 + 8, Number(rsp0 >> 32n));

  const mmu = new Mmu(phys);
  mmu.setEfer(EFER);
  mmu.setCr0(CR0_PE | CR0_PG | CR0_WP);
  mmu.setCr4(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_FSGSBASE | CR4_OSXSAVE);
  mmu.setCr3(b.root);
  const cpu = createCpu(mmu);
  cpu.gdtBase = GDT;
  cpu.gdtLimit = GDT_ENTRIES.length * 8 - 1;
  cpu.idtBase = IDT;
  cpu.idtLimit = 256 * 16 - 1;
  cpu.tssBase = TSS;
  cpu.xcr0 = 0x3;
  cpu.setCs(0x33);
  cpu.ss = 0x2b;
  return { cpu, phys };
}

/** Error-code vectors (reference §1.2). */
const ERRCODE = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29]);

/** One machine serves every case: building one costs milliseconds, a snippet microseconds. */
let shared: ModelMachine | undefined;
let defaultBlockThreshold: number | undefined;

/**
 * Runs `c` on the model; the result has the native harness's shape. The
 * shared machine is reset first: code page (snippet, exit jump, int3 fill),
 * data area, GPRs, RFLAGS, XMM, MXCSR, x87 control words, CS/SS, CR2 and NMI
 * blocking — everything a snippet or a delivery can change. The decode
 * cache needs no reset: it revalidates cached instructions against the bytes.
 */
export function runModel(c: NativeCase, budget = 100_000, blockThreshold?: number): NativeResult {
  const data = dataBefore(c);
  if (!shared) shared = modelMachine(c.code, data);
  const { cpu, phys } = shared;
  // blockThreshold 1: every straight run goes through a compiled block from its first execution.
  if (defaultBlockThreshold === undefined) defaultBlockThreshold = cpu.blockThreshold;
  cpu.blockThreshold = blockThreshold ?? defaultBlockThreshold;
  phys.writeBytes(PHYS_CODE, codePage(c.code));
  phys.writeBytes(PHYS_DATA, data);
  const regs: Partial<Gprs> = { rsp: STACK_TOP, ...c.regs };
  GPR_NAMES.forEach((name, i) => {
    const v = BigInt.asUintN(64, regs[name] ?? 0n);
    cpu.lo[i] = Number(v & 0xffff_ffffn) | 0;
    cpu.hi[i] = Number(v >> 32n) | 0;
  });
  cpu.setCs(0x33);
  cpu.ss = 0x2b;
  cpu.cr2 = 0;
  cpu.nmiBlocked = false;
  cpu.flags.set(Number((c.rflags ?? RFLAGS_FIXED) | RFLAGS_FIXED));
  cpu.updateDataMode();
  for (let r = 0; r < 16; r++) {
    const x = BigInt.asUintN(128, c.xmm?.[r] ?? 0n);
    for (let d = 0; d < 4; d++) cpu.xmm[r * 4 + d] = Number((x >> BigInt(32 * d)) & 0xffff_ffffn) | 0;
  }
  cpu.mxcsr = c.mxcsr ?? DEFAULT_MXCSR;
  // The harness starts every case from FNINIT's x87 state.
  cpu.fpuCw = 0x37f;
  cpu.fpuSw = 0;
  cpu.fpuTw = 0;
  const end = num(CODE_BASE) + c.code.length;
  cpu.rip = num(CODE_BASE);
  // Gates point at HANDLERS + vector; the snippet's end jumps (like the harness's exit) to HANDLERS + 256.
  cpu.hostcallStart = HANDLERS;
  cpu.hostcallEnd = HANDLERS + 257;
  const exit = cpu.run(budget);
  if (exit.kind !== 'hostcall') throw new Error(`model: unexpected exit ${exit.kind} (budget spent means the snippet loops)`);
  const vector = exit.address === HANDLERS + 256 ? -1 : exit.address - HANDLERS;

  const out = {} as Record<string, bigint>;
  GPR_NAMES.forEach((name, i) => (out[name] = toBig(cpu.lo[i]!, cpu.hi[i]!)));
  const xmm: bigint[] = [];
  for (let r = 0; r < 16; r++) {
    let x = 0n;
    for (let d = 3; d >= 0; d--) x = (x << 32n) | BigInt(cpu.xmm[r * 4 + d]! >>> 0);
    xmm.push(x);
  }
  const after = phys.readBytes(PHYS_DATA, DATA_SIZE);
  const base = {
    regs: out as Gprs,
    xmm,
    mxcsr: cpu.mxcsr,
    dataChanges: diffRuns(data, after),
  };
  if (vector < 0) {
    return { ...base, status: 'ok', rip: BigInt(end), rflags: BigInt(cpu.flags.get()) };
  }
  // The frame the CPU pushed on the kernel stack: [error code], RIP, CS, RFLAGS, RSP, SS.
  const sp = cpu.reg64(4);
  const word = (i: number): bigint => {
    const lo = phys.read32(PHYS_KERNEL + (sp - KERNEL_BASE) + i * 8);
    const hi = phys.read32(PHYS_KERNEL + (sp - KERNEL_BASE) + i * 8 + 4);
    return toBig(lo, hi);
  };
  const hasErr = ERRCODE.has(vector);
  const k = hasErr ? 1 : 0;
  out['rsp'] = word(k + 3);
  return {
    ...base,
    regs: out as Gprs,
    status: 'signal',
    rip: word(k),
    rflags: word(k + 2),
    signal: {
      signo: 0,
      name: '',
      code: 0,
      addr: 0n,
      trapno: vector,
      err: hasErr ? word(0) : 0n,
      cr2: vector === 14 ? BigInt.asUintN(64, BigInt(cpu.cr2)) : 0n,
    },
  };
}

/** Maximal runs of bytes where `after` differs from `before`. */
function diffRuns(before: Uint8Array, after: Uint8Array): DataPatch[] {
  const out: DataPatch[] = [];
  let i = 0;
  while (i < before.length) {
    if (before[i] === after[i]) {
      i++;
      continue;
    }
    const start = i;
    while (i < before.length && before[i] !== after[i]) i++;
    out.push({ offset: start, bytes: after.slice(start, i) });
  }
  return out;
}

