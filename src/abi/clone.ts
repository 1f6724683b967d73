/**
 * clone's flags (clone, clone3, and what fork/vfork imply): declared once
 * for the system-call decoding and for copy_process.
 * @kernel include/uapi/linux/sched.h CLONE_*, CSIGNAL, CLONE_ARGS_SIZE_VER0/VER2
 */
export const CSIGNAL = 0xffn;
/** CLONE_NEWTIME shares CSIGNAL's byte: clone3 alone can ask for it. */
export const CLONE_NEWTIME = 0x80n;
export const CLONE_VM = 0x100n;
export const CLONE_FS = 0x200n;
export const CLONE_FILES = 0x400n;
export const CLONE_SIGHAND = 0x800n;
export const CLONE_PIDFD = 0x1000n;
export const CLONE_PTRACE = 0x2000n;
export const CLONE_VFORK = 0x4000n;
export const CLONE_PARENT = 0x8000n;
export const CLONE_THREAD = 0x10000n;
export const CLONE_SYSVSEM = 0x40000n;
export const CLONE_SETTLS = 0x80000n;
export const CLONE_PARENT_SETTID = 0x100000n;
export const CLONE_CHILD_CLEARTID = 0x200000n;
export const CLONE_DETACHED = 0x400000n;
export const CLONE_UNTRACED = 0x800000n;
export const CLONE_CHILD_SETTID = 0x1000000n;
/** CLONE_LEGACY_FLAGS: the 32 bits clone() has; clone3 adds the two below. */
export const CLONE_LEGACY_FLAGS = 0xffff_ffffn;
/** clone3 only: the child's handlers start at SIG_DFL (ignored signals stay ignored). */
export const CLONE_CLEAR_SIGHAND = 0x1_0000_0000n;
export const CLONE_INTO_CGROUP = 0x2_0000_0000n;
