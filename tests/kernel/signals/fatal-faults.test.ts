/**
 * A user program's faults become signals whose default action ends the
 * process (no handlers can be installed yet), and exit_group ends it with
 * its code — under every design. Oracle: reference §8 (the host kernel's
 * signal and si_code for ud2, hlt, int $N, int3) and the kernel's traps.c
 * / fault.c for #DE and #PF (FPE_INTDIV with si_addr = RIP; SEGV_MAPERR with
 * si_addr = the address).
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { USER_TEXT } from '../../../src/kernel/arch/x86/memory-map.js';
import { bootKernel } from '../../../src/kernel/boot.js';

/** coreDumped is WCOREDUMP: a core was written — never here, where no dumper is installed (RLIMIT_CORE 0 in effect). */
const CASES = [
  { name: 'exit_group(42)', prog: 'mov $42, %edi\n mov $231, %eax\n syscall\n ud2', exit: { kind: 'exited', code: 42 } },
  { name: 'ud2', prog: 'ud2', exit: { kind: 'killed', signal: 4, coreDumped: false, code: 2 /* ILL_ILLOPN */, addr: USER_TEXT } },
  { name: 'hlt', prog: 'hlt', exit: { kind: 'killed', signal: 11, coreDumped: false, code: 0x80, addr: 0 } },
  { name: 'int $0x2d', prog: 'int $0x2d', exit: { kind: 'killed', signal: 11, coreDumped: false, code: 0x80, addr: 0 } },
  { name: 'int3', prog: 'int3', exit: { kind: 'killed', signal: 5, coreDumped: false, code: 0x80, addr: 0 } },
  { name: 'divide by zero', prog: 'xor %ecx, %ecx\n div %ecx', exit: { kind: 'killed', signal: 8, coreDumped: false, code: 1, addr: USER_TEXT + 2 } },
  { name: 'read of address 0x10', prog: 'mov 0x10, %rax', exit: { kind: 'killed', signal: 11, coreDumped: false, code: 1 /* SEGV_MAPERR */, addr: 0x10 } },
  { name: 'write to its own text', prog: `movb $1, ${USER_TEXT}`, exit: { kind: 'killed', signal: 11, coreDumped: false, code: 2 /* SEGV_ACCERR */, addr: USER_TEXT } },
] as const;

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('fatal faults, design %s', (_n, design) => {
  it.each(CASES)('$name', ({ prog, exit }) => {
    const k = bootKernel(design);
    const task = k.startUser(prog, 'victim');
    const r = k.run(10_000);
    expect(r.kind).toBe('task-exit');
    expect(task.exit).toEqual(exit);
    expect(task.state).toBe('dead');
    expect(k.exited).toEqual([task]);
    // The dead task switched away for good: the machine goes on in the idle task.
    expect(k.run(200).kind).toBe('budget');
    expect(k.current.kind).toBe('idle');
    expect(k.violations()).toEqual([]);
  });
});
