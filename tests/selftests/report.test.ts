/**
 * The pure half of `npm run selftests`: judging one run from its output and
 * printing the suite. The sample outputs are written here in the selftests'
 * own style ("[RUN]\t…", "[OK]\t…", "[FAIL]\t…"), not copied from them.
 */
import { describe, expect, it } from 'vitest';
import {
  NATIVE, REQUIRED_DESIGNS, SELFTESTS, buildReport, compareWithNative, formatJson, formatTable, judge,
  type CellResult, type ProcessEnd,
} from '../../selftests/report.js';

const exited = (code: number): ProcessEnd => ({ code, signal: null, timedOut: false });

describe('judge: one run', () => {
  it('exit 0 with only [RUN]/[OK] lines passes', () => {
    expect(judge('[RUN]\tdo a thing\n[OK]\tit worked\n', '', exited(0), 60)).toEqual({ status: 'pass', detail: null });
  });
  it('a [FAIL] line fails even with exit status 0, and is the detail (tabs flattened)', () => {
    const out = '[RUN]\tcase one\n[OK]\tfine\n[RUN]\tcase two\n[FAIL]\tDid not get SIGSEGV\n[FAIL]\tsecond failure\n';
    expect(judge(out, '', exited(0), 60)).toEqual({ status: 'fail', detail: '[FAIL] Did not get SIGSEGV' });
  });
  it("kentry's own error line explains a failure with no [FAIL] line", () => {
    const err = 'kentry: not modelled yet: SIGTRAP has a handler at 0x401000: signal frames are not modelled yet\n';
    expect(judge('', err, exited(2), 60)).toEqual({ status: 'fail', detail: err.trim() });
  });
  it("drops the program's path from kentry's line (the row names the test)", () => {
    const err = 'kentry: /home/u/.cache/kentry/selftests/build-1/syscall_nt: killed by SIGSEGV (si_code 1), core not written\n';
    expect(judge('', err, exited(139), 60).detail).toBe('kentry: killed by SIGSEGV (si_code 1), core not written');
  });
  it('a [FAIL] line beats the kentry line', () => {
    expect(judge('[FAIL]\tTF was cleared\n', 'kentry: x: killed by SIGSEGV\n', exited(139), 60).detail).toBe('[FAIL] TF was cleared');
  });
  it('a timeout, a signal, the instruction budget, and err(3) on stderr each say so', () => {
    expect(judge('', '', { code: null, signal: null, timedOut: true }, 42).detail).toBe('timed out after 42 s');
    expect(judge('', '', { code: null, signal: 'SIGSEGV', timedOut: false }, 60).detail).toBe('killed by SIGSEGV');
    expect(judge('', '', exited(124), 60).detail).toMatch(/^exit status 124 \(instruction budget/);
    expect(judge('', 'prog: sigaltstack: Function not implemented\n', exited(1), 60).detail)
      .toBe('exit status 1: prog: sigaltstack: Function not implemented');
    expect(judge('', '', exited(3), 60).detail).toBe('exit status 3');
  });
  it('cuts a very long line', () => {
    const d = judge(`[FAIL]\t${'x'.repeat(500)}\n`, '', exited(1), 60).detail ?? '';
    expect(d.length).toBe(200);
    expect(d.endsWith('...')).toBe(true);
  });
});

describe('judge: a test whose exit status cannot tell (protection_keys)', () => {
  const pk = SELFTESTS.find((t) => t.name === 'protection_keys')!;
  it('passes only with its done line', () => {
    expect(judge('has pkeys: 1\ntest  0 PASSED (iteration 1)\ndone (all tests OK)\n', '', exited(0), 60, pk).status).toBe('pass');
    const cut = judge('has pkeys: 1\ntest  0 PASSED (iteration 1)\n', '', exited(0), 60, pk);
    expect(cut.status).toBe('fail');
    expect(cut.detail).toContain('test 0 PASSED (iteration 1)');
  });
  it('its own assert line is the detail, even when the first process exited 0', () => {
    const out = 'test 13 PASSED (iteration 1)\nassert() at protection_keys.c::450 test_nr: 14 iteration: 1\n';
    expect(judge(out, '', exited(0), 60, pk)).toEqual({ status: 'fail', detail: 'assert() at protection_keys.c::450 test_nr: 14 iteration: 1' });
  });
  it('a CPU without PKU is a skip, not a pass', () => {
    const out = 'has pkeys: 0\nrunning PKEY tests for unsupported CPU/OS\n';
    expect(judge(out, '', exited(0), 60, pk).status).toBe('skip');
  });
});

describe('the suite report', () => {
  const designs = [...REQUIRED_DESIGNS, 'pks-in-pt_regs'];
  const cellOf = (test: string, column: string, detail: string | null): CellResult => ({
    test, column, status: detail === null ? 'pass' : 'fail', detail, exitCode: detail === null ? 0 : 1, seconds: 0.5,
    sameStdoutAsNative: column === NATIVE ? null : true,
  });
  const allPass = (tests: readonly string[]): CellResult[] =>
    tests.flatMap((t) => [NATIVE, ...designs].map((c) => cellOf(t, c, null)));

  it('names the five selftests of issue 5 and the two of M5 item 8, check_initial_reg_state with its own entry point', () => {
    expect(SELFTESTS.map((t) => t.name).sort()).toEqual(
      ['check_initial_reg_state', 'protection_keys', 'sigreturn', 'sigtrap_loop', 'single_step_syscall', 'syscall_nt', 'syscall_numbering']);
    expect(SELFTESTS.find((t) => t.name === 'protection_keys')?.dir).toBe('mm');
    expect(SELFTESTS.find((t) => t.name === 'check_initial_reg_state')?.extraFlags).toContain('-Wl,-ereal_start');
  });

  it('accepts a native skip but not a skip under a design; a pending test never decides', () => {
    const skip = (r: CellResult): CellResult => ({ ...r, status: 'skip', detail: 'no PKU' });
    const nativeSkip = allPass(['a']).map((r) => (r.column === NATIVE ? skip(r) : r));
    expect(buildReport(['a'], designs, nativeSkip).ok).toBe(true);
    const modelSkip = allPass(['a']).map((r) => (r.column === 'aux' ? skip(r) : r));
    expect(buildReport(['a'], designs, modelSkip).ok).toBe(false);
    const failing = allPass(['a', 'b']).map((r) => (r.test === 'b' && r.column === 'upstream' ? cellOf('b', 'upstream', 'x') : r));
    const report = buildReport(['a', 'b'], designs, failing, { b: 'needs fork' });
    expect(report.ok).toBe(true);
    expect(formatTable(report)).toContain('+ b is pending (does not decide the exit status): needs fork');
  });

  it('is ok when every required cell passes, even if an informative design fails', () => {
    const results = allPass(['a', 'b']).map((r) => (r.column === 'pks-in-pt_regs' ? cellOf(r.test, r.column, '[FAIL] leak') : r));
    const report = buildReport(['a', 'b'], designs, results);
    expect(report.ok).toBe(true);
    expect(report.required).toEqual([NATIVE, ...REQUIRED_DESIGNS]);
    expect(formatTable(report)).toContain('pks-in-pt_regs*');
  });

  it('is not ok when a required design fails, when a cell is missing, or when a required design is not offered', () => {
    const failing = allPass(['a']).map((r) => (r.column === 'aux' ? cellOf('a', 'aux', '[FAIL] x') : r));
    expect(buildReport(['a'], designs, failing).ok).toBe(false);
    expect(buildReport(['a'], designs, allPass(['a']).filter((r) => r.column !== NATIVE)).ok).toBe(false);
    const noAux = designs.filter((d) => d !== 'aux');
    const report = buildReport(['a'], noAux, allPass(['a']).filter((r) => r.column !== 'aux'));
    expect(report.ok).toBe(false);
    expect(formatTable(report)).toContain("required design(s) not offered by 'kentry designs': aux");
  });

  it('prints an aligned table, then each failure once per distinct line with the columns that share it', () => {
    const results = allPass(['sigtrap_loop', 'check_initial_reg_state']).map((r) =>
      r.test === 'sigtrap_loop' && r.column !== NATIVE
        ? cellOf(r.test, r.column, r.column === 'aux' ? '[FAIL] Detected SIGTRAP infinite loop' : 'kentry: not modelled yet: handlers')
        : r);
    const text = formatTable(buildReport(['sigtrap_loop', 'check_initial_reg_state'], designs, results));
    const lines = text.split('\n');
    expect(lines[0]).toBe('test                     native  upstream  state-ref  extended  aux   pks-in-pt_regs*');
    expect(lines[1]).toBe('-----------------------  ------  --------  ---------  --------  ----  ---------------');
    expect(lines[2]).toBe('sigtrap_loop             pass    FAIL      FAIL       FAIL      FAIL  FAIL');
    expect(lines[3]).toBe('check_initial_reg_state  pass    pass      pass       pass      pass  pass');
    expect(text).toContain('  sigtrap_loop [upstream, state-ref, extended, pks-in-pt_regs]: kentry: not modelled yet: handlers\n');
    expect(text).toContain('  sigtrap_loop [aux]: [FAIL] Detected SIGTRAP infinite loop\n');
    expect(text.trimEnd().endsWith('selftests: FAILED')).toBe(true);
  });

  it('lists results in table order whatever order the runs finished in', () => {
    const report = buildReport(['a', 'b'], designs, allPass(['a', 'b']).reverse());
    expect(report.results.map((r) => `${r.test}/${r.column}`)).toEqual(
      ['a', 'b'].flatMap((t) => [NATIVE, ...designs].map((c) => `${t}/${c}`)));
  });

  it("compares each kentry run's stdout with the native run of the same test", () => {
    const runs = [
      { test: 'a', column: NATIVE, out: '[OK]\tx\n' }, { test: 'a', column: 'upstream', out: '[OK]\tx\n' },
      { test: 'a', column: 'aux', out: '[OK]\ty\n' }, { test: 'b', column: 'aux', out: '' },
    ];
    expect(compareWithNative(runs, (r) => r.out).map((r) => r.sameStdoutAsNative)).toEqual([null, true, false, null]);
  });

  it('marks a passing cell whose stdout differs from native with ~, without changing the verdict', () => {
    const results = allPass(['a']).map((r) => (r.column === 'aux' ? { ...r, sameStdoutAsNative: false } : r));
    const report = buildReport(['a'], designs, results);
    expect(report.ok).toBe(true);
    const text = formatTable(report);
    expect(text.split('\n')[2]).toBe('a     pass    pass      pass       pass      pass~  pass');
    expect(text).toContain('~ passes, but its stdout differs from the native run');
  });

  it('marks a cell that was not run with -, and --json round-trips the report', () => {
    const report = buildReport(['a'], designs, allPass(['a']).filter((r) => r.column !== 'extended'));
    expect(formatTable(report).split('\n')[2]).toBe('a     pass    pass      pass       -         pass  pass');
    expect(JSON.parse(formatJson(report))).toEqual(JSON.parse(JSON.stringify(report)));
  });
});
