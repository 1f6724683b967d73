/**
 * Memory operands and faults vs the host CPU: SIB addressing with every
 * scale, 67-prefixed (32-bit) addresses with garbage above bit 31,
 * RIP-relative reads and read-modify-writes (also with an immediate after
 * the displacement, so RIP is the end of the whole instruction); then the
 * faults integer instructions raise: #PF on the guard pages (read, write,
 * read-modify-write, an access split across the end of the data area,
 * PUSH into a guard page, REP string operations that fault part-way,
 * CMOVcc whose condition is false), #GP(0) for non-canonical addresses,
 * #SS(0) for non-canonical RSP/RBP-based ones, #UD for LOCK where it is
 * not allowed, #DE for INT_MIN / -1.
 * @see Intel SDM Vol. 2 §2.1.5 (addressing), §2.2.1.6 (RIP-relative); Vol. 3A §6.15 (#GP, #SS, #PF)
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../host/gas.js';
import { CODE_BASE, DATA_SIZE, SKIP_HOST_ORACLE } from '../host/native.js';
import {
  DATA_BASE, MEM_ADDR, OPERAND_REGS, Prng, SIZES, SUFFIX, drawCases, familySeed, forms, immText, memData, reg, runCases,
  summarize, type Gprs, type OperandBits, type SemForm,
} from './family.js';
import { undefFor } from './undefined-flags.js';

const NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const DATA_END = DATA_BASE + BigInt(DATA_SIZE);

interface MemText {
  readonly text: string;
  readonly bits: OperandBits;
  readonly mnemonic?: string;
  readonly regs?: (rng: Prng) => Partial<Gprs>;
  readonly unchecked?: boolean;
}

/** Random area around MEM_ADDR (±0x400) so that scaled indexes read defined bytes. */
function wideData(rng: Prng): { offset: number; bytes: Uint8Array }[] {
  return [{ offset: Number(MEM_ADDR - DATA_BASE) - 0x400, bytes: rng.bytes(0x800) }, ...memData(64)(rng)];
}

function sibTexts(rng: Prng): MemText[] {
  const out: MemText[] = [];
  for (let i = 0; i < 40; i++) {
    const bits = rng.pick(SIZES);
    const s = SUFFIX[bits];
    const idx = rng.pick([1, 2, 5, 6, 7, 8, 9, 12, 13, 15]); // any index but RBX/RSP
    const src = reg(rng.pick([0, 10, 11, 14]), bits);
    const scale = rng.pick([1, 2, 4, 8]);
    const disp = rng.pick([0, 1, -1, 0x7f, -0x80, 0x100, -0x100]);
    const op = rng.pick(['add', 'sub', 'xor', 'mov', 'cmp', 'adc']);
    const index = rng.range(-60, 60);
    const ix = (): Partial<Gprs> => ({ [NAMES[idx]!]: BigInt.asUintN(64, BigInt(index)) });
    out.push(
      { text: `${op}${s} ${src}, ${disp}(%rbx,${reg(idx, 64)},${scale})`, bits, regs: ix },
      { text: `${op}${s} ${disp}(%rbx,${reg(idx, 64)},${scale}), ${src}`, bits, regs: ix },
      // 32-bit addressing: bits 63:32 of RBX and the index are ignored; the sum wraps at 2^32.
      {
        text: `addr32 ${op}${s} ${src}, ${disp}(%ebx,${reg(idx, 32)},${scale})`, bits,
        regs: (g) => ({ rbx: (g.u64() & 0xffff_ffff_0000_0000n) | MEM_ADDR, [NAMES[idx]!]: (g.u64() & 0xffff_ffff_0000_0000n) | BigInt.asUintN(32, BigInt(index)) }),
      },
      // No base: disp32 + index (absolute SIB form).
      { text: `${op}${s} ${src}, ${Number(MEM_ADDR) + disp}(,${reg(idx, 64)},${scale})`, bits, regs: ix },
    );
  }
  return out;
}

/**
 * RIP-relative forms aimed at MEM_ADDR + k: assembled once with a zero
 * displacement to learn the length, then with the real displacement
 * (the snippet is one instruction at CODE_BASE).
 */
function ripTexts(rng: Prng): MemText[] {
  const templates: { t: string; bits: OperandBits; mnemonic?: string }[] = [];
  for (let i = 0; i < 24; i++) {
    const bits = rng.pick(SIZES);
    const s = SUFFIX[bits];
    const r = reg(rng.pick(OPERAND_REGS), bits);
    const op = rng.pick(['add', 'or', 'and', 'sub', 'mov', 'cmp']);
    templates.push(
      { t: `${op}${s} DISP(%rip), ${r}`, bits, mnemonic: op },
      { t: `${op}${s} ${r}, DISP(%rip)`, bits, mnemonic: op },
      { t: `${op}${s} ${immText(rng, bits)}, DISP(%rip)`, bits, mnemonic: op },
      { t: `rol${s} DISP(%rip)`, bits },
      { t: `bt${bits === 8 ? 'w' : s} $${rng.below(16)}, DISP(%rip)`, bits: bits === 8 ? 16 : bits, mnemonic: 'bt' },
    );
  }
  const zero = assemble(templates.map((x) => x.t.replace('DISP', '0')));
  return templates.map((x, i) => {
    const len = BigInt(zero[i]!.length);
    const target = MEM_ADDR + BigInt(rng.range(-8, 8));
    const disp = target - (CODE_BASE + len);
    return { text: x.t.replace('DISP', String(disp)), bits: x.bits, ...(x.mnemonic !== undefined ? { mnemonic: x.mnemonic } : {}) };
  });
}

function faultTexts(rng: Prng): MemText[] {
  const out: MemText[] = [];
  const at = (addr: bigint) => (): Partial<Gprs> => ({ rbx: addr });
  for (let i = 0; i < 6; i++) {
    const bits = rng.pick(SIZES);
    const s = SUFFIX[bits];
    const n = BigInt(bits / 8);
    const r = reg(rng.pick([0, 1, 2, 6, 7]), bits);
    out.push(
      { text: `mov${s} (%rbx), ${r}`, bits, regs: at(DATA_BASE - n) }, // guard page below: read
      { text: `mov${s} ${r}, (%rbx)`, bits, regs: at(DATA_END) }, // guard page above: write
      { text: `add${s} ${r}, (%rbx)`, bits, regs: at(DATA_END + BigInt(rng.below(64))) }, // read-modify-write
      { text: `inc${s} (%rbx)`, bits, regs: at(DATA_BASE - 0x1000n) },
      { text: `xchg${s} ${r}, (%rbx)`, bits, regs: at(DATA_END) },
      { text: `mov${s} (%rbx), ${r}`, bits, regs: at(0x10_0000_0000n) }, // an unmapped user address
      { text: `mov${s} (%rbx), ${r}`, bits, regs: at(0x0000_8000_0000_0000n) }, // non-canonical: #GP(0)
      { text: `mov${s} ${r}, (%rbx)`, bits, regs: at(0xffff_7fff_ffff_fff8n) },
    );
    // The last byte beyond 2^47 - 1: #GP(0), or #SS(0) through RSP/RBP.
    const edge = 0x8000_0000_0000n - n + 1n + BigInt(rng.below(Number(n) - 1));
    if (bits > 8) {
      out.push(
        { text: `mov${s} ${r}, (%rbx)`, bits, regs: at(edge) },
        { text: `add${s} ${r}, (%rbx)`, bits, regs: at(edge) },
        { text: `mov${s} ${r}, 8(%rbp)`, bits, regs: () => ({ rbp: edge - 8n }) },
        { text: `mov${s} (%rbx), ${r}`, bits, regs: at(edge) },
        { text: `mov${s} (%rsp), ${r}`, bits, regs: () => ({ rsp: edge }) },
      );
    }
    if (bits > 8) {
      // Split across the end of the data area: the fault is on the first byte of the guard page.
      out.push(
        { text: `mov${s} (%rbx), ${r}`, bits, regs: at(DATA_END - n + 1n) },
        { text: `mov${s} ${r}, (%rbx)`, bits, regs: at(DATA_END - 1n) },
        { text: `sub${s} ${r}, (%rbx)`, bits, regs: at(DATA_BASE - 1n) },
      );
      out.push({ text: `cmovz${s} (%rbx), ${r}`, bits, regs: at(DATA_END) }); // the read happens whatever the condition
    }
  }
  out.push(
    // Stack faults: PUSH into the guard page, RSP-based non-canonical (#SS), RBP-based (#SS).
    { text: 'push %rax', bits: 64, regs: () => ({ rsp: DATA_BASE }) },
    { text: 'push %rax', bits: 64, regs: () => ({ rsp: DATA_BASE + 4n }) },
    { text: 'pop %rax', bits: 64, regs: () => ({ rsp: DATA_END - 4n }) },
    { text: 'call 1f\n1: nop', bits: 64, regs: () => ({ rsp: DATA_BASE }) },
    { text: 'mov 8(%rsp), %rax', bits: 64, regs: () => ({ rsp: 0x0000_8000_0000_0000n }) },
    { text: 'mov 8(%rbp), %rax', bits: 64, regs: () => ({ rbp: 0x0000_8000_0000_0000n }) },
    { text: 'mov 8(%rbp,%rbx), %rax', bits: 64, regs: () => ({ rbp: 0x0000_8000_0000_0000n, rbx: 0n }) },
    { text: 'push %rax', bits: 64, regs: () => ({ rsp: 0x0000_8000_0000_0004n }) },
    { text: 'pop %rax', bits: 64, regs: () => ({ rsp: 0x0000_7fff_ffff_fffcn }) },
    { text: 'pushw %ax', bits: 16, regs: () => ({ rsp: 0x0000_8000_0000_0001n }) },
    { text: 'lodsl', bits: 32, regs: () => ({ rsi: 0x0000_7fff_ffff_fffen }) },
    { text: '.byte 0x36, 0xad', bits: 32, regs: () => ({ rsi: 0x0000_7fff_ffff_fffen }) },
    { text: 'stosq', bits: 64, regs: () => ({ rdi: 0x0000_7fff_ffff_fffcn }) },
    { text: 'enter $8, $0', bits: 64, regs: () => ({ rsp: DATA_BASE }) },
    // REP string operations running into a guard page: the registers show the progress made.
    { text: 'rep movsb', bits: 8, regs: () => ({ rsi: DATA_END - 3n, rdi: MEM_ADDR, rcx: 9n }) },
    { text: 'rep stosl', bits: 32, regs: () => ({ rdi: DATA_END - 10n, rcx: 9n }) },
    { text: 'rep movsq', bits: 64, regs: () => ({ rsi: MEM_ADDR, rdi: DATA_BASE + 8n, rcx: 5n }), unchecked: false },
    { text: 'std\nrep movsq', bits: 64, regs: () => ({ rsi: MEM_ADDR, rdi: DATA_BASE + 16n, rcx: 5n }) },
    { text: 'repe cmpsb', bits: 8, regs: () => ({ rsi: DATA_END - 2n, rdi: DATA_END - 2n, rcx: 9n }) },
    { text: 'repne scasw', bits: 16, regs: () => ({ rax: 0xffffn, rdi: DATA_END - 6n, rcx: 9n }) },
    { text: 'lodsq', bits: 64, regs: () => ({ rsi: 0x0000_8000_0000_0000n }) },
    // LOCK where it is not allowed: register destination, MOV, CMP, a non-memory BT.
    { text: '.byte 0xf0, 0x01, 0xd8', bits: 32 },
    { text: '.byte 0xf0, 0x89, 0x03', bits: 32 },
    { text: '.byte 0xf0, 0x39, 0x03', bits: 32 },
    { text: '.byte 0xf0, 0x0f, 0xab, 0xc3', bits: 32 },
    { text: '.byte 0xf0, 0x90', bits: 32 },
    // #DE: INT_MIN / -1 at each size, and a zero divisor from memory.
    { text: 'idivb %cl', bits: 8, mnemonic: 'idiv', regs: () => ({ rax: 0x8000n, rcx: 0xffn }) },
    { text: 'idivw %cx', bits: 16, mnemonic: 'idiv', regs: () => ({ rax: 0n, rdx: 0x8000n, rcx: 0xffffn }) },
    { text: 'idivl %ecx', bits: 32, mnemonic: 'idiv', regs: () => ({ rax: 0n, rdx: 0x8000_0000n, rcx: 0xffff_ffffn }) },
    { text: 'idivq %rcx', bits: 64, mnemonic: 'idiv', regs: () => ({ rax: 0n, rdx: 0x8000_0000_0000_0000n, rcx: (1n << 64n) - 1n }) },
    { text: 'idivl %ecx', bits: 32, mnemonic: 'idiv', regs: () => ({ rax: 0x8000_0000n, rdx: 0xffff_ffffn, rcx: 0xffff_ffffn }) },
    { text: 'idivq %rcx', bits: 64, mnemonic: 'idiv', regs: () => ({ rax: 0x8000_0000_0000_0000n, rdx: (1n << 64n) - 1n, rcx: (1n << 64n) - 1n }) },
    { text: 'divl 0x20(%rbx)', bits: 32, mnemonic: 'div', regs: () => ({ rbx: DATA_BASE }) },
  );
  return out;
}

/**
 * 32-bit loads ending past 2^47 - 1 (8B /r runs through ops/fast.ts's
 * specialised loadGM32, which once skipped the end-of-canonical check and
 * raised #PF instead of #GP(0) / #SS(0); fixed in 4febee5).
 */
function edgeLoadTexts(): MemText[] {
  const out: MemText[] = [];
  for (const k of [1n, 2n, 3n]) {
    const edge = 0x8000_0000_0000n - k;
    out.push(
      { text: 'movl (%rbx), %ecx', bits: 32, regs: () => ({ rbx: edge }) },
      { text: 'movl (%rsp), %ecx', bits: 32, regs: () => ({ rsp: edge }) },
    );
  }
  return out;
}

function build(list: readonly MemText[], repeat: number): SemForm[] {
  return forms(list.map((t) => t.text), (_s, i) => {
    const t = list[i]!;
    return {
      bits: t.bits,
      repeat,
      regs: (rng: Prng) => ({ rbx: MEM_ADDR, ...(t.regs?.(rng) ?? {}) }),
      data: wideData,
      rflags: (rng: Prng) => rng.rflags({ df: false }),
      ...(t.mnemonic !== undefined ? { undef: undefFor(t.mnemonic, t.bits) } : {}),
      ...(t.unchecked ? { unchecked: true } : {}),
    };
  });
}

function run(seed: number, list: readonly MemText[], repeat: number, min: number): void {
  const report = runCases(seed, drawCases(build(list, repeat), new Prng(seed)));
  expect(report.cases).toBeGreaterThanOrEqual(min);
  expect(summarize(report)).toBe('');
}

describe.skipIf(SKIP_HOST_ORACLE)('semantics vs host: memory operands and faults', () => {
  it('SIB, 67 and RIP-relative memory operands', () => {
    const seed = familySeed(0x3e31);
    const rng = new Prng(seed ^ 1);
    run(seed, [...sibTexts(rng), ...ripTexts(rng)], 1, 270);
  });

  it('#PF #GP #SS #UD #DE from integer instructions', () => {
    const seed = familySeed(0x3e32);
    run(seed, faultTexts(new Prng(seed ^ 1)), 2, 150);
  });

  it('a 32-bit load ending past 2^47 - 1 raises #GP/#SS, not #PF (the fast path included)', () => {
    run(familySeed(0x3e33), edgeLoadTexts(), 1, 6);
  });
});
