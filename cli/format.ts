/**
 * Terminal renderings of layouts and designs. Plain text, aligned columns,
 * no colour codes (output is often piped or pasted into mails).
 */
import { typeName } from '../src/abi/ctype.js';
import type { RecordLayout } from '../src/abi/layout.js';
import type { Design } from '../src/design/build.js';
import { entryStackRows } from '../src/design/entry-stack.js';
import type { StackDiagram } from '../src/kernel/scenario/index.js';

function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

const hex = (n: number) => '0x' + n.toString(16).padStart(2, '0');

export function formatLayout(layout: RecordLayout, designName: string): string {
  const head = `${layout.type.kind} ${layout.name}: ${layout.size} bytes, align ${layout.align} (design ${designName})`;
  const rows = [['offset', 'hex', 'size', 'type', 'field']];
  for (const f of layout.flat) rows.push([String(f.offset), hex(f.offset), String(f.size), typeName(f.type), f.path]);
  let out = head + '\n' + table(rows);
  if (layout.aliases.length > 0) {
    const a = [['offset', 'hex', 'size', 'alias', '= member']];
    for (const f of layout.aliases) a.push([String(f.offset), hex(f.offset), String(f.size), f.path, f.target]);
    out += '\n\n  kernel accessor macros:\n' + table(a);
  }
  return out;
}

export function formatDesigns(designs: readonly Design[]): string {
  const rows = [['design', 'PKRS saved in', 'generic state in', 'below pt_regs', '#PF reaches PKRS by']];
  for (const d of designs) {
    rows.push([
      d.name,
      d.slots.pkrs?.ref ?? '(not saved)',
      d.slots.exitRcu.root === 'extension'
        ? 'extension'
        : `irqentry_state_t by ${d.spec.irqentryState?.passing ?? 'value'}`,
      d.extension ? `${d.extension.belowPtRegs} bytes` : '-',
      d.pkrsReach,
    ]);
  }
  const notes = designs.map((d) => `  ${d.name}: ${d.spec.title}`).join('\n');
  return table(rows) + '\n\n' + notes;
}

/** One entry's stack under a design, high addresses first (DESIGN.md §2). */
export function formatEntryStack(d: Design): string {
  const lines = [`${d.name} — ${d.spec.title}`];
  const owner = {
    cpu: 'pushed by the CPU',
    'error-code': 'error code slot: -1, error code or syscall nr',
    stub: 'pushed by the entry stub',
    extension: `reserved below pt_regs (subq $${d.extension?.belowPtRegs ?? 0}, %rsp)`,
  };
  const rows: string[][] = [];
  let lastOwner = '';
  for (const r of entryStackRows(d)) {
    const at = (n: number) => (n < 0 ? `-${-n}` : `+${n}`);
    const where = r.size > 8 ? `regs${at(r.offset)}..${at(r.offset + r.size - 1)}` : `regs${at(r.offset)}`;
    const label = r.owner === lastOwner ? '' : owner[r.owner];
    lastOwner = r.owner;
    rows.push([where, r.members.join(' '), label + (r.offset === 0 ? '  <- struct pt_regs *regs' : '')]);
  }
  lines.push(table(rows));
  if (d.extension) {
    lines.push(`  container_of(regs, struct ${d.extension.layout.name}, ${d.extension.regsMember}) = regs - ${d.extension.belowPtRegs}`);
  }
  const s = d.irqentryState;
  if (s) {
    const how = d.spec.irqentryState?.passing === 'reference' ? 'its address passed to irqentry_enter/exit' : 'returned and passed by value';
    const bytes = s.size === 1 ? '1 byte' : `${s.size} bytes`;
    lines.push(`  ... C frame of the handler: irqentry_state_t (${bytes}; ${how}) at an offset the compiler picks`);
  } else {
    lines.push('  ... C frame of the handler (no irqentry_state_t: the generic state is in the extension)');
  }
  lines.push(
    d.slots.pkrs
      ? `  PKRS of the interrupted context: saved in ${d.slots.pkrs.ref}; #PF reaches it: ${d.pkrsReach}`
      : '  PKRS of the interrupted context: not saved (handlers run with, and leak into, its key rights)',
  );
  return lines.join('\n');
}

const word = (v: bigint | null): string => (v === null ? '(unreadable)      ' : '0x' + v.toString(16).padStart(16, '0'));
const addr = (a: number): string => '0x' + BigInt.asUintN(64, BigInt(a)).toString(16);

/**
 * The labelled stack diagram of the demo's deepest point: per stack, per
 * level (outermost first, so highest addresses first), one line per 8-byte
 * word — address, value, part (shown where it changes), member, note —
 * with one set of column widths for the whole diagram, so stacks and
 * levels line up.
 */
export function formatStackDiagram(diagram: StackDiagram): string {
  const lines: (string | readonly string[])[] = [];
  for (const s of diagram.stacks) {
    lines.push(`  ${s.name} ${addr(s.bottom)}..${addr(s.top - 1)}:`);
    for (const l of s.levels) {
      const lo = Math.min(...l.words.map((w) => w.address));
      const hi = Math.max(...l.words.map((w) => w.address)) + 7;
      const entry = l.vector === null ? l.kind : `${l.kind} 0x${l.vector.toString(16)}`;
      lines.push(`    level ${l.level}: ${entry} -> ${l.cFunction}, ${addr(lo)}..${addr(hi)} (${hi - lo + 1} bytes)`);
      let lastPart = '';
      for (const w of l.words) {
        lines.push([addr(w.address), word(w.value), w.part === lastPart ? '' : w.part, w.label, w.note]);
        lastPart = w.part;
      }
    }
  }
  const widths: number[] = [];
  for (const r of lines) if (typeof r !== 'string') r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return lines
    .map((r) => (typeof r === 'string' ? r : '      ' + r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()))
    .join('\n');
}
