/** The CPU's trace hook: events only when a sink is attached, in execution order. */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { CODE_BASE } from './host/native.js';
import { modelMachine } from './model.js';

const origin = Number(CODE_BASE);

describe('trace sink', () => {
  it('reports each retired instruction and the #UD delivery of ud2', () => {
    const code = assemble('mov $1, %eax\nadd %eax, %ebx\nud2\n', { origin }).bytes;
    const { cpu } = modelMachine(code, new Uint8Array(0x4000));
    const events: TraceEvent[] = [];
    cpu.sink = { instructions: true, emit: (e) => events.push(e) };
    cpu.rip = origin;
    cpu.lo[4] = 0x2000_3f00;
    cpu.hostcallStart = -0x7778_0000_0000 + 0x10_0000; // the model's gate handlers
    cpu.hostcallEnd = cpu.hostcallStart + 257;
    const exit = cpu.run(100);
    expect(exit.kind).toBe('hostcall');
    expect(events.map((e) => (e.kind === 'insn' ? e.mnemonic : e.kind === 'delivery' ? `#${e.vector}:${e.cause}` : e.symbol))).toEqual(['mov', 'add', '#6:fault']);
    const ud = events[2];
    expect(ud?.kind === 'delivery' && ud.returnRip === origin + 7 && ud.fromCpl === 3).toBe(true);
  });

  it('emits nothing and takes the fast path without a sink', () => {
    const code = assemble('xor %eax, %eax\n1: inc %eax\ncmp $1000, %eax\njne 1b\nud2\n', { origin }).bytes;
    const { cpu } = modelMachine(code, new Uint8Array(0x4000));
    cpu.rip = origin;
    cpu.hostcallStart = -0x7778_0000_0000 + 0x10_0000;
    cpu.hostcallEnd = cpu.hostcallStart + 257;
    expect(cpu.run(10_000).kind).toBe('hostcall');
    expect(cpu.lo[0]).toBe(1000);
  });
});
