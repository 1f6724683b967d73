/**
 * Where a regset's set() takes its bytes from: the kernel passes either a
 * kernel buffer (kbuf) or the tracer's user pointer (ubuf), and each set()
 * copies in with user_regset_copyin or __get_user — so a fault can stop a
 * set() part-way (genregs_set keeps the words it already stored).
 *
 * @kernel include/linux/regset.h user_regset_copyin, user_regset_set_fn
 */

/** The source buffer of a set(): `len` bytes at `offset` into it, or null when that copy faults (-EFAULT). */
export interface RegsetSource {
  read(offset: number, len: number): Uint8Array | null;
}

/** A kernel buffer (kbuf): never faults. */
export function kernelSource(bytes: Uint8Array): RegsetSource {
  return {
    read: (offset, len) => (offset + len <= bytes.length ? bytes.slice(offset, offset + len) : null),
  };
}
