/**
 * `kentry audit` (DESIGN.md §6, issue 6 item 7) as a user runs it: each
 * modelled ABI consumer of pt_regs under a design and under upstream.
 * Expected truth: extended and aux agree everywhere (exit 0);
 * pks-in-pt_regs breaks the offset-based consumers (regset/core notes,
 * fixed-offset BPF, perf's upstream-compiled table) while the named-field
 * ones (signal frames, sigreturn) agree (exit 1); a tracer's GETREGS,
 * SETREGS, PEEKUSER and POKEUSER read and write other members. Bad input is
 * exit 2 with one line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kentry } from './run-cli.js';

interface Consumer {
  readonly id: string;
  readonly consumer: string;
  readonly reach: string;
  readonly status: string;
  readonly differences: readonly string[];
  readonly note: string;
}
interface AuditJson {
  readonly design: string;
  readonly against: string;
  readonly differs: boolean;
  readonly consumers: readonly Consumer[];
}

const MODELLED = ['signal-frame', 'sigreturn', 'regset-core', 'ptrace', 'perf-fixed', 'perf-rebuilt', 'bpf-fixed', 'bpf-relocated', 'unwinder'];

function auditJson(...args: string[]): { status: number | null; report: AuditJson } {
  const r = kentry('audit', ...args, '--json');
  expect(r.stderr).toBe('');
  return { status: r.status, report: JSON.parse(r.stdout) as AuditJson };
}

const byId = (report: AuditJson): Map<string, Consumer> => new Map(report.consumers.map((c) => [c.id, c]));

describe('kentry audit', () => {
  it.each(['extended', 'aux', 'state-ref', 'upstream'])('--design %s: exit 0, every modelled consumer the same as upstream', (design) => {
    const r = kentry('audit', '--design', design);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^kentry audit: design ${design} against upstream$`, 'm'));
    expect(r.stdout).toMatch(/^result: every modelled consumer sees what it sees under upstream$/m);
    const { status, report } = auditJson('--design', design);
    expect(status).toBe(0);
    expect(report.differs).toBe(false);
    const rows = byId(report);
    for (const id of MODELLED) expect(rows.get(id)?.status, id).toBe('same');
  });

  it('--design pks-in-pt_regs: exit 1; regset, ptrace, perf and fixed-offset BPF differ, signal frames and sigreturn do not', () => {
    const r = kentry('audit', '--design', 'pks-in-pt_regs');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^result: 4 consumers differ from upstream: regset-core, ptrace, perf-fixed, bpf-fixed$/m);
    expect(r.stdout).toMatch(/^ {2}regset \/ core dump NT_PRSTATUS .* offset index +differs +r15 reads pkrs, \+19 more \(below\)$/m);
    expect(r.stdout).toMatch(/^ {4}r15 reads pkrs 0x55555554 \(upstream 0x1515000000001515\)$/m);
    expect(r.stdout).toMatch(/^ {4}R15 reads pkrs 0x55555554 /m);
    expect(r.stdout).toMatch(/^ {4}PARM1 \(di\) reads si 0x22220002 \(upstream 0x11110001\)$/m);

    const { status, report } = auditJson('--design', 'pks-in-pt_regs');
    expect(status).toBe(1);
    expect(report.differs).toBe(true);
    const rows = byId(report);
    const statuses = Object.fromEntries([...rows].map(([id, c]) => [id, c.status]));
    expect(statuses).toEqual({
      'signal-frame': 'same', sigreturn: 'same', 'regset-core': 'differs', ptrace: 'differs',
      'perf-fixed': 'differs', 'perf-rebuilt': 'same', 'bpf-fixed': 'differs', 'bpf-relocated': 'same', unwinder: 'same',
    });
    // flags is read by name (get_flags), so its word agrees; every other pt_regs word is one member off.
    const regset = rows.get('regset-core')!.differences;
    expect(regset).toHaveLength(20);
    expect(regset.some((d) => d.startsWith('flags'))).toBe(false);
    expect(regset).toContain('ip reads orig_ax 0xffffffffffffffff (upstream 0x401105)');
    expect(rows.get('bpf-fixed')!.differences.map((d) => d.split(' 0x')[0])).toEqual([
      'PARM1 (di) reads si', 'PARM2 (si) reads dx', 'PARM3 (dx) reads cx', 'PARM4 (cx) reads ax', 'PARM5 (r8) reads r9',
    ]);
    expect(rows.get('perf-fixed')!.differences).toContainEqual(expect.stringMatching(/^IP reads orig_ax 0xffffffffffffffff /));
    // The tracer: GETREGS words one member off, SETREGS refused (its "cs" word is ip), and neither edit reaches the child.
    const ptrace = rows.get('ptrace')!.differences;
    expect(ptrace).toContainEqual(expect.stringMatching(/^GETREGS r15 reads pkrs /));
    expect(ptrace).toContain('SETREGS returned -5 (upstream 0)');
    expect(ptrace).toContain('the child saw: rbx edit lost, r12 poke lost (upstream: rbx edit arrived, r12 poke arrived)');
  });

  it('--json shape: design, against, differs, and one entry per consumer with id, consumer, reach, status, differences, note', () => {
    const { report } = auditJson('--design', 'extended');
    expect(Object.keys(report).sort()).toEqual(['against', 'consumers', 'design', 'differs']);
    expect(report).toMatchObject({ design: 'extended', against: 'upstream', differs: false });
    expect(report.consumers.map((c) => c.id)).toEqual([
      'signal-frame', 'sigreturn', 'regset-core', 'ptrace', 'perf-fixed', 'perf-rebuilt', 'bpf-fixed', 'bpf-relocated', 'unwinder',
    ]);
    for (const c of report.consumers) {
      expect(Object.keys(c).sort()).toEqual(['consumer', 'differences', 'id', 'note', 'reach', 'status']);
      expect(['named field', 'offset index', 'fixed compiled offset', 'relocated offset']).toContain(c.reach);
    }
    expect(byId(report).get('ptrace')!.note).toMatch(/^a tracer and its SIGSTOPped child/);
  });

  describe('--layout FILE (a DesignSpec JSON, as --design FILE.json)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kentry-audit-'));
    const specOf = (name: string): Record<string, unknown> => {
      const designs = JSON.parse(kentry('designs', '--json').stdout) as { name: string; spec: Record<string, unknown> }[];
      return designs.find((d) => d.name === name)!.spec;
    };

    it('a user file with PKRS as pt_regs\' first member is audited like pks-in-pt_regs (exit 1)', () => {
      const file = join(dir, 'my-pks.json');
      writeFileSync(file, JSON.stringify({ ...specOf('pks-in-pt_regs'), name: 'my-pks' }));
      const { status, report } = auditJson('--layout', file);
      expect(status).toBe(1);
      expect(report.design).toBe('my-pks');
      expect(report.consumers.filter((c) => c.status === 'differs').map((c) => c.id)).toEqual(['regset-core', 'ptrace', 'perf-fixed', 'bpf-fixed']);
    });

    it('a user file with the extension below pt_regs agrees (exit 0)', () => {
      const file = join(dir, 'my-ext.json');
      writeFileSync(file, JSON.stringify({ ...specOf('extended'), name: 'my-ext' }));
      expect(auditJson('--layout', file).status).toBe(0);
    });

    it.each([
      ['not JSON', 'nope{\n  more\n', /^kentry: design file '.*bad-0\.json' is not valid JSON: .+$/],
      ['a wrong field type', '{"name": 3}', /^kentry: .*bad-1\.json: design spec: \$\.name: expected a string, got 3$/],
    ])('a malformed file (%s): exit 2, one line naming the problem', (_what, text, line) => {
      const file = join(dir, `bad-${text.startsWith('nope') ? 0 : 1}.json`);
      writeFileSync(file, text);
      const r = kentry('audit', '--layout', file);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.endsWith('\n')).toBe(true);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(line);
    });

    it('a missing file: exit 2, one line', () => {
      const r = kentry('audit', '--layout', join(dir, 'missing.json'));
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^kentry: cannot read design file '.*missing\.json': no such file\n$/);
    });
  });

  it('an unknown design: exit 2, one line', () => {
    const r = kentry('audit', '--design', 'no-such-design');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kentry: unknown design 'no-such-design' \(valid: [^\n]*\)\n$/);
  });

  it('--design and --layout together: exit 2, one line', () => {
    const r = kentry('audit', '--design', 'aux', '--layout', 'x.json');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('kentry: audit takes --design or --layout, not both\n');
  });
});
