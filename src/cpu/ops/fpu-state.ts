/**
 * Saving and restoring the FPU/SSE state: LDMXCSR/STMXCSR, FXSAVE/FXRSTOR
 * (and the REX.W "64" forms), XSAVE/XRSTOR in the standard format for the
 * components kentry's CPU declares (x87, SSE, PKRU; cpuid.ts). The kernel's
 * signal delivery saves the user state with these into the signal frame.
 *
 * The legacy region (FXSAVE image, and bytes 0..511 of an XSAVE area),
 * 64-bit format, SDM Vol. 1 §10.5.1 Table 10-2 / Vol. 2 "FXSAVE" Tables 3-46, 3-47:
 *
 *   0  FCW (2)  2 FSW (2)  4 abridged FTW (1)  5 reserved  6 FOP (2)
 *   8  FIP: REX.W 64 bits | no REX.W: FPU IP 32 bits, FCS 16 bits, reserved 16
 *  16  FDP: REX.W 64 bits | no REX.W: FPU DP 32 bits, FDS 16 bits, reserved 16
 *  24  MXCSR (4)   28 MXCSR_MASK (4)
 *  32  ST0/MM0 .. ST7/MM7, 16 bytes each (10 data + 6 reserved)
 * 160  XMM0 .. XMM15, 16 bytes each
 * 416  reserved (416..463); 464..511 available to software — never written
 *
 * No x87 instruction that records FIP/FDP/FOP is modelled, so those fields
 * are written as 0 (and ignored on restore). ST0-7 are kept in stack order
 * (x87.ts `x87Registers`), as the image stores them; their reserved bytes
 * 10..15 are written as 0. Loading
 * FSW recomputes its ES and B bits from the flags and FCW's masks.
 *
 * XSAVE area, standard format (SDM Vol. 1 §13.4): legacy region 0..511,
 * header 512..575 (XSTATE_BV at 512, XCOMP_BV at 520, reserved to 575),
 * PKRU at XSAVE_PKRU_OFFSET (2688, 8 bytes: PKRU in bytes 0..3, 0 in 4..7).
 */
import { RAX, VEC_GP, VEC_NM, VEC_UD, type CpuCore } from '../core.js';
import { XSAVE_PKRU_OFFSET } from '../cpuid.js';
import type { DecodedInsn } from '../decode/insn.js';
import type { Cpu } from '../exec.js';
import { MXCSR_MASK, requireSse } from './sse-common.js';
import { initX87, summarizeFsw, x87Registers } from './x87.js';

const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;
const CR4_OSXSAVE = 1 << 18;

/** XSAVE state-component bits (SDM Vol. 1 §13.1). */
export const XFEATURE_X87 = 1 << 0;
export const XFEATURE_SSE = 1 << 1;
export const XFEATURE_AVX = 1 << 2;
export const XFEATURE_PKRU = 1 << 9;

export const FXSAVE_SIZE = 512;
export const XSAVE_HEADER_OFFSET = 512;
export const XSAVE_HEADER_SIZE = 64;

/** Legacy-region offsets. */
export const FX_FCW = 0;
export const FX_FSW = 2;
export const FX_FTW = 4;
export const FX_FOP = 6;
export const FX_FIP = 8;
export const FX_FDP = 16;
export const FX_MXCSR = 24;
export const FX_MXCSR_MASK = 28;
export const FX_ST0 = 32;
export const FX_XMM0 = 160;
/** End of the part of the legacy region the processor writes. */
export const FX_WRITTEN_END = 416;

// ---------------------------------------------------------------------------
// MXCSR

/** LDMXCSR m32 (0F AE /2): #GP(0) if a bit outside MXCSR_MASK is set. */
export function opLdmxcsr(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  const v = cpu.read(cpu.effectiveAddress(insn), 4);
  if ((v & ~MXCSR_MASK) !== 0) cpu.fault(VEC_GP, 0);
  cpu.mxcsr = v >>> 0;
}

/** STMXCSR m32 (0F AE /3). */
export function opStmxcsr(cpu: Cpu, insn: DecodedInsn): void {
  requireSse(cpu);
  cpu.write(cpu.effectiveAddress(insn), 4, cpu.mxcsr);
}

// ---------------------------------------------------------------------------
// The legacy region as bytes

/**
 * Writes the x87 part (bytes 0..23 except MXCSR, and the ST area) of the
 * legacy image into `img` (offset 0 = the area's start). FIP/FDP/FOP, ST0-7
 * and (without REX.W) FCS/FDS are 0: nothing here ever sets them.
 */
function putX87(cpu: CpuCore, img: DataView): void {
  img.setUint16(FX_FCW, cpu.fpuCw, true);
  img.setUint16(FX_FSW, cpu.fpuSw, true);
  img.setUint8(FX_FTW, cpu.fpuTw & 0xff);
  img.setUint8(FX_FTW + 1, 0);
  img.setUint16(FX_FOP, 0, true);
  for (let o = FX_FIP; o < FX_MXCSR; o += 4) img.setUint32(o, 0, true);
  const st = x87Registers(cpu);
  for (let r = 0; r < 8; r++) {
    for (let k = 0; k < 16; k++) img.setUint8(FX_ST0 + r * 16 + k, k < 10 ? st[r * 10 + k]! : 0);
  }
}

function putMxcsr(cpu: CpuCore, img: DataView): void {
  img.setUint32(FX_MXCSR, cpu.mxcsr, true);
  img.setUint32(FX_MXCSR_MASK, MXCSR_MASK, true);
}

function putXmm(cpu: CpuCore, img: DataView): void {
  for (let k = 0; k < 64; k++) img.setInt32(FX_XMM0 + k * 4, cpu.xmm[k]!, true);
}

function getX87(cpu: CpuCore, img: DataView): void {
  cpu.fpuCw = img.getUint16(FX_FCW, true);
  cpu.fpuSw = summarizeFsw(img.getUint16(FX_FSW, true), cpu.fpuCw);
  cpu.fpuTw = img.getUint8(FX_FTW);
  const st = x87Registers(cpu);
  for (let r = 0; r < 8; r++) for (let k = 0; k < 10; k++) st[r * 10 + k] = img.getUint8(FX_ST0 + r * 16 + k);
}

function getXmm(cpu: CpuCore, img: DataView): void {
  for (let k = 0; k < 64; k++) cpu.xmm[k] = img.getInt32(FX_XMM0 + k * 4, true);
}

/** #NM for FXSAVE/FXRSTOR: CR0.TS or CR0.EM (SDM Vol. 2 "FXSAVE" Exceptions). */
function requireFxsr(cpu: CpuCore): void {
  if ((cpu.mmu.cr0 & (CR0_EM | CR0_TS)) !== 0) cpu.fault(VEC_NM);
}

/** The address of an `align`-aligned area (#GP(0) when misaligned). */
function areaAddress(cpu: CpuCore, insn: DecodedInsn, align: number): number {
  const la = cpu.effectiveAddress(insn);
  if (la % align !== 0) cpu.fault(VEC_GP, 0);
  return la;
}

// ---------------------------------------------------------------------------
// FXSAVE / FXRSTOR (SDM Vol. 2 "FXSAVE", "FXRSTOR"; Vol. 1 §10.5.1)

/**
 * FXSAVE / FXSAVE64 m512 (0F AE /0): writes bytes 0..415 of the image in
 * one all-or-nothing store (every page is checked first); 416..511 are
 * left alone. XMM and MXCSR are saved whatever CR4.OSFXSR says (the SDM
 * leaves it implementation-dependent).
 */
export function opFxsave(cpu: Cpu, insn: DecodedInsn): void {
  requireFxsr(cpu);
  const la = areaAddress(cpu, insn, 16);
  const bytes = new Uint8Array(FX_WRITTEN_END);
  const img = new DataView(bytes.buffer);
  putX87(cpu, img);
  putMxcsr(cpu, img);
  putXmm(cpu, img);
  cpu.mmu.writeBytes(la, bytes, cpu.dataMode);
}

/**
 * FXRSTOR / FXRSTOR64 m512 (0F AE /1): #GP(0) if the image's MXCSR has a
 * bit outside MXCSR_MASK; checks and reads come before any state changes.
 */
export function opFxrstor(cpu: Cpu, insn: DecodedInsn): void {
  requireFxsr(cpu);
  fxrstorFrom(cpu, xsaveAreaAt(cpu, areaAddress(cpu, insn, 16)));
}

// ---------------------------------------------------------------------------
// XSAVE / XRSTOR, standard format (SDM Vol. 1 §13.7, §13.8; Vol. 2 "XSAVE", "XRSTOR")

/** XSAVE-family checks: #UD without CR4.OSXSAVE, #NM with CR0.TS, 64-byte alignment. */
function xsaveAddress(cpu: CpuCore, insn: DecodedInsn): number {
  if ((cpu.mmu.cr4 & CR4_OSXSAVE) === 0) cpu.fault(VEC_UD);
  if ((cpu.mmu.cr0 & CR0_TS) !== 0) cpu.fault(VEC_NM);
  return areaAddress(cpu, insn, 64);
}

/** RFBM = XCR0 & EDX:EAX; XCR0 has no bits above 31 here, so EDX does not matter. */
function rfbmOf(cpu: CpuCore): number {
  return cpu.xcr0 & cpu.lo[RAX]!;
}

/**
 * Where XSAVE writes and XRSTOR reads: byte ranges of the area at offsets
 * from its start. The instructions use guest memory at the operand's
 * address; the kernel's signal code uses user memory through its
 * user-access sections (xsave_to_user_sigframe) or a kernel copy of the
 * frame (the slow path of __fpu_restore_sig).
 */
export interface XsaveArea {
  read(offset: number, size: number): Uint8Array;
  write(offset: number, bytes: Uint8Array): void;
}

/** The area at linear address `la`, accessed with `cpu.dataMode`. */
export function xsaveAreaAt(cpu: CpuCore, la: number): XsaveArea {
  const mode = cpu.dataMode;
  return {
    read: (offset, size) => cpu.mmu.readBytes(la + offset, size, mode),
    write: (offset, bytes) => cpu.mmu.writeBytes(la + offset, bytes, mode),
  };
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/**
 * XSAVE / XSAVE64 mem (0F AE /4). For each component i in RFBM:
 *   x87  (0)  bytes 0..23 except MXCSR, and the ST area
 *   SSE  (1)  XMM0-15 at 160; MXCSR and MXCSR_MASK at 24 when RFBM has SSE or AVX
 *   PKRU (9)  PKRU at 2688
 * then XSTATE_BV = (old XSTATE_BV & ~RFBM) | (XINUSE & RFBM). Init
 * optimization: none — this CPU reports XINUSE[i] = 1 for every component
 * (allowed: "XINUSE[i] may be 1 even when component i is in its initial
 * configuration", SDM Vol. 1 §13.6), so every saved component's bit is set.
 * XCOMP_BV and the rest of the header are not written (§13.7).
 */
export function opXsave(cpu: Cpu, insn: DecodedInsn): void {
  const la = xsaveAddress(cpu, insn);
  xsaveInto(cpu, xsaveAreaAt(cpu, la), rfbmOf(cpu));
}

/** XSAVE's stores for requested-feature bitmap `rfbm` (the checks are the caller's). */
export function xsaveInto(cpu: CpuCore, area: XsaveArea, rfbm: number): void {
  // XSAVE reads XSTATE_BV first (a #PF there leaves memory untouched).
  const oldLo = new DataView(area.read(XSAVE_HEADER_OFFSET, 4).buffer).getUint32(0, true);
  const bytes = new Uint8Array(FX_WRITTEN_END);
  const img = new DataView(bytes.buffer);
  if (rfbm & XFEATURE_X87) {
    putX87(cpu, img);
    area.write(0, bytes.subarray(0, FX_MXCSR));
    area.write(FX_ST0, bytes.subarray(FX_ST0, FX_XMM0));
  }
  if (rfbm & (XFEATURE_SSE | XFEATURE_AVX)) {
    putMxcsr(cpu, img);
    area.write(FX_MXCSR, bytes.subarray(FX_MXCSR, FX_ST0));
  }
  if (rfbm & XFEATURE_SSE) {
    putXmm(cpu, img);
    area.write(FX_XMM0, bytes.subarray(FX_XMM0, FX_WRITTEN_END));
  }
  if (rfbm & XFEATURE_PKRU) {
    const pk = new Uint8Array(8);
    pk.set(u32(cpu.mmu.pkru));
    area.write(XSAVE_PKRU_OFFSET, pk);
  }
  area.write(XSAVE_HEADER_OFFSET, u32((oldLo & ~rfbm) | rfbm));
}

/**
 * XRSTOR / XRSTOR64 mem (0F AE /5), standard form. Checks first, all
 * before any state changes (#GP(0)):
 *   - XCOMP_BV bit 63 set: the compacted form, not supported (no XSAVEC);
 *   - header bytes 8..23 (XCOMP_BV and the next 8 bytes) not all zero;
 *   - XSTATE_BV has a bit outside XCR0;
 *   - the MXCSR to load (when RFBM has SSE or AVX) has a reserved bit set.
 * Then for each component i in RFBM: loaded from memory if XSTATE_BV[i] = 1,
 * else put in its initial state (x87: FNINIT's state; SSE: XMM0-15 = 0;
 * PKRU: 0). MXCSR is loaded from memory whenever RFBM has SSE or AVX,
 * whatever XSTATE_BV says — the standard form treats it apart from the XMM
 * registers (SDM Vol. 2 "XRSTOR" Operation, Vol. 1 §13.8.1).
 */
export function opXrstor(cpu: Cpu, insn: DecodedInsn): void {
  const la = xsaveAddress(cpu, insn);
  xrstorFrom(cpu, xsaveAreaAt(cpu, la), rfbmOf(cpu));
}

/** XRSTOR's checks and loads for `rfbm` from `area` (#GP(0) as a CpuFault before any state changes). */
export function xrstorFrom(cpu: CpuCore, area: XsaveArea, rfbm: number): void {
  const header = new DataView(area.read(XSAVE_HEADER_OFFSET, XSAVE_HEADER_SIZE).buffer);
  const bvLo = header.getUint32(0, true);
  const bvHi = header.getUint32(4, true);
  const compHi = header.getUint32(12, true);
  if ((compHi & 0x8000_0000) !== 0) cpu.fault(VEC_GP, 0);
  for (let o = 8; o < 24; o += 4) if (header.getUint32(o, true) !== 0) cpu.fault(VEC_GP, 0);
  if (bvHi !== 0 || (bvLo & ~cpu.xcr0) !== 0) cpu.fault(VEC_GP, 0);
  const img = new DataView(area.read(0, FX_WRITTEN_END).buffer);
  const loadMxcsr = (rfbm & (XFEATURE_SSE | XFEATURE_AVX)) !== 0;
  const mxcsr = img.getUint32(FX_MXCSR, true);
  if (loadMxcsr && (mxcsr & ~MXCSR_MASK) !== 0) cpu.fault(VEC_GP, 0);
  let pkru = 0;
  if (rfbm & bvLo & XFEATURE_PKRU) pkru = new DataView(area.read(XSAVE_PKRU_OFFSET, 4).buffer).getUint32(0, true);
  // No fault is possible from here on.
  if (rfbm & XFEATURE_X87) {
    if (bvLo & XFEATURE_X87) getX87(cpu, img);
    else initX87(cpu, true);
  }
  if (loadMxcsr) cpu.mxcsr = mxcsr;
  if (rfbm & XFEATURE_SSE) {
    if (bvLo & XFEATURE_SSE) getXmm(cpu, img);
    else cpu.xmm.fill(0);
  }
  if (rfbm & XFEATURE_PKRU) cpu.mmu.setPkru(pkru);
}

/**
 * FXRSTOR's loads from a 512-byte legacy image (#GP(0) for a reserved MXCSR
 * bit, before any change): what the kernel's fx-only signal restore does.
 */
export function fxrstorFrom(cpu: CpuCore, area: XsaveArea): void {
  const img = new DataView(area.read(0, FX_WRITTEN_END).buffer);
  const mxcsr = img.getUint32(FX_MXCSR, true);
  if ((mxcsr & ~MXCSR_MASK) !== 0) cpu.fault(VEC_GP, 0);
  getX87(cpu, img);
  cpu.mxcsr = mxcsr;
  getXmm(cpu, img);
}
