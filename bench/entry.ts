/**
 * Kernel entry round trips through the full modelled path (issue M3 item 11):
 * a user task loops on getpid — SYSCALL, the generated entry_SYSCALL_64,
 * do_syscall_64 with the generic enter/exit work, SYSRET.
 */
import { builtinDesign } from '../src/design/registry.js';
import { LOCAL_TIMER_VECTOR } from '../src/kernel/arch/x86/entry/index.js';
import { bootKernel, NR_getpid } from '../src/kernel/boot.js';
import type { Benchmark } from './harness.js';

const GETPID_LOOP = `
1: mov $${NR_getpid}, %eax
  syscall
  jmp 1b
`;

export const SYSCALL_BENCHMARK: Benchmark = {
  name: 'entry: getpid round trip (design aux)',
  unit: 'syscall',
  warmupSeconds: 2,
  setup() {
    const k = bootKernel(builtinDesign('aux'));
    let calls = 0;
    const getpid = k.syscalls.get(NR_getpid)!;
    k.syscalls.set(NR_getpid, (regs) => {
      calls++;
      return getpid(regs);
    });
    k.startUser(GETPID_LOOP, 'bench');
    return () => {
      const before = calls;
      k.run(200_000);
      return calls - before;
    };
  },
};

const SPIN = `
1: inc %rbx
  jmp 1b
`;

/**
 * Timer interrupt round trips: a user loop is interrupted by vector 0xEC —
 * delivery through the IDT, the generated IRQ stub, common_interrupt with
 * irqentry_enter/exit (PKRS saved and restored in the design's slot), the
 * timer handler, the exit-to-user work, IRETQ.
 */
export const IRQ_BENCHMARK: Benchmark = {
  name: 'entry: timer IRQ round trip (design aux)',
  unit: 'interrupt',
  warmupSeconds: 2,
  setup() {
    const k = bootKernel(builtinDesign('aux'));
    let irqs = 0;
    const timer = k.irqHandlers.get(LOCAL_TIMER_VECTOR)!;
    k.irqHandlers.set(LOCAL_TIMER_VECTOR, (rt, regs, vector) => {
      irqs++;
      timer(rt, regs, vector);
    });
    k.startUser(SPIN, 'bench');
    const cpu = k.platform.cpu;
    return () => {
      const before = irqs;
      for (let i = 0; i < 1000; i++) {
        cpu.injectInterrupt(LOCAL_TIMER_VECTOR);
        k.run(80); // one IRQ round trip is about 77 instructions; then a few of the user loop
      }
      return irqs - before;
    };
  },
};
