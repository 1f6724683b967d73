/**
 * A process's open files: the standard streams (the host console), the
 * few read-only files kentry lets a program open on purpose — its own
 * executable and /proc/self/maps, generated from the model's VMAs when
 * opened (as seq_file generates it on read) — and files whose reads and
 * writes a model object answers (devices, pipes, sysctls: `FileOps`).
 * @kernel fs/file.c alloc_fd (lowest free descriptor), fs/proc/task_mmu.c show_map_vma, include/linux/fs.h struct file_operations
 */
import type { NativeRuntime } from '../arch/x86/native.js';
import type { MaySleep } from '../generic/index.js';
import type { Vma } from '../mm.js';

/** What a file operation may ask of the task calling it (a LinuxProcess provides it: fs.ts). */
export interface FileCaller {
  /** For copy_to_user/copy_from_user on the caller's memory. */
  readonly rt: NativeRuntime;
  /** Sleeps interruptibly until woken; 'signal' when a signal is pending (the call then returns -ERESTARTSYS). */
  waitInterruptible(): MaySleep<'signal' | 'woken'>;
  /** send_sig(SIGPIPE, current, 0): a write to a pipe nobody reads. */
  sigpipe(): void;
}

/**
 * What struct file_operations' read and write do for one kind of file:
 * each takes the user buffer's address and copies (or does not: /dev/null
 * never touches the buffer) itself, and returns a count or a negative
 * errno; a pipe may sleep. `pos` is the open file's position
 * (f_pos), which a stream ignores.
 */
export interface FileOps {
  /** st_mode (type and permission bits) for fstat. */
  readonly mode: number;
  /** st_rdev for a device. */
  readonly rdev?: number;
  /** f_op->llseek: 'none' for a stream (no_llseek, ESPIPE), 'null' for null_lseek (the position stays 0), 'default' to move f_pos. */
  readonly llseek: 'none' | 'null' | 'default';
  read?(c: FileCaller, f: OpsFile, buf: number, count: number): number | MaySleep<number>;
  write?(c: FileCaller, f: OpsFile, buf: number, count: number): number | MaySleep<number>;
  /** The last close of this open file (fput → release). */
  release?(f: OpsFile): void;
}

/** An open file of a FileOps kind: what open(2) or pipe(2) made. */
export interface OpsFile {
  readonly kind: 'ops';
  readonly path: string;
  readonly ops: FileOps;
  /** O_ACCMODE of the open: O_RDONLY 0, O_WRONLY 1, O_RDWR 2. */
  readonly accmode: number;
  /** O_NONBLOCK and the other status flags (F_GETFL). */
  flags: number;
  pos: number;
  /**
   * Descriptors referring to this open file, in every process (f_count):
   * close drops one and calls ops.release at zero. Whatever copies a
   * descriptor (fork's dup_fd, dup) must add one.
   */
  refs: number;
}

export type OpenFile =
  | { readonly kind: 'console'; readonly fd: number }
  | { readonly kind: 'bytes'; readonly path: string; readonly data: Uint8Array; pos: number; readonly proc: boolean }
  | OpsFile;

/** fd → open file; 0, 1, 2 start as the console's streams. */
export type FdTable = Map<number, OpenFile>;

/** The lowest free descriptor (alloc_fd), within RLIMIT_NOFILE's 1024. */
export function lowestFreeFd(files: FdTable): number | null {
  for (let fd = 0; fd < 1024; fd++) if (!files.has(fd)) return fd;
  return null;
}

const hex8 = (v: number): string => v.toString(16).padStart(8, '0');

/**
 * /proc/self/maps: `start-end perms offset dev inode`, padded to column 73,
 * then the name (show_map_vma with seq_pad). kentry keeps no device or
 * inode numbers: file mappings print 00:00 0 with their path.
 */
export function procMaps(vmas: readonly Vma[]): string {
  return vmas.map((v) => {
    const perms = `${v.prot & 1 ? 'r' : '-'}${v.prot & 2 ? 'w' : '-'}${v.prot & 4 ? 'x' : '-'}p`;
    const head = `${hex8(v.start)}-${hex8(v.end)} ${perms} ${hex8(v.offset)} 00:00 0 `;
    return (v.name ? head.padEnd(73, ' ') + v.name : head) + '\n';
  }).join('');
}
