/**
 * Guest MIPS: a compute-bound user-mode loop (loads, stores, ALU, IMUL,
 * shifts, LEA, compare-and-branch — the mix of compiled integer code),
 * assembled with kentry's own assembler and run on the interpreter.
 */
import { assemble } from '../src/asm/index.js';
import { createCpu } from '../src/cpu/machine.js';
import { Mmu } from '../src/cpu/mmu.js';
import { PageTableBuilder } from '../src/cpu/page-table-builder.js';
import { PhysMemory } from '../src/cpu/phys-memory.js';
import type { Benchmark } from './harness.js';

const CODE = 0x40_0000;
const DATA = 0x60_0000;

/** ~12 instructions per iteration; the loop never ends, the budget stops it. */
const LOOP = `
    xor %eax, %eax
    mov $${DATA}, %rsi
    xor %edx, %edx
    mov $0x9e3779b97f4a7c15, %r8
1:  mov (%rsi,%rdx,8), %rbx
    add %rbx, %rax
    imul $0x45d9f3b, %eax, %ecx
    xor %rcx, %rax
    lea 1(%rdx), %edx
    and $63, %edx
    mov %rax, (%rsi,%rdx,8)
    shr $3, %rbx
    sub %rbx, %rax
    cmp %r8, %rax
    jne 1b
    jmp 1b
`;

export const CPU_BENCHMARK: Benchmark = {
  name: 'cpu: compute-bound guest loop',
  unit: 'guest instruction',
  warmupSeconds: 2,
  setup() {
    const phys = new PhysMemory();
    const b = new PageTableBuilder(phys, { tableBase: 0x10_0000 });
    b.map4k(CODE, 0x20_0000, { writable: false, user: true });
    b.map4k(DATA, 0x30_0000, { writable: true, user: true, noExec: true });
    phys.writeBytes(0x20_0000, assemble(LOOP, { origin: CODE }).bytes);
    const mmu = new Mmu(phys);
    mmu.setEfer((1 << 0) | (1 << 8) | (1 << 10) | (1 << 11));
    mmu.setCr0(1 | (1 << 16) | 0x8000_0000);
    mmu.setCr4(1 << 5);
    mmu.setCr3(b.root);
    const cpu = createCpu(mmu);
    cpu.setCs(0x33);
    cpu.ss = 0x2b;
    cpu.rip = CODE;
    return () => {
      const before = cpu.instructions;
      const exit = cpu.run(1_000_000);
      if (exit.kind !== 'budget') throw new Error(`bench loop exited: ${exit.kind}`);
      return cpu.instructions - before;
    };
  },
};
