/**
 * `kentry demo`: the built-in PKS scenario run on the modelled kernel, per
 * design (DESIGN.md §6): a user syscall enables PKS key 1 and writes a key-1
 * page, a timer IRQ arrives, its handler touches the page, the #PF with the
 * PK bit runs key 1's fault callback, and an NMI lands inside the #PF
 * handler. Printed: each design's entry stack, the nested levels at the
 * deepest point with where each interrupted PKRS was found, the stacks at
 * that point word by word (read from guest memory), the unwinder's view,
 * the invariants checked on the way out (with why, where a failure has a
 * known cause), and a comparison table across designs. The diagram stays
 * out of --json (hundreds of words per design); each level names its stack.
 */
import type { Design } from '../src/design/build.js';
import { formatUnwind } from '../src/kernel/arch/x86/unwind.js';
import { runPksScenario, type PksScenarioResult, type ScenarioInvariant } from '../src/kernel/scenario/index.js';
import { formatEntryStack, formatStackDiagram } from './format.js';

const hex = (v: number | null): string => (v === null ? '-' : '0x' + BigInt.asUintN(64, BigInt(v)).toString(16));
const hex32 = (v: number | null): string => (v === null ? '-' : '0x' + (v >>> 0).toString(16).padStart(8, '0'));

const INVARIANT_TEXT: Readonly<Record<ScenarioInvariant, string>> = {
  'user-registers-restored': 'the syscall returns to user mode with every register restored (§4.1)',
  'pkrs-restored': 'PKRS on return equals PKRS at interruption, unless pks_update_exception changed the saved copy (§4.2)',
  'handlers-default-pkrs': 'every handler runs with the default PKRS (§4.3)',
  'unwinder-finds-pt-regs': 'the unwinder finds every pt_regs from the stack alone, innermost first; extensions via container_of (§4.4)',
  'entry-state-balanced': 'RCU / context tracking balanced: each exit_rcu entry is exited (§4.5)',
  'stacks-in-bounds': 'every frame inside its stack; the NMI on its IST stack (§4.7)',
};

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

function levelName(l: PksScenarioResult['levels'][number]): string {
  return l.vector === null ? l.kind : `${l.kind} 0x${l.vector.toString(16)}`;
}

export function formatScenario(d: Design, r: PksScenarioResult): string {
  const out = [formatEntryStack(d), ''];
  out.push(`  scenario: syscall → pks_set_readwrite(1) → timer IRQ → key-1 access${r.pkFault ? ' → #PF (PK) → NMI' : ' (no #PF) → NMI'}`);
  out.push(`  pks_update_exception from the fault callback: ${r.updateException ?? 'not called'}`);
  if (r.oops) out.push(`  KERNEL OOPS: ${r.oops}`);
  out.push('', '  at the deepest point (inside exc_nmi), outermost first:');
  const rows = [['level', 'entry', 'C function', 'pt_regs', 'extension', 'saved PKRS', 'found via']];
  r.levels.forEach((l, i) => {
    rows.push([String(i + 1), levelName(l), l.cFunction, hex(l.ptRegs), hex(l.extension), hex32(l.savedPkrs), l.foundVia]);
  });
  out.push(table(rows));
  if (r.stackDiagram) {
    out.push('', '  the stacks at the deepest point, read from guest memory inside exc_nmi: outermost level first, high addresses first:');
    out.push(formatStackDiagram(r.stackDiagram));
  }
  if (r.unwind) {
    out.push('', '  the unwinder from inside exc_nmi (frame pointers and the stack alone), innermost first:');
    out.push(...formatUnwind(r.unwind).trimEnd().split('\n').map((l) => `    ${l}`));
  }
  out.push('', '  invariants (DESIGN.md §4), checked on the way out:');
  for (const [name, res] of Object.entries(r.invariants)) {
    const [first, ...why] = res.detail.split('\n');
    out.push(`    ${res.ok ? 'ok  ' : 'FAIL'}  ${INVARIANT_TEXT[name as ScenarioInvariant] ?? name}${res.ok ? '' : ` — ${first}`}`);
    if (!res.ok) out.push(...why.map((l) => `          ${l}`));
  }
  return out.join('\n');
}

export function formatComparison(results: readonly { design: Design; result: PksScenarioResult }[]): string {
  const rows = [['design', 'levels', '#PF (PK)', 'update_exception', 'IRQ level PKRS found via', 'unwinder finds PKRS', 'invariants', 'stack bytes/level', 'guest insns']];
  for (const { design, result } of results) {
    const irq = result.levels.find((l) => l.kind === 'irq');
    const failed = Object.entries(result.invariants).filter(([, v]) => !v.ok).map(([k]) => k);
    rows.push([
      design.name,
      String(result.levels.length),
      result.pkFault ? 'yes' : 'no',
      result.updateException ?? '-',
      irq ? irq.foundVia : '-',
      unwinderFinds(result),
      failed.length === 0 ? 'all ok' : `FAIL: ${failed.join(', ')}`,
      String(stackBytesPerLevel(design)),
      String(result.instructions),
    ]);
  }
  return table(rows);
}

/** Whether the unwinder found the saved PKRS of every non-syscall pt_regs frame from the stack alone. */
function unwinderFinds(r: PksScenarioResult): string {
  if (!r.unwind) return '-';
  const frames = r.unwind.frames.filter((f) => f.kind === 'pt_regs' && f.entry.kind !== 'syscall');
  if (frames.length === 0) return '-';
  const found = frames.filter((f) => f.kind === 'pt_regs' && f.pkrs.found).length;
  return found === frames.length ? 'yes' : found === 0 ? 'no' : `${found} of ${frames.length}`;
}

/** Bytes one entry puts on the stack before its C handler: pt_regs (hardware frame included) and the extension. */
function stackBytesPerLevel(d: Design): number {
  return d.ptRegs.size + (d.extension?.belowPtRegs ?? 0);
}

export interface DemoJson {
  readonly designs: readonly {
    readonly name: string;
    readonly levels: readonly {
      kind: string; vector: number | null; savedPkrs: number | null; pkrsFoundVia: string;
      ptRegsAddr: string; extensionAddr: string | null;
      /** The stack the level lives on (the human output's diagram lists its words). */
      stack: string | null;
    }[];
    readonly invariants: Readonly<Record<string, boolean>>;
    readonly stackBytesPerLevel: number;
    readonly insnsPerEntry: number;
    readonly pkFault: boolean;
    readonly oops: string | null;
    /** The unwinder's view from inside exc_nmi, one line per frame. */
    readonly unwind: readonly string[];
  }[];
}

export function demoJson(results: readonly { design: Design; result: PksScenarioResult }[]): DemoJson {
  return {
    designs: results.map(({ design, result }) => ({
      name: design.name,
      levels: result.levels.map((l, i) => ({
        kind: l.kind,
        vector: l.vector,
        savedPkrs: l.savedPkrs,
        pkrsFoundVia: l.foundVia,
        ptRegsAddr: hex(l.ptRegs),
        extensionAddr: l.extension === null ? null : hex(l.extension),
        stack: result.stackDiagram?.stacks.find((s) => s.levels.some((x) => x.level === i + 1))?.name ?? null,
      })),
      invariants: Object.fromEntries(Object.entries(result.invariants).map(([k, v]) => [k, v.ok])),
      stackBytesPerLevel: stackBytesPerLevel(design),
      insnsPerEntry: result.entries.length === 0 ? 0 : Math.round(result.instructions / result.entries.length),
      pkFault: result.pkFault,
      oops: result.oops,
      unwind: result.unwind ? formatUnwind(result.unwind).trimEnd().split('\n') : [],
    })),
  };
}

/** Runs the scenario for each design. */
export function runDemo(designs: readonly Design[]): { design: Design; result: PksScenarioResult }[] {
  return designs.map((design) => ({ design, result: runPksScenario(design) }));
}
