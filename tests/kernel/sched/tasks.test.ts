/**
 * Tasks and the context switch (issue M3 item 5), under every design: the
 * idle task, kentry's two kernel threads and a user task share the CPU on a
 * timer every N instructions. Oracles: the guest's own checks (kthread_spin
 * ends in ud2 if any of eleven registers comes back wrong; kthread_pks
 * reads a PKS key-1 page every round, which faults unless the switch loaded
 * its thread's PKRS; the user task checks its FS and GS bases after every
 * syscall), the reference facts (PKS_INIT_VALUE, key-1 rights 0x55555550),
 * and the generic layer's balance checks.
 */
import { describe, expect, it } from 'vitest';
import { KTHREAD_DATA, bootKernel, type Kernel } from '../../../src/kernel/boot.js';
import { LOCAL_TIMER_VECTOR } from '../../../src/kernel/arch/x86/entry/index.js';
import { PKS_INIT_VALUE } from '../../../src/kernel/arch/x86/pks.js';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { TASKS_USER_PROGRAM, USER_FS, USER_GS } from '../../../src/kernel/scenario/tasks-run.js';

const KEY1_RW = 0x55555550; // PKS_INIT_VALUE with key 1's AD bit (bit 2) clear
const FS = USER_FS;
const GS = USER_GS;
const PERIOD = 2000;

/** The user task of `kentry tasks`: sets its FS/GS bases, then loops on getpid and checks both (ud2 on a mismatch). */
const USER = TASKS_USER_PROGRAM;

interface Sample { readonly task: string; readonly pkrs: number }

/** Boots with the kthreads and the timer, records (interrupted task, PKRS at interruption) at every tick. */
function bootTasks(design: (typeof BUILTIN_DESIGNS)[number]): { k: Kernel; samples: Sample[] } {
  const k = bootKernel(design, { kthreads: true, timerEvery: PERIOD });
  const samples: Sample[] = [];
  const tick = k.irqHandlers.get(LOCAL_TIMER_VECTOR)!;
  k.irqHandlers.set(LOCAL_TIMER_VECTOR, (rt, regs, vector) => {
    const rec = k.log.innermost('irq')!;
    samples.push({ task: k.current.name, pkrs: rec.pkrsAtEntry });
    tick(rt, regs, vector);
  });
  k.startUser(USER, 'user');
  return { k, samples };
}

function read64(k: Kernel, address: number): bigint {
  return k.platform.native.read64(address);
}

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('tasks under %s', (_name, design) => {
  it('kspin, kpks and the user task all run, preempted by the timer, with registers, FS/GS bases and PKRS intact', () => {
    const { k, samples } = bootTasks(design);
    const exit = k.run(400_000);
    expect(exit.kind).toBe('budget');
    const byName = new Map(k.sched.tasks.map((t) => [t.name, t]));
    for (const name of ['kspin', 'kpks', 'user']) expect(byName.get(name)!.switchIns).toBeGreaterThan(20);
    // Every tick either switched or had nobody else to run: ~one switch per tick.
    // (the tick due at the last instruction is pending, not yet handled, when the budget ends)
    expect(k.sched.ticks).toBeGreaterThanOrEqual(400_000 / PERIOD - 1);
    expect(k.sched.ticks).toBeLessThanOrEqual(400_000 / PERIOD);
    expect(k.sched.switches).toBeGreaterThanOrEqual(k.sched.ticks - 2);
    expect(k.sched.deferred).toBe(0);
    // Both kthreads made progress (their counters are guest memory).
    expect(read64(k, KTHREAD_DATA)).toBeGreaterThan(1000n);
    expect(read64(k, KTHREAD_DATA + 8)).toBeGreaterThan(1000n);
    // The user task survived every switch with its bases (a mismatch would have ended in ud2: an exception here).
    const user = byName.get('user')!;
    expect(user.switchIns).toBeGreaterThan(0);
    // Each task was interrupted with its own thread's PKRS: kpks opened key 1, the others run with PKS_INIT_VALUE.
    const seen = new Map<string, Set<number>>();
    for (const s of samples) seen.set(s.task, (seen.get(s.task) ?? new Set()).add(s.pkrs >>> 0));
    expect([...seen.get('kpks')!]).toEqual([KEY1_RW]);
    expect([...seen.get('kspin')!]).toEqual([PKS_INIT_VALUE]);
    expect([...seen.get('user')!]).toEqual([PKS_INIT_VALUE]);
    expect(k.violations()).toEqual([]);
  });
});

describe('context switch details (design extended)', () => {
  const design = BUILTIN_DESIGNS.find((d) => d.name === 'extended')!;

  it('the idle task runs when every other task sleeps, polling need_resched with RCU not watching', () => {
    const k = bootKernel(design, { timerEvery: 1000 });
    // A test syscall that sleeps two ticks and returns 7.
    k.syscalls.set(500, function* nap() {
      yield* k.sched.sleepTicks(2);
      return 7;
    });
    const user = k.startUser(`
  xor %r12, %r12
1:
  mov $500, %eax
  syscall
  cmp $7, %rax
  jne 2f
  inc %r12
  jmp 1b
2:
  ud2
`, 'sleeper');
    k.run(100_000);
    const idle = k.sched.tasks[0]!;
    expect(idle.kind).toBe('idle');
    expect(idle.switchIns).toBeGreaterThan(20);
    expect(user.switchIns).toBeGreaterThan(20);
    // Sleeps alternate with idle: every switch is user→idle (schedule) or idle→user (schedule_idle).
    for (const e of k.sched.log) {
      expect([`${user.pid}->0 schedule`, `0->${user.pid} schedule_idle`]).toContain(`${e.from}->${e.to} ${e.via}`);
    }
    expect(k.violations()).toEqual([]);
  });

  it('__switch_to saves the outgoing user FS/GS bases in thread_struct and loads the incoming ones', () => {
    const { k } = bootTasks(design);
    k.run(50_000);
    const user = k.sched.tasks.find((t) => t.name === 'user')!;
    const kspin = k.sched.tasks.find((t) => t.name === 'kspin')!;
    // Run until the user task has been switched out at least once, then read its thread_struct.
    expect(user.switchIns).toBeGreaterThan(0);
    const mem = (a: number): bigint => read64(k, a);
    // task_struct: pid at 0, thread at 8 (sp, fsbase, gsbase): see src/abi/structs/sched.ts.
    expect(Number(mem(user.taskStruct) & 0xffffffffn)).toBe(user.pid);
    // Step on until the user task is switched out (thread_struct then holds what __switch_to saved).
    for (let i = 0; i < 200 && k.current === user; i++) k.run(500);
    expect(k.current).not.toBe(user);
    expect(mem(user.taskStruct + 16)).toBe(BigInt(FS));
    expect(mem(user.taskStruct + 24)).toBe(BigInt(GS));
    expect(mem(kspin.taskStruct + 16)).toBe(0n);
  });

  it('a kthread whose registers come back wrong stops at its check (the check is alive)', () => {
    const { k } = bootTasks(design);
    const tick = k.irqHandlers.get(LOCAL_TIMER_VECTOR)!;
    let corrupted = false;
    k.irqHandlers.set(LOCAL_TIMER_VECTOR, (rt, regs, vector) => {
      if (!corrupted && k.current.name === 'kspin') {
        regs.set('r13', 0n); // a broken entry path that restores r13 wrongly
        corrupted = true;
      }
      tick(rt, regs, vector);
    });
    expect(() => k.run(400_000)).toThrow(/exc_invalid_op/);
    expect(corrupted).toBe(true);
  });

  it('a switch that loaded the wrong PKRS makes kpks fault on its key-1 page (the PKRS check is alive)', () => {
    const { k } = bootTasks(design);
    const tick = k.irqHandlers.get(LOCAL_TIMER_VECTOR)!;
    k.irqHandlers.set(LOCAL_TIMER_VECTOR, (rt, regs, vector) => {
      // Forget kpks' key-1 grant in its thread: its next switch-in loads PKS_INIT_VALUE.
      const kpks = k.sched.tasks.find((t) => t.name === 'kpks')!;
      if (k.current !== kpks && kpks.switchIns > 2) kpks.pks.pkrs = PKS_INIT_VALUE;
      tick(rt, regs, vector);
    });
    expect(() => k.run(400_000)).toThrow(/PKS fault not handled/);
  });

  it('sched_yield switches to the next runnable task at once', () => {
    const k = bootKernel(design, { kthreads: true });
    k.startUser(`
1:
  mov $24, %eax
  syscall
  jmp 1b
`, 'yielder');
    k.run(20_000); // no timer: only sched_yield and the kthreads' naps switch
    expect(k.sched.ticks).toBe(0);
    const vias = new Set(k.sched.log.map((e) => e.via));
    expect(vias.has('schedule')).toBe(true);
    expect(k.sched.tasks.find((t) => t.name === 'kspin')!.switchIns).toBeGreaterThan(0);
  });
});

describe('the stacks of tasks that are not running (design aux)', () => {
  const design = BUILTIN_DESIGNS.find((d) => d.name === 'aux')!;

  it('unwinds each from its task_struct: through the switch frame to the pt_regs it was preempted or called from', async () => {
    const { unwindSleepingTask } = await import('../../../src/kernel/arch/x86/unwind-task.js');
    const { k } = bootTasks(design);
    k.run(100_000);
    const byName = (n: string) => k.sched.tasks.find((t) => t.name === n)!;
    const idle = unwindSleepingTask(k.platform, byName('swapper/0').taskStruct);
    expect(idle.frames).toEqual([]);
    expect(idle.stopped).toMatch(/ret_from_fork_asm/);
    for (const name of ['kspin', 'kpks', 'user']) {
      const t = byName(name);
      if (t === k.current) continue;
      const u = unwindSleepingTask(k.platform, t.taskStruct);
      // The innermost frame is the C function that called schedule(): common_interrupt (preempted)
      // or do_syscall_64 (schedule at syscall exit), at its resume point.
      const first = u.frames[0]!;
      expect(first.kind).toBe('native');
      expect(first.kind === 'native' && /^(common_interrupt|do_syscall_64)\+0x8$/.test(first.symbol)).toBe(true);
      const regs = u.frames.find((f) => f.kind === 'pt_regs');
      expect(regs).toBeDefined();
      if (regs?.kind === 'pt_regs') {
        expect(regs.cpl).toBe(name === 'user' ? 3 : 0);
        if (name !== 'user') expect(regs.ipSymbol.startsWith(name === 'kspin' ? 'kthread_spin+' : 'kthread_pks+')).toBe(true);
        // The saved PKRS is found through container_of from the stack alone (aux design).
        if (regs.entry.kind === 'irq') {
          expect(regs.pkrs.found).toBe(true);
          if (regs.pkrs.found) expect(Number(regs.pkrs.value)).toBe(name === 'kpks' ? KEY1_RW : PKS_INIT_VALUE);
        }
      }
    }
  });
});
