/**
 * The injector's stub trigger (issue M3 item 7): an event at the nth
 * instruction boundary inside an entry-text routine. Oracle: iced-x86
 * decoding the routine's bytes (one landing per instruction, in order).
 */
import { describe, expect, it } from 'vitest';
import { Decoder, DecoderOptions } from 'iced-x86';
import { MODE_SUPERVISOR } from '../../src/cpu/mmu.js';
import { builtinDesign } from '../../src/design/registry.js';
import { bootKernel } from '../../src/kernel/boot.js';
import { sweepRoutine } from '../../src/kernel/sweep.js';
import { UsageError } from '../../src/lib/errors.js';

const GETPID = `
1: mov $39, %eax
  syscall
  jmp 1b
`;

function boot() {
  const k = bootKernel(builtinDesign('extended'));
  k.startUser(GETPID, 'user');
  return k;
}

describe('stub-boundary injection', () => {
  it('an NMI at the nth boundary of entry_SYSCALL_64 lands on its nth instruction, in order', () => {
    const ips: number[] = [];
    const points = sweepRoutine({
      boot: () => {
        const k = boot();
        k.nmiHandlers.push((_rt, regs) => ips.push(Number(BigInt.asIntN(64, regs.get('ip')))));
        return k;
      },
      label: 'entry_SYSCALL_64',
      event: { kind: 'nmi' },
      drive: (k) => k.run(400),
      check: (k) => expect(k.violations()).toEqual([]),
    });
    const k = boot();
    const start = k.platform.symbols.get('entry_SYSCALL_64')!;
    expect(points.length).toBeGreaterThan(3);
    expect(ips[0]).toBe(start);
    for (let i = 1; i < ips.length; i++) expect(ips[i]!).toBeGreaterThan(ips[i - 1]!);
    expect(points[0]!.at).toBe('entry_SYSCALL_64+0x0 (boundary 1)');
    // entry_SYSCALL_64 ends at the next global label: every landing lies before it.
    const next = Math.min(...[...k.platform.symbols.values()].filter((a) => a > start));
    expect(ips.every((ip) => ip >= start && ip < next)).toBe(true);
    // As many landings as instructions in [start, next): iced-x86 decodes the routine's bytes from guest memory.
    const bytes = new Uint8Array(next - start);
    for (let i = 0; i < bytes.length; i++) bytes[i] = k.platform.mmu.read8(start + i, MODE_SUPERVISOR);
    const decoder = new Decoder(64, bytes, DecoderOptions.None);
    decoder.ip = BigInt.asUintN(64, BigInt(start));
    let instructions = 0;
    while (decoder.canDecode) {
      const insn = decoder.decode();
      instructions++;
      insn.free();
    }
    decoder.free();
    expect(points).toHaveLength(instructions);
  });

  it('an unknown routine is a usage error naming it', () => {
    const k = boot();
    expect(() => k.injector.schedule({ kind: 'nmi' }, { inStub: 'no_such_stub' })).toThrow(UsageError);
    expect(() => k.injector.schedule({ kind: 'nmi' }, { inStub: 'no_such_stub' })).toThrow(/no_such_stub/);
  });
});
