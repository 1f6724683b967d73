/**
 * The audit's two kprobe programs (M5 item 4) under every built-in design,
 * with a context built from each design's own struct pt_regs: the fixed-offset
 * program reads the right registers only where pt_regs kept the upstream
 * layout; the relocated one reads them everywhere.
 */
import { describe, expect, it } from 'vitest';
import type { RecordLayout } from '../../src/abi/layout.js';
import { StructView } from '../../src/abi/view.js';
import { BUILTIN_DESIGNS, builtinDesign } from '../../src/design/registry.js';
import {
  PARAMS_MAP_DEF, PARM_FIELDS, UPSTREAM_PARM_OFFSETS, createMapTable, fixedParamsProgram, loadProgram,
  relocatedParamsProgram, runProgram, type ReferenceProgram,
} from '../../src/bpf/index.js';

const REGS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];
/** A value per register that names it: 0x1000 + index. */
const marker = (name: string): bigint => 0x1000n + BigInt(REGS.indexOf(name));

function ctxFor(layout: RecordLayout): Uint8Array {
  const v = StructView.zeroed(layout);
  for (const r of REGS) v.set(r, marker(r));
  return v.bytes();
}

/** Which registers a program saw as PARM1..5 under `layout`. */
function seen(make: (fd: number) => ReferenceProgram, layout: RecordLayout): string[] {
  const maps = createMapTable();
  const fd = maps.create(PARAMS_MAP_DEF, 'params');
  const prog = make(fd);
  const loaded = loadProgram(prog.insns, { maps, ctxLayout: layout, ctxRelocs: prog.relocs });
  expect(runProgram(loaded, { ctx: ctxFor(layout) }).r0).toBe(0n);
  const map = maps.get(fd)!;
  return [0, 1, 2, 3, 4].map((k) => {
    const value = new DataView(map.lookup(Uint8Array.of(k, 0, 0, 0))!.bytes.buffer).getBigUint64(0, true);
    return REGS.find((r) => marker(r) === value) ?? `0x${value.toString(16)}`;
  });
}

describe('reference kprobe programs', () => {
  it('the fixed offsets are the upstream ones of reference §6', () => {
    const upstream = builtinDesign('upstream').ptRegs;
    expect(PARM_FIELDS.map((f) => upstream.members.find((m) => m.name === f)!.offset)).toEqual([...UPSTREAM_PARM_OFFSETS]);
  });

  it.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('relocated program reads di si dx cx r8 under %s', (_n, d) => {
    expect(seen(relocatedParamsProgram, d.ptRegs)).toEqual(['di', 'si', 'dx', 'cx', 'r8']);
  });

  it.each(['upstream', 'state-ref', 'extended', 'aux'])('fixed program reads di si dx cx r8 under %s', (name) => {
    expect(seen(fixedParamsProgram, builtinDesign(name).ptRegs)).toEqual(['di', 'si', 'dx', 'cx', 'r8']);
  });

  it('under pks-in-pt_regs the fixed program reads the registers one slot below (pkrs shifted all by 8)', () => {
    expect(seen(fixedParamsProgram, builtinDesign('pks-in-pt_regs').ptRegs)).toEqual(['si', 'dx', 'cx', 'ax', 'r9']);
  });

  it('the relocation patched the offsets from the layout', () => {
    const pks = builtinDesign('pks-in-pt_regs').ptRegs;
    const prog = relocatedParamsProgram(3);
    const maps = createMapTable();
    maps.create(PARAMS_MAP_DEF);
    const loaded = loadProgram(prog.insns, { maps, ctxLayout: pks, ctxRelocs: prog.relocs });
    expect(prog.relocs.map((r) => loaded.insns[r.insn]!.off)).toEqual([120, 112, 104, 96, 80]);
  });

  it('a relocation naming a missing field or the wrong access size is a load error', () => {
    const up = builtinDesign('upstream').ptRegs;
    const maps = createMapTable();
    maps.create(PARAMS_MAP_DEF);
    const prog = relocatedParamsProgram(3);
    expect(() => loadProgram(prog.insns, { maps, ctxLayout: up, ctxRelocs: [{ insn: 1, field: 'pkrs' }] })).toThrow(
      "insn #1: struct pt_regs has no field 'pkrs' at PC 1",
    );
    expect(() => loadProgram(prog.insns, { maps, ctxLayout: up, ctxRelocs: [{ insn: 0, field: 'di' }] })).toThrow(
      'insn #0: a field offset relocation needs LDX/ST/STX or ALU64 ADD imm at PC 0',
    );
  });
});
