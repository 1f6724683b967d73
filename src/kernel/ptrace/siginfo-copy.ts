/**
 * siginfo between a tracer and the kernel: the kernel keeps a
 * kernel_siginfo (the first 48 bytes of siginfo_t, __ARCH_SI_PREAMBLE_SIZE
 * plus the largest known union member); the 80 bytes above it
 * (SI_EXPANSION_SIZE) are written as zeros on the way out, and on the way
 * in must be zero unless the si_signo/si_code pair names a layout the
 * kernel knows (known_siginfo_layout) — else -E2BIG, so that what goes in
 * comes back out unchanged.
 *
 * The si_code limits are those of include/uapi/asm-generic/siginfo.h as of
 * Linux 6.6+ (NSIGSEGV 10 since SEGV_CPERR).
 *
 * @kernel kernel/signal.c copy_siginfo_to_user, copy_siginfo_from_user, post_copy_siginfo_from_user, known_siginfo_layout, sig_sicodes
 * @kernel include/linux/signal_types.h struct kernel_siginfo
 */
import { layoutOf, offsetOf } from '../../abi/layout.js';
import { SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP, SI_KERNEL, SI_USER } from '../../abi/signal-numbers.js';
import { siginfo } from '../../abi/structs/signal.js';

const SIGINFO = layoutOf(siginfo);
/** sizeof(siginfo_t): 128. */
export const SIGINFO_SIZE = SIGINFO.size;
/** sizeof(struct kernel_siginfo): 48 on x86-64. */
export const KERNEL_SIGINFO_SIZE = 48;
const OFF_SIGNO = offsetOf(SIGINFO, 'si_signo');
const OFF_CODE = offsetOf(SIGINFO, 'si_code');

const SIGPOLL = 29;
const SI_DETHREAD = -7;
const SI_ASYNCNL = -60;
const NSIGPOLL = 6;
/** sig_sicodes[sig].limit: the highest si_code of each signal with signal-specific codes. */
const SIG_SICODES: ReadonlyMap<number, number> = new Map([
  [SIGILL, 11], [SIGFPE, 15], [SIGSEGV, 10], [SIGBUS, 5], [SIGTRAP, 6], [SIGCHLD, 6], [SIGPOLL, NSIGPOLL], [SIGSYS, 2],
]);

/** known_siginfo_layout(sig, si_code). */
export function knownSiginfoLayout(sig: number, code: number): boolean {
  if (code === SI_KERNEL) return true;
  if (code > SI_USER) {
    const limit = SIG_SICODES.get(sig);
    return limit !== undefined ? code <= limit : code <= NSIGPOLL;
  }
  return code >= SI_DETHREAD || code === SI_ASYNCNL;
}

/** copy_siginfo_to_user's bytes: the kernel_siginfo, then SI_EXPANSION_SIZE zeros. */
export function siginfoToUser(kinfo: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGINFO_SIZE);
  out.set(kinfo.subarray(0, KERNEL_SIGINFO_SIZE));
  return out;
}

/**
 * Whether copy_siginfo_from_user must read the expansion of a siginfo_t
 * whose kernel_siginfo part is `kinfo` and insist it is zero
 * (post_copy_siginfo_from_user: the si_signo/si_code layout is unknown).
 */
export function expansionMustBeZero(kinfo: Uint8Array): boolean {
  const dv = new DataView(kinfo.buffer, kinfo.byteOffset, kinfo.byteLength);
  return !knownSiginfoLayout(dv.getInt32(OFF_SIGNO, true), dv.getInt32(OFF_CODE, true));
}
