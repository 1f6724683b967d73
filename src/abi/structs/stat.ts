/**
 * struct stat as x86-64 user space sees it (fstat, newfstatat): 144 bytes.
 * @kernel arch/x86/include/uapi/asm/stat.h struct stat (__x86_64__)
 */
import { array, member, struct, ulongs, unsignedInt, unsignedLong, long } from '../ctype.js';

export const stat64 = struct('stat', [
  ...ulongs('st_dev', 'st_ino', 'st_nlink'),
  member('st_mode', unsignedInt),
  member('st_uid', unsignedInt),
  member('st_gid', unsignedInt),
  member('__pad0', unsignedInt),
  member('st_rdev', unsignedLong),
  member('st_size', long),
  member('st_blksize', long),
  member('st_blocks', long),
  ...ulongs('st_atime', 'st_atime_nsec', 'st_mtime', 'st_mtime_nsec', 'st_ctime', 'st_ctime_nsec'),
  member('__unused', array(long, 3)),
]);

/** st_mode file types (include/uapi/linux/stat.h). */
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFREG = 0o100000;
