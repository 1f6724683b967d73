/** Runs tests/bpf/data/*.data: each program assembled, verified against the upstream pt_regs, run. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/abi/layout.js';
import { ptRegs } from '../../src/abi/structs/index.js';
import { assemble, createMapTable, loadProgram, resolveProgram, runProgram } from '../../src/bpf/index.js';
import { hexBytes, readDataDir } from './data-file.js';

const cases = readDataDir(fileURLToPath(new URL('./data', import.meta.url)));
const PT_REGS = layoutOf(ptRegs);

describe('bpf .data cases', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(40));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const insns = assemble(c.sections.get('asm') ?? '');
    const ctxText = c.sections.get('ctx');
    const ctx = ctxText ? hexBytes(ctxText) : new Uint8Array(PT_REGS.size);
    const maps = createMapTable();
    const error = c.sections.get('error')?.trim();
    const runtimeError = c.sections.get('runtime-error')?.trim();
    if (error !== undefined) {
      expect(() => loadProgram(insns, { maps, ctxLayout: PT_REGS })).toThrow(error);
      return;
    }
    if (runtimeError !== undefined) {
      expect(() => runProgram(resolveProgram(insns, maps), { ctx })).toThrow(runtimeError);
      return;
    }
    const prog = loadProgram(insns, { maps, ctxLayout: PT_REGS });
    const expected = BigInt((c.sections.get('result') ?? '').trim());
    expect(runProgram(prog, { ctx }).r0.toString(16)).toBe(BigInt.asUintN(64, expected).toString(16));
  });
});
