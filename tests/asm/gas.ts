/**
 * GNU as as an oracle for the assembler (DESIGN.md §5): assembles text with
 * the host's `as --64` and returns the bytes. Tests that need it skip with a
 * visible message when `as` is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAVE_GAS = spawnSync('as', ['--version'], { stdio: 'ignore' }).status === 0;
export const HAVE_LD = spawnSync('ld', ['--version'], { stdio: 'ignore' }).status === 0;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${(r.stderr ?? '').split('\n').slice(0, 20).join('\n')}`);
}

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'kentry-gas-'));
}

/** `as --64 && objcopy -O binary -j .text`: the .text bytes of `source`. */
export function gasText(source: string): Uint8Array {
  const d = workDir();
  writeFileSync(join(d, 'x.s'), source + '\n');
  run('as', ['--64', '-o', join(d, 'x.o'), join(d, 'x.s')]);
  run('objcopy', ['-O', 'binary', '-j', '.text', join(d, 'x.o'), join(d, 'x.bin')]);
  return new Uint8Array(readFileSync(join(d, 'x.bin')));
}

/** As `gasText`, then linked with `ld -Ttext=origin`, so absolute references to labels are resolved too. */
export function gasLinked(source: string, origin: bigint): Uint8Array {
  const d = workDir();
  writeFileSync(join(d, 'x.s'), source + '\n');
  run('as', ['--64', '-o', join(d, 'x.o'), join(d, 'x.s')]);
  run('ld', ['-Ttext=0x' + origin.toString(16), '-e', '0', '-z', 'noexecstack', '--no-warn-rwx-segments', '-o', join(d, 'x'), join(d, 'x.o')]);
  run('objcopy', ['-O', 'binary', '-j', '.text', join(d, 'x'), join(d, 'x.bin')]);
  return new Uint8Array(readFileSync(join(d, 'x.bin')));
}

/**
 * Each line assembled alone: every line goes into its own section of one
 * object file, read back from the ELF section table. One `as` run, and a
 * mismatch names the exact line.
 */
export function gasPerLine(lines: readonly string[], preamble: readonly string[] = []): Uint8Array[] {
  const d = workDir();
  const src = [...preamble, ''].join('\n') + lines.map((l, i) => `.section .t${i},"ax",@progbits\n${l}`).join('\n') + '\n';
  writeFileSync(join(d, 'x.s'), src);
  run('as', ['--64', '-o', join(d, 'x.o'), join(d, 'x.s')]);
  const elf = readFileSync(join(d, 'x.o'));
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const sh = (i: number): { name: number; offset: number; size: number } => {
    const b = shoff + i * shentsize;
    return { name: elf.readUInt32LE(b), offset: Number(elf.readBigUInt64LE(b + 0x18)), size: Number(elf.readBigUInt64LE(b + 0x20)) };
  };
  const strtab = sh(shstrndx);
  const out: Uint8Array[] = new Array(lines.length);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const nameEnd = elf.indexOf(0, strtab.offset + s.name);
    const name = elf.toString('latin1', strtab.offset + s.name, nameEnd);
    const m = /^\.t(\d+)$/.exec(name);
    if (m) out[Number(m[1])] = new Uint8Array(elf.subarray(s.offset, s.offset + s.size));
  }
  return out;
}

export function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
