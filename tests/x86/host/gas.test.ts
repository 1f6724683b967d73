/** The GNU as helper: many snippets per `as` run, each assembled as if at a page start. */
import { describe, expect, it } from 'vitest';
import { asm, assemble } from './gas.js';
import { SKIP_HOST_ORACLE } from './native.js';

describe.skipIf(SKIP_HOST_ORACLE)('gas helper', () => {
  it('assembles a batch, each snippet on its own', () => {
    const [a, b, c, d] = assemble(['add %rbx,%rax', 'nop\n.p2align 3\nint3', 'jz 1f\nnop\n1:', '.intel_syntax noprefix\nmov eax, 1']);
    expect([...a!]).toEqual([0x48, 0x01, 0xd8]);
    expect(b![0]).toBe(0x90);
    expect(b!.length).toBe(9); // .p2align pads relative to the snippet start (CODE_BASE is page-aligned)
    expect(b![8]).toBe(0xcc);
    expect([...c!]).toEqual([0x74, 0x01, 0x90]);
    expect([...d!]).toEqual([0xb8, 1, 0, 0, 0]);
    // The next snippet is AT&T again.
    expect([...asm('mov $1, %eax')]).toEqual([0xb8, 1, 0, 0, 0]);
  });

  it('names the snippet an error comes from', () => {
    expect(() => assemble(['nop', 'bogus %rax'])).toThrow(/snippet 1 .*bogus/);
  });

  it('refuses a snippet whose bytes depend on a relocation', () => {
    expect(() => asm('jmp 0x10000010')).toThrow(/relocation/);
  });
});
