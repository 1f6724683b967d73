/**
 * Stack, control transfer and flag instructions vs the host CPU: PUSH/POP
 * (registers incl. RSP, memory incl. RSP-based destinations, immediates,
 * 16-bit with 66), CALL/RET/RET imm16/JMP (relative forward, indirect
 * through a register and memory — `unchecked`, the targets are forward),
 * ENTER (nesting levels 0..4, 16- and 64-bit)/LEAVE, PUSHF/POPF at CPL 3
 * (IOPL and IF unchanged, AC/ID/DF/arithmetic flags loaded), CLC STC CMC
 * CLD STD, LAHF/SAHF.
 * @see Intel SDM Vol. 2 "PUSH", "POP", "CALL", "RET", "ENTER", "LEAVE", "POPF", "SAHF"
 */
import { describe, expect, it } from 'vitest';
import { FLAG, SKIP_HOST_ORACLE } from '../host/native.js';
import {
  DATA_BASE, MEM_ADDR, OPERAND_REGS, Prng, STACK_TOP, drawCases, familySeed, forms, memData, reg, runCases, summarize,
  type DataPatch, type Gprs, type OperandBits, type SemForm,
} from './family.js';

interface StackText {
  readonly text: string;
  readonly bits: OperandBits;
  readonly unchecked?: boolean;
  readonly regs?: (rng: Prng) => Partial<Gprs>;
  readonly rflags?: (rng: Prng) => bigint;
}

/** Random bytes around the stack top (both what a POP reads and what ENTER copies) and at MEM_ADDR. */
function stackData(rng: Prng): DataPatch[] {
  const top = Number(STACK_TOP - DATA_BASE);
  return [{ offset: top - 0x100, bytes: rng.bytes(0x200) }, ...memData(64)(rng)];
}

function pushPopTexts(rng: Prng): StackText[] {
  const out: StackText[] = [];
  for (let i = 0; i < 20; i++) {
    const r = reg(rng.pick(OPERAND_REGS), 64);
    const r16 = reg(rng.pick(OPERAND_REGS), 16);
    const m = `${rng.pick([0, 8, -8, 3])}(%rbx)`;
    out.push(
      { text: `push ${r}; pop ${reg(rng.pick(OPERAND_REGS), 64)}`, bits: 64 },
      { text: `pop ${r}`, bits: 64 },
      { text: `pushw ${r16}; pop ${reg(rng.pick(OPERAND_REGS), 64)}`, bits: 16 },
      { text: `popw ${r16}`, bits: 16 },
      { text: `push $${rng.range(-128, 127)}`, bits: 64 },
      { text: `push $${BigInt.asIntN(32, rng.interesting(32))}`, bits: 64 },
      { text: `pushw $${rng.range(-32768, 32767)}`, bits: 16 },
      { text: `pushw $${rng.range(-128, 127)}`, bits: 16 },
      { text: `pushq ${m}`, bits: 64 },
      { text: `pushw ${m}`, bits: 16 },
      { text: `popq ${m}`, bits: 64 },
      { text: `popw ${m}`, bits: 16 },
      { text: `push %rsp; pop %rax`, bits: 64 },
      { text: `pop %rsp`, bits: 64 },
      { text: `popq ${rng.pick([0, 8, -8, 16])}(%rsp)`, bits: 64 }, // the address uses RSP after the increment
      { text: `pushq ${rng.pick([0, 8, -8])}(%rsp)`, bits: 64 },
      { text: `popw (%rsp)`, bits: 16 },
    );
  }
  return out;
}

function branchTexts(rng: Prng): StackText[] {
  const out: StackText[] = [];
  for (let i = 0; i < 12; i++) {
    const r = reg(rng.pick([0, 1, 2, 5, 6, 7, 8, 9]), 64);
    out.push(
      { text: 'call 1f\nud2\n1: pop %rax', bits: 64 },
      { text: '{disp32} jmp 1f\nud2\n1: nop', bits: 64 },
      { text: 'jmp 1f\nud2\n1: nop', bits: 64 },
      { text: 'call 1f\njmp 2f\n1: ret\n2: nop', bits: 64, unchecked: true },
      { text: `push ${r}\npush ${r}\ncall 1f\njmp 2f\n1: ret $16\n2: nop`, bits: 64, unchecked: true },
      { text: `push ${r}\ncall 1f\njmp 2f\n1: ret $${rng.pick([1, 3, 8])}\n2: nop`, bits: 64, unchecked: true },
      { text: `lea 1f(%rip), ${r}\njmp *${r}\nud2\n1: nop`, bits: 64, unchecked: true },
      { text: `lea 1f(%rip), ${r}\ncall *${r}\n1: pop %rcx`, bits: 64, unchecked: true },
      { text: `lea 1f(%rip), ${r}\nmov ${r}, 8(%rbx)\njmp *8(%rbx)\nud2\n1: nop`, bits: 64, unchecked: true },
      { text: `lea 1f(%rip), ${r}\nmov ${r}, (%rbx)\ncall *(%rbx)\n1: pop %rcx`, bits: 64, unchecked: true },
      // A non-canonical indirect target: #GP at the branch, nothing pushed.
      { text: `movabs $0x0000800000000000, ${r}\ncall *${r}`, bits: 64, unchecked: true },
      { text: `movabs $0xffff7fffffffffff, ${r}\njmp *${r}`, bits: 64, unchecked: true },
    );
  }
  return out;
}

function enterLeaveTexts(rng: Prng): StackText[] {
  const out: StackText[] = [];
  const bp = (g: Prng): Partial<Gprs> => ({ rbp: STACK_TOP + BigInt(g.pick([0, 8, 0x40, 0x80, 0xf0])) });
  for (let i = 0; i < 14; i++) {
    const alloc = rng.pick([0, 8, 16, 0x18, 0x100, rng.below(0x200)]);
    const level = rng.pick([0, 1, 2, 3, 4]);
    out.push(
      { text: `enter $${alloc}, $${level}`, bits: 64, regs: bp },
      { text: `enter $${alloc}, $${level}\nleave`, bits: 64, regs: bp },
      { text: `enterw $${alloc}, $${level}`, bits: 16, regs: bp },
      { text: `leave`, bits: 64, regs: bp },
      { text: `leavew`, bits: 16, regs: bp },
    );
  }
  return out;
}

/** A POPF operand: random bits except TF (single-step) and NT; IOPL/IF/VIF/VIP/RF/VM attempts are ignored at CPL 3. */
function popfValue(rng: Prng): bigint {
  return (rng.u64() & ~(FLAG.TF | (1n << 14n))) | (rng.bool() ? FLAG.IF : 0n);
}

function flagTexts(rng: Prng): StackText[] {
  const out: StackText[] = [];
  const withDf = (g: Prng): bigint => g.rflags({ df: true });
  for (let i = 0; i < 25; i++) {
    const r = reg(rng.pick([0, 1, 2, 5, 6, 7, 8, 9]), 64);
    out.push(
      { text: `pushf\npop ${r}`, bits: 64, rflags: withDf },
      { text: `pushfw\npopw ${r.replace(/^%r(\d+)$/, '%r$1w').replace(/^%r([a-z]+)$/, '%$1')}`, bits: 16, rflags: withDf },
      { text: `push ${r}\npopf`, bits: 64, regs: (g) => ({ [r.slice(1)]: popfValue(g) }), rflags: withDf },
      { text: `pushw ${r.replace(/^%r(\d+)$/, '%r$1w').replace(/^%r([a-z]+)$/, '%$1')}\npopfw`, bits: 16, regs: (g) => ({ [r.slice(1)]: popfValue(g) }), rflags: withDf },
      { text: `push ${r}\npopf\npushf\npop %rax`, bits: 64, regs: (g) => ({ [r.slice(1)]: popfValue(g) & ~FLAG.AC }), rflags: withDf },
      { text: 'clc', bits: 64, rflags: withDf },
      { text: 'stc', bits: 64, rflags: withDf },
      { text: 'cmc', bits: 64, rflags: withDf },
      { text: 'cld', bits: 64, rflags: withDf },
      { text: 'std', bits: 64, rflags: withDf },
      { text: 'lahf', bits: 64, rflags: withDf },
      { text: 'sahf', bits: 64, rflags: withDf },
      { text: 'sahf\nlahf', bits: 64, rflags: withDf },
    );
  }
  return out;
}

/** LOOP/LOOPE/LOOPNE and JRCXZ/JECXZ: counts from RCX (ECX under 67, written back zero-extended), no flags changed. */
function loopTexts(rng: Prng): StackText[] {
  const out: StackText[] = [];
  const small = (g: Prng): Partial<Gprs> => ({ rcx: BigInt(g.range(0, 6)), rdx: BigInt(g.range(0, 3)) });
  // ECX small, the upper half random: only the 67 forms may look at ECX alone. The loops run at most 6 times (unchecked: backward).
  const high = (g: Prng): Partial<Gprs> => ({ rcx: (g.u64() & ~0xffff_ffffn) | BigInt(g.range(0, 6)), rdx: BigInt(g.range(0, 3)) });
  for (let i = 0; i < 8; i++) {
    out.push(
      { text: 'xor %eax, %eax; test %rcx, %rcx; jz 2f; 1: inc %eax; loop 1b; 2:', bits: 64, regs: small, unchecked: true },
      { text: 'xor %eax, %eax; test %ecx, %ecx; jz 2f; 1: inc %eax; .byte 0x67; loop 1b; 2:', bits: 32, regs: high, unchecked: true },
      { text: 'xor %eax, %eax; test %rcx, %rcx; jz 2f; 1: inc %eax; cmp %eax, %edx; loope 1b; 2:', bits: 64, regs: small, unchecked: true },
      { text: 'xor %eax, %eax; test %rcx, %rcx; jz 2f; 1: inc %eax; cmp %eax, %edx; loopne 1b; 2:', bits: 64, regs: small, unchecked: true },
      { text: 'mov $7, %eax; jrcxz 1f; mov $9, %eax; 1:', bits: 64, regs: rng.bool() ? small : high },
      { text: 'mov $7, %eax; jecxz 1f; mov $9, %eax; 1:', bits: 32, regs: high },
    );
  }
  return out;
}

function build(list: readonly StackText[], repeat: number): SemForm[] {
  return forms(list.map((t) => t.text), (_s, i) => {
    const t = list[i]!;
    return {
      bits: t.bits,
      repeat,
      regs: (rng: Prng) => ({ rbx: MEM_ADDR, ...(t.regs?.(rng) ?? {}) }),
      data: stackData,
      ...(t.rflags !== undefined ? { rflags: t.rflags } : {}),
      ...(t.unchecked ? { unchecked: true } : {}),
    };
  });
}

function run(seed: number, list: readonly StackText[], repeat: number, min: number): void {
  const report = runCases(seed, drawCases(build(list, repeat), new Prng(seed)));
  expect(report.cases).toBeGreaterThanOrEqual(min);
  expect(summarize(report)).toBe('');
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: stack, branches, flags', () => {
  it('PUSH POP', () => {
    const seed = familySeed(0x57a1);
    run(seed, pushPopTexts(new Prng(seed ^ 1)), 1, 340);
  });

  it('CALL RET JMP (relative, indirect, non-canonical targets)', () => {
    const seed = familySeed(0x57a2);
    run(seed, branchTexts(new Prng(seed ^ 1)), 1, 140);
  });

  it('LOOP LOOPE LOOPNE JRCXZ JECXZ', () => {
    const seed = familySeed(0x57a5);
    run(seed, loopTexts(new Prng(seed ^ 1)), 1, 40);
  });

  it('ENTER LEAVE', () => {
    const seed = familySeed(0x57a3);
    run(seed, enterLeaveTexts(new Prng(seed ^ 1)), 2, 140);
  });

  it('PUSHF POPF (CPL 3) CLC STC CMC CLD STD LAHF SAHF', () => {
    const seed = familySeed(0x57a4);
    run(seed, flagTexts(new Prng(seed ^ 1)), 1, 320);
  });
});
