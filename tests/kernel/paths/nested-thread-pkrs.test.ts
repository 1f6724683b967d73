/**
 * A finding about PKS as posted (V3 06/10 irq_save_set_pkrs/irq_restore_pkrs,
 * V9 27/45 pks_save_pt_regs/pks_restore_pt_regs; reference §3.3–§3.4): entry
 * saves `current->thread`'s PKRS, not the PKRS the interrupted code ran
 * with, and exit writes the saved value back. Inside an exception handler
 * those differ — the handler runs with PKS_INIT_VALUE while thread.pkrs keeps
 * the thread's grants — so an entry nested in a handler returns to the
 * handler with the *thread's* rights. The outer handler then reads a key-1
 * page without a fault: the elevated access the save/restore was meant to
 * keep away from handlers (invariant 2 of DESIGN.md §4 does not hold for the
 * nested entry). This test pins that behaviour per design, so a change to
 * the PKS model that hides it (or fixes it) shows.
 *
 * Scenario: a syscall opens key 1 (thread.pkrs = 0x55555550); a timer IRQ
 * arrives; its handler (PKRS = PKS_INIT_VALUE 0x55555554) exposes a
 * boundary where an NMI lands; after the NMI, the handler reads the key-1
 * page.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_TIMER_VECTOR } from '../../../src/kernel/arch/x86/entry/symbols.js';
import { cBoundary, currentPkrs } from '../../../src/kernel/arch/x86/kernel-c.js';
import { PKS_INIT_VALUE, pksSetNoaccess, pksSetReadwrite } from '../../../src/kernel/arch/x86/pks.js';
import { PKS_KEY1_PAGE } from '../../../src/kernel/boot.js';
import { DESIGNS, bootUser } from './harness.js';

const KEY1_RW = 0x55555550;

const SYSCALL_ONCE = `
  mov $1002, %eax
  syscall
spin:
  inc %rbx
  jmp spin
`;

describe.each(DESIGNS)('an NMI nested in the timer handler, design %s', (name, design) => {
  it(design.slots.pkrs ? 'returns to the handler with the thread\'s PKRS, so the handler\'s key-1 read does not fault'
    : 'changes nothing: the handler already ran with the thread\'s PKRS (no save/restore)', () => {
    const k = bootUser(name, SYSCALL_ONCE);
    let beforeNmi = -1;
    let afterNmi = -1;
    k.syscalls.set(1002, () => {
      pksSetReadwrite(k.pks, 1);
      cBoundary(k.c, k.platform.native, 'sys_nested'); // the timer fires here
      pksSetNoaccess(k.pks, 1);
      return 0;
    });
    k.irqHandlers.set(LOCAL_TIMER_VECTOR, (rt) => {
      beforeNmi = currentPkrs(k.c);
      cBoundary(k.c, rt, 'timer_nested'); // the NMI lands here
      afterNmi = currentPkrs(k.c);
      rt.read64(PKS_KEY1_PAGE); // faults only if the handler's PKRS denies key 1
    });
    k.injector.irq(LOCAL_TIMER_VECTOR, { atFunction: 'sys_nested', when: 'boundary' });
    k.injector.nmi({ atFunction: 'timer_nested', when: 'boundary' });
    k.run(2_000);

    const nmi = k.log.finished.find((e) => e.kind === 'nmi')!;
    expect(nmi).toBeDefined();
    expect(k.log.finished.some((e) => e.kind === 'page-fault')).toBe(false);
    if (design.slots.pkrs) {
      expect(beforeNmi).toBe(PKS_INIT_VALUE);
      expect(nmi.pkrsAtEntry).toBe(PKS_INIT_VALUE);
      // The hazard: the NMI exit wrote thread.pkrs (key 1 open) into the MSR under the timer handler.
      expect(nmi.pkrsOnReturn).toBe(KEY1_RW);
      expect(afterNmi).toBe(KEY1_RW);
    } else {
      // upstream: no save/restore at all; the handler had the thread's rights from the start (invariant 3 fails).
      expect(beforeNmi).toBe(KEY1_RW);
      expect(afterNmi).toBe(KEY1_RW);
    }
    // The outer entries still balance and return to user mode with the default PKRS restored by the syscall.
    expect(k.platform.cpu.cpl).toBe(3);
    expect(k.platform.cpu.mmu.pkrs >>> 0).toBe(PKS_INIT_VALUE);
    expect(k.violations()).toEqual([]);
  });
});
