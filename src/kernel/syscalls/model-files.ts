/**
 * The few named files kentry's file system has besides the executable and
 * /proc/self/maps, each with the file_operations of what it stands for:
 *
 *   /dev/null                     mem.c's null device: reads end at once,
 *                                 writes are swallowed whole, the buffer
 *                                 is never touched
 *   /etc/passwd                   a regular read-only file naming root
 *                                 (kentry's process runs as uid 0)
 *   /proc/sys/vm/nr_hugepages     the hugetlb pool's size: writable, as it
 *   /sys/kernel/mm/hugepages/     is to root; kentry has no huge pages to
 *     hugepages-2048kB/           put in the pool, so a write is taken and
 *     nr_hugepages                the pool stays 0, as on a kernel that
 *                                 found no free 2 MiB runs
 *
 * The selftests open them: syscall_numbering probes system calls on
 * /dev/null, protection_keys reads /etc/passwd into pkey-protected memory
 * and, as root, asks for 10 huge pages before reading back how many it got.
 * @kernel drivers/char/mem.c null_fops (read_null, write_null, read_iter_null, write_iter_null), mm/hugetlb.c hugetlb_sysctl_handler, nr_hugepages_show
 */
import { EFAULT, EINVAL } from '../../abi/errno.js';
import { S_IFCHR, S_IFREG } from '../../abi/structs/stat.js';
import { copyFromUser, copyToUser } from '../arch/x86/uaccess.js';
import type { FileCaller, FileOps, OpsFile } from './files.js';

/** The null device, major 1 minor 3 (new_encode_dev: minor's low byte | major << 8). */
const DEV_NULL: FileOps = {
  mode: S_IFCHR | 0o666,
  rdev: (1 << 8) | 3,
  llseek: 'null',
  read: () => 0,
  write: (_c, _f, _buf, count) => count,
};

/** A read-only file with fixed contents (simple_read_from_buffer from f_pos). */
function constantFile(text: string, mode: number): FileOps {
  const data = new TextEncoder().encode(text);
  return {
    mode, llseek: 'default',
    read: (c, f, buf, count) => readFrom(c, f, data, buf, count),
  };
}

function readFrom(c: FileCaller, f: OpsFile, data: Uint8Array, buf: number, count: number): number {
  const part = data.subarray(Math.min(f.pos, data.length), Math.min(f.pos + count, data.length));
  if (part.length === 0) return 0;
  if (!copyToUser(c.rt, buf, part)) return -EFAULT;
  f.pos += part.length;
  return part.length;
}

/** The pool kentry's hugetlb has: none (see the file comment). */
const HUGE_PAGES_IN_POOL = 0;

/**
 * A hugetlb pool count: reads give the pool's size ("0\n"); a write must be
 * a number (proc_doulongvec_minmax: EINVAL otherwise) and is accepted
 * without growing the pool, as set_max_huge_pages does when it finds no
 * pages. Both the sysctl and the sysfs file behave so.
 */
const NR_HUGEPAGES: FileOps = {
  mode: S_IFREG | 0o644,
  llseek: 'default',
  read: (c, f, buf, count) => readFrom(c, f, new TextEncoder().encode(`${HUGE_PAGES_IN_POOL}\n`), buf, count),
  write: (c, _f, buf, count) => {
    const bytes = copyFromUser(c.rt, buf, Math.min(count, 64));
    if (bytes === null) return -EFAULT;
    return /^\s*\d+\s*$/.test(new TextDecoder().decode(bytes)) ? count : -EINVAL;
  },
};

/** root's line in the first passwd(5) format. */
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\n';

const FILES: ReadonlyMap<string, FileOps> = new Map([
  ['/dev/null', DEV_NULL],
  ['/etc/passwd', constantFile(PASSWD, S_IFREG | 0o644)],
  ['/proc/sys/vm/nr_hugepages', NR_HUGEPAGES],
  ['/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages', NR_HUGEPAGES],
]);

/** The file at `path`, if kentry's file system has it. */
export function modelFile(path: string): FileOps | undefined {
  return FILES.get(path);
}

/** Whether an open with access mode `accmode` is allowed by the file's permission bits (the caller is root: only a missing w bit everywhere refuses writing). */
export function mayOpen(ops: FileOps, accmode: number): boolean {
  const wantsWrite = accmode === 1 || accmode === 2;
  const wantsRead = accmode === 0 || accmode === 2;
  return (!wantsWrite || (ops.write !== undefined && (ops.mode & 0o222) !== 0)) && (!wantsRead || ops.read !== undefined);
}
