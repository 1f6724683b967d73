import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/abi/layout.js';
import { ptRegs } from '../../src/abi/structs/index.js';
import { assemble, createMapTable, loadProgram, runProgram } from '../../src/bpf/index.js';

describe('smoke', () => {
  it('runs', () => {
    const maps = createMapTable();
    const p = loadProgram(assemble('mov r0, 1\nadd r0, 2\nexit'), { maps, ctxLayout: layoutOf(ptRegs) });
    expect(runProgram(p, { ctx: new Uint8Array(168) }).r0).toBe(3n);
  });
});
