/**
 * `kentry audit`: every ABI consumer of pt_regs kentry models, run under a
 * design and under `upstream`, the values each produced compared
 * (DESIGN.md §4 invariant 6, issue 6 item 7). A row says "differs" only
 * when a value the consumer produced differs from upstream's; the
 * explanation beside it ("r15 reads pkrs") names the member of the
 * design's struct pt_regs at the offset the consumer used.
 */
import type { RecordLayout } from '../../abi/layout.js';
import { layoutOf } from '../../abi/layout.js';
import { userRegsStruct } from '../../abi/structs/user-regs.js';
import { field } from '../../abi/view.js';
import type { Design } from '../../design/build.js';
import { builtinDesign } from '../../design/registry.js';
import { designOffsets, perfRegsReach, upstreamOffsets, type PtRegsOffsetTable } from '../arch/x86/perf-regs.js';
import { FRAME } from '../arch/x86/signal-frame.js';
import { PARM_FIELDS, UPSTREAM_PARM_OFFSETS, runBpfWorkload, type BpfKind, type BpfRun } from './bpf.js';
import { runPerfWorkload, type PerfRun } from './perf.js';
import { runPtraceWorkload, type PtraceRun } from './ptrace.js';
import { EDITED_RBX, STORED, USER_REGS_NAMES, runProcessWorkload, type ProcessRun } from './signal-core.js';
import { hex, type AuditReport, type AuditRow } from './types.js';
import { runUnwindWorkload, type UnwoundRegs } from './unwind.js';

export type { AuditReport, AuditRow } from './types.js';

const USER_REGS = layoutOf(userRegsStruct);

/** The leaf of `layout` holding byte `offset` (its dotted path), or null. */
function memberAt(layout: RecordLayout, offset: number): string | null {
  return layout.flat.find((f) => offset >= f.offset && offset < f.offset + f.size)?.path ?? null;
}

function row(r: Omit<AuditRow, 'status'> & { compared: boolean }): AuditRow {
  const { compared, ...rest } = r;
  return { ...rest, status: !compared ? 'not modelled' : r.differences.length > 0 ? 'differs' : 'same' };
}

/** Byte ranges where two buffers differ, named by the frame leaf they fall in. */
function frameDifferences(mine: Uint8Array, up: Uint8Array, layout: RecordLayout | null, label: string): string[] {
  const out: string[] = [];
  if (mine.length !== up.length) out.push(`${label} is ${mine.length} bytes, upstream's ${up.length}`);
  const seen = new Set<string>();
  for (let i = 0; i < Math.min(mine.length, up.length); i++) {
    if (mine[i] === up[i]) continue;
    const where = (layout && memberAt(layout, i)) ?? `${label}+${i.toString(16)}`;
    if (!seen.has(where)) {
      seen.add(where);
      out.push(`${where} differs`);
    }
  }
  return out;
}

function signalRows(mine: ProcessRun, up: ProcessRun): AuditRow[] {
  const ran = mine.frame.length > 0 && up.frame.length > 0;
  const frame = row({
    id: 'signal-frame', consumer: 'signal frame (rt_sigframe, sigcontext, XSAVE area)', reach: 'named field', compared: ran,
    differences: ran ? [...frameDifferences(mine.frame, up.frame, FRAME, 'rt_sigframe'), ...frameDifferences(mine.fpstate, up.fpstate, null, 'fpstate')] : [],
    note: ran
      ? `SIGUSR1 to a handler: the ${FRAME.size}-byte frame and ${up.fpstate.length}-byte XSAVE area compared byte for byte`
      : `no signal frame was written (${mine.ending})`,
  });
  const sr = mine.afterSigreturn.length > 0 && up.afterSigreturn.length > 0;
  const differences = sr ? STORED.flatMap((r, i) => {
    const a = mine.afterSigreturn[i]!;
    const b = up.afterSigreturn[i]!;
    return a === b ? [] : [`${r} ${hex(a)} (upstream ${hex(b)})`];
  }) : [];
  const rbxIdx = STORED.indexOf('rbx');
  const edited = mine.afterSigreturn[rbxIdx] === EDITED_RBX;
  const sigreturn = row({
    id: 'sigreturn', consumer: 'rt_sigreturn (restore_sigcontext, handler edits uc_mcontext.bx)', reach: 'named field', compared: sr,
    differences,
    note: sr ? `the 16 GPRs after sigreturn compared; the handler's rbx edit ${edited ? 'came back' : 'was lost'}` : `no sigreturn happened (${mine.ending})`,
  });
  return [frame, sigreturn];
}

function regsetRow(design: Design, mine: ProcessRun, up: ProcessRun): AuditRow {
  const ran = mine.prReg.length > 0 && up.prReg.length > 0;
  const differences: string[] = [];
  if (ran) {
    USER_REGS_NAMES.forEach((name, i) => {
      const a = mine.prReg[i]!;
      const b = up.prReg[i]!;
      if (a === b) return;
      // getreg(offset) → pt_regs_access(regs, offset): the design's member at user_regs_struct's offset.
      const off = field(USER_REGS, name).offset;
      const reads = off < design.ptRegs.size ? memberAt(design.ptRegs, off) : null;
      differences.push(`${name} ${reads && reads !== name ? `reads ${reads} ` : ''}${hex(a)} (upstream ${hex(b)})`);
    });
    mine.notes.forEach((n, i) => {
      const u = up.notes[i];
      if (n.type === 1) return; // NT_PRSTATUS: compared word by word above
      if (!u || u.type !== n.type || u.data.length !== n.data.length || u.data.some((x, j) => x !== n.data[j])) {
        differences.push(`core note type 0x${n.type.toString(16)} differs`);
      }
    });
    if (mine.notes.length !== up.notes.length) differences.push(`${mine.notes.length} core notes, upstream ${up.notes.length}`);
  }
  return row({
    id: 'regset-core', consumer: 'regset / core dump NT_PRSTATUS (genregs_get → getreg)', reach: 'offset index', compared: ran,
    differences,
    note: ran
      ? 'SIGSEGV core dump: pr_reg\'s 27 user_regs_struct words and the other notes compared'
      : `no core was dumped (${mine.ending})`,
  });
}

function ptraceRow(design: Design, mine: PtraceRun, up: PtraceRun): AuditRow {
  const ran = mine.finished && up.finished;
  const differences: string[] = [];
  const words = (label: string, a: readonly bigint[], b: readonly bigint[]): void => {
    USER_REGS_NAMES.forEach((name, i) => {
      if (a[i] === b[i]) return;
      const off = field(USER_REGS, name).offset;
      const reads = off < design.ptRegs.size ? memberAt(design.ptRegs, off) : null;
      differences.push(`${label} ${name} ${reads && reads !== name ? `reads ${reads} ` : ''}${hex(a[i]!)} (upstream ${hex(b[i]!)})`);
    });
  };
  if (ran) {
    words('GETREGS', mine.regs, up.regs);
    if (mine.peekIp !== up.peekIp) differences.push(`PEEKUSER ip ${hex(mine.peekIp)} (upstream ${hex(up.peekIp)})`);
    for (const [req, v] of Object.entries(mine.rc)) {
      const u = up.rc[req as keyof PtraceRun['rc']];
      if (v !== u) differences.push(`${req.toUpperCase()} returned ${v} (upstream ${u})`);
    }
    words('GETREGS after the edits:', mine.regsAfter, up.regsAfter);
    const edits = (status: number): string => {
      const code = (status >> 8) & 0xff;
      return `rbx edit ${(code & 1) !== 0 ? 'arrived' : 'lost'}, r12 poke ${(code & 2) !== 0 ? 'arrived' : 'lost'}`;
    };
    if (mine.exitStatus !== up.exitStatus) differences.push(`the child saw: ${edits(mine.exitStatus)} (upstream: ${edits(up.exitStatus)})`);
    if (mine.stopStatus !== up.stopStatus) differences.push(`wait status at the stop ${hex(BigInt(mine.stopStatus))} (upstream ${hex(BigInt(up.stopStatus))})`);
  }
  return row({
    id: 'ptrace', consumer: 'ptrace (GETREGS/SETREGS/PEEKUSER/POKEUSER via getreg/putreg)', reach: 'offset index', compared: ran,
    differences,
    note: ran
      ? 'a tracer and its SIGSTOPped child: GETREGS, PEEKUSER(ip), SETREGS (rbx edited), POKEUSER(r12), GETREGS again, CONT; every word, return value and what the child saw compared'
      : 'the tracer did not finish',
  });
}

function perfRow(design: Design, kind: 'upstream' | 'design', mine: PerfRun, up: PerfRun): AuditRow {
  const table: PtRegsOffsetTable = kind === 'upstream' ? upstreamOffsets : designOffsets(design);
  const ran = mine.distinct.length > 0 && up.distinct.length > 0;
  const differences: string[] = [];
  if (ran) {
    const reach = new Map(perfRegsReach(table, design.ptRegs).map((r) => [r.reg as string, r]));
    const a = mine.distinct[0]!;
    const b = up.distinct[0]!;
    for (const [name, v] of Object.entries(a)) {
      const u = b[name];
      if (u === v) continue;
      const r = reach.get(name);
      const reads = r && r.reads !== r.meant ? `reads ${r.reads ?? 'nothing (0)'} ` : '';
      differences.push(`${name} ${reads}${hex(v)} (upstream ${u === undefined ? 'none' : hex(u)})`);
    }
    if (mine.distinct.length !== up.distinct.length) differences.push(`${mine.distinct.length} distinct samples, upstream ${up.distinct.length}`);
    if (mine.warnings.length > 0) differences.push(...mine.warnings);
  }
  return row({
    id: kind === 'upstream' ? 'perf-fixed' : 'perf-rebuilt',
    consumer: kind === 'upstream'
      ? 'perf PERF_SAMPLE_REGS_INTR (pt_regs_offset[] compiled for upstream)'
      : 'perf PERF_SAMPLE_REGS_INTR (pt_regs_offset[] rebuilt for the design)',
    reach: kind === 'upstream' ? 'fixed compiled offset' : 'relocated offset', compared: ran, differences,
    note: ran ? `${mine.samples} timer-tick samples of a user loop with known GPRs (upstream ${up.samples}); each register compared` : 'no sample was taken',
  });
}

function bpfRow(design: Design, kind: BpfKind, mine: BpfRun, up: BpfRun): AuditRow {
  const a = mine.params[kind];
  const b = up.params[kind];
  const differences: string[] = [];
  if (a && b) {
    a.forEach((v, i) => {
      if (v === b[i]) return;
      const meant = PARM_FIELDS[i]!;
      const off = kind === 'fixed' ? UPSTREAM_PARM_OFFSETS[i]! : field(design.ptRegs, meant).offset;
      const reads = memberAt(design.ptRegs, off);
      differences.push(`PARM${i + 1} (${meant}) ${reads && reads !== meant ? `reads ${reads} ` : ''}${hex(v)} (upstream ${hex(b[i]!)})`);
    });
  }
  return row({
    id: `bpf-${kind}`,
    consumer: kind === 'fixed'
      ? 'BPF kprobe program, PT_REGS_PARM1..5 at upstream offsets'
      : 'BPF kprobe program, PT_REGS_PARM1..5 relocated at load (CO-RE)',
    reach: kind === 'fixed' ? 'fixed compiled offset' : 'relocated offset', compared: a !== null && b !== null, differences,
    note: a && b ? `kprobe at entry_SYSCALL_64_after_hwframe, ctx = the #BP pt_regs; the five values stored compared` : 'the probe was not hit',
  });
}

function unwindRow(mine: UnwoundRegs | null, up: UnwoundRegs | null): AuditRow {
  const differences: string[] = [];
  if (mine && up) {
    if (mine.length !== up.length) differences.push(`${mine.length} pt_regs frames, upstream ${up.length}`);
    mine.forEach((frame, i) => {
      for (const [k, v] of Object.entries(frame)) {
        const u = up[i]?.[k];
        if (u !== v) differences.push(`frame ${i} ${k} ${v} (upstream ${u ?? 'none'})`);
      }
    });
  }
  return row({
    id: 'unwinder', consumer: 'unwinder / oops (pt_regs frames of a stack trace)', reach: 'named field', compared: mine !== null && up !== null,
    differences,
    note: mine && up
      ? 'unwound from inside a system call: each pt_regs frame\'s entry, ip, cs, ss, CPL, sp, bp, flags, orig_ax compared (frame addresses and the saved-PKRS finding are design-specific)'
      : 'the system call never ran',
  });
}

/** Runs every modelled consumer under `design` and under upstream and compares what each produced. */
export function runAudit(design: Design): AuditReport {
  const upstream = builtinDesign('upstream');
  const proc = [runProcessWorkload(design), runProcessWorkload(upstream)] as const;
  const perfFixed = [runPerfWorkload(design, 'upstream'), runPerfWorkload(upstream, 'upstream')] as const;
  const perfOwn = [runPerfWorkload(design, 'design'), runPerfWorkload(upstream, 'design')] as const;
  const bpf = [runBpfWorkload(design), runBpfWorkload(upstream)] as const;
  const unwind = [runUnwindWorkload(design), runUnwindWorkload(upstream)] as const;
  const traced = [runPtraceWorkload(design), runPtraceWorkload(upstream)] as const;
  const rows: AuditRow[] = [
    ...signalRows(proc[0], proc[1]),
    regsetRow(design, proc[0], proc[1]),
    ptraceRow(design, traced[0], traced[1]),
    perfRow(design, 'upstream', perfFixed[0], perfFixed[1]),
    perfRow(design, 'design', perfOwn[0], perfOwn[1]),
    bpfRow(design, 'fixed', bpf[0], bpf[1]),
    bpfRow(design, 'relocated', bpf[0], bpf[1]),
    unwindRow(unwind[0], unwind[1]),
  ];
  return { design: design.name, against: 'upstream', rows, differs: rows.some((r) => r.status === 'differs') };
}
