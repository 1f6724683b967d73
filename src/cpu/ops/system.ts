/**
 * System instructions: SYSCALL/SYSRET, IRET, SWAPGS, MSRs, control
 * registers, INVLPG, CPUID, RDTSC, protection-key and FS/GS-base access,
 * HLT, INT n/INT3, CLI/STI, STAC/CLAC, XGETBV.
 * Each follows the "Operation" section of its Intel SDM Vol. 2 entry for
 * 64-bit mode; the checks come before any state changes, so a fault leaves
 * the CPU as it was.
 */
import {
  FLAT_DATA_ATTR, RAX, RCX, RDX, RSP, VEC_GP, VEC_NP, VEC_SS, isCanonical, linearOf, type CpuCore,
} from '../core.js';
import { cpuid } from '../cpuid.js';
import { type Descriptor, descBase, descLimit, descriptorAt } from '../descriptor.js';
import { SEG_SS, type DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { CpuFault, SoftwareInterrupt } from '../faults.js';
import { AC, IF, IOPL, NT, RF, RFLAGS_FIXED, TF, VIF, VIP, VM } from '../flags.js';
import { readMsr, writeMsr } from '../msr.js';

const EFER_SCE = 1 << 0;
const CR0_PE = 1 << 0;
const CR0_NW = 1 << 29;
const CR0_CD = 1 << 30;
const CR0_PG = 1 << 31;
const CR4_TSD = 1 << 2;
const CR4_PAE = 1 << 5;
const CR4_FSGSBASE = 1 << 16;
const CR4_OSXSAVE = 1 << 18;
const CR4_SMAP = 1 << 21;
const CR4_PKE = 1 << 22;
/** CR4 bits kentry's CPU implements (reference §3.1 for PKS bit 24). */
const CR4_VALID =
  (1 << 2) | (1 << 3) | (1 << 4) | CR4_PAE | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) |
  CR4_FSGSBASE | CR4_OSXSAVE | (1 << 20) | CR4_SMAP | CR4_PKE | (1 << 24);
/** CR0 bits that may be set: PE MP EM TS ET NE WP AM NW CD PG. */
const CR0_VALID = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | (1 << 16) | (1 << 18) | (1 << 29) | (1 << 30) | CR0_PG;

function gp(code = 0): never {
  throw new CpuFault(VEC_GP, code, `#GP(${code})`);
}

function requireCpl0(cpu: CpuCore): void {
  if (cpu.cpl !== 0) gp();
}

// ---------------------------------------------------------------------------
// SYSCALL / SYSRET (SDM Vol. 2B "SYSCALL", "SYSRET"; reference §1.5)

/**
 * SYSCALL: RCX = next RIP, R11 = RFLAGS (RF cleared first, as entry_64.S's
 * header says), RFLAGS &= ~FMASK, CS = STAR[47:32] & ~3, SS = STAR[47:32] + 8,
 * CPL 0, RIP = LSTAR. Nothing is pushed; RSP is unchanged.
 */
export function opSyscall(cpu: Cpu): void {
  if ((cpu.mmu.efer & EFER_SCE) === 0) cpu.undefinedOpcode();
  const rflags = cpu.flags.get() & ~RF;
  cpu.setReg(RCX, 8, lowOf(cpu.nextRip), highOf(cpu.nextRip));
  cpu.setReg(11, 8, rflags, 0);
  cpu.flags.set(rflags & ~cpu.fmask);
  const sel = cpu.starHi & 0xffff;
  cpu.setCs(sel & 0xfffc);
  cpu.ss = (sel + 8) & 0xffff;
  cpu.setSegmentCache(SEG_SS, 0, 0xffff_ffff, FLAT_DATA_ATTR); // fixed flat SS, DPL 0 (SDM "SYSCALL" Operation)
  cpu.updateDataMode();
  cpu.nextRip = cpu.lstar;
  stepOnResultingTf(cpu);
}

/**
 * SYSCALL and SYSRET take their single-step trap from the TF they leave, not from
 * the TF they began with: a SYSCALL whose FMASK clears TF is not followed by a #DB
 * in the kernel, and a SYSRET that loads TF = 1 traps at once, before the first user
 * instruction. The SDM states only the general rule (Vol. 3A §18.3.1.4); this is what
 * hardware does (Xen XSA-204, "A singlestep #DB is determined by the resulting eflags
 * value from the execution of SYSCALL"; Linux syscall_64.c: SYSRET "restoring TF
 * results in a trap from userspace immediately after SYSRET"; reference §8: "SYSCALL
 * itself produces no extra trap").
 */
function stepOnResultingTf(cpu: Cpu): void {
  cpu.stepOnResult = true;
  cpu.stepTrapDue = (cpu.flags.raw & TF) !== 0;
}

/**
 * SYSRETQ: #GP(0) at CPL > 0 or for a non-canonical RCX (Intel checks in
 * ring 0, hence the kernel's SYSRET conditions, reference §1.5); RIP = RCX,
 * RFLAGS = (R11 & 0x3C7FD7) | 2, CS = STAR[63:48] + 16 | 3, SS = STAR[63:48] + 8 | 3.
 * SYSRET without REX.W returns to 32-bit compatibility mode, which kentry
 * does not model: #UD.
 */
export function opSysret(cpu: Cpu, insn: DecodedInsn): void {
  if ((cpu.mmu.efer & EFER_SCE) === 0 || insn.opSize !== 8) cpu.undefinedOpcode();
  requireCpl0(cpu);
  const hi = cpu.hi[RCX]!;
  if (!isCanonical(hi)) gp();
  const target = linearOf(hi, cpu.lo[RCX]!);
  const sel = (cpu.starHi >>> 16) & 0xffff;
  cpu.flags.set((cpu.lo[11]! & 0x3c7fd7) | RFLAGS_FIXED);
  cpu.setCs(((sel + 16) | 3) & 0xffff);
  cpu.ss = ((sel + 8) | 3) & 0xffff;
  cpu.setSegmentCache(SEG_SS, 0, 0xffff_ffff, FLAT_DATA_ATTR | (3 << 13)); // flat, B = 1, DPL 3 (SDM "SYSRET")
  cpu.updateDataMode();
  cpu.nextRip = target;
  stepOnResultingTf(cpu);
}

// ---------------------------------------------------------------------------
// IRET (SDM Vol. 2A "IRET/IRETD/IRETQ", IA-32e mode)

/** The GDT or LDT descriptor of `selector`, or a #GP(selector) fault beyond the table limit. */
function descriptor(cpu: CpuCore, selector: number): Descriptor {
  const d = descriptorAt(cpu, selector);
  if (d === null) gp(selector & 0xfffc);
  return d;
}

const DESC_PRESENT = 1 << 15;
const DESC_S = 1 << 12;
const DESC_CODE = 1 << 11;
const DESC_CONFORMING = 1 << 10;
const DESC_WRITABLE = 1 << 9;
const DESC_L = 1 << 21;
const DESC_DB = 1 << 22;

/**
 * IRETQ (and IRETD) in IA-32e mode pops RIP, CS, RFLAGS, RSP and SS (all
 * five, in 64-bit mode), checks CS and SS, applies the RFLAGS rules of the
 * old CPL (IOPL, VIF and VIP only at CPL 0, IF only if CPL <= IOPL) and
 * unblocks NMIs. The checks come before any change, in the SDM's order
 * (Vol. 2A "IRET/IRETD/IRETQ" Operation, IA-32e mode):
 *
 *   CS null #GP(0); RPL < CPL, beyond the table, not code, non-conforming
 *   with DPL != RPL, conforming with DPL > RPL, L = D = 1: #GP(CS);
 *   not present: #NP(CS).
 *   RIP: non-canonical for 64-bit code, beyond CS.limit for compatibility
 *   mode: #GP(0).
 *   SS null: #GP(0) when returning to CPL 3 or to compatibility mode; else
 *   RPL != CS.RPL, beyond the table, not writable data, DPL != CS.RPL:
 *   #GP(SS); not present: #SS(SS).
 *
 * CS's descriptor decides the mode (`loadCs`: L = 0 is compatibility mode,
 * D its default size). Returning to compatibility mode with a 16-bit stack
 * segment (SS.B = 0) loads only RSP[15:0]: bits 63:16 keep the value RSP
 * had before the IRET — the kernel stack address that Linux's espfix64
 * arranges to match the user's ESP[31:16] (AMD behaviour, and this host's;
 * sigreturn.c notes that Intel zeroes bits 63:32 instead and accepts
 * either). With a 32-bit stack segment, RSP gets ESP zero-extended: the
 * SDM leaves RSP[63:32] of compatibility mode undefined, and the host CPU
 * (native run of sigreturn.c) loses them this way.
 * A fault is an ordinary #GP/#NP/#SS of the IRET instruction, in the mode
 * it runs in, for the kernel's fixup.
 */
export function opIret(cpu: Cpu, insn: DecodedInsn): void {
  // "IRET unblocks NMIs even if the instruction faults" (SDM Vol. 3A §6.7.1) — any fault,
  // including one on the pops below.
  cpu.nmiBlocked = false;
  // IA-32e mode: "IF NT = 1 THEN #GP(0)" — no nested-task return (SDM Vol. 2A "IRET" Operation).
  if ((cpu.flags.raw & NT) !== 0) gp();
  const size = insn.opSize === 8 ? 8 : 4;
  const sp = cpu.reg64(RSP);
  const at = (i: number): number => {
    const la = sp + i * size;
    if (la < -(2 ** 47) || la + size > 2 ** 47) throw new CpuFault(VEC_SS, 0, '#SS(0)');
    return la;
  };
  const ripLo = cpu.read(at(0), size);
  const ripHi = size === 8 ? cpu.readHi : 0;
  const cs = cpu.read(at(1), size) & 0xffff;
  const newFlags = cpu.read(at(2), size);
  const rspLo = cpu.read(at(3), size);
  const rspHi = size === 8 ? cpu.readHi : 0;
  const ss = cpu.read(at(4), size) & 0xffff;

  const oldCpl = cpu.cpl;
  const rpl = cs & 3;
  const csCode = cs & 0xfffc;
  if (csCode === 0) gp();
  if (rpl < oldCpl) gp(csCode);
  const csd = descriptor(cpu, cs);
  const csDpl = (csd.hi >>> 13) & 3;
  if ((csd.hi & (DESC_S | DESC_CODE)) !== (DESC_S | DESC_CODE)) gp(csCode);
  if ((csd.hi & DESC_CONFORMING) !== 0 ? csDpl > rpl : csDpl !== rpl) gp(csCode);
  // "The CS.L = 1 and CS.D = 1 combination is reserved" (SDM Vol. 3A §5.2.1).
  if ((csd.hi & (DESC_L | DESC_DB)) === (DESC_L | DESC_DB)) gp(csCode);
  if ((csd.hi & DESC_PRESENT) === 0) throw new CpuFault(VEC_NP, csCode, '#NP(CS)');
  const longMode = (csd.hi & DESC_L) !== 0;
  const csLimit = descLimit(csd);
  if (longMode ? !isCanonical(ripHi) : ripHi !== 0 || ripLo >>> 0 > csLimit) gp();
  let ssd: Descriptor | null = null;
  if ((ss & 0xfffc) === 0) {
    if (rpl === 3 || !longMode) gp();
  } else {
    const ssCode = ss & 0xfffc;
    if ((ss & 3) !== rpl) gp(ssCode);
    ssd = descriptor(cpu, ss);
    if ((ssd.hi & (DESC_S | DESC_CODE | DESC_WRITABLE)) !== (DESC_S | DESC_WRITABLE) || ((ssd.hi >>> 13) & 3) !== rpl) gp(ssCode);
    if ((ssd.hi & DESC_PRESENT) === 0) throw new CpuFault(VEC_SS, ssCode, '#SS(SS)');
  }

  // RFLAGS: VM never set by IRET to 64-bit code; IOPL, VIF and VIP only at CPL 0 ("IF CPL = 0
  // THEN EFLAGS(IOPL) := tempEFLAGS; ... EFLAGS(VIF, VIP) := tempEFLAGS", SDM Vol. 2A "IRET"); IF by IOPL.
  const old = cpu.flags.get();
  let keep = VM;
  if (oldCpl !== 0) keep |= IOPL | VIF | VIP;
  if (oldCpl > ((old & IOPL) >>> 12)) keep |= IF;
  const flags = (old & keep) | (newFlags & ~keep & 0x3f_7fd5);
  cpu.flags.set(flags);
  cpu.loadCs(cs, descBase(csd), csLimit, csd.hi);
  cpu.ss = ss;
  if (ssd === null) cpu.setSegmentCache(SEG_SS, 0, 0, 0);
  else cpu.setSegmentCache(SEG_SS, descBase(ssd), descLimit(ssd), ssd.hi);
  if (!longMode && ssd !== null && (ssd.hi & DESC_DB) === 0) {
    // 16-bit stack segment: only SP is loaded; RSP[63:16] stay as they were before the IRET.
    cpu.lo[RSP] = (cpu.lo[RSP]! & ~0xffff) | (rspLo & 0xffff);
  } else if (!longMode) {
    // 32-bit stack segment: ESP, zero-extended (the host's native sigreturn run: 8badf00d5aadc0de -> 5aadc0de).
    cpu.lo[RSP] = rspLo;
    cpu.hi[RSP] = 0;
  } else {
    cpu.lo[RSP] = rspLo;
    cpu.hi[RSP] = rspHi;
  }
  cpu.updateDataMode();
  cpu.nextRip = linearOf(ripHi, ripLo);
  // An IRET that loads RF = 1 keeps it for the next instruction (SDM Vol. 3A §18.3.1.1).
  cpu.keepRf = (flags & RF) !== 0;
}

// ---------------------------------------------------------------------------
// Privileged register access

/** SWAPGS: exchange GS.base and IA32_KERNEL_GS_BASE (CPL 0 only). */
export function opSwapgs(cpu: Cpu): void {
  requireCpl0(cpu);
  const t = cpu.gsBase;
  cpu.gsBase = cpu.kernelGsBase;
  cpu.kernelGsBase = t;
}

export function opRdmsr(cpu: Cpu): void {
  requireCpl0(cpu);
  const [lo, hi] = readMsr(cpu, cpu.lo[RCX]!, cpu.instructions);
  cpu.setReg(RAX, 4, lo);
  cpu.setReg(RDX, 4, hi);
}

export function opWrmsr(cpu: Cpu): void {
  requireCpl0(cpu);
  writeMsr(cpu, cpu.lo[RCX]!, cpu.lo[RAX]!, cpu.lo[RDX]!);
}

/** MOV r64, CRn (0F 20): the control register number is ModRM.reg. */
export function opMovRdCr(cpu: Cpu, insn: DecodedInsn): void {
  requireCpl0(cpu);
  const m = cpu.mmu;
  let v: number;
  switch (insn.reg) {
    case 0: v = m.cr0; break;
    case 2: v = cpu.cr2; break;
    case 3: v = m.cr3; break;
    case 4: v = m.cr4; break;
    default: return cpu.undefinedOpcode();
  }
  cpu.setReg(insn.rm, 8, lowOf(v), highOf(v));
}

/** MOV CRn, r64 (0F 22) with the reserved-bit and consistency #GP checks (SDM Vol. 3A §2.5). */
export function opMovCrRd(cpu: Cpu, insn: DecodedInsn): void {
  requireCpl0(cpu);
  const lo = cpu.lo[insn.rm]!;
  const hi = cpu.hi[insn.rm]!;
  const m = cpu.mmu;
  switch (insn.reg) {
    case 0:
      if (hi !== 0 || (lo & ~CR0_VALID) !== 0 || (lo & CR0_PG) === 0 || (lo & CR0_PE) === 0) gp(); // no leaving long mode
      // "setting the CD flag to 0 when the NW flag is set to 1" is #GP(0) (SDM Vol. 2B "MOV—Move to/from Control Registers").
      if ((lo & CR0_NW) !== 0 && (lo & CR0_CD) === 0) gp();
      m.setCr0(lo >>> 0);
      return;
    case 2:
      cpu.cr2 = linearOf(hi, lo) ;
      return;
    case 3:
      // Bits 63:MAXPHYADDR are reserved with CR4.PCIDE = 0 (SDM Vol. 3A §4.5 Table 4-12), and a
      // 1 there is #GP(0) (SDM Vol. 2B "MOV—Move to/from Control Registers").
      if ((hi >>> (m.phys.maxPhysAddrBits - 32)) !== 0) gp();
      m.setCr3(hi * 4294967296 + (lo >>> 0));
      return;
    case 4:
      if (hi !== 0 || (lo & ~CR4_VALID) !== 0 || (lo & CR4_PAE) === 0) gp();
      m.setCr4(lo >>> 0);
      return;
    default:
      cpu.undefinedOpcode();
  }
}

/**
 * INVLPG m: drop the TLB entries for the page of the operand's address. "In 64-bit
 * mode, if the memory address is in non-canonical form, INVLPG is the same as a NOP"
 * (SDM Vol. 2A "INVLPG"): the canonical fault of `effectiveAddress` is swallowed.
 */
export function opInvlpg(cpu: Cpu, insn: DecodedInsn): void {
  requireCpl0(cpu);
  let la: number;
  try {
    la = cpu.effectiveAddress(insn);
  } catch (e) {
    if (e instanceof CpuFault) return;
    throw e;
  }
  cpu.mmu.invlpg(la);
}

// ---------------------------------------------------------------------------
// Unprivileged system instructions

export function opCpuid(cpu: Cpu): void {
  const [a, b, c, d] = cpuid(cpu, cpu.lo[RAX]!, cpu.lo[RCX]!);
  cpu.setReg(RAX, 4, a);
  cpu.setReg(3, 4, b);
  cpu.setReg(RCX, 4, c);
  cpu.setReg(RDX, 4, d);
}

/** RDTSC: the virtual TSC counts retired instructions. #GP(0) at CPL > 0 when CR4.TSD = 1. */
export function opRdtsc(cpu: Cpu): void {
  if ((cpu.mmu.cr4 & CR4_TSD) !== 0 && cpu.cpl !== 0) gp();
  const t = cpu.instructions;
  cpu.setReg(RAX, 4, lowOf(t));
  cpu.setReg(RDX, 4, highOf(t));
}

/** RDTSCP: as RDTSC, and ECX = IA32_TSC_AUX. */
export function opRdtscp(cpu: Cpu): void {
  opRdtsc(cpu);
  cpu.setReg(RCX, 4, cpu.tscAux);
}

/** RDPKRU: #UD without CR4.PKE, #GP(0) unless ECX = 0; EAX = PKRU, EDX = 0 (reference §7). */
export function opRdpkru(cpu: Cpu): void {
  if ((cpu.mmu.cr4 & CR4_PKE) === 0) cpu.undefinedOpcode();
  if (cpu.lo[RCX] !== 0) gp();
  cpu.setReg(RAX, 4, cpu.mmu.pkru | 0);
  cpu.setReg(RDX, 4, 0);
}

/** WRPKRU: #UD without CR4.PKE, #GP(0) unless ECX = EDX = 0; PKRU = EAX. */
export function opWrpkru(cpu: Cpu): void {
  if ((cpu.mmu.cr4 & CR4_PKE) === 0) cpu.undefinedOpcode();
  if (cpu.lo[RCX] !== 0 || cpu.lo[RDX] !== 0) gp();
  cpu.mmu.setPkru(cpu.lo[RAX]! >>> 0);
}

/** XGETBV: #UD without CR4.OSXSAVE; ECX = 0 selects XCR0. */
export function opXgetbv(cpu: Cpu): void {
  if ((cpu.mmu.cr4 & CR4_OSXSAVE) === 0) cpu.undefinedOpcode();
  if (cpu.lo[RCX] !== 0) gp();
  cpu.setReg(RAX, 4, cpu.xcr0);
  cpu.setReg(RDX, 4, 0);
}

function requireFsgsbase(cpu: Cpu): void {
  if ((cpu.mmu.cr4 & CR4_FSGSBASE) === 0) cpu.undefinedOpcode();
}

/** RDFSBASE/RDGSBASE r32/r64 (F3 0F AE /0 /1). */
export function opRdfsbase(cpu: Cpu, insn: DecodedInsn): void {
  requireFsgsbase(cpu);
  cpu.setReg(insn.rm, insn.opSize, lowOf(cpu.fsBase), highOf(cpu.fsBase));
}

export function opRdgsbase(cpu: Cpu, insn: DecodedInsn): void {
  requireFsgsbase(cpu);
  cpu.setReg(insn.rm, insn.opSize, lowOf(cpu.gsBase), highOf(cpu.gsBase));
}

/** WRFSBASE/WRGSBASE: #GP(0) for a non-canonical value; a 32-bit operand zero-extends. */
function baseOperand(cpu: Cpu, insn: DecodedInsn): number {
  requireFsgsbase(cpu);
  const hi = insn.opSize === 8 ? cpu.hi[insn.rm]! : 0;
  if (!isCanonical(hi)) gp();
  return linearOf(hi, cpu.lo[insn.rm]!);
}

export function opWrfsbase(cpu: Cpu, insn: DecodedInsn): void {
  cpu.fsBase = baseOperand(cpu, insn);
}

export function opWrgsbase(cpu: Cpu, insn: DecodedInsn): void {
  cpu.gsBase = baseOperand(cpu, insn);
}

/** HLT: privileged; at CPL 0 the loop exits with `halt` (the kernel idles). */
export function opHlt(cpu: Cpu): void {
  requireCpl0(cpu);
  cpu.halt();
}

export function opInt3(): void {
  throw new SoftwareInterrupt(3);
}

export function opIntIb(_cpu: Cpu, insn: DecodedInsn): void {
  throw new SoftwareInterrupt(insn.immLo & 0xff);
}

export function opUd(cpu: Cpu): void {
  cpu.undefinedOpcode();
}

/** CLI/STI: #GP(0) when CPL > IOPL (no VME/PVI). STI blocks interrupts for one instruction. */
export function opCli(cpu: Cpu): void {
  if (cpu.cpl > ((cpu.flags.raw & IOPL) >>> 12)) gp();
  cpu.flags.raw &= ~IF;
}

export function opSti(cpu: Cpu): void {
  if (cpu.cpl > ((cpu.flags.raw & IOPL) >>> 12)) gp();
  if ((cpu.flags.raw & IF) === 0) cpu.interruptShadow = true;
  cpu.flags.raw |= IF;
}

/** STAC/CLAC: #UD at CPL > 0 or without CR4.SMAP... the SDM checks CPUID.SMAP; kentry declares it. */
export function opStac(cpu: Cpu): void {
  if (cpu.cpl !== 0) cpu.undefinedOpcode();
  cpu.flags.raw |= AC;
  cpu.updateDataMode();
}

export function opClac(cpu: Cpu): void {
  if (cpu.cpl !== 0) cpu.undefinedOpcode();
  cpu.flags.raw &= ~AC;
  cpu.updateDataMode();
}

/** NOP, PAUSE, ENDBR64, fences, hint NOPs. */
export function opNop(): void {}

// ---------------------------------------------------------------------------

function lowOf(v: number): number {
  return (v - Math.floor(v / 4294967296) * 4294967296) | 0;
}

function highOf(v: number): number {
  return Math.floor(v / 4294967296) | 0;
}
