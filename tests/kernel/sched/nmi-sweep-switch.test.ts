/**
 * An NMI at every instruction boundary of the context switch (the injector's
 * stub sweep, src/kernel/sweep.ts): each instruction of __switch_to_asm
 * (including the two between saving prev's RSP and loading next's) and of
 * ret_from_fork_asm, under every design. The NMI runs on its IST stack, so
 * wherever it lands the switch must complete: every task keeps running with
 * its own registers (kthread_spin's checks), its own PKRS (kthread_pks'
 * key-1 reads), and the entry state balances.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { KTHREAD_DATA, bootKernel } from '../../../src/kernel/boot.js';
import { sweepRoutine } from '../../../src/kernel/sweep.js';

const USER = `
1:
  mov $39, %eax
  syscall
  jmp 1b
`;

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('NMI at every boundary of the switch, design %s', (_n, design) => {
  it.each([['__switch_to_asm', 15], ['ret_from_fork_asm', 6]] as const)('%s: the switch completes and every task keeps its state', (label, instructions) => {
    const landed: string[] = [];
    const points = sweepRoutine({
      boot: () => {
        const k = bootKernel(design, { kthreads: true, timerEvery: 1500 });
        k.startUser(USER, 'user');
        k.nmiHandlers.push((_rt, regs) => {
          landed.push(k.platform.symbolize(Number(BigInt.asIntN(64, regs.get('ip')))) ?? '?');
        });
        return k;
      },
      label,
      event: { kind: 'nmi' },
      drive: (k) => k.run(40_000),
      check: (k) => {
        expect(k.log.finishedCount.nmi).toBe(1);
        for (const t of k.sched.tasks.slice(1)) expect(t.switchIns).toBeGreaterThan(3);
        expect(k.platform.native.read64(KTHREAD_DATA)).toBeGreaterThan(100n);
        expect(k.platform.native.read64(KTHREAD_DATA + 8)).toBeGreaterThan(100n);
        expect(k.violations()).toEqual([]);
      },
    });
    // Every instruction of the routine's first visit was a landing point once (a kthread's: its ud2 and the forked-user half are never reached).
    expect(points).toHaveLength(instructions);
    expect(new Set(landed).size).toBe(instructions);
    expect(landed.every((s) => s.startsWith(label + '+'))).toBe(true);
  });
});
