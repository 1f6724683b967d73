/**
 * The pure half of `npm run selftests`: what the kernel's x86 selftests are,
 * how one run's output becomes pass/fail with the line that explains it, and
 * the table and JSON that report a whole suite. No Node built-ins here, so
 * the vitest test can feed it sample output without building anything.
 */

/** One selftest from tools/testing/selftests/x86 and how its Makefile builds it as a 64-bit program. */
export interface SelftestSpec {
  readonly name: string;
  /** Extra gcc flags beyond the common ones (the Makefile's per-target CFLAGS). */
  readonly extraFlags: readonly string[];
}

/**
 * The five 64-bit, single-process selftests of issue 5 item 6 (reference §9).
 * check_initial_reg_state must start at its own entry point: glibc's _start
 * would clobber the registers it checks before main could see them.
 */
export const SELFTESTS: readonly SelftestSpec[] = [
  { name: 'sigreturn', extraFlags: [] },
  { name: 'single_step_syscall', extraFlags: [] },
  { name: 'check_initial_reg_state', extraFlags: ['-Wl,-ereal_start'] },
  { name: 'syscall_nt', extraFlags: [] },
  { name: 'sigtrap_loop', extraFlags: [] },
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

export type Status = 'pass' | 'fail';

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
 * The detail of a failure is, in order of usefulness: the first `[FAIL]`
 * line (the test's own diagnosis), kentry's own one-line error (e.g. "not
 * modelled yet"), then how the process ended.
 */
export function judge(stdout: string, stderr: string, end: ProcessEnd, timeoutSeconds: number): Verdict {
  const lines = [...stdout.split('\n'), ...stderr.split('\n')].map((l) => l.trimEnd());
  const failLine = lines.find((l) => l.startsWith('[FAIL]'));
  const clean = end.code === 0 && !end.timedOut && end.signal === null;
  if (clean && failLine === undefined) return { status: 'pass', detail: null };
  if (failLine !== undefined) return { status: 'fail', detail: oneLine(failLine) };
  const kentryLine = stderr.split('\n').map((l) => l.trimEnd()).find((l) => l.startsWith('kentry:'));
  // kentry names the program by its path; in a table row that already names the test, the cache path is noise.
  if (kentryLine !== undefined) return { status: 'fail', detail: oneLine(kentryLine.replace(/^kentry: \/[^:]*: /, 'kentry: ')) };
  if (end.timedOut) return { status: 'fail', detail: `timed out after ${timeoutSeconds} s` };
  if (end.signal !== null) return { status: 'fail', detail: `killed by ${end.signal}` };
  if (end.code === EXIT_BUDGET) return { status: 'fail', detail: `exit status ${EXIT_BUDGET} (instruction budget spent?)` };
  // A test that gave up through err(3) says why on stderr as "prog: what: why".
  const lastErr = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '').at(-1);
  return { status: 'fail', detail: `exit status ${end.code ?? '?'}${lastErr !== undefined ? `: ${oneLine(lastErr)}` : ''}` };
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

export function buildReport(tests: readonly string[], designs: readonly string[], results: readonly CellResult[]): SuiteReport {
  const columns = [NATIVE, ...designs];
  const required = requiredColumns();
  // A missing required design has no cells, so it fails `every` below.
  const ok = tests.every((t) => required.every((c) => cell(results, t, c)?.status === 'pass'));
  // Runs finish in any order; the report lists them in table order so --json output is stable.
  const rank = (r: CellResult): number => tests.indexOf(r.test) * (columns.length + 1) + columns.indexOf(r.column);
  return { tests, columns, required, results: [...results].sort((a, b) => rank(a) - rank(b)), ok };
}

function cell(results: readonly CellResult[], test: string, column: string): CellResult | undefined {
  return results.find((r) => r.test === test && r.column === column);
}

/**
 * The human table: one row per test, one column per design, each cell
 * `pass`, `FAIL` or `-` (not run); informative columns are marked `*`. Below
 * it, every failure with its explaining line, grouped when several designs
 * fail a test the same way (the usual case: the designs differ in PKRS
 * handling, not in what a program sees).
 */
export function formatTable(report: SuiteReport): string {
  const header = ['test', ...report.columns.map((c) => (report.required.includes(c) ? c : `${c}*`))];
  const rows = report.tests.map((t) => [t, ...report.columns.map((c) => {
    const r = cell(report.results, t, c);
    if (r === undefined) return '-';
    return r.status === 'fail' ? 'FAIL' : r.sameStdoutAsNative === false ? 'pass~' : 'pass';
  })]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]): string => r.map((s, i) => s.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  if (report.columns.some((c) => !report.required.includes(c))) out.push('* informative: does not decide the exit status');
  if (report.results.some((r) => r.status === 'pass' && r.sameStdoutAsNative === false)) {
    out.push('~ passes, but its stdout differs from the native run (informative; compare the logs)');
  }
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
