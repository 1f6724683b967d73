/**
 * A PK #PF from kernel code alone: a syscall reads the key-1 page with the
 * default PKRS (key 1 access-disabled); key 1's fault callback relaxes the
 * key with pks_update_exception and the read is retried after the IRET.
 * That works where the callback reaches the interrupted context's saved
 * PKRS from `regs` (extension designs, pt_regs member) and where nothing is
 * saved (upstream: the callback's MSR write simply survives the exit). In
 * state-ref the copy is in exc_page_fault's C frame: the exit restores the
 * unrelaxed value, the retry faults again, and the model oopses.
 */
import { describe, expect, it } from 'vitest';
import { cBoundary } from '../../../src/kernel/arch/x86/kernel-c.js';
import { KernelOops } from '../../../src/kernel/arch/x86/native.js';
import { PKEY_READ_WRITE, PKS_INIT_VALUE, pksRegisterFaultCallback } from '../../../src/kernel/arch/x86/pks.js';
import { updateException } from '../../../src/kernel/arch/x86/traps.js';
import { PKS_KEY1_PAGE } from '../../../src/kernel/boot.js';
import { DESIGNS, bootUser } from './harness.js';

const PROGRAM = `
  mov $1002, %eax
  syscall
spin:
  jmp spin
`;

describe.each(DESIGNS)('PK #PF from kernel mode, design %s', (name, design) => {
  it('goes to the key-1 callback; retried after pks_update_exception where it reaches the saved copy', () => {
    const k = bootUser(name, PROGRAM);
    const rt = k.platform.native;
    const cr2: number[] = [];
    let read: bigint | null = null;
    k.syscalls.set(1002, () => {
      read = rt.read64(PKS_KEY1_PAGE);
      cBoundary(k.c, rt, 'sys_read_key1');
      return 0;
    });
    pksRegisterFaultCallback(k.pks, 1, (_p, regs) => {
      cr2.push(k.platform.cpu.cr2);
      updateException(k.c, regs, 1, PKEY_READ_WRITE);
      return true;
    });
    const run = (): unknown => k.run(2_000);
    if (name === 'state-ref') {
      expect(run).toThrow(KernelOops);
      return;
    }
    run();
    expect(read).toBe(0n);
    expect(cr2).toEqual([PKS_KEY1_PAGE]);
    const pf = k.log.finished.find((r) => r.kind === 'page-fault');
    expect(pf?.pkrsAtEntry).toBe(PKS_INIT_VALUE);
    expect(pf?.pkrsAtHandler).toBe(PKS_INIT_VALUE);
    expect(pf?.updates).toEqual([{ pkey: 1, prot: PKEY_READ_WRITE, reached: design.slots.pkrs !== null }]);
    expect(pf?.pkrsOnReturn).toBe(PKS_INIT_VALUE & ~(1 << 2));
    expect(k.platform.cpu.cpl).toBe(3);
    expect(k.violations()).toEqual([]);
  });
});
