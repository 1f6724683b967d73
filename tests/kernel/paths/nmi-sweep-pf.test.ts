/**
 * An NMI at every instruction boundary of the #PF path (issue M3 item 10):
 * a syscall reads a PKS key-1 page with key 1 access-disabled; the #PF
 * (PK) is delivered from the native syscall code, key 1's callback relaxes
 * the key with pks_update_exception, and the read is retried. Each round an
 * NMI is scheduled `round` instructions after the fault, so over the run
 * NMIs land at each boundary of asm_exc_page_fault's entry and exit.
 * state-ref is left out: its #PF callback cannot reach the interrupted
 * context's saved PKRS, so the retried read faults forever (an oops —
 * tests/kernel/paths/page-fault.test.ts shows that).
 */
import { describe, expect, it } from 'vitest';
import { RSP } from '../../../src/cpu/core.js';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { USER_STACK_TOP } from '../../../src/kernel/arch/x86/memory-map.js';
import { PKEY_READ_WRITE, pksRegisterFaultCallback, pksSetNoaccess } from '../../../src/kernel/arch/x86/pks.js';
import { updateException } from '../../../src/kernel/arch/x86/traps.js';
import { PKS_KEY1_PAGE, bootKernel } from '../../../src/kernel/boot.js';

const ROUNDS = 100;
const LOOP = `
  mov $0x1212, %r12
  mov $0x1515, %r15
  mov $${ROUNDS}, %ebx
top:
  mov $1002, %eax
  syscall
  dec %ebx
  jnz top
done:
  jmp done
`;

const DESIGNS = BUILTIN_DESIGNS.filter((d) => d.name !== 'state-ref');

describe.each(DESIGNS.map((d) => [d.name, d] as const))('NMI at every boundary of the #PF path, design %s', (_n, design) => {
  it('keeps every invariant', () => {
    const k = bootKernel(design);
    k.startUser(LOOP, 'pf-sweep');
    const cpu = k.platform.cpu;
    const rt = k.platform.native;
    const interrupted = new Set<string>();
    k.nmiHandlers.push((_rt, regs) => {
      interrupted.add(k.platform.symbolize(Number(BigInt.asIntN(64, regs.get('ip')))) ?? 'other');
    });
    let round = 0;
    k.syscalls.set(1002, () => {
      k.injector.nmi({ atInstruction: cpu.instructions + round });
      round++;
      const v = rt.read64(PKS_KEY1_PAGE); // #PF (PK), fixed by the callback, retried
      pksSetNoaccess(k.pks, 1); // re-arm for the next round
      return v;
    });
    pksRegisterFaultCallback(k.pks, 1, (_p, regs) => {
      updateException(k.c, regs, 1, PKEY_READ_WRITE);
      return true;
    });
    const faults = () => k.log.finished.filter((e) => e.kind === 'page-fault').length;
    for (let i = 0; i < 10_000 && faults() < ROUNDS; i++) k.run(1_000);
    k.run(2_000);
    expect(faults()).toBe(ROUNDS);
    expect(k.log.finished.filter((e) => e.kind === 'nmi')).toHaveLength(ROUNDS);
    expect([...interrupted].filter((s) => s.startsWith('asm_exc_page_fault') || s.startsWith('error_')).length).toBeGreaterThan(20);
    expect(cpu.cpl).toBe(3);
    expect([cpu.lo[12], cpu.lo[15]]).toEqual([0x1212, 0x1515]);
    expect(cpu.reg64(RSP)).toBe(USER_STACK_TOP);
    expect(k.violations()).toEqual([]);
    expect(k.log.active).toEqual([]);
  });
});
