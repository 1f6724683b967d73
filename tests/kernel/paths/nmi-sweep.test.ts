/**
 * An NMI at every instruction boundary of the syscall path (issue M3 item
 * 10). A user loop makes getpid calls; at the top of round trip k an NMI is
 * scheduled k instructions later, so over the run one lands at each
 * boundary of the user loop, entry_SYSCALL_64 and its SYSRET path in turn.
 * Throughout, the invariants must hold: results and callee-saved registers
 * intact, the user stack pointer back, entry state balanced, PKRS as it was
 * in user mode, no entry left open.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/asm/index.js';
import { RBX, RSP } from '../../../src/cpu/core.js';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { USER_STACK_TOP, USER_TEXT } from '../../../src/kernel/arch/x86/memory-map.js';
import { bootKernel } from '../../../src/kernel/boot.js';

const ROUNDS = 90;
const LOOP = `
  mov $0x1212, %r12
  mov $0x1313, %r13
  mov $0x1414, %r14
  mov $0x1515, %r15
  mov $0x5151, %ebp
  xor %ebx, %ebx
  mov $${ROUNDS}, %ecx
top:
  push %rcx
  mov $39, %eax
  syscall
  add %rax, %rbx
  pop %rcx
  dec %ecx
  jnz top
done:
  jmp done
`;

const symbols = assemble(LOOP, { origin: USER_TEXT }).symbols;
const TOP = Number(symbols.get('top'));
const DONE = Number(symbols.get('done'));

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('NMI at every boundary of the syscall path, design %s', (_n, design) => {
  it('keeps every invariant', () => {
    const k = bootKernel(design);
    const task = k.startUser(LOOP, 'sweep');
    const cpu = k.platform.cpu;
    const pkrsInUser = cpu.mmu.pkrs;
    let nmis = 0;
    const interrupted = new Set<string>();
    k.nmiHandlers.push((_rt, regs) => {
      nmis++;
      const ip = Number(BigInt.asIntN(64, regs.get('ip')));
      interrupted.add(regs.userMode() ? 'user' : (k.platform.symbolize(ip) ?? 'kernel'));
    });
    const atTop = () => cpu.cpl === 3 && cpu.rip === TOP;
    for (let steps = 0; !atTop(); steps++) {
      if (steps > 100) throw new Error('never reached the loop');
      k.run(1);
    }
    for (let round = 0; round < ROUNDS; round++) {
      k.injector.nmi({ atInstruction: cpu.instructions + round });
      // Run until this round's syscall has returned and the loop is back at its top (or done).
      const syscalls = () => k.log.finished.filter((e) => e.kind === 'syscall').length;
      const before = syscalls();
      let steps = 0;
      do {
        k.run(1);
        if (++steps > 5_000) throw new Error(`round ${round} did not come back to user mode`);
      } while (syscalls() === before || !(atTop() || (cpu.cpl === 3 && cpu.rip === DONE)));
    }
    expect(k.log.finished.filter((e) => e.kind === 'syscall')).toHaveLength(ROUNDS);
    expect(nmis).toBe(ROUNDS);
    // The NMIs landed all over the path: user code, every instruction of the SYSCALL entry up to
    // the C call, and the SYSRET exit (the C function itself is TypeScript: no boundaries inside).
    expect(interrupted.has('user')).toBe(true);
    expect(interrupted.has('entry_SYSCALL_64+0x0')).toBe(true); // before SWAPGS: user GS base still loaded
    expect([...interrupted].filter((s) => s.startsWith('entry_SYSCALL_64')).length).toBeGreaterThan(20);
    expect([...interrupted].some((s) => s.startsWith('syscall_return_via_sysret') || s.startsWith('entry_SYSRETQ'))).toBe(true);
    expect(cpu.rip).toBe(DONE);
    expect(cpu.lo[RBX]).toBe(task.pid * ROUNDS);
    expect([cpu.lo[12], cpu.lo[13], cpu.lo[14], cpu.lo[15], cpu.lo[5]]).toEqual([0x1212, 0x1313, 0x1414, 0x1515, 0x5151]);
    expect(cpu.reg64(RSP)).toBe(USER_STACK_TOP);
    expect(cpu.mmu.pkrs).toBe(pkrsInUser);
    expect(k.violations()).toEqual([]);
    expect(k.log.active).toEqual([]);
  });
});
