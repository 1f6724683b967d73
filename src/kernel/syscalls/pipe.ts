/**
 * Pipes: pipe, pipe2 and vmsplice. A pipe is a ring of PIPE_DEF_BUFFERS
 * (16) buffers of up to a page each, shared by a read end and a write end.
 * Reading an empty pipe returns 0 once no writer is left, -EAGAIN with
 * O_NONBLOCK, else sleeps; writing with no reader left is -EPIPE and
 * SIGPIPE; a full pipe sleeps (or -EAGAIN). vmsplice gives user pages to
 * the write end, or copies the pipe's bytes out from the read end.
 *
 * Sleeping goes through FileCaller.waitInterruptible. With one process
 * nothing can wake a pipe sleeper but a signal, as on Linux when the only
 * other end is one's own; another process's end needs that wait to be a
 * wait queue the other side wakes (pipe_inode_info.rd_wait/wr_wait).
 * @kernel fs/pipe.c do_pipe2, pipe_read, pipe_write, pipe_release; fs/splice.c vmsplice, vmsplice_to_pipe, vmsplice_to_user
 */
import { EAGAIN, EBADF, EFAULT, EINVAL, EMFILE, ERESTARTSYS } from '../../abi/errno.js';
import { S_IFIFO } from '../../abi/structs/stat.js';
import type { PtRegs } from '../arch/x86/regs.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import type { MaySleep } from '../generic/index.js';
import { arg, argInt } from './args.js';
import { lowestFreeFd, type FileCaller, type FileOps, type OpsFile } from './files.js';
import { fileCaller } from './file-caller.js';
import type { LinuxProcess } from './process.js';

const EPIPE = 32;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const O_DIRECT = 0o40000;
const SPLICE_F_NONBLOCK = 0x2;
const SPLICE_F_ALL = 0xf; // MOVE | NONBLOCK | MORE | GIFT
/** create_pipe_files: O_NOTIFICATION_PIPE (O_EXCL's bit) needs CONFIG_WATCH_QUEUE; without it, watch_queue_init says ENOPKG. */
const O_NOTIFICATION_PIPE = 0o200;
const ENOPKG = 65;
const UIO_MAXIOV = 1024;

const PAGE = 4096;
const PIPE_SLOTS = 16;

/**
 * struct pipe_inode_info, reduced to what the model needs: its buffers
 * (each at most a page, oldest first; pipe->bufs between tail and head)
 * and how many of each end are open. Whether a write merges into the last
 * buffer decides how much of a large write fits, so it is kept per buffer.
 */
class Pipe {
  bufs: { data: Uint8Array; canMerge: boolean }[] = [];
  readers = 1;
  writers = 1;
  get full(): boolean {
    return this.bufs.length >= PIPE_SLOTS;
  }
}

function pipeOf(f: OpsFile): Pipe {
  return (f.ops as PipeOps).pipe;
}

interface PipeOps extends FileOps {
  readonly pipe: Pipe;
}

/**
 * pipe_read: consumes buffers into the user buffer until `count` is met or
 * the pipe is empty; with nothing read yet it returns 0 once no writer is
 * left, -EAGAIN with O_NONBLOCK (or SPLICE_F_NONBLOCK), else sleeps. A
 * fault with nothing read is -EFAULT (a buffer's bytes are copied whole or
 * not at all here; Linux keeps the part before the fault).
 */
function* pipeRead(c: FileCaller, f: OpsFile, buf: number, count: number, nonblock = (f.flags & O_NONBLOCK) !== 0): MaySleep<number> {
  const pipe = pipeOf(f);
  if (count === 0) return 0;
  let ret = 0;
  for (;;) {
    while (pipe.bufs.length > 0 && ret < count) {
      const b = pipe.bufs[0]!;
      const part = b.data.subarray(0, count - ret);
      if (!copyToUser(c.rt, buf + ret, part)) return ret > 0 ? ret : -EFAULT;
      ret += part.length;
      b.data = b.data.subarray(part.length);
      if (b.data.length === 0) pipe.bufs.shift();
    }
    if (ret > 0 || pipe.writers === 0) return ret;
    if (nonblock) return -EAGAIN;
    if ((yield* c.waitInterruptible()) === 'signal') return -ERESTARTSYS;
  }
}

/**
 * pipe_write: -EPIPE and SIGPIPE with no reader. Into a pipe that is not
 * empty, the part of the write beyond whole pages (total_len &
 * (PAGE_SIZE-1)) first merges into the last buffer when it fits there;
 * the rest goes a page per free buffer, sleeping (or -EAGAIN) while all 16
 * are in use. A fault stops the write (-EFAULT when nothing was written).
 */
function* pipeWrite(c: FileCaller, f: OpsFile, buf: number, count: number): MaySleep<number> {
  const pipe = pipeOf(f);
  if (pipe.readers === 0) {
    c.sigpipe();
    return -EPIPE;
  }
  if (count === 0) return 0;
  let ret = 0;
  const last = pipe.bufs.at(-1);
  const chars = count & (PAGE - 1);
  if (chars && last && last.canMerge && last.data.length + chars <= PAGE) {
    const b = copyFromUser(c.rt, buf, chars);
    if (b === null) return -EFAULT;
    last.data = concat(last.data, b);
    ret = chars;
    if (ret === count) return ret;
  }
  for (;;) {
    if (pipe.readers === 0) {
      c.sigpipe();
      return ret > 0 ? ret : -EPIPE;
    }
    if (!pipe.full) {
      const b = copyFromUser(c.rt, buf + ret, Math.min(PAGE, count - ret));
      if (b === null) return ret > 0 ? ret : -EFAULT;
      pipe.bufs.push({ data: b, canMerge: true });
      ret += b.length;
      if (ret === count) return ret;
      continue;
    }
    if (f.flags & O_NONBLOCK) return ret > 0 ? ret : -EAGAIN;
    if ((yield* c.waitInterruptible()) === 'signal') return ret > 0 ? ret : -ERESTARTSYS;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a);
  r.set(b, a.length);
  return r;
}

function pipeEnds(): [OpsFile, OpsFile] {
  const pipe = new Pipe();
  const common = { mode: S_IFIFO | 0o600, llseek: 'none' as const, pipe };
  const readOps: PipeOps = { ...common, read: pipeRead, release: () => void pipe.readers-- };
  const writeOps: PipeOps = { ...common, write: pipeWrite, release: () => void pipe.writers-- };
  return [
    { kind: 'ops', path: 'pipe:', ops: readOps, accmode: 0, flags: 0, pos: 0, refs: 1 },
    { kind: 'ops', path: 'pipe:', ops: writeOps, accmode: 1, flags: 0, pos: 0, refs: 1 },
  ];
}

/**
 * pipe2(fds, flags) → do_pipe2: EINVAL for flags beyond O_CLOEXEC,
 * O_NONBLOCK, O_DIRECT and O_NOTIFICATION_PIPE, ENOPKG for the last; two
 * descriptors (the lowest free ones); EFAULT when fds cannot take them, in
 * which case neither stays open. O_DIRECT (packet mode) is taken but not
 * modelled: reads do not keep write boundaries.
 */
export function sysPipe2(p: LinuxProcess, regs: PtRegs): number {
  return doPipe2(p, arg(regs, 0), argInt(regs, 1));
}

/** pipe(fds) = pipe2(fds, 0) */
export function sysPipe(p: LinuxProcess, regs: PtRegs): number {
  return doPipe2(p, arg(regs, 0), 0);
}

function doPipe2(p: LinuxProcess, fdsAddr: number, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE)) return -EINVAL;
  if (flags & O_NOTIFICATION_PIPE) return -ENOPKG; // kentry models no watch queues
  const [r, w] = pipeEnds();
  r.flags = w.flags = flags & (O_NONBLOCK | O_DIRECT);
  const rfd = lowestFreeFd(p.files);
  if (rfd === null) return -EMFILE;
  p.files.set(rfd, r);
  const wfd = lowestFreeFd(p.files);
  if (wfd === null) {
    p.files.delete(rfd);
    return -EMFILE;
  }
  p.files.set(wfd, w);
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, rfd, true);
  dv.setInt32(4, wfd, true);
  if (copyToUser(p.rt, fdsAddr, b)) return 0;
  p.files.delete(rfd);
  p.files.delete(wfd);
  return -EFAULT;
}

/**
 * vmsplice(fd, iov, nr_segs, flags), in its order of checks: EINVAL for
 * unknown SPLICE_F_* bits; EBADF unless fd is open; the iovec array
 * (EINVAL beyond UIO_MAXIOV, EFAULT); 0 when it holds no bytes; EBADF when
 * fd is not a pipe. Into a write end (FMODE_WRITE): wait_for_space (EPIPE
 * and SIGPIPE with no reader, -EAGAIN with SPLICE_F_NONBLOCK when full),
 * then each segment's pages, one pipe buffer per page piece, never merged
 * (get_user_pages, which checks the caller's PKRU like any user access: a
 * key that denies access makes it -EFAULT). From a read end: the pipe's
 * bytes are copied out. Returns the bytes moved. (Linux queues the pages
 * themselves; a copy differs only if the program writes them afterwards.)
 * @kernel fs/splice.c vmsplice_type, vmsplice_to_pipe, iter_to_pipe, wait_for_space, vmsplice_to_user
 */
export function* sysVmsplice(p: LinuxProcess, regs: PtRegs): MaySleep<number> {
  const flags = argInt(regs, 3);
  if (flags & ~SPLICE_F_ALL) return -EINVAL;
  const f = p.files.get(argInt(regs, 0));
  if (!f) return -EBADF;
  const cnt = arg(regs, 2);
  if (cnt < 0 || cnt > UIO_MAXIOV) return -EINVAL;
  const iov = copyFromUser(p.rt, arg(regs, 1), cnt * 16);
  if (iov === null) return -EFAULT;
  const dv = new DataView(iov.buffer, iov.byteOffset, iov.byteLength);
  const segs: { base: number; len: number }[] = [];
  for (let i = 0; i < cnt; i++) {
    const len = dv.getBigInt64(i * 16 + 8, true);
    if (len < 0n) return -EINVAL;
    segs.push({ base: Number(dv.getBigUint64(i * 16, true)), len: Number(len) });
  }
  if (segs.every((s) => s.len === 0)) return 0;
  if (f.kind !== 'ops' || !('pipe' in f.ops)) return -EBADF;
  const caller = fileCaller(p);
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;
  if (f.accmode === 0) {
    let done = 0;
    for (const s of segs) {
      if (s.len === 0) continue;
      const n = yield* pipeRead(caller, f, s.base, s.len, nonblock);
      if (n < 0) return done > 0 ? done : n;
      done += n;
      if (n < s.len) break;
    }
    return done;
  }
  const pipe = pipeOf(f);
  for (;;) {
    if (pipe.readers === 0) {
      caller.sigpipe();
      return -EPIPE;
    }
    if (!pipe.full) break;
    if (nonblock) return -EAGAIN;
    if ((yield* caller.waitInterruptible()) === 'signal') return -ERESTARTSYS;
  }
  let done = 0;
  for (const s of segs) {
    for (let a = s.base; a < s.base + s.len && !pipe.full;) {
      const end = Math.min(s.base + s.len, (Math.floor(a / PAGE) + 1) * PAGE);
      const b = copyFromUser(p.rt, a, end - a);
      if (b === null) return done > 0 ? done : -EFAULT;
      pipe.bufs.push({ data: b, canMerge: false });
      done += b.length;
      a = end;
    }
  }
  return done;
}
