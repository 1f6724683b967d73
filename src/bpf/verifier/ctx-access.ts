/**
 * Which context accesses a kprobe program may make. The context is the
 * kernel's struct pt_regs (bpf_user_pt_regs_t), whose size the caller passes
 * in: the design's layout decides it, not a constant 168.
 * @kernel kernel/trace/bpf_trace.c kprobe_prog_is_valid_access
 * @see reference/linux-x86-entry.md §6
 */

export type AccessType = 'read' | 'write';

/**
 * kprobe_prog_is_valid_access(): in bounds (0 <= off < sizeof), a read,
 * naturally aligned (off % size == 0), and not past the end (off + size <= sizeof).
 */
export function kprobeIsValidAccess(off: number, size: number, type: AccessType, ctxSize: number): boolean {
  if (off < 0 || off >= ctxSize) return false;
  if (type !== 'read') return false;
  if (off % size !== 0) return false;
  if (off + size > ctxSize) return false;
  return true;
}
