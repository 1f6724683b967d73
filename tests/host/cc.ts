/**
 * Builds and runs small C programs with the system compiler: the host's
 * headers and the host kernel are oracles kentry is checked against
 * (DESIGN.md §5). `.ci/run` installs gcc when a machine lacks it; set
 * KENTRY_SKIP_HOST_ORACLE=1 to skip these tests knowingly (they then
 * report as skipped, never as passed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SKIP_HOST_ORACLE = process.env['KENTRY_SKIP_HOST_ORACLE'] === '1';

function findCompiler(): string {
  for (const cc of [process.env['CC'], 'cc', 'gcc', 'clang']) {
    if (cc && spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  }
  throw new Error('no C compiler found (install gcc, or set KENTRY_SKIP_HOST_ORACLE=1 to skip the host-oracle tests)');
}

/** Compiles `source` and returns what the program prints on stdout. */
export function runC(source: string, extraFlags: readonly string[] = []): string {
  const cc = findCompiler();
  const dir = mkdtempSync(join(tmpdir(), 'kentry-cc-'));
  const src = join(dir, 'prog.c');
  const exe = join(dir, 'prog');
  writeFileSync(src, source);
  const built = spawnSync(cc, ['-O0', '-w', '-o', exe, src, ...extraFlags], { encoding: 'utf8' });
  if (built.status !== 0) {
    throw new Error(`${cc} failed on ${src}:\n${(built.stderr ?? '').split('\n').slice(0, 12).join('\n')}`);
  }
  return execFileSync(exe, { encoding: 'utf8', timeout: 10_000 });
}

/** Parses `key value` lines into a map. */
export function keyValues(output: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of output.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}
