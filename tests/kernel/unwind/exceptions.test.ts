/**
 * Exceptions and NMIs nested in C code, through the real stubs: a PKS
 * violation in do_syscall_64 (#PF through asm_exc_page_fault), an NMI at an
 * instruction boundary (asm_exc_nmi from kernel mode, on the NMI IST stack),
 * and an NMI inside an IRQ inside a syscall (three pt_regs frames).
 */
import { describe, expect, it } from 'vitest';
import { IF } from '../../../src/cpu/flags.js';
import { builtinDesign } from '../../../src/design/registry.js';
import { KERNEL_DATA, PAGE_SIZE, istStackBottom, istStackTop } from '../../../src/kernel/arch/x86/memory-map.js';
import { formatUnwind, unwindFromCall, type Unwind } from '../../../src/kernel/arch/x86/unwind.js';
import { bootWithUser, run, save } from './fixture.js';

const KEYED = KERNEL_DATA + 0x10 * PAGE_SIZE;
const USER = 'mov $39, %eax\nsyscall\nspin: jmp spin\n';
const NMI_IST = 1; // IST_STACKS index of NMI

function kinds(u: Unwind): string[] {
  return u.frames.map((f) => (f.kind === 'native' ? f.symbol : f.entry.kind === 'exception' ? `#${f.entry.name}` : f.entry.kind));
}

describe('unwinding exceptions nested in C code', () => {
  it('#PF from a PKS violation in do_syscall_64: exception frame, CPL 0, then the syscall', () => {
    const design = builtinDesign('aux');
    let seen: Unwind | undefined;
    const p = bootWithUser(design, {
      do_syscall_64: (rt) => {
        rt.cpu.mmu.setPkrs(1 << 2); // AD for key 1
        rt.read64(KEYED);
        return false;
      },
      exc_page_fault: (rt, call) => {
        save(design, rt, call, 1 << 2); // the interrupted PKRS
        seen = unwindFromCall(p, call);
        rt.cpu.mmu.setPkrs(0); // the fault callback grants access; the read is retried
      },
    }, USER);
    p.space.mapNew(KEYED, PAGE_SIZE, { writable: true, noExec: true, key: 1 });
    run(p, 500);
    const u = seen!;
    expect(u.stopped).toBeNull();
    expect(kinds(u)).toEqual(['exc_page_fault+0x0', '#PF', 'do_syscall_64+0x8', 'syscall']);
    const pf = u.frames[1]!;
    if (pf.kind !== 'pt_regs') throw new Error('kind');
    expect(pf.entry).toEqual({ kind: 'exception', vector: 14, name: 'PF', label: 'asm_exc_page_fault' });
    expect(pf.calledFrom).toMatch(/^asm_exc_page_fault\+0x/);
    expect(pf.cpl).toBe(0);
    expect(pf.origAx).toBe(2n ** 64n - 1n); // the stub moved the error code to %rsi
    expect(pf.pkrs).toMatchObject({ found: true, value: 4n, via: 'extension' });
    expect(formatUnwind(u)).toContain('#1 pt_regs  exception #PF (vector 14)  interrupted do_syscall_64+0x8 (CPL 0)  saved PKRS 0x4 via container_of(regs)');
  });

  it('NMI at a boundary in do_syscall_64: pt_regs on the NMI IST stack, then back to the task stack', () => {
    const design = builtinDesign('extended');
    let seen: Unwind | undefined;
    const p = bootWithUser(design, {
      do_syscall_64: (rt) => {
        rt.cpu.injectNmi();
        expect(rt.boundary()).toBe(true);
        return false;
      },
      exc_nmi: (_rt, call) => {
        seen = unwindFromCall(p, call);
      },
    }, USER);
    run(p, 500);
    const u = seen!;
    expect(u.stopped).toBeNull();
    expect(kinds(u)).toEqual(['exc_nmi+0x0', 'nmi', 'do_syscall_64+0x8', 'syscall']);
    const nmi = u.frames[1]!;
    if (nmi.kind !== 'pt_regs') throw new Error('kind');
    expect(nmi.calledFrom).toMatch(/^nmi_from_kernel\+0x/);
    expect(nmi.regs).toBeGreaterThan(istStackBottom(NMI_IST));
    expect(nmi.regs).toBeLessThan(istStackTop(NMI_IST));
    expect(nmi.ipSymbol).toBe('do_syscall_64+0x8');
    expect(formatUnwind(u)).toContain('#1 pt_regs  NMI  interrupted do_syscall_64+0x8 (CPL 0)');
  });

  it('NMI in an IRQ handler in a syscall: three pt_regs frames, innermost first', () => {
    const design = builtinDesign('state-ref');
    let seen: Unwind | undefined;
    const p = bootWithUser(design, {
      do_syscall_64: (rt) => {
        rt.cpu.injectInterrupt(0xec);
        rt.cpu.flags.raw |= IF;
        rt.boundary();
        rt.cpu.flags.raw &= ~IF;
        return false;
      },
      common_interrupt: (rt) => {
        rt.cpu.injectNmi();
        expect(rt.boundary()).toBe(true);
      },
      exc_nmi: (_rt, call) => {
        seen = unwindFromCall(p, call);
      },
    }, USER);
    run(p, 500);
    const u = seen!;
    expect(u.stopped).toBeNull();
    expect(kinds(u)).toEqual([
      'exc_nmi+0x0', 'nmi', 'common_interrupt+0x8', 'irq', 'do_syscall_64+0x8', 'syscall',
    ]);
    expect(u.frames.filter((f) => f.kind === 'pt_regs').map((f) => f.kind === 'pt_regs' && f.cpl)).toEqual([0, 0, 3]);
    // state-ref without the compiler's layout: neither entry frame can reach its PKRS; the syscall saved none.
    const text = formatUnwind(u);
    expect(text.match(/not reachable from this frame/g)).toHaveLength(2);
    expect(text.match(/saved PKRS: not saved on the syscall path/g)).toHaveLength(1);
  });
});
