/**
 * Builds the programs of guest/ with the system C compiler at test time
 * (DESIGN.md §5: the host toolchain and kernel are the oracles). `.ci/run`
 * installs gcc; KENTRY_SKIP_HOST_ORACLE=1 skips knowingly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { SKIP_HOST_ORACLE } from '../host/cc.js';

const GUEST = fileURLToPath(new URL('../../guest/', import.meta.url));
let dir: string | null = null;

/** Compiles guest/<name>.c with `flags` (e.g. -static); returns the executable's absolute path. */
export function buildGuest(name: string, flags: readonly string[], suffix = ''): string {
  dir ??= mkdtempSync(join(tmpdir(), 'kentry-guest-'));
  const out = join(dir, name + suffix);
  const cc = process.env['CC'] ?? 'gcc';
  const r = spawnSync(cc, ['-O1', '-w', '-o', out, join(GUEST, `${name}.c`), ...flags], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building guest/${name}.c failed:\n${(r.stderr ?? '').split('\n').slice(0, 12).join('\n')}`);
  return out;
}

export interface HostRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

const SIGNALS: Readonly<Record<string, number>> = constants.signals;

/** Runs natively; a signal death reports 128 + signal, as `kentry run` and a shell do. */
export function runNative(path: string, args: readonly string[], env: Record<string, string>): HostRun {
  const r = spawnSync(path, args, { encoding: 'utf8', env, timeout: 20_000 });
  const status = r.signal ? 128 + (SIGNALS[r.signal] ?? -128) : (r.status ?? -1);
  return { status, stdout: r.stdout, stderr: r.stderr };
}
