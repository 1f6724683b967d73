/**
 * The file system calls a static program's standard streams need: fds 0, 1
 * and 2 lead to the host console; nothing else is open (no files yet).
 * @kernel fs/read_write.c ksys_write, do_writev; fs/stat.c vfs_fstatat; fs/ioctl.c; fs/d_path.c (proc_pid_readlink)
 */
import { EBADF, EFAULT, EINVAL, ENOENT, ENOTTY, ESPIPE } from '../../abi/errno.js';
import { layoutOf } from '../../abi/layout.js';
import { S_IFCHR, S_IFIFO, S_IFREG, stat64 } from '../../abi/structs/stat.js';
import { StructView } from '../../abi/view.js';
import { BufferStore } from '../../lib/bytes.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { copyFromUser, copyToUser, strncpyFromUser } from '../arch/x86/uaccess.js';
import { arg, argInt } from './args.js';
import type { LinuxProcess } from './process.js';

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const TCGETS = 0x5401;
const TIOCGWINSZ = 0x5413;
const PATH_MAX = 4096;
/** MAX_RW_COUNT: INT_MAX & PAGE_MASK. */
const MAX_RW_COUNT = 0x7fff_f000;

function openStd(p: LinuxProcess, fd: number): boolean {
  return fd >= 0 && fd <= 2 && p.console.kind(fd) !== 'closed';
}

/** write(fd, buf, count) */
export function sysWrite(p: LinuxProcess, regs: PtRegs): number {
  const fd = argInt(regs, 0);
  const count = Math.min(arg(regs, 2), MAX_RW_COUNT);
  if (fd === 0 || !openStd(p, fd)) return -EBADF;
  if (count < 0) return -EINVAL;
  const bytes = copyFromUser(p.rt, arg(regs, 1), count);
  if (bytes === null) return -EFAULT;
  p.console.write(fd, bytes);
  return bytes.length;
}

/** writev(fd, iov, iovcnt): each struct iovec { void *iov_base; size_t iov_len; } in turn. */
export function sysWritev(p: LinuxProcess, regs: PtRegs): number {
  const fd = argInt(regs, 0);
  const cnt = argInt(regs, 2);
  if (fd === 0 || !openStd(p, fd)) return -EBADF;
  if (cnt < 0 || cnt > 1024) return -EINVAL; // UIO_MAXIOV
  const iov = copyFromUser(p.rt, arg(regs, 1), cnt * 16);
  if (iov === null) return -EFAULT;
  const dv = new DataView(iov.buffer, iov.byteOffset, iov.byteLength);
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const base = Number(dv.getBigUint64(i * 16, true));
    const len = Number(dv.getBigUint64(i * 16 + 8, true));
    if (len === 0) continue;
    const bytes = copyFromUser(p.rt, base, len);
    if (bytes === null) return total > 0 ? total : -EFAULT;
    p.console.write(fd, bytes);
    total += len;
  }
  return total;
}

/** read(fd, buf, count) from fd 0. */
export function sysRead(p: LinuxProcess, regs: PtRegs): number {
  const fd = argInt(regs, 0);
  if (fd !== 0 || !openStd(p, fd)) return -EBADF;
  const count = Math.min(arg(regs, 2), MAX_RW_COUNT);
  if (count < 0) return -EINVAL;
  const bytes = p.console.read(0, count);
  return copyToUser(p.rt, arg(regs, 1), bytes) ? bytes.length : -EFAULT;
}

/** The struct stat of a standard stream: its type and the console's block size. */
function statOf(p: LinuxProcess, fd: number): Uint8Array {
  const layout = layoutOf(stat64);
  const buf = new BufferStore(new Uint8Array(layout.size));
  const v = new StructView(layout, buf, 0);
  const kind = p.console.kind(fd);
  v.set('st_mode', (kind === 'tty' ? S_IFCHR | 0o620 : kind === 'file' ? S_IFREG | 0o644 : S_IFIFO | 0o600));
  v.set('st_nlink', 1);
  v.set('st_blksize', 4096);
  v.set('st_dev', kind === 'tty' ? 0x16 : 0xd);
  v.set('st_ino', 3 + fd);
  if (kind === 'tty') v.set('st_rdev', 0x8800 + fd);
  return buf.readBytes(0, layout.size);
}

/** fstat(fd, statbuf) */
export function sysFstat(p: LinuxProcess, regs: PtRegs): number {
  const fd = argInt(regs, 0);
  if (!openStd(p, fd)) return -EBADF;
  return copyToUser(p.rt, arg(regs, 1), statOf(p, fd)) ? 0 : -EFAULT;
}

/** newfstatat(dirfd, path, statbuf, flags): only the AT_EMPTY_PATH form on a standard stream. */
export function sysNewfstatat(p: LinuxProcess, regs: PtRegs): number {
  const dirfd = argInt(regs, 0);
  const flags = argInt(regs, 3);
  const path = strncpyFromUser(p.rt, arg(regs, 1), PATH_MAX);
  if (path === null) return -EFAULT;
  if (path === 'too-long') return -36; // ENAMETOOLONG
  if (path.length === 0 && flags & AT_EMPTY_PATH) {
    if (!openStd(p, dirfd)) return -EBADF;
    return copyToUser(p.rt, arg(regs, 2), statOf(p, dirfd)) ? 0 : -EFAULT;
  }
  return dirfd === AT_FDCWD || path[0] === 0x2f ? -ENOENT : -EBADF; // no files yet
}

/** ioctl(fd, TCGETS | TIOCGWINSZ, …): ENOTTY unless the stream is a terminal (then too: terminal state is not modelled). */
export function sysIoctl(p: LinuxProcess, regs: PtRegs): number {
  const fd = argInt(regs, 0);
  if (!openStd(p, fd)) return -EBADF;
  const cmd = Number(BigInt.asUintN(32, regs.get('si')));
  if (cmd === TCGETS || cmd === TIOCGWINSZ) return -ENOTTY;
  return -ENOTTY;
}

/** lseek on a stream that cannot seek. */
export function sysLseek(p: LinuxProcess, regs: PtRegs): number {
  const fd = argInt(regs, 0);
  if (!openStd(p, fd)) return -EBADF;
  return p.console.kind(fd) === 'file' ? -EINVAL : -ESPIPE;
}

/** readlink(path, buf, size) / readlinkat: "/proc/self/exe" gives the executable; nothing else exists. */
export function readlinkCommon(p: LinuxProcess, pathAddr: number, buf: number, size: number): number {
  const path = strncpyFromUser(p.rt, pathAddr, PATH_MAX);
  if (path === null) return -EFAULT;
  if (path === 'too-long') return -36;
  if (size <= 0) return -EINVAL;
  if (new TextDecoder().decode(path) !== '/proc/self/exe') return -ENOENT;
  const target = new TextEncoder().encode(p.exePath).subarray(0, size);
  return copyToUser(p.rt, buf, target) ? target.length : -EFAULT;
}

export function sysReadlink(p: LinuxProcess, regs: PtRegs): number {
  return readlinkCommon(p, arg(regs, 0), arg(regs, 1), argInt(regs, 2));
}

export function sysReadlinkat(p: LinuxProcess, regs: PtRegs): number {
  return readlinkCommon(p, arg(regs, 1), arg(regs, 2), argInt(regs, 3));
}

/** close(fd): the standard streams can be closed; anything else is EBADF. */
export function sysClose(p: LinuxProcess, regs: PtRegs): number {
  return openStd(p, argInt(regs, 0)) ? 0 : -EBADF;
}
