/**
 * The FPU regsets: NT_PRFPREG (the 512-byte FXSAVE image, xfpregs_get) and
 * NT_X86_XSTATE (the XSAVE standard format, xstateregs_get), both made the
 * way __copy_xstate_to_uabi_buf makes them from the task's saved state:
 *
 *   0..415    x87 up to MXCSR, MXCSR+MXCSR_MASK, ST0-7, XMM0-15 — each from
 *             the saved image when its feature is in header.xfeatures, else
 *             from init_fpstate (copy_feature)
 *   416..463  zero (i387.padding)
 *   464..511  NT_X86_XSTATE: xstate_fx_sw_bytes — word 0 (USER_XSTATE_XCR0_WORD)
 *             the user xfeatures, the rest zero (update_regset_xstate_info);
 *             NT_PRFPREG (XSTATE_COPY_FX): zero
 *   512..575  header: xfeatures = saved XSTATE_BV & user features; xcomp_bv 0
 *   576..     each extended feature at its standard offset, gaps zeroed;
 *             PKRU (9) from the given pkru value, not the buffer
 *
 * The model's user FPU state is the CPU's (the kernel C never touches it,
 * fpu-signal.ts), so sync_fpstate is an XSAVE of the live registers into a
 * kernel buffer. kentry keeps one user FPU state (no switch_fpu_prepare), so
 * a target that is not running reads the same registers.
 *
 * @kernel arch/x86/kernel/fpu/regset.c xfpregs_get, xstateregs_get, sync_fpstate
 * @kernel arch/x86/kernel/fpu/xstate.c __copy_xstate_to_uabi_buf, copy_feature, update_regset_xstate_info
 */
import { XSAVE_PKRU_OFFSET, xsaveSize } from '../../../cpu/cpuid.js';
import {
  FXSAVE_SIZE, FX_FCW, FX_MXCSR, FX_ST0, FX_WRITTEN_END, FX_XMM0, XFEATURE_PKRU, XFEATURE_SSE, XFEATURE_X87,
  XSAVE_HEADER_OFFSET, xsaveInto, type XsaveArea,
} from '../../../cpu/ops/fpu-state.js';
import type { Cpu } from '../../../cpu/exec.js';
import type { RegsetTarget } from './regset-thread.js';

/** offsetof(struct fxregs_state, sw_reserved): the 48 software bytes. */
const SW_RESERVED = 464;
const MXCSR_DEFAULT = 0x1f80;
const FCW_INIT = 0x37f;

function area(bytes: Uint8Array): XsaveArea {
  return {
    read: (o, n) => bytes.slice(o, o + n),
    write: (o, b) => bytes.set(b, o),
  };
}

/** save_fpregs_to_fpstate (os_xsave): the user features of the live CPU into a kernel buffer. */
function syncFpstate(cpu: Cpu): Uint8Array {
  const buf = new Uint8Array(xsaveSize(cpu.xcr0));
  xsaveInto(cpu, area(buf), cpu.xcr0);
  return buf;
}

/** init_fpstate's legacy area: FNINIT's control word, MXCSR_DEFAULT with the saved MXCSR_MASK. */
function initLegacy(saved: Uint8Array): Uint8Array {
  const img = new Uint8Array(FXSAVE_SIZE);
  const dv = new DataView(img.buffer);
  dv.setUint16(FX_FCW, FCW_INIT, true);
  dv.setUint32(FX_MXCSR, MXCSR_DEFAULT, true);
  img.set(saved.subarray(FX_MXCSR + 4, FX_MXCSR + 8), FX_MXCSR + 4);
  return img;
}

/** The legacy bytes 0..415 per copy_feature: each piece from the saved image or from init_fpstate. */
function legacyPart(out: Uint8Array, saved: Uint8Array, xfeatures: number): void {
  const init = initLegacy(saved);
  const from = (bit: number): Uint8Array => ((xfeatures & bit) !== 0 ? saved : init);
  out.set(from(XFEATURE_X87).subarray(0, FX_MXCSR), 0);
  out.set(from(XFEATURE_SSE).subarray(FX_MXCSR, FX_ST0), FX_MXCSR); // SSE or YMM (no AVX here)
  out.set(from(XFEATURE_X87).subarray(FX_ST0, FX_XMM0), FX_ST0);
  out.set(from(XFEATURE_SSE).subarray(FX_XMM0, FX_WRITTEN_END), FX_XMM0);
}

/** XSTATE_BV of the saved image (this CPU reports every component in use). */
function savedXfeatures(saved: Uint8Array): number {
  return new DataView(saved.buffer, saved.byteOffset).getUint32(XSAVE_HEADER_OFFSET, true);
}

/** xfpregs_get: the 512-byte FXSAVE image (XSTATE_COPY_FX; bytes 416..511 zero). */
export function xfpregsGet(t: RegsetTarget): Uint8Array {
  const saved = syncFpstate(t.platform.cpu);
  const out = new Uint8Array(FXSAVE_SIZE);
  legacyPart(out, saved, savedXfeatures(saved) & (XFEATURE_X87 | XFEATURE_SSE));
  return out;
}

/**
 * xstateregs_get: the XSAVE standard-format image of the user features,
 * fpu_user_cfg.max_size bytes (the regset's n * size), with `pkru` in the
 * PKRU component (copy_xstate_to_uabi_buf passes tsk->thread.pkru; the
 * model's PKRU lives only in the CPU, so by default the live value).
 */
export function xstateregsGet(t: RegsetTarget, pkru: number = t.platform.cpu.mmu.pkru): Uint8Array {
  const cpu = t.platform.cpu;
  const userFeatures = cpu.xcr0;
  const saved = syncFpstate(cpu);
  const out = new Uint8Array(xsaveSize(userFeatures));
  const dv = new DataView(out.buffer);
  const xfeatures = savedXfeatures(saved) & userFeatures;
  legacyPart(out, saved, xfeatures);
  dv.setBigUint64(SW_RESERVED, BigInt(userFeatures), true); // xstate_fx_sw_bytes[USER_XSTATE_XCR0_WORD]
  dv.setBigUint64(XSAVE_HEADER_OFFSET, BigInt(xfeatures), true); // xcomp_bv and the rest: 0
  if ((xfeatures & XFEATURE_PKRU) !== 0) dv.setUint32(XSAVE_PKRU_OFFSET, pkru >>> 0, true);
  return out;
}
