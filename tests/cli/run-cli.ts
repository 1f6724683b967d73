/** Runs the built CLI (dist/, made by `npm test` and `npm ci`) as a user would. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function kentry(...args: string[]): CliResult {
  // Generous: under a full parallel test run an audit (ten workloads, twice) can take tens of seconds.
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
