/**
 * The file system calls a static program's standard streams need: fds 0, 1
 * and 2 lead to the host console; besides, a program may open its own
 * executable, /proc/self/maps and the model files of model-files.ts, and
 * make pipes (pipe.ts). Files with FileOps answer read and write themselves.
 * @kernel fs/read_write.c ksys_write, do_writev, do_readv; fs/stat.c vfs_fstatat; fs/ioctl.c; fs/d_path.c (proc_pid_readlink)
 */
import { EACCES, EBADF, EFAULT, EINVAL, EMFILE, ENAMETOOLONG, ENOENT, ENOTTY, ESPIPE } from '../../abi/errno.js';
import { lowestFreeFd, procMaps, type OpenFile, type OpsFile } from './files.js';
import { fileCaller } from './file-caller.js';
import { mayOpen, modelFile } from './model-files.js';
import type { MaySleep } from '../generic/index.js';
import { layoutOf } from '../../abi/layout.js';
import { S_IFCHR, S_IFIFO, S_IFREG, stat64 } from '../../abi/structs/stat.js';
import { StructView } from '../../abi/view.js';
import { BufferStore } from '../../lib/bytes.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { accessOk, copyFromUser, copyToUser, strncpyFromUser } from '../arch/x86/uaccess.js';
import { arg, argInt } from './args.js';
import type { LinuxProcess } from './process.js';

const AT_FDCWD = -100;
const O_ACCMODE = 3;
const O_RDONLY = 0;
const O_CREAT = 0o100;
const O_NONBLOCK = 0o4000;
const AT_EMPTY_PATH = 0x1000;
const TCGETS = 0x5401;
const TIOCGWINSZ = 0x5413;
const PATH_MAX = 4096;
/** MAX_RW_COUNT: INT_MAX & PAGE_MASK. */
const MAX_RW_COUNT = 0x7fff_f000;

function fileOf(p: LinuxProcess, fd: number): OpenFile | undefined {
  return p.files.get(fd);
}

/** A console stream that can be written: the host's fd 1 or 2 (fd 0 is read-only here). */
function writable(p: LinuxProcess, fd: number): number | null {
  const f = fileOf(p, fd);
  return f?.kind === 'console' && f.fd !== 0 ? f.fd : null;
}

/** An open file with FileOps that was opened for writing (FMODE_WRITE), or null. */
function opsWritable(p: LinuxProcess, fd: number): OpsFile | null {
  const f = fileOf(p, fd);
  return f?.kind === 'ops' && f.accmode !== 0 && f.ops.write ? f : null;
}

/** write(fd, buf, count) */
export function sysWrite(p: LinuxProcess, regs: PtRegs): number | MaySleep<number> {
  const fd = argInt(regs, 0);
  const count = Math.min(arg(regs, 2), MAX_RW_COUNT);
  const o = opsWritable(p, fd);
  // vfs_write: access_ok on the whole buffer first (a range check only: /dev/null takes any mapped or unmapped user range).
  if (o) return count < 0 ? -EINVAL : !accessOk(arg(regs, 1), count) ? -EFAULT : o.ops.write!(fileCaller(p), o, arg(regs, 1), count);
  const host = writable(p, fd);
  if (host === null) return -EBADF;
  if (count < 0) return -EINVAL;
  const bytes = copyFromUser(p.rt, arg(regs, 1), count);
  if (bytes === null) return -EFAULT;
  p.console.write(host, bytes);
  return bytes.length;
}

/** writev(fd, iov, iovcnt): each struct iovec { void *iov_base; size_t iov_len; } in turn. */
export function* sysWritev(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const fd = argInt(regs, 0);
  const cnt = argInt(regs, 2);
  const o = opsWritable(p, fd);
  const host = writable(p, fd);
  if (host === null && o === null) return -EBADF;
  if (cnt < 0 || cnt > 1024) return -EINVAL; // UIO_MAXIOV
  const iov = copyFromUser(p.rt, arg(regs, 1), cnt * 16);
  if (iov === null) return -EFAULT;
  const dv = new DataView(iov.buffer, iov.byteOffset, iov.byteLength);
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const base = Number(dv.getBigUint64(i * 16, true));
    const len = Number(dv.getBigUint64(i * 16 + 8, true));
    if (len === 0) continue;
    if (o) {
      // do_loop_readv_writev: one ->write per segment, stopping at an error or a short write.
      const r = o.ops.write!(fileCaller(p), o, base, len);
      const n = typeof r === 'number' ? r : yield* r;
      if (n < 0) return total > 0 ? total : n;
      total += n;
      if (n < len) break;
      continue;
    }
    if (host === null) return -EBADF;
    const bytes = copyFromUser(p.rt, base, len);
    if (bytes === null) return total > 0 ? total : -EFAULT;
    p.console.write(host, bytes);
    total += len;
  }
  return total;
}

/** A file that can be read: fd 0's console stream, or an opened file (one with FileOps only if opened for reading). */
function readable(p: LinuxProcess, fd: number): Exclude<OpenFile, OpsFile> | null {
  const f = fileOf(p, fd);
  return !f || f.kind === 'ops' || (f.kind === 'console' && f.fd !== 0) ? null : f;
}

function opsReadable(p: LinuxProcess, fd: number): OpsFile | null {
  const f = fileOf(p, fd);
  return f?.kind === 'ops' && f.accmode !== 1 && f.ops.read ? f : null;
}

/** read(fd, buf, count) from fd 0 or an opened file. */
export function sysRead(p: LinuxProcess, regs: PtRegs): number | MaySleep<number> {
  const count = Math.min(arg(regs, 2), MAX_RW_COUNT);
  const o = opsReadable(p, argInt(regs, 0));
  if (o) return count < 0 ? -EINVAL : !accessOk(arg(regs, 1), count) ? -EFAULT : o.ops.read!(fileCaller(p), o, arg(regs, 1), count);
  const f = readable(p, argInt(regs, 0));
  if (!f) return -EBADF;
  if (count < 0) return -EINVAL;
  const bytes = f.kind === 'console' ? p.console.read(0, count) : f.data.subarray(f.pos, f.pos + count);
  if (!copyToUser(p.rt, arg(regs, 1), bytes)) return -EFAULT;
  if (f.kind === 'bytes') f.pos += bytes.length;
  return bytes.length;
}

/**
 * readv(fd, iov, iovcnt) → do_readv/vfs_readv: EBADF for a stream that is
 * not readable, then import_iovec (EINVAL beyond UIO_MAXIOV or for an
 * iov_len that is negative as ssize_t, EFAULT for the array; the total is
 * clamped to MAX_RW_COUNT). The console is read once (one pipe_read or
 * n_tty_read fills the segments in turn); a file is read from its position.
 * A fault after some bytes returns those bytes, before any returns EFAULT.
 * @kernel fs/read_write.c do_readv, vfs_readv; lib/iov_iter.c __import_iovec
 */
export function* sysReadv(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const o = opsReadable(p, argInt(regs, 0));
  const f = readable(p, argInt(regs, 0));
  if (!f && !o) return -EBADF;
  const cnt = arg(regs, 2);
  if (cnt < 0 || cnt > 1024) return -EINVAL; // UIO_MAXIOV; vlen is unsigned long
  const iov = copyFromUser(p.rt, arg(regs, 1), cnt * 16);
  if (iov === null) return -EFAULT;
  const dv = new DataView(iov.buffer, iov.byteOffset, iov.byteLength);
  const segs: { base: number; len: number }[] = [];
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const base = Number(dv.getBigUint64(i * 16, true));
    const raw = dv.getBigInt64(i * 16 + 8, true);
    if (raw < 0n) return -EINVAL;
    const len = Math.min(Number(raw), MAX_RW_COUNT - total);
    segs.push({ base, len });
    total += len;
  }
  if (total === 0) return 0;
  if (o || !f) {
    // do_loop_readv_writev: one ->read per segment until a short read.
    let got = 0;
    for (const s of segs) {
      if (s.len === 0) continue;
      const r = o!.ops.read!(fileCaller(p), o!, s.base, s.len);
      const n = typeof r === 'number' ? r : yield* r;
      if (n < 0) return got > 0 ? got : n;
      got += n;
      if (n < s.len) break;
    }
    return got;
  }
  const data = f.kind === 'console' ? p.console.read(0, total) : f.data.subarray(f.pos, f.pos + total);
  let done = 0;
  for (const s of segs) {
    if (done === data.length) break;
    const part = data.subarray(done, done + s.len);
    if (!copyToUser(p.rt, s.base, part)) break;
    done += part.length;
  }
  if (f.kind === 'bytes') f.pos += done;
  return done > 0 || data.length === 0 ? done : -EFAULT;
}

/** The struct stat of an open file: a console stream's type, or a regular file (proc files report size 0). */
function statOf(p: LinuxProcess, f: OpenFile): Uint8Array {
  const layout = layoutOf(stat64);
  const buf = new BufferStore(new Uint8Array(layout.size));
  const v = new StructView(layout, buf, 0);
  if (f.kind === 'ops') {
    v.set('st_mode', f.ops.mode);
    v.set('st_nlink', 1);
    v.set('st_blksize', 4096);
    if (f.ops.rdev !== undefined) v.set('st_rdev', f.ops.rdev);
    return buf.readBytes(0, layout.size);
  }
  if (f.kind === 'bytes') {
    v.set('st_mode', S_IFREG | (f.proc ? 0o444 : 0o755));
    v.set('st_nlink', 1);
    v.set('st_size', f.proc ? 0 : f.data.length);
    v.set('st_blksize', 4096);
    v.set('st_blocks', f.proc ? 0 : Math.ceil(f.data.length / 512));
    return buf.readBytes(0, layout.size);
  }
  const fd = f.fd;
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
  const f = fileOf(p, argInt(regs, 0));
  if (!f) return -EBADF;
  return copyToUser(p.rt, arg(regs, 1), statOf(p, f)) ? 0 : -EFAULT;
}

/** newfstatat(dirfd, path, statbuf, flags): only the AT_EMPTY_PATH form on a standard stream. */
export function sysNewfstatat(p: LinuxProcess, regs: PtRegs): number {
  const dirfd = argInt(regs, 0);
  const flags = argInt(regs, 3);
  const path = strncpyFromUser(p.rt, arg(regs, 1), PATH_MAX);
  if (path === null) return -EFAULT;
  if (path === 'too-long') return -36; // ENAMETOOLONG
  if (path.length === 0 && flags & AT_EMPTY_PATH) {
    const f = fileOf(p, dirfd);
    if (!f) return -EBADF;
    return copyToUser(p.rt, arg(regs, 2), statOf(p, f)) ? 0 : -EFAULT;
  }
  if (dirfd !== AT_FDCWD && path[0] !== 0x2f && !fileOf(p, dirfd)) return -EBADF;
  const f = openable(p, new TextDecoder().decode(path), O_RDONLY);
  if (!f) return -ENOENT;
  return copyToUser(p.rt, arg(regs, 2), statOf(p, f)) ? 0 : -EFAULT;
}

/**
 * The kernel termios (NCCS 19, 36 bytes) of a terminal in its initial
 * state, tty_std_termios: ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD|HUPCL,
 * ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN, and INIT_C_CC. Node
 * cannot read the host terminal's termios, so this is what a terminal left
 * as it started reports.
 */
function stdTermios(): Uint8Array {
  const b = new Uint8Array(36);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x500, true);
  dv.setUint32(4, 0x5, true);
  dv.setUint32(8, 0x4bf, true);
  dv.setUint32(12, 0x8a3b, true);
  b.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0], 17); // c_line 0, then c_cc
  return b;
}

/**
 * ioctl(fd, cmd, arg): TIOCGWINSZ and TCGETS (isatty) answer for a stream
 * that is a terminal on the host (tty_ioctl: struct winsize with the host's
 * rows and columns; struct termios); everything else — and every command
 * on a pipe, a file or /proc file (vfs_ioctl without the command) — is
 * -ENOTTY.
 * @kernel fs/ioctl.c do_vfs_ioctl, vfs_ioctl; drivers/tty/tty_io.c tty_ioctl, tiocgwinsz; drivers/tty/tty_ioctl.c
 */
export function sysIoctl(p: LinuxProcess, regs: PtRegs): number {
  const f = fileOf(p, argInt(regs, 0));
  if (!f) return -EBADF;
  const cmd = Number(BigInt.asUintN(32, regs.get('si')));
  const ws = f.kind === 'console' ? (p.console.winsize?.(f.fd) ?? null) : null;
  if (ws === null) return -ENOTTY;
  if (cmd === TIOCGWINSZ) {
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, ws.rows, true);
    dv.setUint16(2, ws.cols, true);
    return copyToUser(p.rt, arg(regs, 2), b) ? 0 : -EFAULT;
  }
  if (cmd === TCGETS) return copyToUser(p.rt, arg(regs, 2), stdTermios()) ? 0 : -EFAULT;
  return -ENOTTY; // other terminal commands are not modelled
}

/** lseek(fd, offset, whence): files seek (SEEK_SET/CUR/END); console streams cannot. */
export function sysLseek(p: LinuxProcess, regs: PtRegs): number {
  const f = fileOf(p, argInt(regs, 0));
  if (!f) return -EBADF;
  if (f.kind === 'console') return p.console.kind(f.fd) === 'file' ? -EINVAL : -ESPIPE;
  if (f.kind === 'ops' && f.ops.llseek === 'none') return -ESPIPE;
  if (f.kind === 'ops' && f.ops.llseek === 'null') return (f.pos = 0);
  const off = arg(regs, 1);
  const whence = argInt(regs, 2);
  const size = f.kind === 'ops' ? 0 : f.data.length; // a device or sysctl has no size
  const base = whence === 0 ? 0 : whence === 1 ? f.pos : whence === 2 ? size : NaN;
  if (Number.isNaN(base) || base + off < 0) return -EINVAL;
  f.pos = base + off;
  return f.pos;
}

/** What kentry lets a program open: its own executable, /proc/self/maps (fresh at each open) and the model files. */
function openable(p: LinuxProcess, path: string, flags: number): OpenFile | null {
  const ops = modelFile(path);
  if (ops) return { kind: 'ops', path, ops, accmode: flags & O_ACCMODE, flags: flags & O_NONBLOCK, pos: 0, refs: 1 };
  if (path === '/proc/self/maps' || path === `/proc/${p.pid}/maps`) {
    return { kind: 'bytes', path, data: new TextEncoder().encode(procMaps(p.mm.vmas)), pos: 0, proc: true };
  }
  if (path === '/proc/self/exe' || path === p.exePath) return { kind: 'bytes', path, data: p.exe, pos: 0, proc: false };
  return null;
}

/** do_sys_open: read-only opens of what `openable` knows; the rest does not exist here. */
function openCommon(p: LinuxProcess, dirfd: number, pathAddr: number, flags: number): number {
  const path = strncpyFromUser(p.rt, pathAddr, PATH_MAX);
  if (path === null) return -EFAULT;
  if (path === 'too-long') return -ENAMETOOLONG;
  if (path.length === 0) return -ENOENT;
  if (dirfd !== AT_FDCWD && path[0] !== 0x2f && !fileOf(p, dirfd)) return -EBADF;
  const f = openable(p, new TextDecoder().decode(path), flags);
  if (!f) return flags & O_CREAT ? -EACCES : -ENOENT;
  if (f.kind === 'ops' ? !mayOpen(f.ops, flags & O_ACCMODE) : (flags & O_ACCMODE) !== O_RDONLY || flags & O_CREAT) return -EACCES;
  const fd = lowestFreeFd(p.files);
  if (fd === null) return -EMFILE;
  p.files.set(fd, f);
  return fd;
}

/** openat(dirfd, path, flags, mode) */
export function sysOpenat(p: LinuxProcess, regs: PtRegs): number {
  return openCommon(p, argInt(regs, 0), arg(regs, 1), argInt(regs, 2));
}

/** open(path, flags, mode) = openat(AT_FDCWD, path, flags, mode) */
export function sysOpen(p: LinuxProcess, regs: PtRegs): number {
  return openCommon(p, AT_FDCWD, arg(regs, 0), argInt(regs, 1));
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

/** close(fd): the last descriptor of an open file with FileOps releases it (fput → __fput → f_op->release). */
export function sysClose(p: LinuxProcess, regs: PtRegs): number {
  const fd = argInt(regs, 0);
  const f = fileOf(p, fd);
  if (!f) return -EBADF;
  p.files.delete(fd);
  if (f.kind === 'ops' && --f.refs === 0) f.ops.release?.(f);
  return 0;
}
