/**
 * Generic helpers for randomized instruction cases: a generator that turns
 * instruction forms (bytes + operand size) into seeded NativeCases with
 * interesting inputs, and a comparison that lists, readably, how two runs of
 * the same case differ (the native harness against kentry's interpreter).
 * Per-instruction generators build on these.
 */
import { GPR_NAMES, STACK_TOP, type DataPatch, type Gprs, type NativeCase, type NativeResult } from './native.js';
import { OPERAND_SIZES, Prng, type OperandBits } from './random.js';

export interface InstructionForm {
  /** For messages, e.g. "add %ebx,%eax". */
  readonly name: string;
  readonly code: Uint8Array;
  /** The operand size whose boundary values the inputs favour (default: a random size per register). */
  readonly bits?: OperandBits;
  /** Registers that get fixed values instead of random ones (rsp defaults to STACK_TOP). */
  readonly fixed?: Partial<Gprs>;
  /** Initial data area (default zeros). */
  readonly data?: readonly DataPatch[] | ((rng: Prng) => readonly DataPatch[]);
  /** Random XMM registers and a random MXCSR rounding mode (default false: zeros and 0x1f80). */
  readonly xmm?: boolean;
  /** Random DF on input (default false: string instructions then walk forward). */
  readonly df?: boolean;
  readonly unchecked?: boolean;
}

export interface GeneratedCase {
  readonly form: InstructionForm;
  readonly case: NativeCase;
}

/**
 * `count` cases spread round-robin over `forms` (so every form gets its share
 * whatever the count), inputs drawn from `new Prng(seed)`: every GPR an
 * interesting value of the form's operand size with random upper bits,
 * random arithmetic flags.
 */
export function generateCases(forms: readonly InstructionForm[], count: number, seed: number): GeneratedCase[] {
  if (forms.length === 0) throw new Error('generateCases: no forms');
  const rng = new Prng(seed);
  const out: GeneratedCase[] = [];
  for (let i = 0; i < count; i++) {
    const form = forms[i % forms.length] as InstructionForm;
    const regs = {} as Gprs;
    for (const name of GPR_NAMES) {
      regs[name] = form.fixed?.[name] ?? (name === 'rsp' ? STACK_TOP : rng.interestingReg(form.bits ?? rng.pick(OPERAND_SIZES)));
    }
    const data = typeof form.data === 'function' ? form.data(rng) : form.data;
    const c: NativeCase = {
      code: form.code,
      regs,
      rflags: rng.rflags({ df: form.df ?? false }),
      ...(form.xmm ? { xmm: Array.from({ length: 16 }, () => rng.xmm()), mxcsr: 0x1f80 | (rng.below(4) << 13) } : {}),
      ...(data !== undefined ? { data } : {}),
      ...(form.unchecked ? { unchecked: true } : {}),
    };
    out.push({ form, case: c });
  }
  return out;
}

export interface CompareOptions {
  /** RFLAGS bits to compare (default all): clear the bits an instruction leaves undefined. */
  readonly flagsMask?: bigint;
  /** Compare XMM registers and MXCSR (default true). */
  readonly xmm?: boolean;
  /** Compare the data-area changes (default true). */
  readonly data?: boolean;
  /** Compare signal details beyond signo and trapno: err and cr2 (default true). */
  readonly faultDetails?: boolean;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

function changesKey(changes: readonly DataPatch[]): string {
  return changes.map((p) => `${p.offset.toString(16)}:${Buffer.from(p.bytes).toString('hex')}`).join(' ');
}

/**
 * The differences between `expected` (typically the native run) and `actual`
 * (the model's run of the same case), one readable line each; empty when
 * they agree. Kernel-only details (si_code, si_addr, signal number) are
 * compared only through trapno and err.
 */
export function compareResults(expected: NativeResult, actual: NativeResult, options: CompareOptions = {}): string[] {
  const diffs: string[] = [];
  const flagsMask = options.flagsMask ?? ~0n;
  if (expected.status !== actual.status) diffs.push(`status: ${expected.status} vs ${actual.status}`);
  if (expected.rip !== actual.rip) diffs.push(`rip: ${hex(expected.rip)} vs ${hex(actual.rip)}`);
  for (const name of GPR_NAMES) {
    if (expected.regs[name] !== actual.regs[name]) diffs.push(`${name}: ${hex(expected.regs[name])} vs ${hex(actual.regs[name])}`);
  }
  if ((expected.rflags & flagsMask) !== (actual.rflags & flagsMask)) {
    diffs.push(`rflags: ${hex(expected.rflags & flagsMask)} vs ${hex(actual.rflags & flagsMask)} (mask ${hex(flagsMask & 0xffff_ffffn)})`);
  }
  if (options.xmm ?? true) {
    for (let i = 0; i < 16; i++) {
      const a = expected.xmm[i] ?? 0n;
      const b = actual.xmm[i] ?? 0n;
      if (a !== b) diffs.push(`xmm${i}: ${hex(a)} vs ${hex(b)}`);
    }
    if (expected.mxcsr !== actual.mxcsr) diffs.push(`mxcsr: 0x${expected.mxcsr.toString(16)} vs 0x${actual.mxcsr.toString(16)}`);
  }
  if (options.data ?? true) {
    const a = changesKey(expected.dataChanges);
    const b = changesKey(actual.dataChanges);
    if (a !== b) diffs.push(`data changes: [${a}] vs [${b}]`);
  }
  const es = expected.signal;
  const as = actual.signal;
  if (es && as) {
    if (es.trapno !== as.trapno) diffs.push(`trapno: ${es.trapno} vs ${as.trapno}`);
    if (options.faultDetails ?? true) {
      if (es.err !== as.err) diffs.push(`error code: ${hex(es.err)} vs ${hex(as.err)}`);
      if (es.cr2 !== as.cr2) diffs.push(`cr2: ${hex(es.cr2)} vs ${hex(as.cr2)}`);
    }
  }
  return diffs;
}

/** A one-line description of a case for failure messages. */
export function describeCase(form: InstructionForm | undefined, c: NativeCase): string {
  const regs = GPR_NAMES.filter((n) => c.regs?.[n] !== undefined)
    .map((n) => `${n}=${hex(c.regs?.[n] ?? 0n)}`)
    .join(' ');
  const code = Buffer.from(c.code).toString('hex');
  return `${form?.name ?? 'case'} [${code}] ${regs} rflags=${hex(c.rflags ?? 0x202n)}`;
}
