/**
 * Shared machinery of the interpreter-vs-host semantics tests (DESIGN.md §5,
 * oracle 1): instruction forms are assembled with GNU as in one run, each
 * form gets a few seeded random inputs, all cases of a family run natively
 * in one harness process (runNative) and one by one on the model
 * (runModel), and every difference is reported with the seed and a
 * one-line description of the case (describeCase).
 *
 * Undefined flags are masked only as undefined-flags.ts says: a form names
 * its instruction's table entry through `undef`, which sees the case (the
 * shift count, the operand size) because several entries depend on it.
 *
 * The seed of a family is fixed (reproducible CI); KENTRY_X86_SEED=n
 * overrides it for every family, to explore other inputs.
 */
import { describeCase, compareResults } from '../host/cases.js';
import { assemble } from '../host/gas.js';
import {
  DATA_BASE, GPR_NAMES, STACK_TOP, dataAt, runNative,
  type DataPatch, type Gprs, type NativeCase, type NativeResult,
} from '../host/native.js';
import { OPERAND_SIZES, Prng, type OperandBits } from '../host/random.js';
import { runModel } from '../model.js';

export { DATA_BASE, STACK_TOP, dataAt, type DataPatch, type Gprs, type NativeCase };
export { Prng, type OperandBits };

/** One instruction form (a snippet's bytes) and how to draw its inputs. */
export interface SemForm {
  /** The AT&T text, for messages. */
  readonly name: string;
  readonly code: Uint8Array;
  /** Operand size whose boundary values the random registers favour (default: random per register). */
  readonly bits?: OperandBits;
  /** Register overrides drawn per case (memory bases, counts, ...); rsp defaults to STACK_TOP. */
  readonly regs?: (rng: Prng) => Partial<Gprs>;
  /** Initial data area per case (default: zeros). */
  readonly data?: (rng: Prng) => readonly DataPatch[];
  /** Input RFLAGS per case (default: random arithmetic flags, DF clear). */
  readonly rflags?: (rng: Prng) => bigint;
  readonly unchecked?: boolean;
  /** The RFLAGS bits this case leaves undefined (from undefined-flags.ts); default none. */
  readonly undef?: (c: NativeCase) => bigint;
  /** Cases per form (default 1). */
  readonly repeat?: number;
}

export interface SemCase {
  readonly form: SemForm;
  readonly case: NativeCase;
}

/** The family seed: fixed by the test, or KENTRY_X86_SEED for exploration. */
export function familySeed(fixed: number): number {
  const env = process.env['KENTRY_X86_SEED'];
  return env !== undefined && env !== '' ? Number(env) >>> 0 : fixed;
}

/** Assembles `texts` in one `as` run; returns forms with `extra` merged into each. */
export function forms(texts: readonly string[], extra: (text: string, i: number) => Omit<SemForm, 'name' | 'code'> = () => ({})): SemForm[] {
  const codes = assemble(texts);
  return texts.map((name, i) => ({ name, code: codes[i]!, ...extra(name, i) }));
}

/** Draws the cases of `list` (each form `repeat` times) from `rng`. */
export function drawCases(list: readonly SemForm[], rng: Prng): SemCase[] {
  const out: SemCase[] = [];
  for (const form of list) {
    for (let k = 0; k < (form.repeat ?? 1); k++) {
      const over = form.regs?.(rng) ?? {};
      const regs = {} as Gprs;
      for (const name of GPR_NAMES) {
        regs[name] = over[name] ?? (name === 'rsp' ? STACK_TOP : rng.interestingReg(form.bits ?? rng.pick(OPERAND_SIZES)));
      }
      const data = form.data?.(rng);
      const c: NativeCase = {
        code: form.code,
        regs,
        rflags: form.rflags?.(rng) ?? rng.rflags(),
        ...(data !== undefined ? { data } : {}),
        ...(form.unchecked ? { unchecked: true } : {}),
      };
      out.push({ form, case: c });
    }
  }
  return out;
}

export interface FamilyReport {
  readonly cases: number;
  readonly failures: readonly string[];
  readonly native: readonly NativeResult[];
}

/** Runs every case natively (one batch) and on the model; returns the differences, one line per failing case. */
export function runCases(seed: number, cases: readonly SemCase[]): FamilyReport {
  const native = runNative(cases.map((c) => c.case));
  const failures: string[] = [];
  cases.forEach(({ form, case: c }, i) => {
    let model: NativeResult;
    try {
      model = runModel(c);
    } catch (e) {
      failures.push(`seed=${seed} #${i} ${describeCase(form, c)} :: model threw ${(e as Error).message}`);
      return;
    }
    const undef = form.undef?.(c) ?? 0n;
    const diffs = compareResults(native[i]!, model, { flagsMask: ~undef, xmm: false });
    if (diffs.length > 0) failures.push(`seed=${seed} #${i} ${describeCase(form, c)} :: ${diffs.join('; ')}`);
    // The same case through compiled blocks (src/cpu/blocks.ts) from the first execution: the host is the oracle for both paths.
    let blocks: NativeResult;
    try {
      blocks = runModel(c, undefined, 1);
    } catch (e) {
      failures.push(`seed=${seed} #${i} ${describeCase(form, c)} :: [blocks] model threw ${(e as Error).message}`);
      return;
    }
    const blockDiffs = compareResults(native[i]!, blocks, { flagsMask: ~undef, xmm: false });
    if (blockDiffs.length > 0) failures.push(`seed=${seed} #${i} ${describeCase(form, c)} :: [blocks] ${blockDiffs.join('; ')}`);
  });
  if (process.env['KENTRY_X86_VERBOSE']) console.log(`semantics: ${cases.length} cases, ${failures.length} differ (seed ${seed})`);
  return { cases: cases.length, failures, native };
}

/** Failure text for an assertion: the count and the first `max` lines. */
export function summarize(report: FamilyReport, max = 12): string {
  if (report.failures.length === 0) return '';
  return `${report.failures.length}/${report.cases} cases differ:\n${report.failures.slice(0, max).join('\n')}`;
}

// ---------------------------------------------------------------------------
// Operand helpers

export const SIZES: readonly OperandBits[] = [8, 16, 32, 64];
/** Suffix of a size (AT&T). */
export const SUFFIX: Readonly<Record<OperandBits, string>> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };

const REG64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const REG8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
export const HIGH8 = ['ah', 'ch', 'dh', 'bh'];

/** The name of register `r` (0..15) at `bits` (AT&T, with %). */
export function reg(r: number, bits: OperandBits): string {
  const t = bits === 64 ? REG64 : bits === 32 ? REG32 : bits === 16 ? REG16 : REG8;
  return `%${t[r]!}`;
}

/** Registers usable as random operands: all but RSP (the stack) and RBX (kept for memory bases). */
export const OPERAND_REGS = [0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/** An 8-bit register operand: sometimes AH..BH (no REX in the instruction), else any byte register. */
export function reg8(rng: Prng, allowHigh: boolean): string {
  if (allowHigh && rng.bool(0.3)) return `%${rng.pick(HIGH8)}`;
  return reg(rng.pick(OPERAND_REGS), 8);
}

/** Memory operands of the families: RBX = MEM_ADDR, in the middle of the data area. */
export const MEM_ADDR = DATA_BASE + 0x1000n;

/** A signed immediate of `bits` (imm32 sign-extended for 64-bit), as AT&T text. */
export function immText(rng: Prng, bits: OperandBits): string {
  const b = bits === 64 ? 32 : bits;
  const v = rng.interesting(b);
  if (bits === 64 || rng.bool()) return `$${BigInt.asIntN(b, v)}`; // negative texts too (and gas wants imm32 signed for q)
  return `$0x${v.toString(16)}`;
}

/** Two register operands of `bits`: for bytes, sometimes high-byte registers (then both without REX). */
export function regPair(rng: Prng, bits: OperandBits): [string, string] {
  if (bits === 8 && rng.bool(0.4)) {
    const legacy = ['al', 'cl', 'dl', 'bl', ...HIGH8];
    return [`%${rng.pick(legacy)}`, `%${rng.pick(legacy)}`];
  }
  return [reg(rng.pick(OPERAND_REGS), bits), reg(rng.pick(OPERAND_REGS), bits)];
}

/** Random bytes around MEM_ADDR with interesting values at the offsets the memory forms use. */
export function memData(bits: OperandBits): (rng: Prng) => readonly DataPatch[] {
  return (rng) => {
    const area = rng.bytes(64);
    const put = (off: number): void => {
      let v = rng.interesting(bits);
      for (let k = 0; k < bits / 8; k++) {
        area[32 + off + k] = Number(v & 0xffn);
        v >>= 8n;
      }
    };
    for (const off of [-16, -8, 0, 8, 16]) put(off);
    return [{ offset: Number(MEM_ADDR - DATA_BASE) - 32, bytes: area }];
  };
}

