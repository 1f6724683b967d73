/**
 * `kentry tasks` end to end through the built binary: every task runs, each
 * is interrupted with its own thread's PKRS (PKS_INIT_VALUE 0x55555554, and
 * 0x55555550 for kpks, which opened key 1 — reference §3.2), and bad
 * numbers are one line and exit 2.
 */
import { describe, expect, it } from 'vitest';
import { kentry } from './run-cli.js';

interface TaskJson { pid: number; name: string; kind: string; switchIns: number; pkrsAtTicks: number[]; work: number }
interface TasksJson { design: string; ticks: number; switches: number; tasks: TaskJson[]; violations: string[] }

describe('kentry tasks', () => {
  it('--json: idle, kspin, kpks and the user task; every non-idle task runs with its own PKRS', () => {
    const r = kentry('tasks', '--design', 'aux', '--insns', '100000', '--timer', '1000', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as TasksJson;
    expect(j.design).toBe('aux');
    expect(j.tasks.map((t) => [t.pid, t.name, t.kind])).toEqual([
      [0, 'swapper/0', 'idle'], [1, 'kspin', 'kthread'], [2, 'kpks', 'kthread'], [3, 'user', 'user'],
    ]);
    expect(j.ticks).toBeGreaterThanOrEqual(99);
    for (const t of j.tasks.slice(1)) {
      expect(t.switchIns).toBeGreaterThan(10);
      expect(t.work).toBeGreaterThan(0);
    }
    const pkrs = Object.fromEntries(j.tasks.map((t) => [t.name, t.pkrsAtTicks]));
    expect(pkrs['kpks']).toEqual([0x55555550]);
    expect(pkrs['kspin']).toEqual([0x55555554]);
    expect(pkrs['user']).toEqual([0x55555554]);
    expect(j.violations).toEqual([]);
  });

  it('the human table names every task and the switch counts', () => {
    const r = kentry('tasks', '--insns', '30000');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/swapper\/0\s+idle/);
    expect(r.stdout).toMatch(/kpks\s.*0x55555550/);
    expect(r.stdout).toMatch(/context switches \(schedule \d+, preempt_schedule_irq \d+, schedule_idle \d+\)/);
    // Each task not running gets its kernel stack, unwound from its task_struct.
    expect(r.stdout).toMatch(/kernel stack of swapper\/0 \(pid 0\)[^\n]*\n\s+not started yet/);
    expect(r.stdout).toMatch(/pt_regs\s+IRQ[^\n]*interrupted/);
  });

  it.each([['--insns', 'lots'], ['--timer', '0'], ['--timer', '-5']])('%s %s: one line, exit 2', (flag, value) => {
    const r = kentry('tasks', flag, value);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^kentry: /);
  });
});
