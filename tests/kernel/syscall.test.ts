/**
 * A user task's getpid through the whole modelled path, per design: SYSCALL
 * → the generated entry_SYSCALL_64 → do_syscall_64 → syscall_enter_from_user_mode
 * → the table → syscall_exit_to_user_mode → SYSRET, with context tracking and
 * lockdep balanced afterwards (DESIGN.md §4 invariant 5).
 */
import { describe, expect, it } from 'vitest';
import { RBX } from '../../src/cpu/core.js';
import { BUILTIN_DESIGNS } from '../../src/design/registry.js';
import { bootKernel } from '../../src/kernel/boot.js';

const GETPID_TWICE = `
  mov $39, %eax
  syscall
  mov %rax, %rbx
  mov $39, %eax
  syscall
  add %rax, %rbx
  mov $400, %eax
  syscall
  mov %rax, %r12
spin: jmp spin
`;

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('syscall path, design %s', (_n, design) => {
  it('getpid returns the pid, an unknown syscall -ENOSYS, user state intact, entry state balanced', () => {
    const k = bootKernel(design);
    const task = k.startUser(GETPID_TWICE, 'getpid');
    k.platform.cpu.lo[13] = 0x1357; // r13: must survive the syscalls
    k.run(2_000);
    const cpu = k.platform.cpu;
    expect(cpu.cpl).toBe(3);
    expect(cpu.lo[RBX]).toBe(task.pid * 2);
    expect(cpu.lo[12]).toBe(-38);
    expect(cpu.hi[12]).toBe(-1);
    expect(cpu.lo[13]).toBe(0x1357);
    expect(k.violations()).toEqual([]);
    expect(k.entryCpu.ct.state()).toBe('user');
  });
});
