/**
 * STYLE.md §2.3: every row of the opcode table has semantics (a row the
 * decoder accepts but nothing executes would silently be #UD).
 */
import { describe, expect, it } from 'vitest';
import { buildHandlers, unboundRows } from '../../src/cpu/ops/dispatch.js';
import { opUd } from '../../src/cpu/ops/system.js';
import { OPTABLE } from '../../src/cpu/optable.js';

describe('opcode table completeness', () => {
  it('binds a handler to every row', () => {
    expect(unboundRows()).toEqual([]);
  });
  it('has one handler slot per row, #UD only where the row is ud2', () => {
    const handlers = buildHandlers(opUd);
    expect(handlers).toHaveLength(OPTABLE.length);
    const ud = OPTABLE.filter((_r, i) => handlers[i] === opUd).map((r) => r.name);
    expect(ud).toEqual(['ud2']);
  });
});
