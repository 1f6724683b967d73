/**
 * What a process's standard streams lead to on the host: the CLI provides
 * it (only cli/ touches Node); tests provide an in-memory one.
 */
export type FdKind = 'tty' | 'pipe' | 'file' | 'closed';

export interface HostConsole {
  /** What fd 0, 1 or 2 is on the host (fstat's st_mode, isatty). */
  kind(fd: number): FdKind;
  /** Writes guest bytes to fd 1 or 2. */
  write(fd: number, bytes: Uint8Array): void;
  /** Reads up to `max` bytes from fd 0; an empty array at end of file. */
  read(fd: number, max: number): Uint8Array;
  /**
   * The window size of fd 0, 1 or 2 when it is a terminal on the host
   * (isatty), else null: a stream that is not a terminal has none, and
   * TIOCGWINSZ/TCGETS on it are ENOTTY.
   */
  winsize?(fd: number): Winsize | null;
  /** A host file's bytes for execve (null when it cannot be read); absent: only the program's own image can be executed. */
  readFile?(path: string): Uint8Array | null;
}

/** struct winsize's rows and columns (the pixel sizes are 0, as terminals leave them). */
export interface Winsize {
  readonly rows: number;
  readonly cols: number;
}

/** A console that keeps what the guest writes (tests, the demo). */
export class MemoryConsole implements HostConsole {
  readonly out: number[] = [];
  readonly err: number[] = [];
  constructor(private input: Uint8Array = new Uint8Array(0)) {}
  kind(fd: number): FdKind {
    return fd <= 2 ? 'pipe' : 'closed';
  }
  write(fd: number, bytes: Uint8Array): void {
    (fd === 2 ? this.err : this.out).push(...bytes);
  }
  winsize(_fd: number): Winsize | null {
    return null;
  }
  read(_fd: number, max: number): Uint8Array {
    const r = this.input.subarray(0, max);
    this.input = this.input.subarray(r.length);
    return r;
  }
  text(fd: 1 | 2 = 1): string {
    return new TextDecoder().decode(Uint8Array.from(fd === 2 ? this.err : this.out));
  }
}
