/**
 * Kernel "C" in TypeScript on the guest stack (DESIGN.md §3): a stub calls a
 * native function (real frame: return address, saved RBP, locals), native
 * code calls native code, and a native access that violates PKS takes a real
 * #PF through the IDT — the handler stub runs, calls native code that relaxes
 * PKRS, IRETQs back to the native function's resume point, and the access is
 * retried.
 */
import { describe, expect, it } from 'vitest';
import { RAX, RBP, RBX, RSP } from '../../src/cpu/core.js';
import { KernelOops, NATIVE_SLOT, NativeRuntime } from '../../src/kernel/arch/x86/native.js';
import { HOST, KBASE, KSTACK_TOP, buildMachine, reg, setReg, u64 } from '../x86/system/machine.js';

const NATIVE_TEXT = HOST + 0x1_0000;
const KEY1_PAGE = KBASE + 0x2_0000;
const CR4_PKS = 1 << 24;

function machine(kernel: string) {
  const m = buildMachine({ kernel, cr4: CR4_PKS, gates: { 14: { target: 'pf_handler' } } });
  m.pt.map4k(KEY1_PAGE, 0x300_0000, { writable: true, key: 1 });
  const rt = new NativeRuntime(m.cpu, NATIVE_TEXT, 0x1000);
  return { ...m, rt };
}

/** Runs the CPU, dispatching native calls, until HLT. */
function runToHalt(m: ReturnType<typeof machine>): void {
  for (let i = 0; i < 1000; i++) {
    const exit = m.cpu.run(10_000);
    if (exit.kind === 'halt') return;
    if (exit.kind !== 'hostcall') throw new Error(`unexpected exit ${exit.kind}`);
    m.rt.dispatch(exit.address);
  }
  throw new Error('no halt');
}

const KERNEL = (target: number) => `
kstart:
  mov $0x1234, %edi
  mov $5, %esi
  movabs $${u64(target)}, %rax
  call *%rax
after_call:
  mov %rax, %rbx
  hlt
pf_handler:
  mov %rsp, %rdi
  movabs $${u64(target + NATIVE_SLOT)}, %rax
  call *%rax
  add $8, %rsp
  iretq
`;

describe('native kernel functions', () => {
  it('run with a real frame and return through ret with RAX', () => {
    const m = machine(KERNEL(NATIVE_TEXT));
    let seen: { frame: number; ret: bigint; savedRbp: bigint; rsp: number } | undefined;
    m.rt.define('sum', (rt, call) => {
      seen = { frame: call.frame, ret: rt.read64(call.frame + 8), savedRbp: rt.read64(call.frame), rsp: m.cpu.reg64(RSP) };
      return call.arg(0) + call.arg(1);
    }, 24);
    m.rt.define('unused', () => 0);
    m.toKernel(m.k('kstart'), 0x2, KSTACK_TOP);
    setReg(m.cpu, RBP, 0xdead_beefn);
    runToHalt(m);
    expect(reg(m.cpu, RBX)).toBe(0x1239n);
    // The frame: [rbp] = caller's RBP, [rbp + 8] = the return address (the instruction after the call).
    expect(seen?.ret).toBe(u64(m.k('after_call')));
    expect(seen?.savedRbp).toBe(0xdead_beefn);
    expect(seen?.frame).toBe(KSTACK_TOP - 8 - 8);
    expect(seen?.rsp).toBe(KSTACK_TOP - 16 - 24); // locals below the saved RBP
    expect(m.cpu.reg64(RSP)).toBe(KSTACK_TOP);
    expect(reg(m.cpu, RBP)).toBe(0xdead_beefn);
  });

  it('call native functions from native code with frames chained through RBP', () => {
    const chain: bigint[] = [];
    // The stub calls the second function (outer), which calls the first (inner).
    const m2 = machine(KERNEL(NATIVE_TEXT + NATIVE_SLOT));
    const inner2 = m2.rt.define('inner', (rt, call) => {
      chain.push(rt.read64(call.frame + 8));
      const outerFrame = Number(BigInt.asIntN(64, rt.read64(call.frame)));
      chain.push(rt.read64(outerFrame + 8));
      return call.arg(0) * 2n;
    });
    m2.rt.define('outer', (rt, call) => rt.call(inner2, call.arg(0)) + 1n, 8);
    m2.toKernel(m2.k('kstart'), 0x2, KSTACK_TOP);
    runToHalt(m2);
    expect(reg(m2.cpu, RBX)).toBe(0x1234n * 2n + 1n);
    // inner returns into outer's resume point; outer returns to the stub.
    expect(chain).toEqual([u64(NATIVE_TEXT + NATIVE_SLOT + 8), u64(m2.k('after_call'))]);
    expect(m2.rt.symbolize(NATIVE_TEXT + NATIVE_SLOT + 8)).toBe('outer+0x8');
  });

  it('a PKS violation in native code is a nested #PF handled by real stubs, then retried', () => {
    const m = machine(KERNEL(NATIVE_TEXT));
    const pkrsAdKey1 = 1 << 2;
    let faults = 0;
    m.rt.define('reader', (rt) => rt.read64(KEY1_PAGE + 8));
    m.rt.define('fixup', (rt, call) => {
      faults++;
      const errorCode = rt.read64(call.address(0)); // the stub passed RSP: the error code is on top
      expect(errorCode).toBe(0x21n); // P | PK, supervisor read (SDM Vol. 3A §4.7)
      expect(m.cpu.cr2).toBe(KEY1_PAGE + 8);
      m.cpu.mmu.setPkrs(0); // the key's "fault callback" grants access
    });
    m.phys.write32(0x300_0008, 0x5eed);
    m.cpu.mmu.setPkrs(pkrsAdKey1);
    m.toKernel(m.k('kstart'), 0x2, KSTACK_TOP);
    runToHalt(m);
    expect(faults).toBe(1);
    expect(reg(m.cpu, RAX)).toBe(0x5eedn);
    expect(m.cpu.reg64(RSP)).toBe(KSTACK_TOP);
  });

  it('a nested handler that never returns is a KernelOops, not a host hang', () => {
    const m = machine(KERNEL(NATIVE_TEXT).replace('pf_handler:', 'pf_handler:\n1: jmp 1b'));
    m.rt.define('reader', (rt) => rt.read64(KEY1_PAGE));
    m.rt.define('fixup', () => undefined);
    m.rt.nestedBudget = 10_000;
    m.cpu.mmu.setPkrs(1 << 2);
    m.toKernel(m.k('kstart'), 0x2, KSTACK_TOP);
    expect(() => runToHalt(m)).toThrow(/without returning/);
  });

  it('an access that keeps faulting is a KernelOops, not a host hang', () => {
    const m = machine(KERNEL(NATIVE_TEXT));
    m.rt.define('reader', (rt) => rt.read64(KEY1_PAGE));
    m.rt.define('fixup', () => undefined); // never fixes anything
    m.cpu.mmu.setPkrs(1 << 2);
    m.toKernel(m.k('kstart'), 0x2, KSTACK_TOP);
    expect(() => runToHalt(m)).toThrow(KernelOops);
  });
});
