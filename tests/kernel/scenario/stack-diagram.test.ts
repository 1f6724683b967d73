/**
 * The demo's stack diagram against the layout facts: every word where the
 * design's layouts put it (pt_regs members, the extension exactly
 * PTREGS_AUX_SIZE below pt_regs, irqentry_state_t at the compiler's offset),
 * the values the entries really left there (cs/ss selectors, the NMI's
 * saved ip inside exc_page_fault, each saved PKRS), and no byte between the
 * stack top and the deepest frame left out.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { ptRegsFrame } from '../../../src/kernel/arch/x86/entry/index.js';
import { compileCFrames } from '../../../src/kernel/arch/x86/kernel-c.js';
import {
  IST_STACKS, KERNEL_CS, THREAD_SIZE, USER_CS, USER_DS, istStackBottom, istStackTop, taskStackTop,
} from '../../../src/kernel/arch/x86/memory-map.js';
import { NATIVE_SLOT } from '../../../src/kernel/arch/x86/native.js';
import { STATE_HANDLERS, bootKernel } from '../../../src/kernel/boot.js';
import { runPksScenario } from '../../../src/kernel/scenario/pks-demo.js';
import type { StackDiagramLevel, StackWord } from '../../../src/kernel/scenario/stack-diagram.js';

const NMI_IST = IST_STACKS.find((s) => s.name === 'NMI')!.istIndex;

function word(l: StackDiagramLevel, address: number): StackWord {
  const w = l.words.find((x) => x.address === address);
  if (!w) throw new Error(`level ${l.level}: no word at 0x${address.toString(16)}`);
  return w;
}

const u32 = (v: bigint | null): number | null => (v === null ? null : Number(v & 0xffff_ffffn));

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('stack diagram at the deepest point, design %s', (name, design) => {
  const r = runPksScenario(design);
  const diagram = r.stackDiagram!;
  const levels = diagram.stacks.flatMap((s) => s.levels);
  const aux = ptRegsFrame(design).auxSize; // PTREGS_AUX_SIZE, as asm-offsets derives it
  const native = bootKernel(design).platform.native; // same design, same text layout
  const inFn = (v: bigint | null, fn: string): boolean => {
    const a = native.get(fn).address;
    const n = v === null ? NaN : Number(BigInt.asIntN(64, v));
    return n >= a && n < a + NATIVE_SLOT;
  };
  const byLevel = (kind: string): StackDiagramLevel => {
    const l = levels.find((x) => x.kind === kind);
    if (!l) throw new Error(`no ${kind} level`);
    return l;
  };

  it('has one level per running entry, outermost first: the task stack, then the NMI IST stack', () => {
    expect(levels.map((l) => [l.level, l.kind])).toEqual(r.levels.map((l, i) => [i + 1, l.kind]));
    expect(levels.map((l) => l.ptRegs)).toEqual(r.levels.map((l) => l.ptRegs));
    const [task, nmi] = diagram.stacks;
    expect(diagram.stacks).toHaveLength(2);
    expect(task!.top).toBe(taskStackTop(1));
    expect(task!.bottom).toBe(taskStackTop(1) - THREAD_SIZE);
    expect([nmi!.bottom, nmi!.top]).toEqual([istStackBottom(NMI_IST), istStackTop(NMI_IST)]);
    expect(nmi!.levels.map((l) => l.kind)).toEqual(['nmi']);
  });

  it('accounts for every 8-byte word from each stack top down to the deepest frame, high addresses first', () => {
    for (const s of diagram.stacks) {
      const words = s.levels.flatMap((l) => l.words);
      words.forEach((w, i) => expect(w.address).toBe(s.top - 8 * (i + 1)));
      expect(words.every((w) => w.value !== null)).toBe(true);
    }
  });

  it('puts each pt_regs member at regs + its offset in the design layout, hardware frame and orig_ax told apart', () => {
    for (const l of levels) {
      for (const m of design.ptRegs.members) {
        const w = word(l, l.ptRegs + m.offset);
        expect(w.label).toBe(m.name);
        const part = ['ss', 'sp', 'flags', 'cs', 'ip'].includes(m.name) ? 'hardware frame' : m.name === 'orig_ax' ? 'orig_ax' : 'pt_regs';
        expect(w.part).toBe(part);
      }
    }
  });

  it('reads the selectors each entry saved: user cs/ss for the syscall, __KERNEL_CS for the nested entries', () => {
    const cs = design.ptRegs.members.find((m) => m.name === 'cs')!.offset;
    const ss = design.ptRegs.members.find((m) => m.name === 'ss')!.offset;
    for (const l of levels) {
      expect(word(l, l.ptRegs + cs).value).toBe(BigInt(l.kind === 'syscall' ? USER_CS : KERNEL_CS));
      if (l.kind === 'syscall') expect(word(l, l.ptRegs + ss).value).toBe(BigInt(USER_DS));
    }
  });

  it('saves, in the NMI level, an ip inside the handler the NMI interrupted', () => {
    const ip = design.ptRegs.members.find((m) => m.name === 'ip')!.offset;
    const nmi = byLevel('nmi');
    // upstream takes no #PF (the timer handler inherits key 1), so its NMI lands in common_interrupt.
    expect(inFn(word(nmi, nmi.ptRegs + ip).value, name === 'upstream' ? 'common_interrupt' : 'exc_page_fault')).toBe(true);
    expect(word(byLevel('irq'), byLevel('irq').ptRegs + ip).note).toMatch(/interrupted at do_syscall_64\+0x/);
  });

  it('lays the extension exactly PTREGS_AUX_SIZE below pt_regs, then the stub return address and saved rbp', () => {
    expect(aux).toBe(design.extension?.belowPtRegs ?? 0);
    if (name === 'aux') expect(aux).toBe(8);
    if (name === 'extended') expect(aux).toBe(16);
    for (const l of levels) {
      const ext = l.words.filter((w) => w.part === 'extension');
      expect(ext.map((w) => w.address)).toEqual(Array.from({ length: aux / 8 }, (_, i) => l.ptRegs - 8 * (i + 1)));
      const ret = word(l, l.ptRegs - aux - 8);
      expect([ret.part, ret.label]).toEqual(['C frame', 'return address']);
      expect(ret.note).toMatch(/^(entry_SYSCALL_64\S*|asm_common_interrupt|asm_exc_page_fault|nmi_from_kernel)\+0x[0-9a-f]+ \(the stub's call /);
      expect(word(l, l.ptRegs - aux - 16).label).toBe('saved rbp');
    }
  });

  it('finds each saved PKRS where the design keeps it, with the value the levels table reports', () => {
    const slot = design.slots.pkrs;
    for (const [i, l] of levels.entries()) {
      const saved = r.levels[i]!.savedPkrs;
      if (!slot) {
        expect(l.words.some((w) => /PKRS/.test(w.note))).toBe(false);
        continue;
      }
      if (l.kind === 'syscall') continue; // the syscall path saves nothing (only irqentry_enter does)
      const marked = l.words.filter((w) => w.note.includes('saved PKRS of the interrupted context'));
      expect(marked).toHaveLength(1);
      const w = marked[0]!;
      if (slot.root === 'extension') {
        expect(w.part).toBe('extension');
        expect(w.address).toBe(l.ptRegs - aux + (slot.offset & ~7));
        expect(w.label.split('=')[0]).toBe(slot.path); // an 8-byte slot is named alone; a u32 shows `=value pad[4..7]`
      } else if (slot.root === 'pt_regs') {
        // pks-in-pt_regs: the extra member lies inside pt_regs, below every register.
        expect(w.part).toBe('pt_regs');
        expect(w.address).toBe(l.ptRegs + slot.offset);
        expect(w.address - l.ptRegs).toBeLessThan(design.ptRegs.size);
        expect(w.label).toBe('pkrs');
      } else {
        expect(w.part).toBe('irqentry_state_t');
      }
      expect(u32(w.value! >> BigInt(8 * (slot.offset & 7)))).toBe(saved);
    }
  });

  it("places irqentry_state_t in the handler's frame at the compiler's offset (none where the design has none)", () => {
    const layouts = compileCFrames(design, STATE_HANDLERS, 1);
    for (const l of levels.filter((x) => x.kind !== 'syscall')) {
      const frame = l.ptRegs - aux - 16;
      const state = l.words.filter((w) => w.part === 'irqentry_state_t');
      if (!design.irqentryState) {
        expect(state).toHaveLength(0);
        continue;
      }
      const layout = layouts.get(l.cFunction)!;
      const at = frame - layout.locals + layout.stateOffset!;
      expect(state.map((w) => w.address)).toEqual(
        Array.from({ length: Math.ceil(design.irqentryState.size / 8) }, (_, i) => at + 8 * (Math.ceil(design.irqentryState!.size / 8) - 1 - i)),
      );
      expect(state[state.length - 1]!.note).toContain(`&state at rbp-0x${(frame - at).toString(16)}`);
      expect(state.map((w) => w.label).join(' ')).toContain('exit_rcu/lockdep=');
    }
  });

  it('labels the bytes between levels: the CPU alignment where the interrupted rsp was not 16-byte aligned', () => {
    for (const l of levels) {
      const sp = l.words.find((w) => w.part === 'hardware frame' && w.label === 'sp')!.value!;
      const gaps = l.words.filter((w) => w.part === 'alignment' || w.part === 'unlabelled');
      const onSameStack = diagram.stacks.find((s) => s.levels.includes(l))!;
      const spN = Number(BigInt.asIntN(64, sp));
      const expected = l.kind !== 'syscall' && spN >= onSameStack.bottom && spN < onSameStack.top ? (spN & 15) / 8 : 0;
      expect(gaps.map((g) => g.part)).toEqual(Array.from({ length: expected }, () => 'alignment'));
    }
    // The NMI's saved rsp is the deepest word of the task stack: where exc_page_fault (or common_interrupt) was.
    const nmiSp = word(byLevel('nmi'), byLevel('nmi').ptRegs + design.ptRegs.members.find((m) => m.name === 'sp')!.offset).value!;
    const task = diagram.stacks[0]!.levels.flatMap((x) => x.words);
    expect(Number(BigInt.asIntN(64, nmiSp))).toBe(task[task.length - 1]!.address);
    expect(task[task.length - 1]!.note).toContain('<- rsp when level');
  });
});
