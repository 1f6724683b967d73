/**
 * The x86 perf register numbering and the PERF_SAMPLE_REGS_* ABI values: how
 * a perf sample names the registers it carries. User space (perf, libunwind)
 * reads a sample's register block by these numbers, so they are ABI; which
 * `struct pt_regs` member each one comes from is the kernel's business
 * (src/kernel/arch/x86/perf-regs.ts, arch/x86/kernel/perf_regs.c).
 *
 * @kernel arch/x86/include/uapi/asm/perf_regs.h enum perf_event_x86_regs
 * @kernel include/uapi/linux/perf_event.h enum perf_event_sample_format, enum perf_sample_regs_abi
 */

/**
 * enum perf_event_x86_regs, the general registers in enum order (index =
 * PERF_REG_X86_<name>); names spelled as perf prints them
 * (tools/perf/arch/x86/util/perf_regs.c). DS..GS are numbered on x86-64 too,
 * though 64-bit pt_regs holds none of them.
 */
export const PERF_REG_X86_NAMES = [
  'AX', 'BX', 'CX', 'DX', 'SI', 'DI', 'BP', 'SP',
  'IP', 'FLAGS', 'CS', 'SS', 'DS', 'ES', 'FS', 'GS',
  'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15',
] as const;

export type PerfRegX86Name = (typeof PERF_REG_X86_NAMES)[number];

/** PERF_REG_X86_<name>: its number in the enum. */
export function perfRegX86(name: PerfRegX86Name): number {
  return PERF_REG_X86_NAMES.indexOf(name);
}

export const PERF_REG_X86_AX = perfRegX86('AX');
export const PERF_REG_X86_SP = perfRegX86('SP');
export const PERF_REG_X86_IP = perfRegX86('IP');
export const PERF_REG_X86_FLAGS = perfRegX86('FLAGS');
export const PERF_REG_X86_CS = perfRegX86('CS');
export const PERF_REG_X86_SS = perfRegX86('SS');
export const PERF_REG_X86_DS = perfRegX86('DS');
export const PERF_REG_X86_ES = perfRegX86('ES');
export const PERF_REG_X86_FS = perfRegX86('FS');
export const PERF_REG_X86_GS = perfRegX86('GS');
export const PERF_REG_X86_R8 = perfRegX86('R8');
export const PERF_REG_X86_R15 = perfRegX86('R15');
/** PERF_REG_X86_32_MAX = PERF_REG_X86_GS + 1. */
export const PERF_REG_X86_32_MAX = PERF_REG_X86_GS + 1;
/** PERF_REG_X86_64_MAX = PERF_REG_X86_R15 + 1: the size of the kernel's pt_regs_offset[] on x86-64. */
export const PERF_REG_X86_64_MAX = PERF_REG_X86_R15 + 1;
/**
 * PERF_REG_X86_XMM0 = 32 .. PERF_REG_X86_XMM_MAX = 64: the XMM registers,
 * two bits each (128-bit values), filled only from PEBS records (v5.0+).
 */
export const PERF_REG_X86_XMM0 = 32;
export const PERF_REG_X86_XMM_MAX = 64;

/** PERF_SAMPLE_IP (bit 0) of perf_event_attr.sample_type. */
export const PERF_SAMPLE_IP = 1n << 0n;
/** PERF_SAMPLE_REGS_INTR (bit 18): the registers at the interrupt, as sample_regs_intr selects them. */
export const PERF_SAMPLE_REGS_INTR = 1n << 18n;

/** enum perf_sample_regs_abi: the `abi` word that leads a sample's register block. */
export const PERF_SAMPLE_REGS_ABI_NONE = 0;
export const PERF_SAMPLE_REGS_ABI_32 = 1;
export const PERF_SAMPLE_REGS_ABI_64 = 2;
