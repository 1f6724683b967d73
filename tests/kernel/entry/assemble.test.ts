/**
 * The generated entry text assembles for every built-in design and both
 * GS-base strategies, exports the labels the boot code needs, and its
 * pushes follow the design's pt_regs layout (STYLE.md §2.3).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/asm/index.js';
import { BUILTIN_DESIGNS, builtinDesign } from '../../../src/design/registry.js';
import {
  ENTRY_INTERNAL_LABELS, ENTRY_SYSCALL_LABEL, EXCEPTIONS, entryIdt, generateEntryText, ptRegsFrame,
} from '../../../src/kernel/arch/x86/entry/index.js';
import { dummySymbols } from './fixture.js';

const ORIGIN = 0xffffffff81000000n;

describe('entry text assembles for each design', () => {
  for (const design of BUILTIN_DESIGNS) {
    for (const fsgsbase of [false, true]) {
      it(`${design.name}${fsgsbase ? ' (FSGSBASE)' : ''}`, () => {
        const sym = dummySymbols(fsgsbase);
        const r = assemble(generateEntryText(design, sym), { origin: ORIGIN });
        const labels = [ENTRY_SYSCALL_LABEL, ...ENTRY_INTERNAL_LABELS, ...entryIdt(sym).map((g) => g.label)];
        for (const l of labels) {
          expect(r.symbols.has(l), l).toBe(true);
          expect(r.globals.has(l), l).toBe(true);
        }
        expect(r.bytes.length).toBeLessThan(0x4000);
      });
    }
  }
});

describe('generated from the layout, not hard-coded', () => {
  it('IDT: every handled exception once, IST fields and system-gate DPLs as idt.c', () => {
    const idt = entryIdt(dummySymbols(false));
    expect(idt.map((g) => g.vector)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19, 0xec]);
    const ist = Object.fromEntries(idt.filter((g) => g.ist).map((g) => [g.vector, g.ist]));
    expect(ist).toEqual({ 1: 3, 2: 2, 8: 1, 18: 4 });
    expect(idt.filter((g) => g.dpl === 3).map((g) => g.vector)).toEqual([3, 4]);
    expect(EXCEPTIONS.filter((x) => x.errorCode).map((x) => x.vector)).toEqual([8, 10, 11, 12, 13, 14, 17]);
  });

  it('pks-in-pt_regs pushes its leading member last, as a 0 placeholder; POP_REGS skips it first', () => {
    const f = ptRegsFrame(builtinDesign('pks-in-pt_regs'));
    expect(f.pushed.map((s) => s.name)).toEqual(
      ['di', 'si', 'dx', 'cx', 'ax', 'r8', 'r9', 'r10', 'r11', 'bx', 'bp', 'r12', 'r13', 'r14', 'r15', 'pkrs']);
    expect(f.size).toBe(176);
    const text = generateEntryText(builtinDesign('pks-in-pt_regs'), dummySymbols(false));
    expect(text).toMatch(/pushq %r15 .*\n\s+pushq \$0 .*placeholder/);
    expect(text).toMatch(/\.set RIP, 136/);
  });

  it('the extension reservation appears only in designs with one, with the design\'s size', () => {
    const sizes = Object.fromEntries(BUILTIN_DESIGNS.map((d) => [d.name, ptRegsFrame(d).auxSize]));
    expect(sizes).toEqual({ upstream: 0, 'state-ref': 0, extended: 16, aux: 8, 'pks-in-pt_regs': 0 });
    for (const d of BUILTIN_DESIGNS) {
      const text = generateEntryText(d, dummySymbols(false));
      expect(text.includes('subq $PTREGS_AUX_SIZE'), d.name).toBe(sizes[d.name]! > 0);
      expect(text).toContain(`.set PTREGS_AUX_SIZE, ${sizes[d.name]}`);
    }
  });
});
