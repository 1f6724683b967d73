/**
 * The FPU part of a signal frame: XSAVE of the user state into the frame
 * (with the PKRU the task had before delivery), the software-reserved bytes
 * and FP_XSTATE_MAGIC2 that tell sigreturn an XSAVE image follows, the
 * restore on sigreturn, and the init state a handler starts with.
 *
 * The user FPU registers stay live in the CPU while the kernel runs (the
 * kernel C here never touches them), as in Linux before TIF_NEED_FPU_LOAD
 * is set.
 *
 * @kernel arch/x86/kernel/fpu/signal.c copy_fpstate_to_sigframe, save_xstate_epilog, check_xstate_in_sigframe, __fpu_restore_sig, fpu__restore_sig
 * @kernel arch/x86/kernel/fpu/xstate.h xsave_to_user_sigframe, update_pkru_in_sigframe, xrstor_from_user_sigframe
 * @kernel arch/x86/kernel/fpu/core.c fpu__clear_user_states
 */
import { layoutOf } from '../../../abi/layout.js';
import { field } from '../../../abi/view.js';
import { fpxSwBytes } from '../../../abi/structs/fpu.js';
import { xsaveSize } from '../../../cpu/cpuid.js';
import { CpuFault } from '../../../cpu/faults.js';
import {
  FXSAVE_SIZE, FX_FCW, FX_MXCSR, XFEATURE_PKRU, XFEATURE_SSE, XFEATURE_X87, XSAVE_HEADER_OFFSET, XSAVE_HEADER_SIZE,
  fxrstorFrom, xrstorFrom, xsaveAreaAt, xsaveInto, type XsaveArea,
} from '../../../cpu/ops/fpu-state.js';
import type { Cpu } from '../../../cpu/exec.js';
import { XSAVE_PKRU_OFFSET } from '../../../cpu/cpuid.js';
import type { NativeRuntime } from './native.js';
import { accessOk, copyFromUser, copyToUser } from './uaccess.js';

export const FP_XSTATE_MAGIC1 = 0x4650_5853;
export const FP_XSTATE_MAGIC2 = 0x4650_5845;
const FP_XSTATE_MAGIC2_SIZE = 4;
/** Offset of sw_reserved (struct _fpx_sw_bytes) in the legacy area. */
const SW_RESERVED_OFFSET = 464;
const SW_BYTES = layoutOf(fpxSwBytes);
const XFEATURE_MASK_FPSSE = XFEATURE_X87 | XFEATURE_SSE;
/** FXSAVE image + XSAVE header: the smallest xstate_size sigreturn accepts. */
const MIN_XSTATE_SIZE = FXSAVE_SIZE + XSAVE_HEADER_SIZE;
/** MXCSR_DEFAULT and the x87 control word after FNINIT: init_fpstate's non-zero values. */
const MXCSR_DEFAULT = 0x1f80;
const FCW_INIT = 0x37f;

/**
 * init_pkru_value: access disabled for keys 1..15, key 0 open (reference §4.9).
 * @kernel arch/x86/mm/pkeys.c init_pkru_value
 */
export const INIT_PKRU = 0x5555_5554;

/** fpstate->user_size: the XSAVE area for the user features (XCR0). */
export function xstateUserSize(cpu: Cpu): number {
  return xsaveSize(cpu.xcr0);
}

/** xstate_sigframe_size: the area plus FP_XSTATE_MAGIC2. */
export function xstateSigframeSize(cpu: Cpu): number {
  return xstateUserSize(cpu) + FP_XSTATE_MAGIC2_SIZE;
}

function le(size: 4 | 8, value: number): Uint8Array {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  if (size === 4) dv.setUint32(0, value >>> 0, true);
  else dv.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
  return b;
}

/** fx_sw_reserved: what save_xstate_epilog copies into sw_reserved. */
function swBytes(cpu: Cpu): Uint8Array {
  const b = new Uint8Array(SW_BYTES.size);
  const dv = new DataView(b.buffer);
  dv.setUint32(field(SW_BYTES, 'magic1').offset, FP_XSTATE_MAGIC1, true);
  dv.setUint32(field(SW_BYTES, 'extended_size').offset, xstateSigframeSize(cpu), true);
  dv.setBigUint64(field(SW_BYTES, 'xfeatures').offset, BigInt(cpu.xcr0), true);
  dv.setUint32(field(SW_BYTES, 'xstate_size').offset, xstateUserSize(cpu), true);
  return b;
}

/**
 * copy_fpstate_to_sigframe(buf, buf_fx, size, pkru) for 64-bit frames:
 * clear the XSAVE header, XSAVE the user features into the frame inside a
 * user-access section, put the interrupted PKRU into the frame and mark it
 * in XSTATE_BV (update_pkru_in_sigframe), then save_xstate_epilog. False
 * when any store faults (the frame is bad: SIGSEGV).
 */
export function copyFpstateToSigframe(rt: NativeRuntime, bufFx: number, pkru: number): boolean {
  const cpu = rt.cpu;
  const userSize = xstateUserSize(cpu);
  if (!accessOk(bufFx, xstateSigframeSize(cpu))) return false;
  const mask = cpu.xcr0;
  // One user-access section (the kernel's are several; a fault in any ends the same way: -EFAULT).
  const done = rt.userAccess(() => rt.access(() => {
    const mode = cpu.dataMode;
    const put = (offset: number, bytes: Uint8Array): void => cpu.mmu.writeBytes(bufFx + offset, bytes, mode);
    put(XSAVE_HEADER_OFFSET, new Uint8Array(XSAVE_HEADER_SIZE));
    xsaveInto(cpu, xsaveAreaAt(cpu, bufFx), mask);
    if (mask & XFEATURE_PKRU) {
      // This CPU reports every component in use (XINUSE), so XSTATE_BV is the mask; PKRU is forced in.
      put(XSAVE_HEADER_OFFSET, le(8, mask | XFEATURE_PKRU));
      put(XSAVE_PKRU_OFFSET, le(4, pkru));
    }
    // save_xstate_epilog: sw bytes, MAGIC2 after the area, FP/SSE always marked in XSTATE_BV.
    put(SW_RESERVED_OFFSET, swBytes(cpu));
    put(userSize, le(4, FP_XSTATE_MAGIC2));
    const bv = cpu.mmu.readBytes(bufFx + XSAVE_HEADER_OFFSET, 4, mode);
    put(XSAVE_HEADER_OFFSET, le(4, new DataView(bv.buffer, bv.byteOffset).getUint32(0, true) | XFEATURE_MASK_FPSSE));
    return true;
  }));
  return done === true;
}

/** A kernel-memory XSAVE area (init_fpstate, or a copy of the user's frame). */
function bufferArea(bytes: Uint8Array): XsaveArea {
  return {
    read: (offset, size) => {
      const out = new Uint8Array(size);
      out.set(bytes.subarray(offset, Math.min(bytes.length, offset + size)));
      return out;
    },
    write: (offset, b) => bytes.set(b, offset),
  };
}

/** init_fpstate: FNINIT's x87 state, MXCSR_DEFAULT, XMM and PKRU in their init state (XSTATE_BV 0). */
const initImages = new Map<number, Uint8Array>();

function initFpstate(cpu: Cpu): Uint8Array {
  const cached = initImages.get(cpu.xcr0);
  if (cached) return cached; // only ever read (XRSTOR's source)
  const img = new Uint8Array(xstateUserSize(cpu));
  initImages.set(cpu.xcr0, img);
  const dv = new DataView(img.buffer);
  dv.setUint16(FX_FCW, FCW_INIT, true);
  dv.setUint32(FX_MXCSR, MXCSR_DEFAULT, true);
  return img;
}

/**
 * fpu__clear_user_states: the user FPU registers to init_fpstate
 * (restore_fpregs_from_init_fpstate), then pkru_write_default — a signal
 * handler starts with clean FPU state and PKRU = init_pkru_value.
 */
export function fpuClearUserStates(cpu: Cpu): void {
  xrstorFrom(cpu, bufferArea(initFpstate(cpu)), cpu.xcr0 & ~XFEATURE_PKRU);
  cpu.mmu.setPkru(INIT_PKRU);
}

/**
 * check_xstate_in_sigframe: the sw bytes say an XSAVE image of a sane size
 * follows and MAGIC2 ends it — else the frame is treated as a bare FXSAVE
 * image (fx_only).
 */
function xstateInSigframe(image: Uint8Array, userSize: number): { fxOnly: boolean; xfeatures: number } {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const at = (name: string): number => SW_RESERVED_OFFSET + field(SW_BYTES, name).offset;
  const magic1 = dv.getUint32(at('magic1'), true);
  const extendedSize = dv.getUint32(at('extended_size'), true);
  const xstateSize = dv.getUint32(at('xstate_size'), true);
  const xfeatures = Number(dv.getBigUint64(at('xfeatures'), true) & 0xffff_ffffn);
  const fxOnly = { fxOnly: true, xfeatures: XFEATURE_MASK_FPSSE };
  if (magic1 !== FP_XSTATE_MAGIC1 || xstateSize < MIN_XSTATE_SIZE || xstateSize > userSize || xstateSize > extendedSize) {
    return fxOnly;
  }
  return dv.getUint32(xstateSize, true) === FP_XSTATE_MAGIC2 ? { fxOnly: false, xfeatures } : fxOnly;
}

/**
 * fpu__restore_sig(buf) for a 64-bit frame: NULL resets the FPU to init;
 * otherwise the image is checked (check_xstate_in_sigframe) and loaded —
 * XRSTOR of the features it names (PKRU included: sigreturn restores the
 * PKRU the frame holds), features it leaves out back to init. The model
 * takes the kernel's slow path: the image is copied into the kernel first,
 * so a bad header or MXCSR is XRSTOR's #GP on that copy (caught: the
 * exception-table fixup of xrstor_from_user_sigframe), not a user fault.
 * Any failure leaves the FPU in init state and returns false (SIGSEGV).
 */
export function fpuRestoreSig(rt: NativeRuntime, buf: number): boolean {
  const cpu = rt.cpu;
  if (buf === 0) {
    fpuClearUserStates(cpu);
    return true;
  }
  const ok = restoreSig(rt, buf);
  if (!ok) fpuClearUserStates(cpu);
  return ok;
}

function restoreSig(rt: NativeRuntime, buf: number): boolean {
  const cpu = rt.cpu;
  if (!accessOk(buf, xstateSigframeSize(cpu))) return false;
  const image = copyFromUser(rt, buf, xstateSigframeSize(cpu));
  if (image === null) return false;
  const check = xstateInSigframe(image, xstateUserSize(cpu));
  const ufeatures = cpu.xcr0;
  const xrestore = check.xfeatures & ufeatures;
  // XRSTOR needs a 64-byte aligned area, FXRSTOR 16 (#GP otherwise: not a page fault, so fatal).
  if (buf % (check.fxOnly ? 16 : 64) !== 0) return false;
  try {
    if (check.fxOnly) fxrstorFrom(cpu, bufferArea(image));
    else xrstorFrom(cpu, bufferArea(image), xrestore);
  } catch (e) {
    if (e instanceof CpuFault) return false;
    throw e;
  }
  // __restore_fpregs_from_user: the user features the frame did not restore go back to init.
  const initBv = ufeatures & ~(check.fxOnly ? XFEATURE_MASK_FPSSE : xrestore);
  if (initBv !== 0) xrstorFrom(cpu, bufferArea(initFpstate(cpu)), initBv);
  return true;
}
