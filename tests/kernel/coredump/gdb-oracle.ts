/**
 * gdb (Debian package gdb) as the core-file oracle: present, installed here
 * when missing and we are root (as .ci/run installs what CI lacks), else a
 * clear failure. KENTRY_SKIP_HOST_ORACLE=1 skips the host-tool tests.
 */
import { spawnSync } from 'node:child_process';

function have(tool: string): boolean {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Makes sure gdb runs; throws an Error saying what to install otherwise. */
export function ensureGdb(): void {
  if (have('gdb')) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true']).status === 0;
  if (root || sudo) {
    const as = (args: string[]): void => {
      const r = spawnSync(root ? args[0]! : 'sudo', root ? args.slice(1) : ['-n', ...args], {
        encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000,
      });
      if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${(r.stderr ?? '').slice(-400)}`);
    };
    as(['apt-get', 'update', '-qq']);
    as(['apt-get', 'install', '-y', '-qq', 'gdb']);
    if (have('gdb')) return;
  }
  throw new Error('gdb is missing: these tests read kentry core files with it — install the Debian package gdb (apt-get install gdb)');
}

/** Register name → value from `gdb -batch -ex 'info registers ...'` output. */
export function gdbRegisters(out: string): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const line of out.split('\n')) {
    const r = /^([a-z0-9_]+)\s+(0x[0-9a-f]+)\s/.exec(line);
    if (r) m.set(r[1]!, BigInt(r[2]!));
  }
  return m;
}

/** The words of an `x/Ngx` dump. */
export function gdbWords(out: string): bigint[] {
  const words: bigint[] = [];
  for (const line of out.split('\n')) {
    const r = /^0x[0-9a-f]+(?:\s+<[^>]*>)?:\s+(.*)$/.exec(line);
    if (r) for (const w of r[1]!.trim().split(/\s+/)) words.push(BigInt(w));
  }
  return words;
}

/** gdb -batch on PROG + CORE with `commands`; stdout. */
export function gdbBatch(prog: string, core: string, commands: readonly string[]): string {
  const r = spawnSync('gdb', ['-nx', '-batch', ...commands.flatMap((c) => ['-ex', c]), prog, core], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`gdb failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
