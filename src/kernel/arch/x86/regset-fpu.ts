/**
 * The FPU regsets: NT_PRFPREG (the 512-byte FXSAVE image, xfpregs_get /
 * xfpregs_set) and NT_X86_XSTATE (the XSAVE standard format,
 * xstateregs_get / xstateregs_set). The getters make their output the way
 * __copy_xstate_to_uabi_buf makes it from the task's saved state:
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
 *             PKRU (9) from the thread's PKRU value, not the buffer
 *
 * Which saved state (the task's fpstate):
 *   - a task that is not running and has Task.fpu (its XSAVE image, saved
 *     when it was switched out or stopped): that image. thread.pkru is that
 *     image's PKRU component (0 when XSTATE_BV says PKRU is in its init
 *     state), as the switch that saved it read the register.
 *   - otherwise the registers are the CPU's (the running task — core dumps
 *     and signals — or kentry's single user FPU state when nothing saved
 *     one): sync_fpstate, an XSAVE of the live registers, and PKRU live.
 *
 * The setters write the same state: into Task.fpu, or — when the registers
 * are the CPU's — by an XRSTOR of the edited image, which is what
 * fpu_force_restore arranges for the next return to user mode.
 *
 * @kernel arch/x86/kernel/fpu/regset.c xfpregs_get, xfpregs_set, xstateregs_get, xstateregs_set, sync_fpstate, fpu_force_restore
 * @kernel arch/x86/kernel/fpu/xstate.c __copy_xstate_to_uabi_buf, copy_feature, copy_uabi_to_xstate, validate_user_xstate_header, setup_xstate_cache
 * @kernel arch/x86/kernel/fpu/init.c fpu__init_system_mxcsr (mxcsr_feature_mask from FXSAVE's MXCSR_MASK)
 */
import { EFAULT, EINVAL } from '../../../abi/errno.js';
import { XSAVE_PKRU_OFFSET, XSAVE_PKRU_SIZE, xsaveSize } from '../../../cpu/cpuid.js';
import {
  FXSAVE_SIZE, FX_FCW, FX_MXCSR, FX_MXCSR_MASK, FX_ST0, FX_WRITTEN_END, FX_XMM0, XFEATURE_AVX, XFEATURE_PKRU,
  XFEATURE_SSE, XFEATURE_X87, XSAVE_HEADER_OFFSET, XSAVE_HEADER_SIZE, xrstorFrom, xsaveInto, type XsaveArea,
} from '../../../cpu/ops/fpu-state.js';
import { MXCSR_MASK } from '../../../cpu/ops/sse-common.js';
import type { Cpu } from '../../../cpu/exec.js';
import type { RegsetSource } from './regset-copyin.js';
import type { RegsetTarget } from './regset-thread.js';

/** offsetof(struct fxregs_state, sw_reserved): the 48 software bytes. */
const SW_RESERVED = 464;
const MXCSR_DEFAULT = 0x1f80;
const FCW_INIT = 0x37f;
/** mxcsr_feature_mask: the MXCSR bits FXSAVE reports as supported (the model's CPU: every defined bit). */
const MXCSR_FEATURE_MASK = MXCSR_MASK;

/**
 * xstate_offsets[] / xstate_sizes[] of the user features kentry's CPU has:
 * FP is bytes 0..159 (MXCSR and MXCSR_MASK included), SSE the XMM area.
 */
const XSTATE_COMPONENTS: readonly { readonly bit: number; readonly offset: number; readonly size: number }[] = [
  { bit: XFEATURE_X87, offset: 0, size: FX_XMM0 },
  { bit: XFEATURE_SSE, offset: FX_XMM0, size: FX_WRITTEN_END - FX_XMM0 },
  { bit: XFEATURE_PKRU, offset: XSAVE_PKRU_OFFSET, size: XSAVE_PKRU_SIZE },
];

function area(bytes: Uint8Array): XsaveArea {
  return {
    read: (o, n) => bytes.slice(o, o + n),
    write: (o, b) => bytes.set(b, o),
  };
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** save_fpregs_to_fpstate (os_xsave): the user features of the live CPU into a kernel buffer. */
function syncFpstate(cpu: Cpu): Uint8Array {
  const buf = new Uint8Array(xsaveSize(cpu.xcr0));
  xsaveInto(cpu, area(buf), cpu.xcr0);
  return buf;
}

/** The task's own saved image when it has one and is not running; null when its registers are the CPU's. */
function savedImage(t: RegsetTarget): Uint8Array | null {
  return !t.current && t.task.fpu !== null ? t.task.fpu : null;
}

/** The task's fpstate: its saved image, or the live registers synced into a kernel buffer. */
function fpstateOf(t: RegsetTarget): Uint8Array {
  return savedImage(t) ?? syncFpstate(t.platform.cpu);
}

/** XSTATE_BV of a saved image (header.xfeatures; this CPU has no component above bit 31). */
function xfeaturesOf(image: Uint8Array): number {
  return view(image).getUint32(XSAVE_HEADER_OFFSET, true);
}

/** tsk->thread.pkru: the saved image's PKRU component (0 in its init state), or the live register. */
function threadPkru(t: RegsetTarget): number {
  const image = savedImage(t);
  if (image === null) return t.platform.cpu.mmu.pkru;
  return (xfeaturesOf(image) & XFEATURE_PKRU) !== 0 ? view(image).getUint32(XSAVE_PKRU_OFFSET, true) : 0;
}

/** init_fpstate's legacy area (FXSAVE after FNINIT at boot): FNINIT's control word, MXCSR_DEFAULT, the CPU's MXCSR_MASK. */
function initLegacy(): Uint8Array {
  const img = new Uint8Array(FXSAVE_SIZE);
  const dv = view(img);
  dv.setUint16(FX_FCW, FCW_INIT, true);
  dv.setUint32(FX_MXCSR, MXCSR_DEFAULT, true);
  dv.setUint32(FX_MXCSR_MASK, MXCSR_FEATURE_MASK, true);
  return img;
}

/** The legacy bytes 0..415 per copy_feature: each piece from the saved image or from init_fpstate. */
function legacyPart(out: Uint8Array, saved: Uint8Array, xfeatures: number): void {
  const init = initLegacy();
  const from = (bit: number): Uint8Array => ((xfeatures & bit) !== 0 ? saved : init);
  out.set(from(XFEATURE_X87).subarray(0, FX_MXCSR), 0);
  out.set(from(XFEATURE_SSE).subarray(FX_MXCSR, FX_ST0), FX_MXCSR); // SSE or YMM (no AVX here)
  out.set(from(XFEATURE_X87).subarray(FX_ST0, FX_XMM0), FX_ST0);
  out.set(from(XFEATURE_SSE).subarray(FX_XMM0, FX_WRITTEN_END), FX_XMM0);
}

/** xfpregs_get: the 512-byte FXSAVE image (XSTATE_COPY_FX; bytes 416..511 zero). */
export function xfpregsGet(t: RegsetTarget): Uint8Array {
  const saved = fpstateOf(t);
  const out = new Uint8Array(FXSAVE_SIZE);
  legacyPart(out, saved, xfeaturesOf(saved) & (XFEATURE_X87 | XFEATURE_SSE));
  return out;
}

/** fpu_user_cfg.max_size: the standard-format XSAVE size of the user features (CPUID 0xD.0 EBX), the NT_X86_XSTATE regset's n * size. */
export function xstateUserSize(t: RegsetTarget): number {
  return xsaveSize(t.platform.cpu.xcr0);
}

/**
 * xstateregs_get: the XSAVE standard-format image of the user features,
 * fpu_user_cfg.max_size bytes, with `pkru` in the PKRU component
 * (copy_xstate_to_uabi_buf passes tsk->thread.pkru; by default the
 * task's, see threadPkru).
 */
export function xstateregsGet(t: RegsetTarget, pkru: number = threadPkru(t)): Uint8Array {
  const userFeatures = t.platform.cpu.xcr0;
  const saved = fpstateOf(t);
  const out = new Uint8Array(xstateUserSize(t));
  const dv = view(out);
  const xfeatures = xfeaturesOf(saved) & userFeatures;
  legacyPart(out, saved, xfeatures);
  dv.setBigUint64(SW_RESERVED, BigInt(userFeatures), true); // xstate_fx_sw_bytes[USER_XSTATE_XCR0_WORD]
  dv.setBigUint64(XSAVE_HEADER_OFFSET, BigInt(xfeatures), true); // xcomp_bv and the rest: 0
  if ((xfeatures & XFEATURE_PKRU) !== 0) dv.setUint32(XSAVE_PKRU_OFFSET, pkru >>> 0, true);
  return out;
}

/**
 * Edits the task's fpstate: `edit` changes a full XSAVE image in place;
 * the image is Task.fpu itself, or a sync of the live registers that is
 * then loaded back (XRSTOR of the user features).
 */
function editFpstate(t: RegsetTarget, edit: (image: Uint8Array) => void): void {
  const image = savedImage(t);
  if (image !== null) {
    edit(image);
    return;
  }
  const cpu = t.platform.cpu;
  const live = syncFpstate(cpu);
  edit(live);
  xrstorFrom(cpu, area(live), cpu.xcr0);
}

/**
 * xfpregs_set(pos, count, source): the whole 512-byte image or nothing —
 * -EINVAL unless pos is 0 and count 512; -EFAULT when the copy-in faults;
 * -EINVAL for an MXCSR with a bit outside mxcsr_feature_mask. Then all 512
 * bytes replace the saved legacy area (MXCSR_MASK and the software bytes
 * as given) and XSTATE_BV gains FP and SSE (use_xsave). Returns 0 or a
 * negative errno.
 */
export function xfpregsSet(t: RegsetTarget, pos: number, count: number, source: RegsetSource): number {
  if (pos !== 0 || count !== FXSAVE_SIZE) return -EINVAL;
  const newstate = source.read(0, FXSAVE_SIZE);
  if (newstate === null) return -EFAULT;
  if ((view(newstate).getUint32(FX_MXCSR, true) & ~MXCSR_FEATURE_MASK) !== 0) return -EINVAL;
  editFpstate(t, (image) => {
    image.set(newstate, 0);
    const dv = view(image);
    dv.setUint32(XSAVE_HEADER_OFFSET, dv.getUint32(XSAVE_HEADER_OFFSET, true) | XFEATURE_X87 | XFEATURE_SSE, true);
  });
  return 0;
}

/**
 * validate_user_xstate_header: -EINVAL for a feature outside the task's
 * user_xfeatures, a non-zero xcomp_bv (only the standard format is
 * accepted) or any non-zero byte of the 48 reserved ones.
 */
function validateUserXstateHeader(header: DataView, userXfeatures: number): number {
  const xfeatures = header.getBigUint64(0, true);
  if ((xfeatures & ~BigInt(userXfeatures)) !== 0n) return -EINVAL;
  if (header.getBigUint64(8, true) !== 0n) return -EINVAL;
  for (let o = 16; o < XSAVE_HEADER_SIZE; o++) if (header.getUint8(o) !== 0) return -EINVAL;
  return 0;
}

/**
 * xstateregs_set(pos, count, source): a whole standard-format buffer —
 * -EFAULT (sic: the kernel's choice) unless pos is 0 and count is
 * fpu_user_cfg.max_size, -EFAULT when the copy-in faults — then
 * copy_uabi_to_xstate: the header validated (-EINVAL); when FP, SSE or YMM
 * is in it, MXCSR checked against mxcsr_feature_mask (-EINVAL) and, without
 * FP, MXCSR and MXCSR_MASK copied on their own; each feature in the header
 * copied at its offset (FP's 160 bytes carry MXCSR); thread.pkru set from
 * the buffer's PKRU, or to 0 when the header leaves PKRU out (the XRSTOR
 * behaviour ptrace emulates); XSTATE_BV = the header's xfeatures (kentry has
 * no supervisor features to keep). Nothing changes on an error.
 */
export function xstateregsSet(t: RegsetTarget, pos: number, count: number, source: RegsetSource): number {
  const size = xstateUserSize(t);
  if (pos !== 0 || count !== size) return -EFAULT;
  const buf = source.read(0, size);
  if (buf === null) return -EFAULT;
  const dv = view(buf);
  const header = new DataView(buf.buffer, buf.byteOffset + XSAVE_HEADER_OFFSET, XSAVE_HEADER_SIZE);
  const bad = validateUserXstateHeader(header, t.platform.cpu.xcr0);
  if (bad !== 0) return bad;
  const xfeatures = Number(header.getBigUint64(0, true));
  const mxcsrFeatures = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX;
  if ((xfeatures & mxcsrFeatures) !== 0 && (dv.getUint32(FX_MXCSR, true) & ~MXCSR_FEATURE_MASK) !== 0) return -EINVAL;
  editFpstate(t, (image) => {
    if ((xfeatures & mxcsrFeatures) !== 0 && (xfeatures & XFEATURE_X87) === 0) {
      image.set(buf.subarray(FX_MXCSR, FX_ST0), FX_MXCSR);
    }
    for (const c of XSTATE_COMPONENTS) {
      if ((xfeatures & c.bit) !== 0) image.set(buf.subarray(c.offset, c.offset + c.size), c.offset);
    }
    if ((xfeatures & XFEATURE_PKRU) === 0 && image.length >= XSAVE_PKRU_OFFSET + XSAVE_PKRU_SIZE) {
      image.fill(0, XSAVE_PKRU_OFFSET, XSAVE_PKRU_OFFSET + XSAVE_PKRU_SIZE); // *pkru = 0
    }
    view(image).setBigUint64(XSAVE_HEADER_OFFSET, BigInt(xfeatures), true);
  });
  return 0;
}
