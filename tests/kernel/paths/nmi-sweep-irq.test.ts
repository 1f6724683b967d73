/**
 * An NMI at every instruction boundary of the IRQ path from user mode
 * (issue M3 item 10): each round a timer interrupt is injected into a user
 * loop and an NMI `round` instructions later, so over the run NMIs land at
 * each boundary of the IRQ entry stub, its return path and the user code
 * around it. The invariants must hold throughout.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/asm/index.js';
import { RSP } from '../../../src/cpu/core.js';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { LOCAL_TIMER_VECTOR } from '../../../src/kernel/arch/x86/entry/index.js';
import { USER_STACK_TOP, USER_TEXT } from '../../../src/kernel/arch/x86/memory-map.js';
import { bootKernel } from '../../../src/kernel/boot.js';

const ROUNDS = 110;
const LOOP = `
  mov $0x1212, %r12
  mov $0x1313, %r13
  mov $0x1414, %r14
  mov $0x1515, %r15
  mov $0x5151, %ebp
  xor %ebx, %ebx
top:
  inc %rbx
  jmp top
`;
const TOP = Number(assemble(LOOP, { origin: USER_TEXT }).symbols.get('top'));

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('NMI at every boundary of the IRQ path, design %s', (_n, design) => {
  it('keeps every invariant', () => {
    const k = bootKernel(design);
    k.startUser(LOOP, 'irq-sweep');
    const cpu = k.platform.cpu;
    const pkrsInUser = cpu.mmu.pkrs;
    const interrupted = new Set<string>();
    k.nmiHandlers.push((_rt, regs) => {
      const ip = Number(BigInt.asIntN(64, regs.get('ip')));
      interrupted.add(regs.userMode() ? 'user' : (k.platform.symbolize(ip) ?? 'kernel'));
    });
    const count = (kind: string) => k.log.finished.filter((e) => e.kind === kind).length;
    while (!(cpu.cpl === 3 && cpu.rip === TOP)) k.run(1);
    for (let round = 0; round < ROUNDS; round++) {
      const irqs = count('irq');
      const nmis = count('nmi');
      k.injector.irq(LOCAL_TIMER_VECTOR, { atInstruction: cpu.instructions });
      k.injector.nmi({ atInstruction: cpu.instructions + round });
      let steps = 0;
      do {
        k.run(1);
        if (++steps > 5_000) throw new Error(`round ${round} did not come back to user mode`);
      } while (count('irq') === irqs || count('nmi') === nmis || cpu.cpl !== 3);
    }
    expect(count('irq')).toBe(ROUNDS);
    expect(count('nmi')).toBe(ROUNDS);
    expect([...interrupted].filter((s) => s !== 'user').length).toBeGreaterThan(40);
    expect([...interrupted].some((s) => s.startsWith('irq_entry') || s.startsWith('asm_common_interrupt'))).toBe(true);
    expect([cpu.lo[12], cpu.lo[13], cpu.lo[14], cpu.lo[15], cpu.lo[5]]).toEqual([0x1212, 0x1313, 0x1414, 0x1515, 0x5151]);
    expect(cpu.reg64(RSP)).toBe(USER_STACK_TOP);
    expect(cpu.mmu.pkrs).toBe(pkrsInUser);
    expect(k.violations()).toEqual([]);
    expect(k.log.active).toEqual([]);
  });
});
