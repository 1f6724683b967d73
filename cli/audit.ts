/**
 * `kentry audit [--design NAME | --layout FILE] [--json]` (DESIGN.md §6):
 * the design to audit, the table, the JSON, the exit status
 * (0 every modelled consumer agrees with upstream, 1 one differs; bad
 * input is a UsageError, exit 2, from main).
 */
import type { Design } from '../src/design/build.js';
import { DEFAULT_DESIGN } from '../src/design/registry.js';
import type { AuditReport, AuditRow } from '../src/kernel/audit/audit.js';
import { UsageError } from '../src/lib/errors.js';
import { loadDesign } from './design-arg.js';

export interface AuditArgs {
  readonly design?: string;
  readonly layout?: string;
}

/** The design named by --design, or the DesignSpec JSON file of --layout (validated as `--design FILE.json` is). */
export function auditDesign(args: AuditArgs): Design {
  if (args.design !== undefined && args.layout !== undefined) throw new UsageError('audit takes --design or --layout, not both');
  try {
    // --layout is always a file, even without a slash or .json (loadDesign reads a path when it sees one).
    if (args.layout !== undefined) return loadDesign(args.layout.includes('/') ? args.layout : `./${args.layout}`);
    return loadDesign(args.design ?? DEFAULT_DESIGN);
  } catch (e) {
    // One line, whatever the parser's message quoted (JSON.parse repeats the file's text, newlines and all).
    if (e instanceof UsageError) throw new UsageError(e.message.replace(/\s*\n\s*/g, ' ').trim());
    throw e;
  }
}

/** Exit status: 1 when a consumer's values differ from upstream's. */
export function auditStatus(report: AuditReport): number {
  return report.differs ? 1 : 0;
}

function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function statusCell(r: AuditRow): string {
  return r.status === 'not modelled' ? 'not modelled yet' : r.status;
}

/** The table cell: the first difference without its values ("r15 reads pkrs"), and how many more. */
function whatDiffers(r: AuditRow): string {
  const [first, ...rest] = r.differences;
  if (first === undefined) return '—';
  const short = first.split(' 0x')[0]!;
  return rest.length === 0 ? short : `${short}, +${rest.length} more (below)`;
}

export function formatAudit(report: AuditReport): string {
  const lines = [`kentry audit: design ${report.design} against ${report.against}`, ''];
  const rows = [['consumer', 'reaches pt_regs by', 'vs upstream', 'what differs']];
  const body = table([
    ...rows,
    ...report.rows.map((r) => [r.consumer, r.reach, statusCell(r), whatDiffers(r)]),
  ]);
  lines.push(...body);
  for (const r of report.rows) {
    if (r.status === 'same') continue;
    lines.push('', `  ${r.id}: ${r.status === 'differs' ? `differs from upstream — ${r.note}` : r.note}`);
    for (const d of r.differences) lines.push(`    ${d}`);
  }
  const broken = report.rows.filter((r) => r.status === 'differs').map((r) => r.id);
  const missing = report.rows.filter((r) => r.status === 'not modelled').map((r) => r.id);
  lines.push('');
  lines.push(broken.length === 0
    ? `result: every modelled consumer sees what it sees under upstream${missing.length ? ` (not modelled yet: ${missing.join(', ')})` : ''}`
    : `result: ${broken.length} consumer${broken.length === 1 ? '' : 's'} differ${broken.length === 1 ? 's' : ''} from upstream: ${broken.join(', ')}`);
  return lines.join('\n');
}

export function auditJson(report: AuditReport): unknown {
  return {
    design: report.design,
    against: report.against,
    differs: report.differs,
    consumers: report.rows.map((r) => ({ ...r })),
  };
}
