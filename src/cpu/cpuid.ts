/**
 * The CPU kentry declares through CPUID: an x86-64 processor with SSE/SSE2,
 * FXSR, XSAVE (x87, SSE and PKRU components, standard format), PKU, PKS,
 * SMEP, SMAP, FSGSBASE, NX, SYSCALL, LAHF/SAHF — and nothing it does not
 * implement (no AVX, no SSE3+, no 1-GiB pages, no PCID).
 *
 * Two deliberate deviations, both because the x86-64 baseline (psABI
 * "x86-64-v1") lists the feature: MMX is reported although MMX instructions
 * raise #UD here (64-bit glibc and musl never use them), and the x87 FPU is
 * reported although only the control-word instructions are modelled.
 * @see Intel SDM Vol. 2A "CPUID"; Vol. 1 §13.4.3 (XSAVE standard format)
 */
import type { CpuCore } from './core.js';

const CR4_OSXSAVE = 1 << 18;
const CR4_PKE = 1 << 22;

/** XCR0 bits we support: x87 (0), SSE (1), PKRU (9). */
export const XCR0_SUPPORTED = 0x1 | 0x2 | 0x200;
/** Standard-format XSAVE offsets and sizes: legacy area 0..511, header 512..575, PKRU at 2688 (Intel's layout, reference §4.9). */
export const XSAVE_PKRU_OFFSET = 2688;
export const XSAVE_PKRU_SIZE = 8;
const XSAVE_LEGACY_AND_HEADER = 576;

/** "GenuineIntel" in EBX, EDX, ECX order. */
const VENDOR = [0x756e6547, 0x49656e69, 0x6c65746e];

/** Size of the XSAVE area for the components enabled in `xcr0`. */
export function xsaveSize(xcr0: number): number {
  return (xcr0 & 0x200) !== 0 ? XSAVE_PKRU_OFFSET + XSAVE_PKRU_SIZE : XSAVE_LEGACY_AND_HEADER;
}

/** Values of CPUID for leaf `eax`, sub-leaf `ecx`: [eax, ebx, ecx, edx]. */
export function cpuid(cpu: CpuCore, leaf: number, sub: number): [number, number, number, number] {
  const cr4 = cpu.mmu.cr4;
  switch (leaf >>> 0) {
    case 0:
      return [0xd, VENDOR[0]!, VENDOR[2]!, VENDOR[1]!];
    case 1: {
      // Family 6, model 0x55, stepping 7; CLFLUSH line 8 × 8 bytes; one logical processor.
      const eax = (6 << 8) | (5 << 4) | (5 << 16) | 7;
      const ebx = (8 << 8) | (1 << 16);
      const ecx = (1 << 26) /* XSAVE */ | ((cr4 & CR4_OSXSAVE) !== 0 ? 1 << 27 : 0) /* OSXSAVE */ | (1 << 23) /* POPCNT */ | (1 << 13) /* CX16: CMPXCHG16B */;
      const edx =
        (1 << 0) /* FPU */ | (1 << 2) /* DE */ | (1 << 3) /* PSE */ | (1 << 4) /* TSC */ | (1 << 5) /* MSR */ |
        (1 << 6) /* PAE */ | (1 << 7) /* MCE */ | (1 << 8) /* CX8 */ | (1 << 13) /* PGE */ | (1 << 15) /* CMOV */ |
        (1 << 23) /* MMX */ | (1 << 24) /* FXSR */ | (1 << 25) /* SSE */ | (1 << 26) /* SSE2 */;
      // DE, PSE, MCE, PGE: MOV to CR4 accepts CR4.DE/PSE/MCE/PGE, and a CR4 bit whose feature
      // CPUID does not report is reserved (#GP, SDM Vol. 3A §2.5 and Vol. 2B "MOV to CR4");
      // the features hold vacuously or by over-flushing (no DR4/5, no #MC, G pages flushed).

      return [eax, ebx, ecx | 0, edx | 0];
    }
    case 7:
      if (sub !== 0) return [0, 0, 0, 0];
      return [
        0,
        (1 << 0) /* FSGSBASE */ | (1 << 3) /* BMI1 (TZCNT) */ | (1 << 7) /* SMEP */ | (1 << 20) /* SMAP */,
        ((1 << 3) /* PKU */ | ((cr4 & CR4_PKE) !== 0 ? 1 << 4 : 0) /* OSPKE */ | (1 << 31)) /* PKS */ | 0,
        0,
      ];
    case 0xd:
      if (sub === 0) return [XCR0_SUPPORTED, xsaveSize(cpu.xcr0), xsaveSize(XCR0_SUPPORTED), 0];
      if (sub === 1) return [0, 0, 0, 0]; // no XSAVEOPT/XSAVEC/XGETBV1/XSAVES
      if (sub === 9) return [XSAVE_PKRU_SIZE, XSAVE_PKRU_OFFSET, 0, 0];
      return [0, 0, 0, 0];
    case 0x8000_0000:
      return [0x8000_0008, 0, 0, 0];
    case 0x8000_0001:
      // LAHF/SAHF, LZCNT (ABM); SYSCALL, NX, RDTSCP, LM.
      return [0, 0, (1 << 0) | (1 << 5), (1 << 11) | (1 << 20) | (1 << 27) | (1 << 29)];
    case 0x8000_0008:
      return [(48 << 8) | cpu.mmu.phys.maxPhysAddrBits, 0, 0, 0];
    default:
      // Above the maximum basic leaf: Intel returns the highest basic leaf's data; we return zeros (documented deviation).
      return [0, 0, 0, 0];
  }
}
