/**
 * An NMI at every instruction boundary of the context switch: each
 * instruction of __switch_to_asm (including the two between saving prev's
 * RSP and loading next's) and of ret_from_fork_asm, under every design. The
 * NMI runs on its IST stack, so wherever it lands the switch must complete:
 * every task keeps running with its own registers (kthread_spin's checks),
 * its own PKRS (kthread_pks' key-1 reads), and the entry state balances.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { KTHREAD_DATA, bootKernel, type Kernel } from '../../../src/kernel/boot.js';

const PERIOD = 1500;
const USER = `
1:
  mov $39, %eax
  syscall
  jmp 1b
`;

function boot(design: (typeof BUILTIN_DESIGNS)[number]): Kernel {
  const k = bootKernel(design, { kthreads: true, timerEvery: PERIOD });
  k.startUser(USER, 'user');
  return k;
}

/**
 * Where `label` first runs: the instruction count just before its first
 * instruction retires, and how many instructions it takes (stepping one at
 * a time: a step that reaches it through a native return also retires its
 * first instruction, so the count is taken one back).
 */
function firstArrival(design: (typeof BUILTIN_DESIGNS)[number], label: string): { at: number; length: number } {
  const k = boot(design);
  const inLabel = (): boolean => k.platform.symbolize(k.platform.cpu.rip)?.startsWith(label + '+') ?? false;
  for (let steps = 0; steps < 20_000; steps++) {
    k.run(1);
    if (!inLabel()) continue;
    const offset = Number(k.platform.symbolize(k.platform.cpu.rip)!.split('+0x')[1]);
    const at = k.platform.cpu.instructions - (offset === 0 ? 0 : 1);
    let n = offset === 0 ? 0 : 1;
    while (inLabel() && n < 64) {
      k.run(1);
      n++;
    }
    return { at, length: n };
  }
  throw new Error(`never reached ${label}`);
}

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('NMI at every boundary of the switch, design %s', (_n, design) => {
  it.each(['__switch_to_asm', 'ret_from_fork_asm'])('%s: the switch completes and every task keeps its state', (label) => {
    const { at, length } = firstArrival(design, label);
    expect(length).toBeGreaterThan(label === '__switch_to_asm' ? 12 : 1);
    const landed = new Set<string>();
    // A few boundaries past the first stretch too: ret_from_fork_asm continues after schedule_tail returns.
    for (let i = 0; i < length + 3; i++) {
      const k = boot(design);
      k.nmiHandlers.push((_rt, regs) => {
        landed.add(k.platform.symbolize(Number(BigInt.asIntN(64, regs.get('ip')))) ?? '?');
      });
      k.injector.nmi({ atInstruction: at + i });
      k.run(60_000);
      expect(k.log.finishedCount.nmi).toBe(1);
      for (const t of k.sched.tasks.slice(1)) expect(t.switchIns).toBeGreaterThan(3);
      expect(k.platform.native.read64(KTHREAD_DATA)).toBeGreaterThan(100n);
      expect(k.platform.native.read64(KTHREAD_DATA + 8)).toBeGreaterThan(100n);
      expect(k.violations()).toEqual([]);
    }
    // The NMIs hit the routine itself (the first boundary may still be reported as the caller's next instruction).
    expect([...landed].filter((s) => s.startsWith(label)).length).toBeGreaterThanOrEqual(length - 1);
  });
});
