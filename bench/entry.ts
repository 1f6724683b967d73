/**
 * Kernel entry round trips through the full modelled path (issue M3 item 11):
 * a user task loops on getpid — SYSCALL, the generated entry_SYSCALL_64,
 * do_syscall_64 with the generic enter/exit work, SYSRET.
 */
import { builtinDesign } from '../src/design/registry.js';
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
  warmupSeconds: 1,
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
