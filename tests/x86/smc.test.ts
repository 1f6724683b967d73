/**
 * Self-modifying code against the host CPU: an instruction is executed (and
 * cached), then patched through a data write, then executed again — the
 * second run must see the new bytes, on the host and in the model (the
 * decode cache drops decodes of a written frame).
 */
import { describe, expect, it } from 'vitest';
import { compareResults } from './host/cases.js';
import { assemble } from './host/gas.js';
import { SKIP_HOST_ORACLE, runNative, type NativeCase } from './host/native.js';
import { runModel } from './model.js';

const PATCH_IMM = `
  xor %ecx, %ecx
2: mov $3, %al
  inc %ecx
  cmp $2, %ecx
  je 3f
  movb $7, 2b+1(%rip)
  jmp 2b
3: nop
`;

/** Patches the next instruction's opcode after it ran once: add → sub. */
const PATCH_OPCODE = `
  xor %ecx, %ecx
  mov $10, %ebx
2: add $5, %ebx
  inc %ecx
  cmp $2, %ecx
  je 3f
  movb $0xeb, 2b+1(%rip)
  jmp 2b
3: nop
`;

describe.skipIf(SKIP_HOST_ORACLE)('self-modifying code vs the host CPU', () => {
  const codes = assemble([PATCH_IMM, PATCH_OPCODE]);
  const cases: NativeCase[] = codes.map((code) => ({ code, unchecked: true }));
  const native = runNative(cases);
  it('a patched immediate takes effect on the next execution', () => {
    expect(native[0]!.regs.rax & 0xffn).toBe(7n);
    expect(compareResults(native[0]!, runModel(cases[0]!))).toEqual([]);
  });
  it('a patched ModRM byte (add %ebx → sub %ebx) takes effect', () => {
    expect(native[1]!.regs.rbx).toBe(10n + 5n - 5n);
    expect(compareResults(native[1]!, runModel(cases[1]!))).toEqual([]);
  });
});
