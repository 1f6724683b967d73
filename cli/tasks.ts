/**
 * `kentry tasks`: the built-in multitasking run (src/kernel/scenario/
 * tasks-run.ts) as a table — what each task did, the PKRS it was
 * interrupted with, and how the CPU switched between them.
 */
import type { TasksRunResult } from '../src/kernel/scenario/tasks-run.js';

const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

const WORK_UNIT: Readonly<Record<string, string>> = { kthread: 'rounds', user: 'syscalls', idle: '' };

export function formatTasks(r: TasksRunResult): string {
  const out = [
    `tasks on the modelled CPU, design ${r.design}: timer every ${r.timerEvery} instructions, ${r.instructions} instructions run`,
    '',
  ];
  const rows = [['pid', 'name', 'kind', 'state', 'switched in', 'thread.pkrs', 'PKRS when the timer hit it', 'work']];
  for (const t of r.tasks) {
    rows.push([
      String(t.pid), t.name + (t.current ? ' *' : ''), t.kind, t.state, String(t.switchIns), hex32(t.threadPkrs),
      t.pkrsAtTicks.length === 0 ? '-' : t.pkrsAtTicks.map(hex32).join(' '),
      t.kind === 'idle' ? '-' : `${t.work} ${WORK_UNIT[t.kind] ?? ''}`,
    ]);
  }
  out.push(table(rows), '  (* running now)', '');
  const v = r.switchesVia;
  out.push(
    `  ${r.ticks} timer ticks, ${r.switches} context switches ` +
      `(schedule ${v.schedule}, preempt_schedule_irq ${v.preempt_schedule_irq}, schedule_idle ${v.schedule_idle})` +
      (r.deferred > 0 ? `, ${r.deferred} reschedules deferred (inside nested kernel work)` : ''),
  );
  out.push(`  WRMSR(IA32_PKRS) through the per-CPU cache: ${r.pkrsMsrWrites}`);
  out.push('  first switches: ' + r.firstSwitches.map((e) => `${e.from}→${e.to} (${e.via}, tick ${e.tick})`).join(', '));
  for (const t of r.tasks) {
    if (t.current) continue;
    out.push('', `  kernel stack of ${t.name} (pid ${t.pid}), from its task_struct (thread.sp → inactive_task_frame), innermost first:`);
    out.push(...t.stack.map((l) => `    ${l}`));
  }
  out.push('');
  out.push(r.violations.length === 0 ? '  entry state balanced: no lockdep/RCU/context-tracking findings' : `  FINDINGS: ${r.violations.join('; ')}`);
  return out.join('\n');
}
