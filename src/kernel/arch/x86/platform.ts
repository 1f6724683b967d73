/**
 * Boots the modelled x86-64 platform for one design: memory map, page
 * tables, GDT, IDT (vectors 0-31, the timer vector, NMI), a TSS with RSP0
 * and the four IST stacks of reference §1.4 (guard pages around each), the
 * per-CPU area through GS, the entry stubs generated for the design and
 * assembled at KERNEL_TEXT, native "C" text, and the control registers and
 * MSRs as Linux programs them (reference §1.5: STAR, LSTAR, FMASK; CR4.PKE
 * and CR4.PKS on).
 * @kernel arch/x86/kernel/cpu/common.c cpu_init, syscall_init; arch/x86/kernel/idt.c
 */
import { assemble } from '../../../asm/index.js';
import type { Cpu } from '../../../cpu/exec.js';
import { createCpu } from '../../../cpu/machine.js';
import { Mmu } from '../../../cpu/mmu.js';
import { PhysMemory } from '../../../cpu/phys-memory.js';
import type { Design } from '../../../design/build.js';
import { InternalError } from '../../../lib/errors.js';
import { AddressSpace } from './address-space.js';
import {
  ENTRY_C_FUNCTION_NAMES, ENTRY_SYSCALL_LABEL, entryIdt, generateEntryText, type EntryCFunction, type EntrySymbols,
} from './entry/index.js';
import {
  CPU_ENTRY_AREA, EXCEPTION_STKSZ, GDT_ADDRESS, IDT_ADDRESS, IST_STACKS, KERNEL_CS, KERNEL_DATA, KERNEL_TEXT,
  KERNEL_TEXT_SIZE, NATIVE_TEXT, NATIVE_TEXT_SIZE, PAGE_SIZE, PER_CPU_BASE, TSS_ADDRESS, USER32_CS, istStackBottom,
  istStackTop,
} from './memory-map.js';
import { NativeRuntime, type NativeBody } from './native.js';
import { fixupBadIret } from './bad-iret.js';
import { excDoubleFault, initEspfixBsp } from './espfix.js';
import { mapLdtSlots } from './ldt.js';

/** Linux's 64-bit GDT (arch/x86/kernel/cpu/common.c gdt_page), by index. */
export const LINUX_GDT: readonly bigint[] = [
  0n,
  0x00cf9b000000ffffn, // 0x08 __KERNEL32_CS
  0x00af9b000000ffffn, // 0x10 __KERNEL_CS (L = 1)
  0x00cf93000000ffffn, // 0x18 __KERNEL_DS
  0x00cffb000000ffffn, // 0x23 __USER32_CS
  0x00cff3000000ffffn, // 0x2b __USER_DS
  0x00affb000000ffffn, // 0x33 __USER_CS (L = 1)
];

/** Per-CPU variables (offsets from GS base in kernel mode). */
export const PER_CPU = {
  /** pcpu_hot.top_of_stack: the current task's stack top (SYSCALL's stack). */
  topOfStack: 0x0,
  /** cpu_tss_rw.sp2: the user RSP at SYSCALL. */
  userRspScratch: 0x8,
  /** espfix_stack and espfix_waddr (arch/x86/kernel/espfix_64.c; espfix.ts). */
  espfixStack: 0x10,
  espfixWaddr: 0x18,
} as const;

// Control registers and MSRs (SDM Vol. 3A §2.5, reference §1.5, §3.1).
const CR0 = (1 << 0) | (1 << 1) | (1 << 5) | (1 << 16) | 0x8000_0000; // PE MP NE WP PG
const CR4 =
  (1 << 5) /* PAE */ | (1 << 9) /* OSFXSR */ | (1 << 10) /* OSXMMEXCPT */ | (1 << 16) /* FSGSBASE */ |
  (1 << 18) /* OSXSAVE */ | (1 << 20) /* SMEP */ | (1 << 21) /* SMAP */ | (1 << 22) /* PKE */ | (1 << 24) /* PKS */;
const EFER = (1 << 0) | (1 << 8) | (1 << 10) | (1 << 11); // SCE LME LMA NXE
/** MSR_SYSCALL_MASK = CF|PF|AF|ZF|SF|TF|IF|DF|OF|IOPL|NT|RF|AC|ID (reference §1.5). */
export const LINUX_FMASK = 0x257fd5;

export interface PlatformOptions {
  readonly design: Design;
  /** Bodies of the C functions the entry stubs call; missing ones are filled with an oops. */
  readonly entryFunctions: Partial<Record<EntryCFunction, NativeBody>>;
  /** Stack-frame locals of a C function (e.g. irqentry_state_t), in bytes. */
  readonly locals?: Partial<Record<EntryCFunction, number>>;
  /** Device-interrupt vectors with entry stubs. */
  readonly irqVectors?: readonly number[];
}

export interface Platform {
  readonly design: Design;
  readonly phys: PhysMemory;
  readonly space: AddressSpace;
  readonly mmu: Mmu;
  readonly cpu: Cpu;
  readonly native: NativeRuntime;
  /** Entry-text symbols (labels of the stubs) as CPU addresses. */
  readonly symbols: ReadonlyMap<string, number>;
  /** The generated AT&T text (for listings and the visualizer). */
  readonly entryText: string;
  /** Kernel-text address → `label+0xoff`, for native and stub addresses. */
  symbolize(address: number): string | null;
}

function num(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function writeU64(phys: PhysMemory, pa: number, v: bigint): void {
  const x = BigInt.asUintN(64, v);
  phys.write32(pa, Number(x & 0xffff_ffffn));
  phys.write32(pa + 4, Number(x >> 32n));
}

/** A 16-byte 64-bit interrupt gate (SDM Vol. 3A §6.14.1 Figure 6-8). */
function writeGate(phys: PhysMemory, pa: number, target: number, ist: number, dpl: number): void {
  const off = BigInt.asUintN(64, BigInt(target));
  const lo =
    (off & 0xffffn) | (BigInt(KERNEL_CS) << 16n) | (BigInt(ist & 7) << 32n) |
    (BigInt(0x80 | (dpl << 5) | 0xe) << 40n) | (((off >> 16n) & 0xffffn) << 48n);
  writeU64(phys, pa, lo);
  writeU64(phys, pa + 8, off >> 32n);
}

export function bootPlatform(opts: PlatformOptions): Platform {
  const phys = new PhysMemory();
  const space = new AddressSpace(phys);
  const sup = { writable: true, noExec: true } as const;

  // cpu_entry_area: GDT, IDT, TSS, then the IST stacks with a guard page below each.
  const pGdt = space.mapNew(GDT_ADDRESS, PAGE_SIZE, sup);
  const pIdt = space.mapNew(IDT_ADDRESS, PAGE_SIZE, sup);
  const pTss = space.mapNew(TSS_ADDRESS, PAGE_SIZE, sup);
  IST_STACKS.forEach((_s, i) => space.mapNew(istStackBottom(i), EXCEPTION_STKSZ, sup));
  space.mapNew(PER_CPU_BASE, PAGE_SIZE, sup);
  space.mapNew(KERNEL_DATA, 4 * PAGE_SIZE, sup);
  void CPU_ENTRY_AREA;

  const mmu = new Mmu(phys);
  mmu.setEfer(EFER);
  mmu.setCr0(CR0);
  mmu.setCr4(CR4);
  mmu.setCr3(space.root);
  const cpu = createCpu(mmu);
  cpu.xcr0 = 0x203; // x87 | SSE | PKRU

  // Native C functions (the host-call range) and the entry text that calls them.
  const native = new NativeRuntime(cpu, NATIVE_TEXT, NATIVE_TEXT_SIZE);
  const oops = (name: string): NativeBody => () => {
    throw new InternalError(`${name} is not modelled yet`);
  };
  const functions = {} as Record<EntryCFunction, number>;
  // exc_double_fault's ESPFIX64 branch needs entry-text labels: built on first use, after assembly.
  let doubleFault: NativeBody | undefined;
  const defaults: Partial<Record<EntryCFunction, NativeBody>> = {
    exc_double_fault: (rt, call) => (doubleFault ??= excDoubleFault(opts.design, {
      nativeIrqReturnIret: label('native_irq_return_iret'), asmExcGeneralProtection: label('asm_exc_general_protection'),
    }))(rt, call),
  };
  for (const name of ENTRY_C_FUNCTION_NAMES) {
    functions[name] = native.define(name, opts.entryFunctions[name] ?? defaults[name] ?? oops(name), opts.locals?.[name] ?? 0).address;
  }
  const sym: EntrySymbols = {
    perCpuTopOfStack: PER_CPU.topOfStack,
    perCpuUserRspScratch: PER_CPU.userRspScratch,
    perCpuBase: PER_CPU_BASE,
    fsgsbase: true,
    functions,
    fixupBadIret: native.define('fixup_bad_iret', fixupBadIret(opts.design)).address,
    espfix: { perCpuStack: PER_CPU.espfixStack, perCpuWaddr: PER_CPU.espfixWaddr },
    ...(opts.irqVectors ? { irqVectors: opts.irqVectors } : {}),
  };
  const entryText = generateEntryText(opts.design, sym);
  const asm = assemble(entryText, { origin: BigInt.asUintN(64, BigInt(KERNEL_TEXT)) });
  if (asm.bytes.length > KERNEL_TEXT_SIZE) throw new InternalError('entry text larger than KERNEL_TEXT_SIZE');
  const pText = space.mapNew(KERNEL_TEXT, Math.ceil(asm.bytes.length / PAGE_SIZE) * PAGE_SIZE, {});
  phys.writeBytes(pText, asm.bytes);
  const symbols = new Map<string, number>();
  for (const [name, v] of asm.symbols) symbols.set(name, num(v));
  const label = (name: string): number => {
    const a = symbols.get(name);
    if (a === undefined) throw new InternalError(`entry text lacks ${name}`);
    return a;
  };

  // Descriptor tables.
  LINUX_GDT.forEach((e, i) => writeU64(phys, pGdt + i * 8, e));
  cpu.gdtBase = GDT_ADDRESS;
  cpu.gdtLimit = LINUX_GDT.length * 8 - 1;
  mapLdtSlots(space, cpu); // GDT_ENTRIES, and the LDT remap slots (ldt.ts)
  initEspfixBsp(space, cpu, { stack: PER_CPU_BASE + PER_CPU.espfixStack, waddr: PER_CPU_BASE + PER_CPU.espfixWaddr });
  for (const g of entryIdt(sym)) writeGate(phys, pIdt + g.vector * 16, label(g.label), g.ist, g.dpl);
  cpu.idtBase = IDT_ADDRESS;
  cpu.idtLimit = 256 * 16 - 1;
  // TSS (SDM Vol. 3A §8.7): ISTn at 36 + 8 (n - 1); RSP0 is set per task at context switch.
  IST_STACKS.forEach((s, i) => writeU64(phys, pTss + 36 + 8 * s.istIndex, BigInt(istStackTop(i))));
  cpu.tssBase = TSS_ADDRESS;

  // MSRs: STAR[47:32] = __KERNEL_CS, STAR[63:48] = __USER32_CS (syscall_init); LSTAR; FMASK.
  cpu.starHi = (USER32_CS << 16) | KERNEL_CS;
  cpu.lstar = label(ENTRY_SYSCALL_LABEL);
  cpu.fmask = LINUX_FMASK;
  cpu.gsBase = PER_CPU_BASE;
  cpu.setCs(KERNEL_CS);
  cpu.ss = 0x18;

  const sortedLabels = [...symbols].filter(([, a]) => a >= KERNEL_TEXT && a < KERNEL_TEXT + KERNEL_TEXT_SIZE)
    .sort((a, b) => a[1] - b[1]);
  const symbolize = (address: number): string | null => {
    const n = native.symbolize(address);
    if (n) return n;
    let best: [string, number] | undefined;
    for (const entry of sortedLabels) {
      if (entry[1] > address) break;
      if (!entry[0].startsWith('.')) best = entry;
    }
    return best ? `${best[0]}+0x${(address - best[1]).toString(16)}` : null;
  };
  return { design: opts.design, phys, space, mmu, cpu, native, symbols, entryText, symbolize };
}
