/**
 * The booted platform per design: the generated entry stubs, assembled at
 * boot, take a real SYSCALL from user mode into a native do_syscall_64 that
 * sees pt_regs at the design's layout, and return with SYSRET or IRET.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { StructView } from '../../src/abi/view.js';
import { RAX, RSP } from '../../src/cpu/core.js';
import { linearStore } from '../../src/cpu/linear-store.js';
import { MODE_SUPERVISOR } from '../../src/cpu/mmu.js';
import { BUILTIN_DESIGNS } from '../../src/design/registry.js';
import {
  PER_CPU_BASE, USER_CS, USER_DS, USER_STACK_TOP, USER_TEXT, taskStackTop,
} from '../../src/kernel/arch/x86/memory-map.js';
import { PER_CPU, bootPlatform } from '../../src/kernel/arch/x86/platform.js';

const USER = `
  mov $39, %eax
  mov $0x1111, %edi
  syscall
  mov %rax, %rbx
  mov $1000, %eax
  syscall
  hlt_spin: jmp hlt_spin
`;

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('platform, design %s', (_name, design) => {
  it('SYSCALL → stub → do_syscall_64(regs, nr) → SYSRET, and IRET when do_syscall_64 says so', () => {
    const seen: { nr: number; di: bigint; ip: bigint; cs: bigint; ss: bigint; ax: bigint }[] = [];
    const p = bootPlatform({
      design,
      entryFunctions: {
        do_syscall_64: (rt, call) => {
          const regs = new StructView(design.ptRegs, linearStore(rt.cpu.mmu, MODE_SUPERVISOR), call.address(0));
          const nr = Number(BigInt.asIntN(32, call.arg(1)));
          seen.push({ nr, di: regs.get('di'), ip: regs.get('ip'), cs: regs.get('cs'), ss: regs.get('ss'), ax: regs.get('ax') });
          regs.set('ax', nr === 39 ? 4242 : -38);
          return nr === 39; // getpid returns with SYSRET, the unknown syscall with IRET
        },
      },
    });
    const { cpu, space, phys } = p;
    // A user task: text, stack; its kernel stack top in RSP0 and per-CPU top_of_stack.
    const code = assemble(USER, { origin: USER_TEXT }).bytes;
    phys.writeBytes(space.mapNew(USER_TEXT, 0x1000, { user: true }), code);
    space.mapNew(USER_STACK_TOP - 0x2000, 0x2000, { user: true, writable: true, noExec: true });
    const kstack = taskStackTop(1);
    space.mapNew(kstack - 0x4000, 0x4000, { writable: true, noExec: true });
    cpu.mmu.write64Halves(PER_CPU_BASE + PER_CPU.topOfStack, kstack | 0, Math.floor(kstack / 2 ** 32), MODE_SUPERVISOR);
    // Enter user mode as the kernel's return path would leave it: user GS base active.
    cpu.kernelGsBase = PER_CPU_BASE;
    cpu.gsBase = 0;
    cpu.setCs(USER_CS);
    cpu.ss = USER_DS;
    cpu.flags.set(0x202);
    cpu.updateDataMode();
    cpu.rip = USER_TEXT;
    cpu.setRspNumber(USER_STACK_TOP - 0x100);
    for (let i = 0; i < 10 && seen.length < 2; i++) {
      const exit = cpu.run(10_000);
      if (exit.kind === 'hostcall') p.native.dispatch(exit.address);
      else throw new Error(`exit ${exit.kind} at ${p.symbolize(cpu.rip) ?? cpu.rip}`);
    }
    cpu.run(500); // the return path, then user mode spinning
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual({ nr: 39, di: 0x1111n, ip: BigInt(USER_TEXT + 12), cs: 0x33n, ss: 0x2bn, ax: BigInt.asUintN(64, -38n) });
    expect(cpu.lo[3]).toBe(4242); // rbx = getpid's result
    expect(cpu.lo[RAX]).toBe(-38); // the second syscall returned -ENOSYS through IRET
    expect(cpu.cpl).toBe(3);
    expect(cpu.gsBase).toBe(0);
    expect(cpu.kernelGsBase).toBe(PER_CPU_BASE);
    expect(cpu.reg64(RSP)).toBe(USER_STACK_TOP - 0x100);
  });
});
