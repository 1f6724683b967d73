/**
 * Exception and interrupt delivery in 64-bit mode (IA-32e), as the SDM
 * describes it: read the 16-byte IDT gate, check it, pick the stack (IST,
 * or TSS.RSPn on a privilege change, else the current one), align RSP to 16,
 * push SS, RSP, RFLAGS, CS, RIP and the error code, clear TF/NT/RF (and IF
 * for an interrupt gate), load CS:RIP from the gate.
 * @see Intel SDM Vol. 3A §6.12 "Exception and Interrupt Handling", §6.14
 *      "Exception and Interrupt Handling in 64-bit Mode", §6.15 (#DF rules)
 *
 * IDT gate (16 bytes, §6.14.1 Figure 6-8):
 *
 *   byte 0-1  offset 15:0          byte 2-3  segment selector
 *   byte 4    bits 2:0 IST         byte 5    P(7) DPL(6:5) 0(4) type(3:0): E interrupt, F trap
 *   byte 6-7  offset 31:16         byte 8-11 offset 63:32      byte 12-15 reserved
 *
 * TSS (64-bit, §8.7 Figure 8-11): RSP0 at 4, RSP1 at 12, RSP2 at 20,
 * IST1..IST7 at 36 + 8 × (n - 1).
 *
 * Accesses made by delivery (IDT, GDT, TSS reads and the stack pushes) are
 * implicit supervisor-mode accesses (§4.6.1).
 */
import {
  RSP, VEC_DE, VEC_DF, VEC_GP, VEC_NP, VEC_PF, VEC_SS, VEC_TS, isCanonical, linearOf, type CpuCore,
} from './core.js';
import { CpuFault, PageFault } from './faults.js';
import { IF, NT, RF, TF, VM } from './flags.js';
import { MODE_IMPLICIT_SUPERVISOR } from './mmu.js';

/** What is being delivered. */
export const EVENT_FAULT = 0; // hardware exception, RIP of the faulting instruction
export const EVENT_TRAP = 1; // hardware trap (#DB single-step), RIP after the instruction
export const EVENT_SOFTWARE = 2; // INT n / INT3 / INTO: DPL-checked, no error code
export const EVENT_EXTERNAL = 3; // a device interrupt
export const EVENT_NMI = 4;

/** Vectors that push an error code (reference §1.2: EXCEPTION_ERRCODE_MASK 0x20027d00, plus #CP 21). */
const ERROR_CODE_VECTORS = 0x20027d00 | (1 << 21);

export function pushesErrorCode(vector: number): boolean {
  return vector < 32 && ((ERROR_CODE_VECTORS >>> vector) & 1) === 1;
}

/** SDM Vol. 3A Table 6-4: contributory exceptions. */
function isContributory(vector: number): boolean {
  return vector === VEC_DE || vector === VEC_TS || vector === VEC_NP || vector === VEC_SS || vector === VEC_GP;
}

/** The processor shut down: an exception while delivering #DF. */
export class TripleFault extends Error {
  readonly code = 'triple-fault' as const;
  constructor(
    readonly vector: number,
    readonly errorCode: number,
  ) {
    super(`triple fault (#${vector} while delivering #DF)`);
    this.name = 'TripleFault';
  }
}

const EXT = 1; // error-code bit 0: the event was external to the program
const IDT_BIT = 2; // error-code bit 1: the selector index refers to the IDT

/**
 * Delivers one event. `returnRip` is what gets pushed as RIP. A fault
 * raised during delivery follows §6.15's double-fault rules: a second
 * contributory exception after a contributory one, or a contributory or
 * page fault after a page fault, becomes #DF; a fault while delivering #DF
 * throws TripleFault; anything else is delivered serially instead.
 */
export function deliverEvent(cpu: CpuCore, vector: number, kind: number, errorCode: number, returnRip: number): void {
  let v = vector;
  let k = kind;
  let code = errorCode;
  let rip = returnRip;
  for (;;) {
    try {
      deliverOnce(cpu, v, k, code, rip);
      return;
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      if (v === VEC_DF && k === EVENT_FAULT) throw new TripleFault(e.vector, e.errorCode);
      if (e instanceof PageFault) cpu.cr2 = e.address;
      // Table 6-4 classes hardware exceptions only: INT n, INT3, INTO, NMI and INTR are
      // benign whatever their vector number (so `int $13` failing its DPL check is a plain #GP).
      const first = k === EVENT_FAULT || k === EVENT_TRAP ? v : -1;
      const second = e.vector;
      const double =
        (isContributory(first) && isContributory(second)) ||
        (first === VEC_PF && (second === VEC_PF || isContributory(second)));
      // The new exception is a fault of the instruction being interrupted: same return RIP,
      // except for INT n / INT3 / INTO, whose delivery faults are faults *of that instruction*:
      // the pushed RIP is the INT itself (SDM Vol. 2A "INT n" Operation: #GP(vector × 8 + 2)
      // for the DPL check is raised by the instruction; reference §8: "RIP in frame: at the
      // INT"). The run loop has not moved RIP yet, so it still names the INT.
      if (k === EVENT_SOFTWARE) rip = cpu.rip;
      v = double ? VEC_DF : second;
      k = EVENT_FAULT;
      code = double ? 0 : e.errorCode;
    }
  }
}

function deliverOnce(cpu: CpuCore, vector: number, kind: number, errorCode: number, returnRip: number): void {
  const mmu = cpu.mmu;
  const ext = kind === EVENT_SOFTWARE ? 0 : EXT;
  const gateCode = vector * 8 + IDT_BIT + ext;
  if (vector * 16 + 15 > cpu.idtLimit) throw new CpuFault(VEC_GP, gateCode, 'IDT limit');
  const gate = cpu.idtBase + vector * 16;
  const w0 = mmu.read32(gate, MODE_IMPLICIT_SUPERVISOR);
  const w1 = mmu.read32(gate + 4, MODE_IMPLICIT_SUPERVISOR);
  const offsetHi = mmu.read32(gate + 8, MODE_IMPLICIT_SUPERVISOR) | 0;
  const type = (w1 >>> 8) & 0x1f;
  const dpl = (w1 >>> 13) & 3;
  const present = (w1 >>> 15) & 1;
  const ist = w1 & 7;
  const selector = (w0 >>> 16) & 0xffff;
  const offset = linearOf(offsetHi, ((w1 & 0xffff0000) | (w0 & 0xffff)) >>> 0);
  if (type !== 0xe && type !== 0xf) throw new CpuFault(VEC_GP, gateCode, 'not an interrupt or trap gate');
  // INT n / INT3 / INTO from a less privileged level than the gate allows (§6.12.1.1).
  if (kind === EVENT_SOFTWARE && dpl < cpu.cpl) throw new CpuFault(VEC_GP, vector * 8 + IDT_BIT, 'gate DPL < CPL');
  if (!present) throw new CpuFault(VEC_NP, gateCode, 'gate not present');
  if (!isCanonical(offsetHi)) throw new CpuFault(VEC_GP, ext, 'non-canonical handler address');

  const newCpl = targetCpl(cpu, selector, ext);
  const oldCpl = cpu.cpl;
  const oldSs = cpu.ss;
  // RSP as halves: a non-canonical RSP (left by user code, or by compatibility mode) is pushed exactly.
  const oldRspLo = cpu.lo[RSP]!;
  const oldRspHi = cpu.hi[RSP]!;
  const oldRsp = linearOf(oldRspHi, oldRspLo);
  const oldFlags = cpu.flags.get();
  const oldCs = cpu.cs;

  let rsp = oldRsp;
  if (ist !== 0) rsp = readTss64(cpu, 36 + 8 * (ist - 1));
  else if (newCpl < oldCpl) rsp = readTss64(cpu, 4 + 8 * newCpl);
  // "the RSP is aligned to a 16-byte boundary before pushing the stack frame" (§6.14.2).
  rsp -= ((rsp % 16) + 16) % 16;

  // Fault-class exceptions push RFLAGS with RF = 1, so the restarted instruction is not
  // re-trapped by an instruction breakpoint (SDM Vol. 3A §18.3.1.1; reference §8: ud2, hlt, int N).
  const pushedFlags = kind === EVENT_FAULT ? oldFlags | RF : oldFlags;
  // Frame slots as (lo, hi) pairs; RIP from compatibility mode is an EIP, zero-extended (§6.14.2).
  const frame: number[] = [
    oldSs, 0, oldRspLo, oldRspHi, pushedFlags, 0, oldCs, 0, lowOf(returnRip), highOf(returnRip),
  ];
  if (kind !== EVENT_SOFTWARE && kind !== EVENT_EXTERNAL && kind !== EVENT_NMI && pushesErrorCode(vector)) {
    frame.push(errorCode | 0, 0);
  }
  // Write the whole frame before changing any state, so a fault leaves the CPU as it was.
  for (let k = 0; k < frame.length; k += 2) {
    rsp -= 8;
    if (rsp < -(2 ** 47) || rsp >= 2 ** 47) throw new CpuFault(VEC_SS, ext, 'non-canonical stack');
    mmu.write64Halves(rsp, frame[k]! | 0, frame[k + 1]! | 0, MODE_IMPLICIT_SUPERVISOR);
  }

  if (newCpl < oldCpl) cpu.ss = newCpl; // a NULL selector with RPL = new CPL (§6.14.4)
  cpu.setRspNumber(rsp);
  cpu.setCs((selector & ~3) | newCpl);
  cpu.rip = offset;
  cpu.nextRip = offset;
  let clear = TF | NT | RF | VM;
  if (type === 0xe) clear |= IF;
  cpu.flags.update(0, clear);
  cpu.updateDataMode();
  if (kind === EVENT_NMI) cpu.nmiBlocked = true;
}

/** The DPL of the gate's target code segment, read from the GDT (non-conforming 64-bit code). */
function targetCpl(cpu: CpuCore, selector: number, ext: number): number {
  const index = selector & ~7;
  if (index === 0 || (selector & 4) !== 0 || index + 7 > cpu.gdtLimit) {
    throw new CpuFault(VEC_GP, (selector & ~3) | ext, 'bad gate selector');
  }
  const hi = cpu.mmu.read32(cpu.gdtBase + index + 4, MODE_IMPLICIT_SUPERVISOR);
  const isCode = (hi & (1 << 11)) !== 0 && (hi & (1 << 12)) !== 0;
  const longMode = (hi & (1 << 21)) !== 0;
  if (!isCode || !longMode) throw new CpuFault(VEC_GP, (selector & ~3) | ext, 'gate selector is not 64-bit code');
  const dpl = (hi >>> 13) & 3;
  // "IF new code-segment DPL > CPL THEN #GP(error_code(new code-segment selector,0,EXT))"
  // (SDM Vol. 2A "INT n/INTO/INT3/INT1" Operation, IA-32e mode): delivery never lowers privilege.
  if (dpl > cpu.cpl) throw new CpuFault(VEC_GP, (selector & ~3) | ext, 'gate target DPL > CPL');
  if ((hi & (1 << 15)) === 0) throw new CpuFault(VEC_NP, (selector & ~3) | ext, 'code segment not present');
  return dpl;
}

function readTss64(cpu: CpuCore, offset: number): number {
  const lo = cpu.mmu.read32(cpu.tssBase + offset, MODE_IMPLICIT_SUPERVISOR);
  const hi = cpu.mmu.read32(cpu.tssBase + offset + 4, MODE_IMPLICIT_SUPERVISOR) | 0;
  if (!isCanonical(hi)) throw new CpuFault(VEC_SS, EXT, 'non-canonical TSS stack pointer');
  return linearOf(hi, lo);
}

function lowOf(v: number): number {
  return (v - Math.floor(v / 4294967296) * 4294967296) | 0;
}

function highOf(v: number): number {
  return Math.floor(v / 4294967296) | 0;
}
