/**
 * The CLI contract of DESIGN.md §6 and issue M1 item 4, end to end through
 * the built binary. Expected numbers come from the reference (§1.1) and the
 * issue's layouts, not from the engine.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kentry } from './run-cli.js';

interface FieldJson { name: string; offset: number; size: number; type: string }
interface LayoutJson { name: string; size: number; align: number; fields: FieldJson[]; flat: FieldJson[] }

function layout(...args: string[]): LayoutJson {
  const r = kentry('layout', ...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as LayoutJson;
}

const PT_REGS_OFFSETS: Record<string, number> = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72, ax: 80,
  cx: 88, dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
};

describe('kentry layout', () => {
  it('pt_regs --json: 168 bytes with the reference offsets', () => {
    const l = layout('pt_regs');
    expect(l.size).toBe(168);
    expect(Object.fromEntries(l.fields.map((f) => [f.name, f.offset]))).toEqual(PT_REGS_OFFSETS);
    expect(l.fields.every((f) => f.size === 8)).toBe(true);
  });

  it('extended_pt_regs --design extended: pt_regs at 16, 184 bytes, nested fields flattened', () => {
    const l = layout('extended_pt_regs', '--design', 'extended');
    expect(l.size).toBe(184);
    expect(l.fields.map((f) => [f.name, f.offset, f.size])).toEqual([['generic', 0, 2], ['arch', 8, 8], ['regs', 16, 168]]);
    const flat = Object.fromEntries(l.flat.map((f) => [f.name, f.offset]));
    expect(flat['arch.pks']).toBe(8);
    expect(flat['regs.ip']).toBe(16 + 128);
    expect(flat['regs.r15']).toBe(16);
  });

  it('pt_regs_extended --design aux: pt_regs at 8, 176 bytes', () => {
    const l = layout('pt_regs_extended', '--design', 'aux');
    expect(l.size).toBe(176);
    expect(l.fields.map((f) => [f.name, f.offset])).toEqual([['aux', 0], ['pt_regs', 8]]);
    expect(l.flat.find((f) => f.name === 'aux.pkrs')).toEqual({ name: 'aux.pkrs', offset: 0, size: 4, type: 'u32' });
  });

  it('pt_regs --design pks-in-pt_regs: 176 bytes, r15 at 8', () => {
    const l = layout('pt_regs', '--design', 'pks-in-pt_regs');
    expect(l.size).toBe(176);
    expect(l.fields.find((f) => f.name === 'r15')?.offset).toBe(8);
  });

  it('siginfo shows the si_pkey accessor at 0x20', () => {
    const r = kentry('layout', 'siginfo');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+32\s+0x20\s+4\s+si_pkey\s+_sifields\._sigfault\._addr_pkey\._pkey$/m);
  });

  it('text output has one line per leaf field', () => {
    const r = kentry('layout', 'rt_sigframe');
    expect(r.stdout).toContain('struct rt_sigframe: 440 bytes, align 8 (design upstream)');
    expect(r.stdout).toMatch(/^\s+312\s+0x138\s+4\s+int\s+info\.si_signo$/m);
  });
});

describe('errors: one line on stderr, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown struct', ['layout', 'nosuch'], /^kentry: unknown struct 'nosuch' \(valid for design upstream: pt_regs, .*\)$/],
    ['unknown design', ['layout', 'pt_regs', '--design', 'nosuch'], /^kentry: unknown design 'nosuch' \(valid: upstream, state-ref, extended, aux, pks-in-pt_regs\)$/],
    ['struct of another design', ['layout', 'extended_pt_regs'], /belongs to: extended; use --design extended/],
    ['missing argument', ['layout'], /^kentry: missing required argument 'struct'$/],
    ['unknown command', ['frobnicate'], /^kentry: unknown command 'frobnicate'$/],
    ['unknown option', ['designs', '--colour'], /^kentry: unknown option '--colour'$/],
    ['missing design file', ['layout', 'pt_regs', '--design', '/nonexistent/d.json'], /^kentry: cannot read design file '\/nonexistent\/d\.json': no such file$/],
  ];
  it.each(cases)('%s', (_what, args, message) => {
    const r = kentry(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
  });

  it('a malformed design file names the file and the JSON path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kentry-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', slots: { exitRcu: 'irqentry_state.exit_rcu', lockdep: 'irqentry_state.lockdep' } }));
    const r = kentry('layout', 'pt_regs', '--design', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`kentry: ${bad}: design spec: $.slots.exitRcu: the design has no irqentryState\n`);
    const notJson = join(dir, 'nj.json');
    writeFileSync(notJson, '{ nope\n  more\n');
    const r2 = kentry('layout', 'pt_regs', '--design', notJson);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/^kentry: design file '.*nj\.json' is not valid JSON: [^\n]+\n$/); // one line, even when V8 quotes a newline
  });

  it('a valid user design file is laid out like a built-in one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kentry-'));
    const file = join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify({
      name: 'mine',
      extension: { tag: 'my_regs', fields: [{ name: 'pkrs', type: 'u32' }, { name: 'cpu', type: 'int' }, { name: 'regs', type: 'struct pt_regs' }] },
      irqentryState: { fields: [{ kind: 'union', fields: [{ name: 'exit_rcu', type: 'bool' }, { name: 'lockdep', type: 'bool' }] }] },
      slots: { pkrs: 'extension.pkrs', exitRcu: 'irqentry_state.exit_rcu', lockdep: 'irqentry_state.lockdep' },
    }));
    const l = layout('my_regs', '--design', file);
    expect([l.size, l.fields.map((f) => f.offset)]).toEqual([176, [0, 4, 8]]);
  });
});

describe('other commands', () => {
  it('--version prints the package version', () => {
    const r = kentry('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('--help lists the commands', () => {
    const r = kentry('--help');
    expect(r.status).toBe(0);
    for (const c of ['demo', 'designs', 'layout']) expect(r.stdout).toContain(c);
  });

  it('designs --json lists the five designs with derived sizes', () => {
    const r = kentry('designs', '--json');
    expect(r.status).toBe(0);
    const ds = JSON.parse(r.stdout) as { name: string; ptRegsSize: number; belowPtRegs: number }[];
    expect(ds.map((d) => [d.name, d.ptRegsSize, d.belowPtRegs])).toEqual([
      ['upstream', 168, 0], ['state-ref', 168, 0], ['extended', 168, 16], ['aux', 168, 8], ['pks-in-pt_regs', 176, 0],
    ]);
  });

  it('demo runs the PKS scenario for every design and compares them', () => {
    const r = kentry('demo');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('container_of(regs, struct extended_pt_regs, regs) = regs - 16');
    expect(r.stdout).toMatch(/regs-8\s+arch\.pks/);
    expect(r.stdout).toContain('at the deepest point (inside exc_nmi)');
    expect(r.stdout).toMatch(/^\s+extended\s+4\s+yes\s+updated\s+container_of\s+yes\s+all ok/m);
    expect(r.stdout).toMatch(/^\s+state-ref\s+4\s+yes\s+not-reachable\s+C-frame offset -?\d+ \(compiler-chosen\)\s+no\s+/m);
    // upstream: PKS on, entry code unaware — the IRQ handler inherits the syscall's key rights, no #PF.
    expect(r.stdout).toMatch(/^\s+upstream\s+3\s+no\s+/m);
  });

  it('demo prints the labelled stacks at the deepest point: task stack, then the NMI IST stack', () => {
    const r = kentry('demo', '--design', 'aux');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('outermost level first, high addresses first');
    expect(r.stdout).toMatch(/^ {2}task stack \(pid 1, pks-demo\) 0x[0-9a-f]+\.\.0x[0-9a-f]+:$/m);
    expect(r.stdout).toMatch(/^ {2}NMI IST stack 0xfffffe[0-9a-f]+\.\.0x[0-9a-f]+:$/m);
    expect(r.stdout).toMatch(/^ {4}level 4: nmi 0x2 -> exc_nmi, /m);
    // the NMI's saved ip, read from the IST stack, is inside exc_page_fault
    expect(r.stdout).toMatch(/^ {6}0xfffffe\S+ +0xffffffff820\S+ +ip +interrupted at exc_page_fault\+0x8$/m);
    expect(r.stdout).toMatch(/extension +aux\.pkrs=0x55555550 pad\[4\.\.7\] +saved PKRS of the interrupted context; <- container_of\(regs, struct pt_regs_extended, pt_regs\) = regs - 8/);
    expect(r.stdout).toMatch(/return address +asm_exc_page_fault\+0x[0-9a-f]+ \(the stub's call exc_page_fault\)/);
  });

  it('demo says why state-ref fails pkrs-restored and why upstream fails handlers-default-pkrs', () => {
    const s = kentry('demo', '--design', 'state-ref');
    expect(s.status).toBe(0);
    expect(s.stdout).toContain('FAIL  PKRS on return equals PKRS at interruption');
    expect(s.stdout).toContain('page-fault returned with 0x55555550, expected 0x55555554 (interrupted 0x55555554)');
    expect(s.stdout).toMatch(/^ {10}why: irqentry_enter saved current->thread's PKRS 0x55555550 .*not the 0x55555554 the timer handler \(common_interrupt\) ran with; irqentry_exit wrote that back\.$/m);
    expect(s.stdout).toMatch(/^ {10}So the timer handler \(common_interrupt\) continues with the task's key-1 rights, and its retried read succeeds only because of this leak; .*cannot reach irqentry_state\.pkrs in exc_page_fault's C frame \(not-reachable\)\.$/m);
    expect(s.stdout).toMatch(/irqentry_state_t +exit_rcu\/lockdep=0x[01] pad\[1\.\.7\]\n.* pkrs=0x55555550 thread_pkrs=0x[0-9a-f]+ +saved PKRS of the interrupted context; <- &state at rbp-0x/);
    const u = kentry('demo', '--design', 'upstream');
    expect(u.stdout).toMatch(/^ {10}why: the design saves no PKRS on entry .*inherit the interrupted task's key-1 rights/m);
  });

  it('demo --json: four levels for the designs that save PKRS, found via what tells them apart', () => {
    const r = kentry('demo', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { designs: { name: string; levels: { kind: string; pkrsFoundVia: string }[]; invariants: Record<string, boolean> }[] };
    const by = Object.fromEntries(j.designs.map((d) => [d.name, d]));
    for (const name of ['state-ref', 'extended', 'aux', 'pks-in-pt_regs']) {
      expect(by[name]?.levels.map((l) => l.kind)).toEqual(['syscall', 'irq', 'page-fault', 'nmi']);
    }
    expect(by['extended']?.levels[1]?.pkrsFoundVia).toBe('container_of');
    expect((by['aux']?.levels as { stack: string }[] | undefined)?.map((l) => l.stack)).toEqual([
      'task stack (pid 1, pks-demo)', 'task stack (pid 1, pks-demo)', 'task stack (pid 1, pks-demo)', 'NMI IST stack',
    ]);
    expect(by['pks-in-pt_regs']?.levels[1]?.pkrsFoundVia).toBe('pt_regs member');
    expect(by['state-ref']?.levels[1]?.pkrsFoundVia).toMatch(/^C-frame offset -?\d+ \(compiler-chosen\)$/);
    expect(by['upstream']?.invariants['handlers-default-pkrs']).toBe(false);
    for (const name of ['extended', 'aux', 'pks-in-pt_regs']) {
      expect(by[name]?.invariants).toEqual({
        'user-registers-restored': true, 'pkrs-restored': true, 'handlers-default-pkrs': true,
        'unwinder-finds-pt-regs': true, 'entry-state-balanced': true, 'stacks-in-bounds': true,
      });
    }
    // state-ref fails only invariant 2, faithfully (V3 restores the thread's PKRS; see README).
    expect(Object.entries(by['state-ref']?.invariants ?? {}).filter(([, v]) => !v).map(([k]) => k)).toEqual(['pkrs-restored']);
  });
});
