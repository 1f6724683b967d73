/**
 * perf register sampling as arch/x86/kernel/perf_regs.c does it: a static
 * `pt_regs_offset[]` built with offsetof(struct pt_regs, x) at compile time,
 * indexed by PERF_REG_X86_* number, and `perf_reg_value(regs, idx)` reading
 * the unsigned long at that offset from the pt_regs pointer
 * (regs_get_register). kernel/events/core.c perf_output_sample_regs emits
 * one value per set bit of the sample mask, lowest bit first.
 *
 * The table is the point of the audit (DESIGN.md §4 invariant 6): it is an
 * offset-indexed consumer of pt_regs. Two tables exist here:
 *
 *   upstreamOffsets        perf_regs.o compiled against upstream
 *                          asm/ptrace.h — what a consumer with fixed
 *                          compiled offsets reads, whatever the entry code
 *                          actually built;
 *   designOffsets(design)  the same file compiled against the design's
 *                          struct pt_regs (a kernel built for that design).
 *
 * A design that keeps pt_regs as it is (upstream, state-ref, extended, aux:
 * their state lives outside or below pt_regs) gives equal tables. One that
 * moves pt_regs members (pks-in-pt_regs: a new first member) makes the
 * upstream table read, for every register, the member 8 bytes below it.
 *
 * @kernel arch/x86/kernel/perf_regs.c pt_regs_offset, perf_reg_value, perf_reg_validate, perf_reg_abi
 * @kernel arch/x86/include/asm/ptrace.h regs_get_register, MAX_REG_OFFSET
 * @kernel kernel/events/core.c perf_output_sample_regs, perf_sample_regs_intr, perf_exclude_event
 */
import { EINVAL } from '../../../abi/errno.js';
import { layoutOf, type RecordLayout } from '../../../abi/layout.js';
import {
  PERF_REG_X86_64_MAX, PERF_REG_X86_DS, PERF_REG_X86_ES, PERF_REG_X86_FS, PERF_REG_X86_GS, PERF_REG_X86_NAMES,
  PERF_REG_X86_XMM0, PERF_REG_X86_XMM_MAX, PERF_SAMPLE_REGS_ABI_64, type PerfRegX86Name,
} from '../../../abi/structs/perf-regs.js';
import { ptRegs } from '../../../abi/structs/pt-regs.js';
import { field } from '../../../abi/view.js';
import type { Design } from '../../../design/build.js';
import { UsageError } from '../../../lib/errors.js';
import { LOCAL_TIMER_VECTOR } from './entry/symbols.js';
import type { CEntryContext, IrqHandler } from './kernel-c.js';
import type { PtRegs } from './regs.js';

/**
 * The pt_regs member behind each PERF_REG_X86_* number, as perf_regs.c's
 * PT_REGS_OFFSET(id, member) lines pair them; null for DS..GS, which the
 * 64-bit table fills with (unsigned int)-1.
 */
export const PERF_REG_PT_REGS_MEMBER: Readonly<Record<PerfRegX86Name, string | null>> = {
  AX: 'ax', BX: 'bx', CX: 'cx', DX: 'dx', SI: 'si', DI: 'di', BP: 'bp', SP: 'sp',
  IP: 'ip', FLAGS: 'flags', CS: 'cs', SS: 'ss', DS: null, ES: null, FS: null, GS: null,
  R8: 'r8', R9: 'r9', R10: 'r10', R11: 'r11', R12: 'r12', R13: 'r13', R14: 'r14', R15: 'r15',
};

/** (unsigned int)-1: the 64-bit table's entry for DS, ES, FS and GS ("pt_regs does not store ds, es, fs, gs in 64 bit mode"). */
export const NO_PT_REGS_OFFSET = 0xffff_ffff;

/** pt_regs_offset[] with the one other constant regs_get_register compiles in. */
export interface PtRegsOffsetTable {
  /** Whose struct pt_regs the table was built from (a design name). */
  readonly builtFor: string;
  /** pt_regs_offset[PERF_REG_X86_64_MAX]: offsetof(struct pt_regs, member) per PERF_REG_X86_* number. */
  readonly offsets: readonly number[];
  /** MAX_REG_OFFSET = offsetof(struct pt_regs, ss): regs_get_register returns 0 beyond it. */
  readonly maxRegOffset: number;
}

/** Builds pt_regs_offset[] from a pt_regs layout: the compiler's offsetof, never a typed number. */
export function buildPtRegsOffsetTable(layout: RecordLayout, builtFor: string): PtRegsOffsetTable {
  const offsets = PERF_REG_X86_NAMES.map((name) => {
    const member = PERF_REG_PT_REGS_MEMBER[name];
    return member === null ? NO_PT_REGS_OFFSET : field(layout, member).offset;
  });
  return { builtFor, offsets, maxRegOffset: field(layout, 'ss').offset };
}

/** The table of a kernel compiled against upstream struct pt_regs (arch/x86/include/asm/ptrace.h). */
export const upstreamOffsets: PtRegsOffsetTable = buildPtRegsOffsetTable(layoutOf(ptRegs), 'upstream');

const designTables = new WeakMap<Design, PtRegsOffsetTable>();

/** The table of a kernel compiled for `design`: offsetof against the design's struct pt_regs. */
export function designOffsets(design: Design): PtRegsOffsetTable {
  let t = designTables.get(design);
  if (!t) designTables.set(design, (t = buildPtRegsOffsetTable(design.ptRegs, design.name)));
  return t;
}

/** The kernel's own read of its stack (supervisor, current PKRS): the native runtime's read64. */
export interface KernelRead64 {
  read64(address: number): bigint;
}

/**
 * WARN_ON_ONCE at one call site: the first true condition is recorded (the
 * splat), later ones only return true. One per sampler, as the kernel's
 * `__warned` flag is one per call site per boot.
 */
export class WarnOnce {
  readonly warnings: string[] = [];
  private warned = false;

  /** WARN_ON_ONCE(cond): returns cond. */
  on(cond: boolean, message: string): boolean {
    if (cond && !this.warned) {
      this.warned = true;
      this.warnings.push(message);
    }
    return cond;
  }
}

/**
 * regs_get_register(regs, offset): 0 when offset > MAX_REG_OFFSET (this is
 * how the 64-bit DS..GS entries, (unsigned int)-1, come out as 0), else the
 * unsigned long at regs + offset — whatever member the running kernel's
 * layout put there.
 */
export function regsGetRegister(mem: KernelRead64, regs: number, offset: number, table: PtRegsOffsetTable): bigint {
  if (offset > table.maxRegOffset) return 0n;
  return mem.read64(regs + offset);
}

/**
 * perf_reg_value(regs, idx):
 * 1. XMM0..XMM15 (32..63): from container_of(regs, struct x86_perf_regs,
 *    regs)->xmm_regs, which only PEBS fills — NULL for an interrupt's
 *    pt_regs, so 0;
 * 2. WARN_ON_ONCE(idx >= ARRAY_SIZE(pt_regs_offset)) → 0;
 * 3. regs_get_register(regs, pt_regs_offset[idx]).
 */
export function perfRegValue(mem: KernelRead64, regs: number, idx: number, table: PtRegsOffsetTable, warn: WarnOnce): bigint {
  if (idx >= PERF_REG_X86_XMM0 && idx < PERF_REG_X86_XMM_MAX) return 0n;
  const offset = table.offsets[idx];
  if (warn.on(offset === undefined, `WARNING: perf_reg_value: idx ${idx} >= ARRAY_SIZE(pt_regs_offset) (${table.offsets.length})`)) return 0n;
  return regsGetRegister(mem, regs, offset ?? NO_PT_REGS_OFFSET, table);
}

/** REG_NOSUPPORT: DS, ES, FS and GS, which x86-64 cannot sample. */
export const REG_NOSUPPORT = (1n << BigInt(PERF_REG_X86_DS)) | (1n << BigInt(PERF_REG_X86_ES))
  | (1n << BigInt(PERF_REG_X86_FS)) | (1n << BigInt(PERF_REG_X86_GS));
/** PERF_REG_X86_RESERVED: the numbers between R15 and XMM0. */
export const PERF_REG_X86_RESERVED = ((1n << BigInt(PERF_REG_X86_XMM0)) - 1n) & ~((1n << BigInt(PERF_REG_X86_64_MAX)) - 1n);
/** PERF_REG_EXTENDED_MASK: the XMM bits, which need a PMU with PERF_PMU_CAP_EXTENDED_REGS (PEBS). */
export const PERF_REG_EXTENDED_MASK = ~((1n << BigInt(PERF_REG_X86_XMM0)) - 1n) & ((1n << 64n) - 1n);

/** Every register x86-64 perf can sample from pt_regs: AX..SS and R8..R15. */
export const PERF_REGS_MASK_64 = ((1n << BigInt(PERF_REG_X86_64_MAX)) - 1n) & ~REG_NOSUPPORT;

/** perf_reg_validate(mask) (x86-64): -EINVAL for an empty mask, DS..GS, or the reserved numbers. */
export function perfRegValidate(mask: bigint): number {
  if (mask === 0n || (mask & (REG_NOSUPPORT | PERF_REG_X86_RESERVED)) !== 0n) return -EINVAL;
  return 0;
}

/** perf_reg_abi(task): PERF_SAMPLE_REGS_ABI_64 — kentry has no TIF_IA32 (compat) tasks. */
export function perfRegAbi(): number {
  return PERF_SAMPLE_REGS_ABI_64;
}

/**
 * perf_output_sample_regs(handle, regs, mask): for_each_set_bit over the
 * 64-bit mask, lowest first, one perf_reg_value each.
 */
export function perfOutputSampleRegs(mem: KernelRead64, regs: number, mask: bigint, table: PtRegsOffsetTable, warn: WarnOnce): bigint[] {
  const out: bigint[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) out.push(perfRegValue(mem, regs, bit, table, warn));
  }
  return out;
}

/** The PERF_REG_X86_* numbers of a mask's set bits, in output order. */
export function sampleRegsOrder(mask: bigint): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 64; bit++) if ((mask >> BigInt(bit)) & 1n) out.push(bit);
  return out;
}

/** One PERF_RECORD_SAMPLE, reduced to what PERF_SAMPLE_IP | PERF_SAMPLE_REGS_INTR put in it. */
export interface RegsIntrSample {
  /** The interrupted task (PERF_SAMPLE_TID's pid). */
  readonly pid: number;
  readonly task: string;
  /** PERF_SAMPLE_IP: perf_instruction_pointer(regs), a named read of regs->ip. */
  readonly ip: bigint;
  /** regs_intr.abi: perf_reg_abi(current). */
  readonly abi: number;
  /** regs_intr.regs: perf_reg_value for each set bit of sample_regs_intr, lowest bit first. */
  readonly regs: readonly bigint[];
}

export interface RegsIntrSamplerOptions {
  /** perf_event_attr.sample_regs_intr (validated as perf_event_open does). */
  readonly mask: bigint;
  /** Whose pt_regs_offset[] the sampling kernel was compiled with. */
  readonly table: PtRegsOffsetTable;
  /** perf_event_attr.exclude_kernel (default true: only samples of user mode). */
  readonly excludeKernel?: boolean;
  /** perf_event_attr.exclude_user (default false). */
  readonly excludeUser?: boolean;
}

/**
 * A cpu-clock software event sampling on every timer interrupt: the local
 * APIC timer's handler runs hrtimer_interrupt → perf_swevent_hrtimer, which
 * takes `get_irq_regs()` — the interrupt's pt_regs — and, unless
 * perf_exclude_event says no, writes a sample
 * (perf_event_overflow → perf_prepare_sample / perf_output_sample).
 */
export class RegsIntrSampler {
  readonly samples: RegsIntrSample[] = [];
  /** This sampler's perf_reg_value WARN_ON_ONCE. */
  readonly warn = new WarnOnce();
  readonly mask: bigint;
  readonly table: PtRegsOffsetTable;
  private readonly excludeKernel: boolean;
  private readonly excludeUser: boolean;

  constructor(private readonly ctx: Pick<CEntryContext, 'currentTask'>, options: RegsIntrSamplerOptions) {
    // perf_copy_attr / perf_event_open: perf_reg_validate(attr->sample_regs_intr) is -EINVAL.
    if (perfRegValidate(options.mask) !== 0) {
      throw new UsageError(`sample_regs_intr 0x${options.mask.toString(16)}: perf_reg_validate says -EINVAL`);
    }
    // perf_try_init_event: extended (XMM) registers need PERF_PMU_CAP_EXTENDED_REGS; cpu-clock has none (-EOPNOTSUPP).
    if ((options.mask & PERF_REG_EXTENDED_MASK) !== 0n) {
      throw new UsageError(`sample_regs_intr 0x${options.mask.toString(16)}: XMM registers need a PMU with extended regs (-EOPNOTSUPP)`);
    }
    this.mask = options.mask;
    this.table = options.table;
    this.excludeKernel = options.excludeKernel ?? true;
    this.excludeUser = options.excludeUser ?? false;
  }

  /** perf_exclude_event(event, regs): user_mode(regs) against exclude_user / exclude_kernel. */
  private excluded(regs: PtRegs): boolean {
    const user = regs.userMode();
    return (this.excludeUser && user) || (this.excludeKernel && !user);
  }

  /**
   * perf_swevent_hrtimer's sample of `regs` (the interrupt's pt_regs):
   * perf_sample_regs_intr (regs_intr.regs = regs, abi = perf_reg_abi(current)),
   * then perf_output_sample_regs through this kernel's pt_regs_offset[].
   */
  sample(mem: KernelRead64, regs: PtRegs): void {
    if (this.excluded(regs)) return;
    const task = this.ctx.currentTask();
    this.samples.push({
      pid: task.pid,
      task: task.name,
      ip: regs.get('ip'),
      abi: perfRegAbi(),
      regs: perfOutputSampleRegs(mem, regs.address, this.mask, this.table, this.warn),
    });
  }

  /** A sample's registers by perf name (AX, SP, R15 …), for reading results. */
  named(sample: RegsIntrSample): Partial<Record<PerfRegX86Name, bigint>> {
    const out: Partial<Record<PerfRegX86Name, bigint>> = {};
    sampleRegsOrder(this.mask).forEach((bit, i) => {
      const name = PERF_REG_X86_NAMES[bit];
      const v = sample.regs[i];
      if (name !== undefined && v !== undefined) out[name] = v;
    });
    return out;
  }
}

/**
 * Attaches a sampler to the local timer's C handler through vector_irq[]
 * (the kernel's irqHandlers map): the sample is taken first, then the
 * handler that was registered (the scheduler tick) runs, as
 * hrtimer_interrupt runs the perf hrtimer beside the tick's.
 */
export function attachRegsIntrSampler(
  ctx: Pick<CEntryContext, 'irqHandlers' | 'currentTask'>,
  options: RegsIntrSamplerOptions,
): RegsIntrSampler {
  const sampler = new RegsIntrSampler(ctx, options);
  const next = ctx.irqHandlers.get(LOCAL_TIMER_VECTOR);
  const handler: IrqHandler = (rt, regs, vector) => {
    sampler.sample(rt, regs);
    next?.(rt, regs, vector);
  };
  ctx.irqHandlers.set(LOCAL_TIMER_VECTOR, handler);
  return sampler;
}

/** What one PERF_REG_X86_* number of a table reaches in a pt_regs layout. */
export interface PerfRegReach {
  readonly reg: PerfRegX86Name;
  /** The member the kernel meant (PT_REGS_OFFSET's second argument); null for DS..GS. */
  readonly meant: string | null;
  /** The member at the table's offset in `layout`; null when regs_get_register returns 0 (beyond MAX_REG_OFFSET). */
  readonly reads: string | null;
}

/**
 * For each register of `table`, the member of `layout` its offset lands in:
 * what a kernel compiled with `table` reads from pt_regs built with `layout`
 * (the audit's static view; the sampler shows the same at run time).
 */
export function perfRegsReach(table: PtRegsOffsetTable, layout: RecordLayout): PerfRegReach[] {
  return PERF_REG_X86_NAMES.map((reg, idx) => {
    const offset = table.offsets[idx] ?? NO_PT_REGS_OFFSET;
    const hit = offset > table.maxRegOffset ? undefined : layout.flat.find((f) => offset >= f.offset && offset < f.offset + f.size);
    return { reg, meant: PERF_REG_PT_REGS_MEMBER[reg], reads: hit?.path ?? null };
  });
}
