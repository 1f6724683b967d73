/**
 * Builds small static executables with the system C compiler for the ELF
 * tests: the host toolchain and kernel are the oracles (DESIGN.md §5).
 * `.ci/run` installs gcc; KENTRY_SKIP_HOST_ORACLE=1 skips knowingly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { SKIP_HOST_ORACLE } from '../host/cc.js';

let compiler: string | null = null;

function findCompiler(): string {
  if (compiler) return compiler;
  for (const cc of [process.env['CC'], 'gcc', 'cc']) {
    if (cc && spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return (compiler = cc);
  }
  throw new Error('no C compiler found (install gcc, or set KENTRY_SKIP_HOST_ORACLE=1 to skip the host-oracle tests)');
}

let dir: string | null = null;

/** Compiles `source` with `flags` into a fresh file; returns its absolute path. */
export function buildC(name: string, source: string, flags: readonly string[]): string {
  dir ??= mkdtempSync(join(tmpdir(), 'kentry-elf-'));
  const src = join(dir, `${name}.c`);
  const out = join(dir, name);
  writeFileSync(src, source);
  const r = spawnSync(findCompiler(), ['-O1', '-w', '-o', out, src, ...flags], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${name} failed:\n${(r.stderr ?? '').split('\n').slice(0, 12).join('\n')}`);
  return out;
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** True when a command runs and exits 0 (e.g. `readelf --version`). */
export function hasTool(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

export const HELLO = String.raw`
#include <stdio.h>
__thread int tls_counter = 3;
int main(int argc, char **argv) { printf("hello %d %d\n", argc, tls_counter); return 0; }
`;

/** Freestanding: no libc, no TLS, just exit_group(0). */
export const NOSTDLIB = String.raw`
void _start(void) { __asm__ volatile("mov $231, %eax\n xor %edi, %edi\n syscall\n hlt"); }
`;
