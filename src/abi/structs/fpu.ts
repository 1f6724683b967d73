/**
 * The legacy FXSAVE area and the XSAVE header, as signal frames carry them.
 * @kernel arch/x86/include/uapi/asm/sigcontext.h struct _fpstate_64, struct _fpx_sw_bytes
 * @kernel arch/x86/include/asm/fpu/types.h struct xstate_header
 * @see Intel SDM Vol. 1 §10.5.1 (FXSAVE area), §13.4.2 (XSAVE header)
 */
import { __u16, __u32, __u64, anonymous, array, member, struct, union } from '../ctype.js';

/**
 * Software-reserved bytes 464..511 of the FXSAVE image: the kernel's note
 * that an XSAVE frame follows (FP_XSTATE_MAGIC1) and how big it is.
 */
export const fpxSwBytes = struct('_fpx_sw_bytes', [
  member('magic1', __u32),
  member('extended_size', __u32),
  member('xfeatures', __u64),
  member('xstate_size', __u32),
  member('padding', array(__u32, 7)),
]);

/**
 * The 512-byte FXSAVE image (64-bit format) as the signal ABI names it;
 * `sigcontext.fpstate` points at one. The kernel's own `fxregs_state` has
 * the same bytes.
 */
export const fpstate64 = struct('_fpstate_64', [
  member('cwd', __u16),
  member('swd', __u16),
  member('twd', __u16),
  member('fop', __u16),
  member('rip', __u64),
  member('rdp', __u64),
  member('mxcsr', __u32),
  member('mxcsr_mask', __u32),
  member('st_space', array(__u32, 32)),
  member('xmm_space', array(__u32, 64)),
  member('reserved2', array(__u32, 12)),
  anonymous(union(null, [member('reserved3', array(__u32, 12)), member('sw_reserved', fpxSwBytes)])),
]);

/** The 64-byte XSAVE header that follows the legacy area at offset 512. */
export const xstateHeader = struct('xstate_header', [
  member('xfeatures', __u64),
  member('xcomp_bv', __u64),
  member('reserved', array(__u64, 6)),
]);
