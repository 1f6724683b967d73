/**
 * Nested entries through the real stubs: a user syscall whose C code
 * (do_syscall_64) takes a timer IRQ at an instruction boundary; the IRQ's
 * C code (common_interrupt) unwinds. Expected, innermost first: the IRQ
 * handler, the IRQ pt_regs (interrupted do_syscall_64's resume point, CPL 0),
 * do_syscall_64, the syscall pt_regs (CPL 3). Each pt_regs frame reports
 * the PKRS its handler saved — where the design keeps it, if this frame
 * makes it reachable.
 */
import { describe, expect, it } from 'vitest';
import { IF } from '../../../src/cpu/flags.js';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import type { Design } from '../../../src/design/build.js';
import { USER_TEXT } from '../../../src/kernel/arch/x86/memory-map.js';
import {
  formatUnwind, unwindFromCall, type PtRegsUnwindFrame, type Unwind, type UnwindOptions,
} from '../../../src/kernel/arch/x86/unwind.js';
import { STATE_OFFSET, bootWithUser, run, save } from './fixture.js';

const TIMER = 0xec;
const PKRS_SYSCALL = 0x11111110;
const PKRS_IRQ = 0x55555554;
const USER = `
  mov $500, %eax
  syscall
spin: jmp spin
`;

function nestedIrq(design: Design, opts: (irqRegs: number, vector: number) => UnwindOptions): Unwind {
  let seen: Unwind | undefined;
  const p = bootWithUser(design, {
    do_syscall_64: (rt, call) => {
      save(design, rt, call, PKRS_SYSCALL);
      rt.cpu.injectInterrupt(TIMER);
      rt.cpu.flags.raw |= IF; // local_irq_enable()
      expect(rt.boundary()).toBe(true);
      rt.cpu.flags.raw &= ~IF;
      return false; // leave through IRET
    },
    common_interrupt: (rt, call) => {
      save(design, rt, call, PKRS_IRQ);
      seen = unwindFromCall(p, call, opts(call.address(0), Number(call.arg(1) & 0xffn)));
    },
  }, USER);
  run(p, 500);
  expect(p.cpu.cpl).toBe(3); // back in user mode after both returns
  if (!seen) throw new Error('common_interrupt never ran');
  return seen;
}

function ptRegs(u: Unwind, i: number): PtRegsUnwindFrame {
  const f = u.frames[i];
  if (f?.kind !== 'pt_regs') throw new Error(`frame ${i} is not pt_regs`);
  return f;
}

const layouts = { common_interrupt: STATE_OFFSET, do_syscall_64: STATE_OFFSET };

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('nested IRQ in a syscall, design %s', (_n, design) => {
  it('walks IRQ handler → IRQ pt_regs → do_syscall_64 → syscall pt_regs', () => {
    const u = nestedIrq(design, (regs, vector) => ({ irqVectorOf: (r) => (r === regs ? vector : undefined) }));
    expect(u.stopped).toBeNull();
    expect(u.frames.map((f) => (f.kind === 'native' ? f.symbol : f.entry.kind))).toEqual([
      'common_interrupt+0x0', 'irq', 'do_syscall_64+0x8', 'syscall',
    ]);
    const irq = ptRegs(u, 1);
    expect(irq.entry).toEqual({ kind: 'irq', vector: TIMER });
    expect(irq.calledFrom).toMatch(/^asm_common_interrupt\+0x/);
    expect(irq.ipSymbol).toBe('do_syscall_64+0x8');
    expect(irq.cpl).toBe(0);
    const sys = ptRegs(u, 3);
    expect(sys.entry).toEqual({ kind: 'syscall', nr: 500, name: null });
    expect(sys.cpl).toBe(3);
    expect(sys.ip).toBe(USER_TEXT + 7);
    // The IRQ's pt_regs lies below do_syscall_64's frame, on the same task stack.
    const dsys = u.frames[2];
    expect(dsys?.kind === 'native' && dsys.frame === irq.bp).toBe(true);
    expect(irq.regs).toBeLessThan(sys.regs);

    const text = formatUnwind(u);
    expect(text.split('\n')[1]).toMatch(/^#1 pt_regs {2}IRQ 0xec {2}interrupted do_syscall_64\+0x8 \(CPL 0\) {2}saved PKRS/);
    expect(text).toContain('#3 pt_regs  syscall nr (500)  interrupted user 0x');

    const slot = design.slots.pkrs;
    if (!slot) {
      expect(irq.pkrs).toEqual({ found: false, reason: 'not saved' });
    } else if (slot.root === 'irqentry_state') {
      expect(irq.pkrs).toEqual({ found: false, reason: 'not reachable from this frame' });
    } else {
      expect(irq.pkrs).toMatchObject({ found: true, value: BigInt(PKRS_IRQ) });
    }
    // The fixture wrote PKRS_SYSCALL into the syscall frame's slot; the unwinder must not report it,
    // as no design's syscall path saves PKRS (the slot is never written there).
    expect(sys.pkrs).toEqual({ found: false, reason: slot ? 'not saved on the syscall path' : 'not saved' });
    if (slot?.root === 'extension') {
      const below = design.extension!.belowPtRegs - slot.offset;
      expect(text).toContain(`saved PKRS 0x55555554 via container_of(regs) at regs-0x${below.toString(16)}`);
    }
    if (!slot) expect(text).toContain('saved PKRS: not saved');
  });

  it('with the compiler\'s frame layout, state-ref finds PKRS in each handler\'s C frame', () => {
    const u = nestedIrq(design, () => ({ frameLayouts: layouts }));
    const irq = ptRegs(u, 1);
    const sys = ptRegs(u, 3);
    expect(irq.entry).toEqual({ kind: 'irq', vector: null });
    if (design.slots.pkrs?.root !== 'irqentry_state') return; // the layout changes nothing elsewhere
    expect(irq.pkrs).toMatchObject({ found: true, via: 'C frame', value: BigInt(PKRS_IRQ) });
    expect(sys.pkrs).toEqual({ found: false, reason: 'not saved on the syscall path' });
    expect(formatUnwind(u)).toContain(
      `saved PKRS 0x55555554 at C-frame offset ${STATE_OFFSET} of common_interrupt (rbp-0x`,
    );
    // A wrong layout reads the wrong slot: the unwinder cannot know better.
    const wrong = nestedIrq(design, () => ({ frameLayouts: new Map([['common_interrupt', STATE_OFFSET + 8]]) }));
    const w = ptRegs(wrong, 1).pkrs;
    expect(w.found && w.value === BigInt(PKRS_IRQ)).toBe(false);
    expect(ptRegs(wrong, 3).pkrs).toEqual({ found: false, reason: 'not saved on the syscall path' });
  });
});
