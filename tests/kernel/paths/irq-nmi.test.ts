/**
 * Each entry path alone, per design: a timer IRQ and an NMI from user mode
 * (injected at an instruction count) and from kernel mode (at a boundary in
 * a system call), a PK #PF from kernel code. Checks generic state balance
 * (DESIGN.md §4 invariant 5), the handler's PKRS (3) and the restore (2).
 */
import { describe, expect, it } from 'vitest';
import { RBX } from '../../../src/cpu/core.js';
import { LOCAL_TIMER_VECTOR } from '../../../src/kernel/arch/x86/entry/symbols.js';
import { cBoundary } from '../../../src/kernel/arch/x86/kernel-c.js';
import { PKS_INIT_VALUE, pksSetNoaccess, pksSetReadwrite } from '../../../src/kernel/arch/x86/pks.js';
import { _TIF_NEED_RESCHED } from '../../../src/kernel/generic/index.js';
import type { Kernel } from '../../../src/kernel/boot.js';
import { DESIGNS, bootUser } from './harness.js';

const SYSCALL_LOOP = `
  mov $1001, %eax
  syscall
spin:
  inc %rbx
  jmp spin
`;

/** A syscall whose handler opens key 1 and exposes one boundary. */
function kernelBoundarySyscall(k: Kernel): void {
  k.syscalls.set(1001, () => {
    pksSetReadwrite(k.pks, 1);
    cBoundary(k.c, k.platform.native, 'sys_test');
    pksSetNoaccess(k.pks, 1);
    return 0;
  });
}

describe.each(DESIGNS)('entry paths alone, design %s', (name, design) => {
  const saves = design.slots.pkrs !== null;

  it('timer IRQ from user mode: balanced, NEED_RESCHED handled on the way out, user loop continues', () => {
    const k = bootUser(name);
    let flagged = false;
    k.irqHandlers.set(LOCAL_TIMER_VECTOR, () => {
      k.deps.current().flags.set(_TIF_NEED_RESCHED);
      flagged = true;
    });
    k.injector.irq(LOCAL_TIMER_VECTOR, { atInstruction: 20 });
    k.run(200);
    expect(flagged).toBe(true);
    const [irq] = k.log.finished;
    expect(irq?.kind).toBe('irq');
    expect(irq?.pkrsAtHandler).toBe(PKS_INIT_VALUE);
    expect(irq?.pkrsOnReturn).toBe(irq?.pkrsAtEntry);
    expect(k.deps.current().flags.test(_TIF_NEED_RESCHED)).toBe(false);
    expect(k.platform.cpu.cpl).toBe(3);
    expect(k.platform.cpu.lo[RBX]).toBeGreaterThan(10);
    expect(k.violations()).toEqual([]);
    expect(k.entryCpu.ct.state()).toBe('user');
  });

  it('NMI from user mode: balanced, lockdep flag round-trips', () => {
    const k = bootUser(name);
    let inNmi = 0;
    k.nmiHandlers.push(() => { inNmi = k.entryCpu.preempt.inNmi(); });
    k.injector.nmi({ atInstruction: 15 });
    k.run(200);
    expect(inNmi).not.toBe(0);
    const [nmi] = k.log.finished;
    expect(nmi?.kind).toBe('nmi');
    expect(nmi?.pkrsAtHandler).toBe(PKS_INIT_VALUE);
    expect(nmi?.pkrsOnReturn).toBe(nmi?.pkrsAtEntry);
    expect(k.platform.cpu.cpl).toBe(3);
    expect(k.violations()).toEqual([]);
  });

  it.each(['irq', 'nmi'] as const)('%s from kernel mode (in a syscall with key 1 open): handler gets the default PKRS only if saved', (kind) => {
    const k = bootUser(name, SYSCALL_LOOP);
    kernelBoundarySyscall(k);
    if (kind === 'irq') k.injector.irq(LOCAL_TIMER_VECTOR, { atFunction: 'sys_test', when: 'boundary' });
    else k.injector.nmi({ atFunction: 'sys_test', when: 'boundary' });
    k.run(1_000);
    const e = k.log.finished.find((r) => r.kind === kind);
    expect(e).toBeDefined();
    const key1Open = PKS_INIT_VALUE & ~(1 << 2);
    expect(e?.pkrsAtEntry).toBe(key1Open);
    // upstream: the handler inherits the syscall's key-1 rights (the hazard).
    expect(e?.pkrsAtHandler).toBe(saves ? PKS_INIT_VALUE : key1Open);
    expect(e?.pkrsOnReturn).toBe(key1Open);
    expect(k.platform.cpu.cpl).toBe(3);
    expect(k.violations()).toEqual([]);
    expect(k.entryCpu.ct.state()).toBe('user');
  });
});

describe('the seeded compiler', () => {
  it('places irqentry_state_t per build; the offset is exposed', () => {
    const offsets = new Set<number | null>();
    for (let seed = 1; seed <= 8; seed++) {
      const k = bootUser('state-ref', undefined, { compilerSeed: seed });
      offsets.add(k.cFrames.get('common_interrupt')?.stateOffset ?? null);
    }
    expect(offsets.size).toBeGreaterThan(1);
    expect(bootUser('extended').cFrames.get('common_interrupt')?.stateOffset).toBeNull();
  });
});
