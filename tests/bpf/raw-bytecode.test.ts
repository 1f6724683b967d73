/** Raw bytecode loading, encoding, the assembler and interpreter guards — none of it needs clang. */
import { describe, expect, it } from 'vitest';
import {
  BpfLoadError, BpfRuntimeError, BpfVerifyError, assemble, createMapTable, decodeInsns, encodeInsns, fixedParamsProgram,
  insn, ldImm64, loadRawProgram, resolveProgram, runProgram, PARAMS_MAP_DEF,
} from '../../src/bpf/index.js';
import { KentryError } from '../../src/lib/errors.js';
import { UPSTREAM_PT_REGS } from './verify-helpers.js';

describe('raw bytecode', () => {
  it('8-byte slots: opcode, dst (low nibble), src (high nibble), s16 off, s32 imm, little-endian', () => {
    const bytes = encodeInsns([insn(0x61, 2, 1, -4, 0), insn(0xb7, 0, 0, 0, -1), insn(0x95)]);
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0x61, 0x12, 0xfc, 0xff, 0, 0, 0, 0, 0xb7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeInsns(bytes)).toEqual([insn(0x61, 2, 1, -4, 0), insn(0xb7, 0, 0, 0, -1), insn(0x95)]);
  });
  it('LD_IMM64 spans two slots, the high half in the second imm', () => {
    const [a, b] = ldImm64(3, 0x1122334455667788n);
    expect([a.opcode, a.dst, a.imm, b.opcode, b.imm]).toEqual([0x18, 3, 0x55667788, 0, 0x11223344]);
  });
  it('loads and runs from bytes', () => {
    const maps = createMapTable();
    const prog = loadRawProgram(encodeInsns(assemble('ldxdw r0, [r1+104]\nadd r0, 1\nexit')), { maps, ctxLayout: UPSTREAM_PT_REGS });
    const ctx = new Uint8Array(168);
    ctx[104] = 41;
    expect(runProgram(prog, { ctx }).r0).toBe(42n);
  });
  it('the fixed reference program round-trips through bytes and verifies', () => {
    const maps = createMapTable();
    const fd = maps.create(PARAMS_MAP_DEF);
    const bytes = encodeInsns(fixedParamsProgram(fd).insns);
    expect(() => loadRawProgram(bytes, { maps, ctxLayout: UPSTREAM_PT_REGS })).not.toThrow();
  });
  it('a length that is not a multiple of 8 is a load error', () => {
    expect(() => loadRawProgram(new Uint8Array(12), { maps: createMapTable(), ctxLayout: UPSTREAM_PT_REGS })).toThrow(
      new BpfLoadError('program size 12 is not a multiple of 8', null),
    );
  });
  it('an LD_IMM64 in the last slot is refused', () => {
    expect(() => loadRawProgram(Uint8Array.of(0x18, 0, 0, 0, 1, 0, 0, 0), { maps: createMapTable(), ctxLayout: UPSTREAM_PT_REGS })).toThrow(
      'invalid bpf_ld_imm64 insn at PC 0',
    );
  });
});

describe('assembler', () => {
  it('accepts ubpf register spelling and labels', () => {
    expect(assemble('mov %r0, 1\nja end\nend: exit')).toEqual([insn(0xb7, 0, 0, 0, 1), insn(0x05, 0, 0, 0), insn(0x95)]);
  });
  it('ja32 puts the offset in imm', () => {
    expect(assemble('ja32 +3')[0]).toEqual(insn(0x06, 0, 0, 0, 3));
  });
  it('names the line of a syntax error', () => {
    expect(() => assemble('mov r0, 1\nfoo r1')).toThrow('asm line 2: unknown instruction');
    expect(() => assemble('ldxdw r0, r1')).toThrow('asm line 1: expected [rN+off]');
  });
});

describe('interpreter guards for unverified programs', () => {
  const run = (asm: string, maxSteps?: number): unknown =>
    runProgram(resolveProgram(assemble(asm), createMapTable()), { ctx: new Uint8Array(168), ...(maxSteps ? { maxSteps } : {}) });
  it('a loop runs out of its step budget, with the PC', () => {
    expect(() => run('mov r0, 0\nl: ja l', 100)).toThrow(new BpfRuntimeError('step budget of 100 instructions spent', 1));
  });
  it('an unknown helper id', () => {
    expect(() => run('call 1000\nexit')).toThrow('call to unknown function 1000 at PC 0');
  });
  it('a map pointer is not memory', () => {
    const maps = createMapTable();
    const fd = maps.create(PARAMS_MAP_DEF);
    const p = resolveProgram(assemble(`lddw r1, map:${fd}\nldxdw r0, [r1+0]\nexit`), maps);
    expect(() => runProgram(p, { ctx: new Uint8Array(168) })).toThrow(/^invalid memory access addr=0x[0-9a-f]+ size=8 at PC 2$/);
  });
});

describe('error conventions (STYLE.md §2.4)', () => {
  it.each([
    ['BpfLoadError', new BpfLoadError('x', null), 'bpf-load'],
    ['BpfVerifyError', new BpfVerifyError('x', 3), 'bpf-verify'],
    ['BpfRuntimeError', new BpfRuntimeError('x', 4), 'bpf-runtime'],
  ] as const)('%s is a KentryError with a literal code', (_n, e, code) => {
    expect(e).toBeInstanceOf(KentryError);
    expect(e.code).toBe(code);
  });
  it('verify and runtime errors end in "at PC n"', () => {
    expect(new BpfVerifyError('R0 !read_ok', 7).message).toBe('R0 !read_ok at PC 7');
  });
});
