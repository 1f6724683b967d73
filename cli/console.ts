/** The host side of a guest's standard streams for `kentry run` (Node only). */
import { fstatSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { FdKind, HostConsole, Winsize } from '../src/kernel/syscalls/host.js';

export class NodeConsole implements HostConsole {
  kind(fd: number): FdKind {
    if (fd < 0 || fd > 2) return 'closed';
    try {
      if (isatty(fd)) return 'tty';
      const st = fstatSync(fd);
      return st.isFIFO() || st.isSocket() ? 'pipe' : st.isFile() ? 'file' : st.isCharacterDevice() ? 'tty' : 'pipe';
    } catch {
      return 'closed';
    }
  }

  /** The host terminal's size for a terminal fd (stdin reports the size of stdout's or stderr's terminal). */
  winsize(fd: number): Winsize | null {
    if (fd < 0 || fd > 2 || !isatty(fd)) return null;
    const streams = fd === 1 ? [process.stdout] : fd === 2 ? [process.stderr] : [process.stdout, process.stderr];
    const tty = streams.find((s) => s.isTTY);
    return { rows: tty?.rows ?? 0, cols: tty?.columns ?? 0 };
  }

  /** execve's file: a regular host file, read whole (the guest's relative paths are the host's cwd's). */
  readFile(path: string): Uint8Array | null {
    try {
      return statSync(path).isFile() ? readFileSync(path) : null;
    } catch {
      return null;
    }
  }

  write(fd: number, bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      try {
        off += writeSync(fd, bytes, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
    }
  }

  read(fd: number, max: number): Uint8Array {
    const buf = new Uint8Array(Math.min(max, 65536));
    for (;;) {
      try {
        return buf.subarray(0, readSync(fd, buf, 0, buf.length, null));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EOF') return new Uint8Array(0);
        throw e;
      }
    }
  }
}
