/**
 * The unwinder from inside a syscall's C code, on a kernel booted per
 * design: one native frame (do_syscall_64), then exactly one pt_regs frame —
 * the syscall, its number, the user RIP, CPL 3 — and the walk ends there.
 */
import { describe, expect, it } from 'vitest';
import { RBP } from '../../../src/cpu/core.js';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { USER_TEXT } from '../../../src/kernel/arch/x86/memory-map.js';
import { formatUnwind, unwindKernelStack, type Unwind } from '../../../src/kernel/arch/x86/unwind.js';
import { bootKernel } from '../../../src/kernel/boot.js';

const NR = 39; // getpid, replaced by a handler that unwinds

const USER = `
  mov $${NR}, %eax
  syscall
after:
  jmp after
`;

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('unwind a syscall, design %s', (_n, design) => {
  it('finds do_syscall_64 and the user-mode syscall pt_regs, innermost first', () => {
    const k = bootKernel(design);
    let seen: Unwind | undefined;
    k.syscalls.set(NR, () => {
      const p = k.platform;
      // Inside do_syscall_64's body: RBP is its frame (the syscall fn is called in TypeScript, no frame).
      seen = unwindKernelStack(k, { rbp: p.cpu.reg64(RBP), rip: p.native.get('do_syscall_64').address });
      return 0;
    });
    k.startUser(USER, 'unwind');
    k.run(200);
    expect(seen).toBeDefined();
    const u = seen!;
    expect(u.stopped).toBeNull();
    expect(u.frames.map((f) => f.kind)).toEqual(['native', 'pt_regs']);
    const [native, regs] = u.frames;
    if (native?.kind !== 'native' || regs?.kind !== 'pt_regs') throw new Error('frame kinds');
    expect(native.function).toBe('do_syscall_64');
    expect(native.symbol).toBe('do_syscall_64+0x0');
    expect(regs.entry).toEqual({ kind: 'syscall', nr: NR, name: 'getpid' });
    expect(regs.handler).toBe('do_syscall_64');
    expect(regs.calledFrom).toMatch(/^entry_SYSCALL_64_after_hwframe\+0x[0-9a-f]+$/);
    expect(regs.cpl).toBe(3);
    expect(regs.ip).toBe(USER_TEXT + 7); // after `mov $39, %eax` (5) and `syscall` (2)
    expect(regs.ipSymbol).toBe(`user 0x${(USER_TEXT + 7).toString(16)}`);
    expect(regs.regs).toBe(native.frame + 16 + (design.extension?.belowPtRegs ?? 0));
    expect(regs.origAx).toBe(BigInt(NR));

    // The syscall path saves no PKRS in any design (only irqentry_enter does).
    expect(regs.pkrs).toEqual({ found: false, reason: design.slots.pkrs ? 'not saved on the syscall path' : 'not saved' });

    const text = formatUnwind(u);
    expect(text).toMatch(/^#0 native {3}do_syscall_64\+0x0 {2}frame 0x[0-9a-f]+\n/);
    expect(text).toContain(`#1 pt_regs  syscall getpid (39)  interrupted user 0x${(USER_TEXT + 7).toString(16)} (CPL 3)`);
  });
});
