/**
 * The pure half of `npm run selftests`: what the kernel's selftests are,
 * how one run's output becomes pass/fail with the line that explains it, and
 * the table and JSON that report a whole suite. No Node built-ins here, so
 * the vitest test can feed it sample output without building anything.
 */

/** The selftest directories used here; each has its own Makefile flags (run.ts). */
export type SelftestDir = 'x86' | 'mm';

/** One selftest from tools/testing/selftests/DIR and how its Makefile builds it as a 64-bit program. */
export interface SelftestSpec {
  readonly name: string;
  readonly dir: SelftestDir;
  /** Extra gcc flags beyond the directory's common ones (the Makefile's per-target CFLAGS). */
  readonly extraFlags: readonly string[];
  /**
   * A stdout line only a complete run prints, required for a pass. For a
   * test whose first process exits before the work is done (protection_keys'
   * become_child() forks, the parent exits 0, the child carries on), the
   * exit status says nothing and this line is the verdict.
   */
  readonly doneLine?: string;
  /** Prefixes of the lines by which the test reports a failure ('[FAIL]' when absent). */
  readonly failPrefixes?: readonly string[];
  /**
   * A stdout line by which the test says it skipped its real work for lack
   * of hardware support (kselftest's SKIP). Such a run is 'skip': accepted
   * natively (the host lacks the feature), a failure under kentry (whose CPU
   * models the feature, so skipping means it failed to report it).
   */
  readonly skipLine?: string;
  /**
   * Why the test is not yet required: while set, its row is run and shown
   * but, like an informative design, does not decide the exit status.
   * Clear it when what it names exists.
   */
  readonly pending?: string;
}

/**
 * The five 64-bit, single-process x86 selftests of issue 5 item 6
 * (reference §9), and the two of issue M5 item 8 that need processes.
 * check_initial_reg_state must start at its own entry point: glibc's _start
 * would clobber the registers it checks before main could see them.
 * protection_keys is mm/'s protection_keys_64; on a CPU without PKU it
 * prints "running PKEY tests for unsupported CPU/OS" and only checks that
 * pkey_mprotect fails.
 */
export const SELFTESTS: readonly SelftestSpec[] = [
  { name: 'sigreturn', dir: 'x86', extraFlags: [] },
  { name: 'single_step_syscall', dir: 'x86', extraFlags: [] },
  { name: 'check_initial_reg_state', dir: 'x86', extraFlags: ['-Wl,-ereal_start'] },
  { name: 'syscall_nt', dir: 'x86', extraFlags: [] },
  { name: 'sigtrap_loop', dir: 'x86', extraFlags: [] },
  {
    name: 'syscall_numbering', dir: 'x86', extraFlags: [],
  },
  {
    name: 'protection_keys', dir: 'mm', extraFlags: [],
    doneLine: 'done (all tests OK)', failPrefixes: ['assert() at', 'non-PK si_code'],
    skipLine: 'running PKEY tests for unsupported CPU/OS',
  },
];

/**
 * The designs whose results decide the exit status (issue 5 "Done when").
 * Any other design the CLI offers (e.g. the pks-in-pt_regs negative control)
 * is run and shown but is informative only.
 */
export const REQUIRED_DESIGNS: readonly string[] = ['upstream', 'state-ref', 'extended', 'aux'];

/** The column for the host kernel itself. */
export const NATIVE = 'native';

/** How a process ended, as the runner observed it. */
export interface ProcessEnd {
  /** Exit code, or null when a signal killed it. */
  readonly code: number | null;
  /** Signal name (e.g. 'SIGSEGV') when a signal killed it, else null. */
  readonly signal: string | null;
  /** The runner's wall-clock timeout fired (the process was then killed). */
  readonly timedOut: boolean;
}

/** 'skip': the test itself said it could not run here (see SelftestSpec.skipLine). */
export type Status = 'pass' | 'fail' | 'skip';

export interface Verdict {
  readonly status: Status;
  /** For a failure, the one line that explains it best; null for a pass. */
  readonly detail: string | null;
}

/** `kentry run` exits 124 when --max-insns runs out (cli/run.ts EXIT_BUDGET). */
const EXIT_BUDGET = 124;

/**
 * Pass means what the selftests themselves mean by it: exit status 0 and no
 * `[FAIL]` line. sigreturn's "bad IRET" cases print `[FAIL]` without
 * counting towards the exit status, so the exit status alone is not enough.
 * A test with a `doneLine` must also print it; one that prints its
 * `skipLine` instead (and nothing else wrong) is a skip. The detail of a
 * failure is, in order of usefulness: the first `[FAIL]` (or the test's own
 * failure prefix) line, kentry's own one-line error (e.g. "not modelled
 * yet"), then how the process ended, then the missing done line.
 */
export function judge(
  stdout: string, stderr: string, end: ProcessEnd, timeoutSeconds: number, spec?: Pick<SelftestSpec, 'doneLine' | 'failPrefixes' | 'skipLine'>,
): Verdict {
  const lines = [...stdout.split('\n'), ...stderr.split('\n')].map((l) => l.trimEnd());
  const prefixes = spec?.failPrefixes ?? ['[FAIL]'];
  const failLine = lines.find((l) => prefixes.some((p) => l.startsWith(p)));
  const clean = end.code === 0 && !end.timedOut && end.signal === null;
  const outLines = stdout.split('\n').map((l) => l.trimEnd());
  const done = spec?.doneLine === undefined || outLines.includes(spec.doneLine);
  if (clean && failLine === undefined && done) return { status: 'pass', detail: null };
  if (clean && failLine === undefined && spec?.skipLine !== undefined && outLines.includes(spec.skipLine)) {
    return { status: 'skip', detail: spec.skipLine };
  }
  if (failLine !== undefined) return { status: 'fail', detail: oneLine(failLine) };
  const kentryLine = stderr.split('\n').map((l) => l.trimEnd()).find((l) => l.startsWith('kentry:'));
  // kentry names the program by its path; in a table row that already names the test, the cache path is noise.
  if (kentryLine !== undefined) return { status: 'fail', detail: oneLine(kentryLine.replace(/^kentry: \/[^:]*: /, 'kentry: ')) };
  if (end.timedOut) return { status: 'fail', detail: `timed out after ${timeoutSeconds} s` };
  if (end.signal !== null) return { status: 'fail', detail: `killed by ${end.signal}` };
  if (end.code === EXIT_BUDGET) return { status: 'fail', detail: `exit status ${EXIT_BUDGET} (instruction budget spent?)` };
  if (clean) return { status: 'fail', detail: `exit status 0 without '${spec?.doneLine ?? ''}' (last line: ${oneLine(lastLine(stdout))})` };
  // A test that gave up through err(3) says why on stderr as "prog: what: why".
  const lastErr = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1);
  return { status: 'fail', detail: `exit status ${end.code ?? '?'}${lastErr !== undefined ? `: ${oneLine(lastErr)}` : ''}` };
}

function lastLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1) ?? '(none)';
}

/** Tabs become spaces (the selftests write "[FAIL]\t...") and very long lines are cut, so the table stays readable. */
function oneLine(s: string): string {
  const flat = s.replace(/\t/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

/** One cell of the table: a test under one column (native or a design). */
export interface CellResult {
  readonly test: string;
  readonly column: string;
  readonly status: Status;
  readonly detail: string | null;
  readonly exitCode: number | null;
  readonly seconds: number;
  /**
   * Whether the program printed exactly what it printed on the host kernel
   * (reference §8: a model run must report what the host reports). Null for
   * the native column itself. Informative: the tests' own verdict decides.
   */
  readonly sameStdoutAsNative: boolean | null;
}

/** The stdout comparison for each kentry cell against the native run of the same test. */
export function compareWithNative<T extends { readonly test: string; readonly column: string }>(
  cells: readonly T[], stdoutOf: (c: T) => string,
): (T & { readonly sameStdoutAsNative: boolean | null })[] {
  return cells.map((c) => {
    const native = cells.find((n) => n.test === c.test && n.column === NATIVE);
    const same = c.column === NATIVE || native === undefined ? null : stdoutOf(c) === stdoutOf(native);
    return { ...c, sameStdoutAsNative: same };
  });
}

export interface SuiteReport {
  readonly tests: readonly string[];
  /** 'native' first, then every design the CLI offers, in its order. */
  readonly columns: readonly string[];
  /** The columns that decide `ok`: native and the required designs. */
  readonly required: readonly string[];
  readonly results: readonly CellResult[];
  /** Tests that are run and shown but do not decide `ok` yet, with why (SelftestSpec.pending). */
  readonly pending: Readonly<Record<string, string>>;
  readonly ok: boolean;
}

/**
 * Which columns decide the outcome: native always, and each required design.
 * A required design the CLI does not offer stays required, so its absence
 * shows as a failure instead of silently shrinking the suite.
 */
export function requiredColumns(): string[] {
  return [NATIVE, ...REQUIRED_DESIGNS];
}

/**
 * A required cell is acceptable when it passes, or when it is the native
 * run and the test skipped: the host lacks what the test needs, and the
 * model columns still have to pass in full.
 */
function acceptable(r: CellResult | undefined): boolean {
  return r !== undefined && (r.status === 'pass' || (r.status === 'skip' && r.column === NATIVE));
}

export function buildReport(
  tests: readonly string[], designs: readonly string[], results: readonly CellResult[], pending: Readonly<Record<string, string>> = {},
): SuiteReport {
  const columns = [NATIVE, ...designs];
  const required = requiredColumns();
  // A missing required design has no cells, so it fails `every` below.
  const ok = tests.every((t) => t in pending || required.every((c) => acceptable(cell(results, t, c))));
  // Runs finish in any order; the report lists them in table order so --json output is stable.
  const rank = (r: CellResult): number => tests.indexOf(r.test) * (columns.length + 1) + columns.indexOf(r.column);
  const shown = Object.fromEntries(tests.filter((t) => t in pending).map((t) => [t, pending[t]!]));
  return { tests, columns, required, results: [...results].sort((a, b) => rank(a) - rank(b)), pending: shown, ok };
}

function cell(results: readonly CellResult[], test: string, column: string): CellResult | undefined {
  return results.find((r) => r.test === test && r.column === column);
}

/**
 * The human table: one row per test, one column per design, each cell
 * `pass`, `FAIL`, `skip` or `-` (not run); informative columns are marked
 * `*`, pending tests `+` (with why underneath). Below
 * it, every failure with its explaining line, grouped when several designs
 * fail a test the same way (the usual case: the designs differ in PKRS
 * handling, not in what a program sees).
 */
export function formatTable(report: SuiteReport): string {
  const header = ['test', ...report.columns.map((c) => (report.required.includes(c) ? c : `${c}*`))];
  const rows = report.tests.map((t) => [t in report.pending ? `${t}+` : t, ...report.columns.map((c) => {
    const r = cell(report.results, t, c);
    if (r === undefined) return '-';
    if (r.status !== 'pass') return r.status === 'fail' ? 'FAIL' : 'skip';
    return r.sameStdoutAsNative === false ? 'pass~' : 'pass';
  })]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]): string => r.map((s, i) => s.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  if (report.columns.some((c) => !report.required.includes(c))) out.push('* informative: does not decide the exit status');
  if (report.results.some((r) => r.status === 'pass' && r.sameStdoutAsNative === false)) {
    out.push('~ passes, but its stdout differs from the native run (informative; compare the logs)');
  }
  for (const [t, why] of Object.entries(report.pending)) out.push(`+ ${t} is pending (does not decide the exit status): ${why}`);
  if (report.results.some((r) => r.status === 'skip')) out.push('skip: the test found no support for what it tests (accepted natively only)');
  const missing = REQUIRED_DESIGNS.filter((d) => !report.columns.includes(d));
  if (missing.length > 0) out.push(`required design(s) not offered by 'kentry designs': ${missing.join(', ')}`);

  const failures: string[] = [];
  for (const t of report.tests) {
    // Group the columns of one test by their explaining line, first-seen order.
    const byDetail = new Map<string, string[]>();
    for (const c of report.columns) {
      const r = cell(report.results, t, c);
      if (r === undefined || r.status === 'pass') continue;
      const d = r.detail ?? 'failed';
      byDetail.set(d, [...(byDetail.get(d) ?? []), c]);
    }
    for (const [d, cols] of byDetail) failures.push(`  ${t} [${cols.join(', ')}]: ${d}`);
  }
  if (failures.length > 0) out.push('', 'failures:', ...failures);
  out.push('', report.ok ? 'selftests: all pass natively and under every required design' : 'selftests: FAILED');
  return out.join('\n') + '\n';
}

/** `--json`: the report as one JSON document (stable key order, no output text beyond the explaining line). */
export function formatJson(report: SuiteReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
