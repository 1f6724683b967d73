/**
 * Model-specific registers kentry implements, with the #GP(0) rules of
 * RDMSR/WRMSR: unknown MSRs, reserved bits, non-canonical addresses.
 * @see Intel SDM Vol. 4 (MSR index), Vol. 3A §5.8.8 (SYSCALL MSRs),
 *      reference §3.1 (IA32_PKRS 0x6E1: bits 63:32 must be 0)
 */
import { VEC_GP, isCanonical, linearOf, type CpuCore } from './core.js';
import { CpuFault } from './faults.js';

export const MSR_TSC = 0x10;
export const MSR_IA32_PKRS = 0x6e1;
export const MSR_EFER = 0xc000_0080;
export const MSR_STAR = 0xc000_0081;
export const MSR_LSTAR = 0xc000_0082;
export const MSR_CSTAR = 0xc000_0083;
export const MSR_SYSCALL_MASK = 0xc000_0084;
export const MSR_FS_BASE = 0xc000_0100;
export const MSR_GS_BASE = 0xc000_0101;
export const MSR_KERNEL_GS_BASE = 0xc000_0102;
export const MSR_TSC_AUX = 0xc000_0103;

/** EFER bits software may write: SCE (0), LME (8), NXE (11); LMA (10) is kept as is. */
const EFER_WRITABLE = (1 << 0) | (1 << 8) | (1 << 11);
const EFER_LME = 1 << 8;
const EFER_LMA = 1 << 10;
const CR0_PG = 1 << 31;

function gp(): never {
  throw new CpuFault(VEC_GP, 0, '#GP(0) (MSR)');
}

/** Splits a canonical number into [lo, hi]. */
function halves(v: number): [number, number] {
  const hi = Math.floor(v / 4294967296);
  return [(v - hi * 4294967296) | 0, hi | 0];
}

/** RDMSR: [bits 31:0, bits 63:32]. */
export function readMsr(cpu: CpuCore, index: number, tsc: number): [number, number] {
  switch (index >>> 0) {
    case MSR_EFER: return [cpu.mmu.efer | 0, 0];
    case MSR_STAR: return [cpu.starLo, cpu.starHi];
    case MSR_LSTAR: return halves(cpu.lstar);
    case MSR_CSTAR: return halves(cpu.cstar);
    case MSR_SYSCALL_MASK: return [cpu.fmask, 0];
    case MSR_FS_BASE: return halves(cpu.fsBase);
    case MSR_GS_BASE: return halves(cpu.gsBase);
    case MSR_KERNEL_GS_BASE: return halves(cpu.kernelGsBase);
    case MSR_TSC_AUX: return [cpu.tscAux, 0];
    case MSR_IA32_PKRS: return [cpu.mmu.pkrs | 0, 0];
    case MSR_TSC: return halves(tsc);
    default: return gp();
  }
}

/** WRMSR of (lo, hi). */
export function writeMsr(cpu: CpuCore, index: number, lo: number, hi: number): void {
  const canonical = (): number => {
    if (!isCanonical(hi)) gp();
    return linearOf(hi, lo);
  };
  switch (index >>> 0) {
    case MSR_EFER:
      if (hi !== 0 || (lo & ~(EFER_WRITABLE | EFER_LMA)) !== 0) gp();
      // LME cannot change while CR0.PG = 1 (SDM Vol. 3A §10.8.5 "Initializing IA-32e Mode").
      if (((lo ^ cpu.mmu.efer) & EFER_LME) !== 0 && (cpu.mmu.cr0 & CR0_PG) !== 0) gp();
      cpu.mmu.setEfer((lo & EFER_WRITABLE) | (cpu.mmu.efer & EFER_LMA));
      return;
    case MSR_STAR: cpu.starLo = lo; cpu.starHi = hi; return;
    case MSR_LSTAR: cpu.lstar = canonical(); return;
    case MSR_CSTAR: cpu.cstar = canonical(); return;
    case MSR_SYSCALL_MASK: cpu.fmask = lo; return; // bits 63:32 are reserved and ignored
    case MSR_FS_BASE: cpu.fsBase = canonical(); return;
    case MSR_GS_BASE: cpu.gsBase = canonical(); return;
    case MSR_KERNEL_GS_BASE: cpu.kernelGsBase = canonical(); return;
    case MSR_TSC_AUX: if (hi !== 0) gp(); cpu.tscAux = lo; return;
    case MSR_IA32_PKRS: if (hi !== 0) gp(); cpu.mmu.setPkrs(lo); return;
    default: gp();
  }
}
