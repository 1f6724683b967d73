/**
 * `npm run selftests [-- --json] [--only NAME] [--timeout S] [--max-insns N] [--jobs N]`:
 * the kernel's own x86 selftests as a peer suite (issue 5 item 6, reference §9).
 *
 * Fetches Debian's linux-source-6.12 package into a cache directory (never
 * the repository: the sources are GPL-2.0 and are not ours to commit),
 * extracts only tools/testing/selftests/x86, the few files of selftests/mm
 * that protection_keys is made of, and the kernel headers they reach into,
 * builds the tests as static 64-bit programs, runs each on the host kernel
 * and under `kentry run` for every design the CLI offers, and prints test ×
 * column with the line that explains each failure.
 *
 * Exit status: 0 when every test passes natively and under every required
 * design; 1 when one does not; 2 when the suite could not be set up
 * (download, extraction, build) or was called wrongly.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NATIVE, SELFTESTS, buildReport, compareWithNative, formatJson, formatTable, judge,
  type CellResult, type ProcessEnd, type SelftestDir, type SelftestSpec,
} from './report.js';

const PACKAGE = 'linux-source-6.12';
const DEB_RE = /^linux-source-6\.12_(.+)_all\.deb$/;
/** Where the selftests live inside the kernel tree. */
const SELFTESTS_ROOT = 'tools/testing/selftests';
/**
 * What is taken from the kernel tree: all of x86/, and of mm/ only the
 * sources of protection_keys (pkey-helpers.h includes pkey-x86.h on x86;
 * its powerpc and arm64 headers sit behind #if), plus the headers outside
 * them that they include. The list is written into the marker file, so a
 * cache extracted with another list is extracted again.
 */
const MEMBERS = [
  `${SELFTESTS_ROOT}/x86`,
  ...['protection_keys.c', 'pkey-helpers.h', 'pkey-x86.h'].map((f) => `${SELFTESTS_ROOT}/mm/${f}`),
  `${SELFTESTS_ROOT}/kselftest.h`,
  'arch/x86/include/asm/desc_defs.h',
];
/**
 * Each directory's Makefile flags for a 64-bit build, made static
 * (reference §9). x86/: -no-pie keeps sigreturn's code below 4 GiB, where
 * its LDT segments can reach it. mm/: CFLAGS, -U_FORTIFY_SOURCE, -no-pie
 * and the BINARIES_64 rule's -m64 -mxsave (protection_keys uses the XSAVE
 * builtins), LDLIBS plus -lrt -ldl. The Makefile also links vm_util.c and
 * thp_settings.c into every mm target; protection_keys calls neither, and
 * they need the kernel's own uapi headers (make headers), so they are left out.
 */
const FLAGS: Readonly<Record<SelftestDir, { readonly cflags: readonly string[]; readonly libs: readonly string[] }>> = {
  x86: { cflags: ['-static', '-no-pie', '-O2', '-g', '-std=gnu99', '-pthread', '-Wall', '-DCAN_BUILD_64'], libs: ['-lrt', '-ldl'] },
  mm: {
    cflags: ['-static', '-Wall', '-O2', '-g', '-I', '../../../..', '-U_FORTIFY_SOURCE', '-no-pie', '-m64', '-mxsave'],
    libs: ['-lrt', '-lpthread', '-lm', '-lrt', '-ldl'],
  },
};
/** Kept output per stream: enough for any of these tests, bounded if one loops printing. */
const MAX_CAPTURE = 4 << 20;

/** A setup failure: printed as one line, exit 2, never a stack trace. */
class SetupError extends Error {}

interface Options {
  readonly json: boolean;
  readonly only: string | null;
  readonly timeoutSeconds: number;
  readonly maxInsns: number;
  readonly jobs: number;
}

const USAGE = 'usage: npm run selftests [-- --json] [--only NAME] [--timeout SECONDS] [--max-insns N] [--jobs N]';

function parseArgs(argv: readonly string[]): Options {
  let json = false;
  let only: string | null = null;
  let timeoutSeconds = 300;
  let maxInsns = 2_000_000_000;
  let jobs = Math.max(1, Math.min(availableParallelism(), 8));
  const positiveInt = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new SetupError(`${flag} takes a positive integer (got '${v ?? ''}')\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--only') only = argv[++i] ?? '';
    else if (a === '--timeout') timeoutSeconds = positiveInt(a, argv[++i]);
    else if (a === '--max-insns') maxInsns = positiveInt(a, argv[++i]);
    else if (a === '--jobs') jobs = positiveInt(a, argv[++i]);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\ncache: $KENTRY_SELFTESTS_CACHE or ~/.cache/kentry/selftests (now ${cacheDir()})\n`);
      process.exit(0);
    } else throw new SetupError(`unknown argument '${a}'\n${USAGE}`);
  }
  if (only !== null && !SELFTESTS.some((t) => t.name === only)) {
    throw new SetupError(`--only: no selftest '${only}' (have: ${SELFTESTS.map((t) => t.name).join(', ')})`);
  }
  return { json, only, timeoutSeconds, maxInsns, jobs };
}

function cacheDir(): string {
  const env = process.env['KENTRY_SELFTESTS_CACHE'];
  if (env !== undefined && env !== '') return env;
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'kentry', 'selftests');
}

/** Progress goes to stderr so stdout stays the table (or the JSON). */
function note(msg: string): void {
  process.stderr.write(`selftests: ${msg}\n`);
}

function lastLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('W: ')).at(-1) ?? '(no output)';
}

/** spawnSync that turns "command not found" into a SetupError naming what to install. */
function runTool(cmd: string, args: readonly string[], opts: { cwd?: string; install: string }): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new SetupError(code === 'ENOENT' ? `${cmd} not found: install ${opts.install}` : `${cmd}: ${r.error.message}`);
  }
  return r;
}

/** The newest linux-source-6.12 .deb already on this machine: in the cache, or left by apt in its archive. */
function findDeb(dir: string): string | null {
  const found: { path: string; mtime: number }[] = [];
  for (const d of [dir, '/var/cache/apt/archives']) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (DEB_RE.test(f)) found.push({ path: join(d, f), mtime: statSync(join(d, f)).mtimeMs });
  }
  found.sort((a, b) => b.mtime - a.mtime);
  return found[0]?.path ?? null;
}

/**
 * `apt-get download` into a scratch directory, moved into the cache only when
 * complete, so an interrupted download is never mistaken for a package. When
 * apt's lists do not know the package yet (a fresh image), root refreshes
 * them once; anyone else is told to.
 */
function downloadDeb(dir: string): string {
  const scratch = join(dir, 'download.partial');
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  note(`downloading ${PACKAGE} (about 150 MB) into ${dir}`);
  let r = runTool('apt-get', ['download', PACKAGE], { cwd: scratch, install: 'apt (a Debian-based host)' });
  const unknown = (x: SpawnSyncReturns<string>): boolean => /Unable to locate package|no installation candidate|Can't select/.test(x.stderr);
  if (r.status !== 0 && unknown(r) && process.getuid?.() === 0) {
    note(`apt does not know ${PACKAGE}: running apt-get update`);
    runTool('apt-get', ['update', '-qq'], { install: 'apt' });
    r = runTool('apt-get', ['download', PACKAGE], { cwd: scratch, install: 'apt' });
  }
  if (r.status !== 0) {
    const hint = unknown(r) ? ` (run 'apt-get update' as root, or put a ${PACKAGE} .deb in ${dir})` : '';
    throw new SetupError(`apt-get download ${PACKAGE} failed: ${lastLine(r.stderr)}${hint}`);
  }
  const deb = readdirSync(scratch).find((f) => DEB_RE.test(f));
  if (deb === undefined) throw new SetupError(`apt-get download ${PACKAGE} left no .deb in ${scratch}`);
  renameSync(join(scratch, deb), join(dir, deb));
  rmSync(scratch, { recursive: true, force: true });
  return join(dir, deb);
}

/**
 * Only the selftests and the headers they include, from the .tar.xz inside
 * the .deb, into `src-VERSION/` (a tree shaped like the kernel's, so the
 * tests' `../../../../arch/...` include resolves). A marker file written
 * last, naming the .deb and the members, tells a finished extraction of
 * the same members from an interrupted or older one.
 */
function extract(deb: string, dir: string): string {
  const version = DEB_RE.exec(deb.split('/').at(-1) ?? '')?.[1] ?? 'unknown';
  const src = join(dir, `src-${version}`);
  const marker = `${deb}\n${MEMBERS.join('\n')}\n`;
  const done = join(src, '.complete');
  if (existsSync(done) && readFileSync(done, 'utf8') === marker) return src;
  note(`extracting ${SELFTESTS_ROOT}/{x86,mm} from ${deb}`);
  const listing = runTool('dpkg-deb', ['-c', deb], { install: 'dpkg' });
  if (listing.status !== 0) throw new SetupError(`dpkg-deb -c ${deb} failed: ${lastLine(listing.stderr)} (a damaged download? delete it and rerun)`);
  const inner = /\s(\.\/usr\/src\/(linux-source-[^/\s]+)\.tar\.xz)$/m.exec(listing.stdout);
  const innerPath = inner?.[1];
  const top = inner?.[2];
  if (innerPath === undefined || top === undefined) throw new SetupError(`${deb} holds no usr/src/linux-source-*.tar.xz`);
  const partial = `${src}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  // One pass over the inner tarball (xz decompression is the slow part, ~10 s); arguments go in as
  // positional parameters, so no path is ever parsed by the shell.
  const script = 'set -o pipefail; deb="$1" inner="$2" out="$3"; shift 3; dpkg-deb --fsys-tarfile "$deb" | tar -xO "$inner" | tar -xJ -C "$out" --strip-components=1 "$@"';
  const members = MEMBERS.map((m) => `${top}/${m}`);
  const r = runTool('bash', ['-c', script, 'extract', deb, innerPath, partial, ...members], { install: 'bash' });
  if (r.status !== 0) {
    const why = lastLine(r.stderr);
    throw new SetupError(`extracting ${deb} failed: ${why}${/xz/.test(why) ? ' (install xz-utils)' : ''}`);
  }
  writeFileSync(join(partial, '.complete'), marker);
  rmSync(src, { recursive: true, force: true });
  renameSync(partial, src);
  return src;
}

/** One test as a static binary in `build-VERSION/`, rebuilt only when missing or older than its source. */
function build(src: string, test: SelftestSpec): string {
  const testDir = join(src, SELFTESTS_ROOT, test.dir);
  const outDir = `${src.replace(/src-([^/]+)$/, 'build-$1')}`;
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, test.name);
  const source = join(testDir, `${test.name}.c`);
  if (!existsSync(source)) throw new SetupError(`${source} is missing from the extracted tree (delete ${src} and rerun)`);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return out;
  const { cflags, libs } = FLAGS[test.dir];
  const args = [...cflags, ...test.extraFlags, '-o', `${out}.tmp`, `${test.name}.c`, ...libs];
  const r = runTool('gcc', args, { cwd: testDir, install: 'gcc and libc6-dev' });
  const log = `${out}.build.log`;
  writeFileSync(log, `cd ${testDir} && gcc ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  if (r.status !== 0) {
    const firstError = r.stderr.split('\n').find((l) => /error/i.test(l))?.trim() ?? lastLine(r.stderr);
    throw new SetupError(`building ${test.name} failed: ${firstError} (log: ${log})`);
  }
  renameSync(`${out}.tmp`, out);
  return out;
}

/** The designs `kentry designs --json` offers, in its order. */
function kentryDesigns(cli: string): string[] {
  if (!existsSync(cli)) throw new SetupError(`${cli} is missing: run 'npm run build'`);
  const r = runTool(process.execPath, [cli, 'designs', '--json'], { install: 'node' });
  if (r.status !== 0) throw new SetupError(`kentry designs --json failed: ${lastLine(r.stderr)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new SetupError('kentry designs --json printed something that is not JSON');
  }
  if (!Array.isArray(parsed)) throw new SetupError('kentry designs --json did not print a list');
  return parsed.flatMap((d: unknown) => (typeof d === 'object' && d !== null && 'name' in d && typeof d.name === 'string' ? [d.name] : []));
}

interface Job {
  readonly test: string;
  readonly spec: SelftestSpec;
  readonly column: string;
  readonly cmd: string;
  readonly args: readonly string[];
}

interface Finished {
  readonly stdout: string;
  readonly stderr: string;
  readonly end: ProcessEnd;
  readonly seconds: number;
}

/**
 * Runs one process to its end or the wall-clock timeout; stdin is closed
 * (none of the tests reads it). "End" is when its output pipes close: a
 * test whose first process exits while a forked child carries on
 * (protection_keys) is over when the last of them is. Each run gets its
 * own process group, so the timeout kills those children too.
 */
function runProcess(cmd: string, args: readonly string[], timeoutSeconds: number): Promise<Finished> {
  return new Promise((resolveRun) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const keep = (into: Buffer[]) => (b: Buffer): void => {
      if (into.reduce((n, x) => n + x.length, 0) < MAX_CAPTURE) into.push(b);
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    }, timeoutSeconds * 1000);
    const finish = (code: number | null, signal: string | null, spawnError: string | null): void => {
      clearTimeout(timer);
      resolveRun({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (spawnError !== null ? `\nselftests: cannot start ${cmd}: ${spawnError}\n` : ''),
        end: { code, signal: timedOut ? null : signal, timedOut },
        seconds: (performance.now() - started) / 1000,
      });
    };
    child.on('error', (e) => finish(null, null, e.message));
    child.on('close', (code, signal) => finish(code, signal, null));
  });
}

/** Runs every job, `jobs` at a time (each kentry run is one busy Node thread). */
async function runAll(jobs: readonly Job[], o: Options, logDir: string): Promise<CellResult[]> {
  const results: (Omit<CellResult, 'sameStdoutAsNative'> & { readonly stdout: string })[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const f = await runProcess(job.cmd, job.args, o.timeoutSeconds);
      const v = judge(f.stdout, f.stderr, f.end, o.timeoutSeconds, job.spec);
      // The whole output stays in the cache for whoever wants more than the one explaining line.
      writeFileSync(join(logDir, `${job.test}.${job.column}.log`),
        `$ ${[job.cmd, ...job.args].join(' ')}\n# exit ${f.end.code ?? f.end.signal ?? '?'}${f.end.timedOut ? ' (timed out)' : ''}, ${f.seconds.toFixed(1)} s\n` +
        `--- stdout\n${f.stdout}\n--- stderr\n${f.stderr}`);
      results.push({
        test: job.test, column: job.column, status: v.status, detail: v.detail, exitCode: f.end.code,
        seconds: Number(f.seconds.toFixed(2)), stdout: f.stdout,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, jobs.length) }, worker));
  // The output itself stays out of the report (it is in the logs); only the comparison goes in.
  return compareWithNative(results, (r) => r.stdout).map(({ stdout: _stdout, ...cell }) => cell);
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const dir = cacheDir();
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new SetupError(`cannot create the cache directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const designs = kentryDesigns(cli);
  const deb = findDeb(dir) ?? downloadDeb(dir);
  const src = extract(deb, dir);
  const tests = SELFTESTS.filter((t) => o.only === null || t.name === o.only);
  const binaries = new Map(tests.map((t) => [t.name, build(src, t)] as const));

  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const jobs: Job[] = [];
  for (const t of tests) {
    const bin = binaries.get(t.name)!;
    jobs.push({ test: t.name, spec: t, column: NATIVE, cmd: bin, args: [] });
    for (const d of designs) {
      jobs.push({ test: t.name, spec: t, column: d, cmd: process.execPath, args: [cli, 'run', '--design', d, '--max-insns', String(o.maxInsns), bin] });
    }
  }
  if (!o.json) note(`running ${tests.length} test(s) natively and under ${designs.length} design(s), ${o.jobs} at a time`);
  const results = await runAll(jobs, o, logDir);
  const pending = Object.fromEntries(tests.flatMap((t) => (t.pending !== undefined ? [[t.name, t.pending] as const] : [])));
  const report = buildReport(tests.map((t) => t.name), designs, results, pending);
  if (o.json) process.stdout.write(formatJson(report));
  else {
    process.stdout.write(formatTable(report));
    process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(1)} s; full output of every run in ${logDir})\n`);
  }
  return report.ok ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (e: unknown) => {
    // Setup errors are expected and explained in one line; anything else is a bug in this script, so it keeps its stack.
    if (e instanceof SetupError) {
      process.stderr.write(`selftests: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  },
);
