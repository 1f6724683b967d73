/**
 * A process's open files: the standard streams (the host console) and the
 * few read-only files kentry lets a program open on purpose — its own
 * executable and /proc/self/maps, generated from the model's VMAs when
 * opened (as seq_file generates it on read).
 * @kernel fs/file.c alloc_fd (lowest free descriptor), fs/proc/task_mmu.c show_map_vma
 */
import type { Vma } from '../mm.js';

export type OpenFile =
  | { readonly kind: 'console'; readonly fd: number }
  | { readonly kind: 'bytes'; readonly path: string; readonly data: Uint8Array; pos: number; readonly proc: boolean };

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
