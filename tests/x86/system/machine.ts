/**
 * A small two-ring test machine for the system-instruction and delivery
 * tests: 4-level paging, Linux's GDT selectors (reference §1.5), a 64-bit
 * TSS with RSP0 and IST1..3, a 256-entry IDT of 16-byte gates built here
 * from SDM Vol. 3A §6.14.1 Figure 6-8 (independently of deliver.ts), kernel
 * text assembled at KTEXT (CPL 0) and user text at UTEXT (CPL 3) with
 * src/asm.
 *
 * By default every gate points into a host-call range (HOST + vector), so
 * `run` stops at the handler with the hardware frame on the stack, which
 * `frame()` reads. A gate can instead point at a label of the kernel text.
 *
 * Virtual layout:
 *   UTEXT   0x400000           user code (user, RX)
 *   UDATA   0x600000           user data (user, RW, NX); UDATA_RO read-only
 *   USTACK  0x7fe000..0x800000 user stack (user, RW, NX)
 *   KBASE   0xffff888000000000 GDT +0, IDT +0x1000, TSS +0x2000, per-CPU +0x3000,
 *           RSP0 stack +0x4000..+0x8000, IST1 +0x9000..+0xa000, IST2 +0xb000..+0xc000,
 *           IST3 +0xd000..+0xe000, kernel data +0x10000..+0x12000 (guards unmapped)
 *   KTEXT   0xffffffff81000000 kernel code (supervisor, RX)
 *   HOST    0xffffffff82000000 host-call range: gate targets, never fetched
 */
import { assemble } from '../../../src/asm/index.js';
import type { Cpu } from '../../../src/cpu/exec.js';
import { createCpu } from '../../../src/cpu/machine.js';
import { Mmu } from '../../../src/cpu/mmu.js';
import { PageTableBuilder } from '../../../src/cpu/page-table-builder.js';
import { PhysMemory } from '../../../src/cpu/phys-memory.js';
import { LINUX_GDT } from '../../../src/kernel/arch/x86/platform.js';

export const UTEXT = 0x40_0000;
export const UDATA = 0x60_0000;
export const UDATA_RO = 0x60_1000;
export const USTACK_TOP = 0x80_0000;
export const KBASE = -0x7778_0000_0000; // 0xffff888000000000
export const GDT = KBASE;
export const IDT = KBASE + 0x1000;
export const TSS = KBASE + 0x2000;
export const PERCPU = KBASE + 0x3000;
export const KSTACK_TOP = KBASE + 0x8000;
export const IST_TOP = [0, KBASE + 0xa000, KBASE + 0xc000, KBASE + 0xe000] as const;
export const KDATA = KBASE + 0x1_0000;
/** Mapped nowhere: a stack pointer here makes every push #PF. */
export const UNMAPPED = KBASE + 0x4_0000;
export const KTEXT = -0x7f00_0000; // 0xffffffff81000000
export const HOST = -0x7e00_0000; // 0xffffffff82000000

/** Linux selectors (reference §1.5). */
export const KERNEL_CS = 0x10;
export const KERNEL_DS = 0x18;
export const USER32_CS = 0x23;
export const USER_DS = 0x2b;
export const USER_CS = 0x33;
/** MSR_SYSCALL_MASK as Linux writes it: CF|PF|AF|ZF|SF|TF|IF|DF|OF|IOPL|NT|RF|AC|ID (reference §1.5). */
export const LINUX_FMASK = 0x257fd5;
/** STAR[63:32] as Linux's syscall_init writes it: (__USER32_CS << 16) | __KERNEL_CS. */
export const LINUX_STAR_HI = (USER32_CS << 16) | KERNEL_CS;

const PT_BASE = 0x10_0000;
const P_UTEXT = 0x40_0000;
const P_UDATA = 0x50_0000;
const P_USTACK = 0x58_0000;
const P_KBASE = 0x60_0000;
const P_KTEXT = 0x80_0000;
const KBASE_SIZE = 0x1_2000;

/** Linux's 64-bit GDT, shared with the kernel model's boot (src/kernel/arch/x86/platform.ts). */
const GDT_ENTRIES = LINUX_GDT;

export interface GateSpec {
  /** 'int' = interrupt gate (type 0xE), 'trap' = trap gate (type 0xF). */
  readonly type?: 'int' | 'trap';
  readonly dpl?: number;
  /** 0..7 (SDM §6.14.5). */
  readonly ist?: number;
  readonly present?: boolean;
  readonly selector?: number;
  /** A kernel-text label, or an absolute address; default HOST + vector. */
  readonly target?: string | number;
}

export interface MachineOptions {
  readonly kernel?: string;
  readonly user?: string;
  /** Gate overrides by vector. Defaults: interrupt gate, DPL 0, IST 0, present, HOST + vector. */
  readonly gates?: Readonly<Record<number, GateSpec>>;
  /** TSS.RSP0 (default KSTACK_TOP). */
  readonly rsp0?: number;
  /** TSS.IST1..7 (index 1..7; default IST_TOP[1..3]). */
  readonly ist?: Readonly<Record<number, number>>;
  /** Extra CR4 bits. */
  readonly cr4?: number;
}

export interface Machine {
  readonly cpu: Cpu;
  readonly phys: PhysMemory;
  readonly pt: PageTableBuilder;
  /** Kernel-text and user-text label addresses (sign-extended numbers). */
  readonly k: (label: string) => number;
  readonly u: (label: string) => number;
  /** Enter user mode at `rip` (default UTEXT) with RSP = USTACK_TOP, RFLAGS = 0x202. */
  readonly toUser: (rip?: number, rflags?: number) => void;
  /** Start kernel code at `rip` (default KTEXT) with RSP = KSTACK_TOP - 0x1000, RFLAGS = 0x2. */
  readonly toKernel: (rip?: number, rflags?: number, rsp?: number) => void;
  /** Reads a 64-bit value of the kernel area (KBASE..) as a bigint. */
  readonly kread: (la: number) => bigint;
  readonly kwrite: (la: number, v: bigint) => void;
  /** Reads user data memory (UDATA page or the user stack). */
  readonly uread: (la: number) => bigint;
  /** Words of the stack at RSP: [0] = lowest. */
  readonly stack: (n: number, at?: number) => bigint[];
  /** Writes gate `vector`. */
  readonly setGate: (vector: number, spec: GateSpec) => void;
  /** Writes a TSS 64-bit field at byte offset. */
  readonly setTss: (offset: number, value: number) => void;
}

/** A number (sign-extended canonical) as its unsigned 64-bit bigint. */
export function u64(v: number): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

export function reg(cpu: Cpu, r: number): bigint {
  return (BigInt(cpu.hi[r]! >>> 0) << 32n) | BigInt(cpu.lo[r]! >>> 0);
}

export function setReg(cpu: Cpu, r: number, v: bigint | number): void {
  const x = BigInt.asUintN(64, BigInt(v));
  cpu.lo[r] = Number(x & 0xffff_ffffn) | 0;
  cpu.hi[r] = Number(x >> 32n) | 0;
}

export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
export const R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

/** RFLAGS bits (SDM Vol. 1 §3.4.3). */
export const F = {
  CF: 1, FIXED: 2, PF: 4, AF: 0x10, ZF: 0x40, SF: 0x80, TF: 0x100, IF: 0x200, DF: 0x400, OF: 0x800,
  IOPL: 0x3000, NT: 0x4000, RF: 0x1_0000, VM: 0x2_0000, AC: 0x4_0000, VIF: 0x8_0000, VIP: 0x10_0000, ID: 0x20_0000,
} as const;

const CR0_PE = 1, CR0_MP = 2, CR0_ET = 0x10, CR0_NE = 0x20, CR0_WP = 1 << 16, CR0_PG = 0x8000_0000;
const CR4_PAE = 1 << 5, CR4_PGE = 1 << 7, CR4_OSFXSR = 1 << 9, CR4_OSXMMEXCPT = 1 << 10;
export const CR4_FSGSBASE = 1 << 16;
export const CR4_PKE = 1 << 22;
export const CR0_VALUE = (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG) >>> 0;
export const CR4_BASE = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
/** EFER: SCE (0), LME (8), LMA (10), NXE (11) (SDM Vol. 3A §2.2.1). */
export const EFER_VALUE = 0x1 | 0x100 | 0x400 | 0x800;

function gateBytes(vector: number, spec: GateSpec, k: (l: string) => number): Uint8Array {
  const t = spec.target;
  const target = t === undefined ? HOST + vector : typeof t === 'string' ? k(t) : t;
  const off = u64(target);
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  // SDM Vol. 3A §6.14.1 Figure 6-8: offset 15:0, selector, IST (bits 2:0 of byte 4),
  // type/DPL/P (byte 5), offset 31:16, offset 63:32, reserved.
  dv.setUint16(0, Number(off & 0xffffn), true);
  dv.setUint16(2, spec.selector ?? KERNEL_CS, true);
  dv.setUint8(4, (spec.ist ?? 0) & 7);
  const type = spec.type === 'trap' ? 0xf : 0xe;
  dv.setUint8(5, ((spec.present ?? true) ? 0x80 : 0) | ((spec.dpl ?? 0) << 5) | type);
  dv.setUint16(6, Number((off >> 16n) & 0xffffn), true);
  dv.setUint32(8, Number(off >> 32n), true);
  return b;
}

export function buildMachine(opts: MachineOptions = {}): Machine {
  const phys = new PhysMemory();
  const pt = new PageTableBuilder(phys, { tableBase: PT_BASE });
  const kasm = assemble(opts.kernel ?? 'hlt', { origin: u64(KTEXT) });
  const uasm = assemble(opts.user ?? 'int3', { origin: UTEXT });
  const label = (a: typeof kasm, what: string) => (l: string): number => {
    const v = a.symbols.get(l);
    if (v === undefined) throw new Error(`no ${what} label ${l}`);
    return Number(BigInt.asIntN(64, v));
  };
  const k = label(kasm, 'kernel');
  const u = label(uasm, 'user');

  // User side.
  for (let off = 0; off < 0x2000; off += 0x1000) pt.map4k(UTEXT + off, P_UTEXT + off, { user: true });
  pt.map4k(UDATA, P_UDATA, { user: true, writable: true, noExec: true });
  pt.map4k(UDATA_RO, P_UDATA + 0x1000, { user: true, noExec: true });
  for (let off = 0x2000; off > 0; off -= 0x1000) {
    pt.map4k(USTACK_TOP - off, P_USTACK + 0x2000 - off, { user: true, writable: true, noExec: true });
  }
  phys.writeBytes(P_UTEXT, uasm.bytes);
  // Kernel side: only the listed pages, so the gaps are guard pages.
  const kpages = [0x0, 0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000, 0x9000, 0xb000, 0xd000, 0x10000, 0x11000];
  for (const off of kpages) pt.map4k(KBASE + off, P_KBASE + off, { writable: true, noExec: true });
  for (let off = 0; off < 0x4000; off += 0x1000) pt.map4k(KTEXT + off, P_KTEXT + off, {});
  phys.writeBytes(P_KTEXT, kasm.bytes);

  GDT_ENTRIES.forEach((e, i) => {
    phys.write32(P_KBASE + i * 8, Number(e & 0xffff_ffffn));
    phys.write32(P_KBASE + i * 8 + 4, Number(e >> 32n));
  });
  const setGate = (vector: number, spec: GateSpec): void => {
    phys.writeBytes(P_KBASE + 0x1000 + vector * 16, gateBytes(vector, spec, k));
  };
  for (let v = 0; v < 256; v++) setGate(v, opts.gates?.[v] ?? {});
  // 64-bit TSS (SDM Vol. 3A §8.7 Figure 8-11): RSP0 at 4, ISTn at 36 + 8 (n - 1).
  const setTss = (offset: number, value: number): void => {
    const x = u64(value);
    phys.write32(P_KBASE + 0x2000 + offset, Number(x & 0xffff_ffffn));
    phys.write32(P_KBASE + 0x2000 + offset + 4, Number(x >> 32n));
  };
  setTss(4, opts.rsp0 ?? KSTACK_TOP);
  for (let n = 1; n <= 3; n++) setTss(36 + 8 * (n - 1), opts.ist?.[n] ?? IST_TOP[n]!);
  for (const [n, v] of Object.entries(opts.ist ?? {})) setTss(36 + 8 * (Number(n) - 1), v);

  const mmu = new Mmu(phys);
  mmu.setEfer(EFER_VALUE);
  mmu.setCr0(CR0_VALUE);
  mmu.setCr4(CR4_BASE | (opts.cr4 ?? 0));
  mmu.setCr3(pt.root);
  const cpu = createCpu(mmu);
  cpu.gdtBase = GDT;
  cpu.gdtLimit = GDT_ENTRIES.length * 8 - 1;
  cpu.idtBase = IDT;
  cpu.idtLimit = 256 * 16 - 1;
  cpu.tssBase = TSS;
  cpu.hostcallStart = HOST;
  cpu.hostcallEnd = HOST + 0x1000;
  cpu.starHi = LINUX_STAR_HI;
  cpu.fmask = LINUX_FMASK;
  cpu.kernelGsBase = PERCPU;

  const kphys = (la: number): number => {
    const off = la - KBASE;
    if (off < 0 || off + 8 > KBASE_SIZE) throw new Error(`kread outside the kernel area: ${la}`);
    return P_KBASE + off;
  };
  const uphys = (la: number): number => {
    if (la >= UDATA && la + 8 <= UDATA + 0x2000) return P_UDATA + (la - UDATA);
    if (la >= USTACK_TOP - 0x2000 && la + 8 <= USTACK_TOP) return P_USTACK + (la - (USTACK_TOP - 0x2000));
    throw new Error(`uread outside user data: ${la}`);
  };
  const read = (pa: number): bigint => (BigInt(phys.read32(pa + 4) >>> 0) << 32n) | BigInt(phys.read32(pa) >>> 0);
  const kread = (la: number): bigint => read(kphys(la));
  const kwrite = (la: number, v: bigint): void => {
    const x = BigInt.asUintN(64, v);
    phys.write32(kphys(la), Number(x & 0xffff_ffffn));
    phys.write32(kphys(la) + 4, Number(x >> 32n));
  };
  const uread = (la: number): bigint => read(uphys(la));
  const stack = (n: number, at?: number): bigint[] => {
    const sp = at ?? cpu.reg64(RSP);
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) {
      const la = sp + 8 * i;
      out.push(la < 0 ? kread(la) : uread(la));
    }
    return out;
  };
  const toUser = (rip = UTEXT, rflags = 0x202): void => {
    cpu.setCs(USER_CS);
    cpu.ss = USER_DS;
    cpu.rip = rip;
    cpu.setRspNumber(USTACK_TOP);
    cpu.flags.set(rflags);
    cpu.updateDataMode();
  };
  const toKernel = (rip = KTEXT, rflags = 0x2, rsp = KSTACK_TOP - 0x1000): void => {
    cpu.setCs(KERNEL_CS);
    cpu.ss = KERNEL_DS;
    cpu.rip = rip;
    cpu.setRspNumber(rsp);
    cpu.flags.set(rflags);
    cpu.updateDataMode();
  };
  return { cpu, phys, pt, k, u, toUser, toKernel, kread, kwrite, uread, stack, setGate, setTss };
}

/** The hardware frame at RSP (SDM Vol. 3A §6.14.2 Figure 6-9). */
export interface Frame {
  readonly error?: bigint;
  readonly rip: bigint;
  readonly cs: bigint;
  readonly rflags: bigint;
  readonly rsp: bigint;
  readonly ss: bigint;
}

export function frame(m: Machine, withError: boolean, at?: number): Frame {
  const w = m.stack(withError ? 6 : 5, at);
  const k = withError ? 1 : 0;
  return {
    ...(withError ? { error: w[0]! } : {}),
    rip: w[k]!, cs: w[k + 1]!, rflags: w[k + 2]!, rsp: w[k + 3]!, ss: w[k + 4]!,
  };
}

/** Runs and expects a stop at HOST + vector (a gate that points at the host-call range). */
export function runToVector(m: Machine, vector: number, budget = 10_000): void {
  const exit = m.cpu.run(budget);
  if (exit.kind !== 'hostcall' || exit.address !== HOST + vector) {
    const where = exit.kind === 'hostcall' ? `hostcall at vector ${exit.address - HOST}` : exit.kind;
    throw new Error(`expected delivery of vector ${vector}, got ${where} (rip ${m.cpu.rip.toString(16)})`);
  }
}
