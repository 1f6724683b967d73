/**
 * errno values system calls return (negated in RAX).
 * @kernel include/uapi/asm-generic/errno-base.h, include/uapi/asm-generic/errno.h
 */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EEXIST = 17;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EINVAL = 22;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ESPIPE = 29;
export const ERANGE = 34;
export const ENOSYS = 38;
export const ENAMETOOLONG = 36;
export const EOPNOTSUPP = 95;

/**
 * Kernel-internal restart codes: a system call interrupted by a signal
 * returns one of these; signal delivery turns it into -EINTR or a restart
 * (reference §4.7). User space never sees them.
 * @kernel include/linux/errno.h
 */
export const ERESTARTSYS = 512;
export const ERESTARTNOINTR = 513;
export const ERESTARTNOHAND = 514;
export const ERESTART_RESTARTBLOCK = 516;
