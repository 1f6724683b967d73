/**
 * The unwinder never throws on garbage: unreadable frames, return addresses
 * outside kernel text, corrupt pt_regs, frame-pointer loops, calls from
 * stubs that build no pt_regs and interrupted entry text all end the walk
 * with `unwind stopped: ...`.
 */
import { describe, expect, it } from 'vitest';
import { MODE_SUPERVISOR } from '../../../src/cpu/mmu.js';
import { builtinDesign } from '../../../src/design/registry.js';
import { KERNEL_DATA } from '../../../src/kernel/arch/x86/memory-map.js';
import { bootPlatform, type Platform } from '../../../src/kernel/arch/x86/platform.js';
import { formatUnwind, unwindKernelStack } from '../../../src/kernel/arch/x86/unwind.js';

const design = builtinDesign('aux');
const F = KERNEL_DATA + 0x1000; // a fake frame in mapped kernel data

function platform(): Platform {
  return bootPlatform({ design, entryFunctions: {} });
}

function poke(p: Platform, at: number, v: number | bigint): void {
  p.mmu.write64(at, BigInt.asUintN(64, BigInt(v)), MODE_SUPERVISOR);
}

const fn = (p: Platform, name: string): number => p.native.get(name).address;

describe('unwinding garbage', () => {
  it('an unmapped frame pointer', () => {
    const p = platform();
    const u = unwindKernelStack(p, { rbp: 0x1230, rip: fn(p, 'do_syscall_64') });
    expect(u.frames).toHaveLength(1);
    expect(u.stopped).toBe('unwind stopped: frame of do_syscall_64 at 0x1230 is unreadable');
    expect(formatUnwind(u).trimEnd().split('\n')).toHaveLength(2);
  });

  it('a start outside native text, and a return address outside kernel text', () => {
    const p = platform();
    expect(unwindKernelStack(p, { rbp: F, rip: 0x401000 }).stopped).toBe('unwind stopped: user 0x401000 is not native kernel code');
    expect(unwindKernelStack(p, { rbp: F, rip: p.symbols.get('error_entry')! }).stopped)
      .toMatch(/^unwind stopped: interrupted inside kernel assembly at error_entry\+0x0/);
    const u = unwindKernelStack(p, { rbp: F, rip: fn(p, 'do_syscall_64') }); // zeroed memory: returns to 0
    expect(u.stopped).toBe('unwind stopped: do_syscall_64 returns to user 0x0, outside kernel text');
  });

  it('a frame-pointer loop and the frame limit', () => {
    const p = platform();
    poke(p, F, F); // saved RBP = itself
    poke(p, F + 8, fn(p, 'common_interrupt') + 8);
    expect(unwindKernelStack(p, { rbp: F, rip: fn(p, 'exc_nmi') }).stopped).toMatch(/does not move up the stack/);
    // A chain that keeps going up the stack hits the limit.
    for (let i = 0; i < 8; i++) {
      poke(p, F + i * 16, F + (i + 1) * 16);
      poke(p, F + i * 16 + 8, fn(p, 'exc_nmi') + 8);
    }
    const u = unwindKernelStack(p, { rbp: F, rip: fn(p, 'exc_nmi') }, { maxFrames: 4 });
    expect(u.frames).toHaveLength(4);
    expect(u.stopped).toBe('unwind stopped: more than 4 frames');
  });

  it('a corrupt pt_regs, and a call from a stub that builds none', () => {
    const p = platform();
    const ret = p.symbols.get('entry_SYSCALL_64_after_hwframe')! + 0x40;
    poke(p, F + 8, ret);
    const regs = F + 16 + design.extension!.belowPtRegs;
    poke(p, regs + design.ptRegs.members.find((m) => m.name === 'cs')!.offset, 0x1234);
    expect(unwindKernelStack(p, { rbp: F, rip: fn(p, 'do_syscall_64') }).stopped)
      .toMatch(/^unwind stopped: pt_regs at 0x[0-9a-f]+ has cs 0x1234, no code selector/);
    poke(p, F + 8, p.symbols.get('paranoid_entry')! + 4);
    expect(unwindKernelStack(p, { rbp: F, rip: fn(p, 'do_syscall_64') }).stopped)
      .toMatch(/called from paranoid_entry\+0x4, not from a pt_regs-building entry stub/);
  });
});
