/**
 * What every instruction encoder gets and returns, and the helpers they
 * share: operand-size inference (suffix or register operands, GNU as rules),
 * immediate sizing (imm8 sign-extended when the value is known and fits).
 */
import { fail } from './errors.js';
import type { Expr } from './expr.js';
import { type Encoded, type EncodeSpec, type Imm, encode } from './encode.js';
import type { MemOperand, Operand, RegOperand } from './operands.js';
import type { Reg, RegClass } from './registers.js';

export type Size = 1 | 2 | 4 | 8;

export interface InsnCtx {
  /** Mnemonic as written, lower case (for messages). */
  readonly mnemonic: string;
  /** Operand size from the mnemonic suffix (b/w/l/q), or null. */
  readonly suffix: Size | null;
  /** Operands in AT&T order (source first). */
  readonly ops: readonly Operand[];
  /** rep/lock prefix bytes written before the mnemonic. */
  readonly prefixes: readonly number[];
  /** Value of an expression if known when the statement is read, else undefined. */
  readonly constOf: (e: Expr) => bigint | undefined;
}

/** A jump to a label: relaxed between `short` (rel8) and `long` (rel32) forms during layout. */
export interface BranchOut {
  readonly kind: 'branch';
  /** Opcode bytes of the rel8 form, or null if there is none (call). */
  readonly short: readonly number[] | null;
  readonly long: readonly number[];
  readonly target: Expr;
}

export type InsnOut = Encoded | BranchOut;

export type Handler = (c: InsnCtx) => InsnOut;

export interface InsnDef {
  /** Suffix letters the mnemonic accepts ('' for none). */
  readonly suffixes: string;
  readonly handler: Handler;
}

export const SUFFIX_SIZE: Readonly<Record<string, Size>> = { b: 1, w: 2, l: 4, q: 8 };
const SIZE_SUFFIX: Readonly<Record<number, string>> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };

export function enc(c: InsnCtx, spec: Omit<EncodeSpec, 'prefixes' | 'constOf'>): Encoded {
  return encode({ ...spec, prefixes: c.prefixes, constOf: c.constOf });
}

/**
 * A register operand of one class. The predicate names the class, so a
 * `false` answer does not make TypeScript forget the operand may still be a
 * register of another class.
 */
export type RegOf<C extends RegClass> = RegOperand & { readonly reg: Reg & { readonly cls: C } };

export function isReg<C extends RegClass = 'gpr'>(o: Operand | undefined, cls?: C): o is RegOf<C> {
  return o !== undefined && o.kind === 'reg' && o.reg.cls === (cls ?? 'gpr');
}

export function isMem(o: Operand | undefined): o is MemOperand {
  return o !== undefined && o.kind === 'mem';
}

export function isRm(o: Operand | undefined): o is RegOf<'gpr'> | MemOperand {
  return isReg(o) || isMem(o);
}

/** The ModRM.rm form of a register-or-memory operand. */
export function rmOf(o: RegOperand | MemOperand): Reg | MemOperand {
  return o.kind === 'reg' ? o.reg : o;
}

export function operandCount(c: InsnCtx, ...counts: number[]): void {
  if (!counts.includes(c.ops.length)) fail(`wrong number of operands for '${c.mnemonic}'`);
}

export function badOperands(c: InsnCtx): never {
  fail(`operand type mismatch for '${c.mnemonic}'`);
}

/** Rejects branch-style `*` operands outside call/jmp, and stray operands of the wrong class. */
export function noStar(c: InsnCtx): void {
  for (const o of c.ops) if (o.kind !== 'imm' && o.star) fail(`'*' is only valid on call/jmp targets in '${c.mnemonic}'`);
}

/**
 * The operand size: from the suffix, else from the general registers among
 * `sized`; they must agree. `dflt` is used when nothing decides (push, call);
 * without it an undecided size is an error, as in GNU as.
 */
export function operandSize(c: InsnCtx, sized: readonly (Operand | undefined)[], dflt?: Size, allowed: readonly Size[] = [1, 2, 4, 8]): Size {
  noStar(c);
  let size: Size | null = c.suffix;
  for (const o of sized) {
    if (!isReg(o)) continue;
    const s = o.reg.size as Size;
    if (size === null) size = s;
    else if (size !== s) {
      if (c.suffix !== null) fail(`incorrect register '%${o.reg.name}' used with '${SIZE_SUFFIX[c.suffix]}' suffix`);
      fail(`operand size mismatch for '${c.mnemonic}'`);
    }
  }
  if (size === null) {
    if (dflt === undefined) fail(`no instruction mnemonic suffix given and no register operands; can't size '${c.mnemonic}'`);
    size = dflt;
  }
  if (!allowed.includes(size)) fail(`invalid operand size ${SIZE_SUFFIX[size]} for '${c.mnemonic}'`);
  return size;
}

/** An immediate operand of `size` bytes (immediates are at most 4 bytes unless `size` is 8). */
export function immOf(c: InsnCtx, o: Operand, size: 1 | 2 | 4 | 8, signedOnly: boolean): Imm {
  if (o.kind !== 'imm') badOperands(c);
  return { expr: o.expr, value: c.constOf(o.expr), size, signedOnly };
}

/** The immediate field of an operation of size `size`: imm8/imm16/imm32, or imm32 sign-extended for 64-bit. */
export function immFor(c: InsnCtx, o: Operand, size: Size): Imm {
  return immOf(c, o, size === 8 ? 4 : size, size === 8);
}

/**
 * True if the immediate's value is known now and, read as a value of the
 * operation's size (GNU as treats `$0xffffffff` in a 32-bit operation as -1),
 * fits a sign-extended imm8.
 */
export function fitsImm8s(c: InsnCtx, o: Operand, size: Size): boolean {
  if (o.kind !== 'imm') return false;
  let v = c.constOf(o.expr);
  if (v === undefined) return false;
  const bits = size * 8;
  if (v >= 0n && v < 1n << BigInt(bits)) v = BigInt.asIntN(bits, v);
  return v >= -128n && v <= 127n;
}

/** The imm8 form of an immediate already checked with `fitsImm8s`. */
export function imm8s(c: InsnCtx, o: Operand, size: Size): Imm {
  if (o.kind !== 'imm') badOperands(c);
  const v = c.constOf(o.expr)!;
  return { expr: o.expr, value: BigInt.asIntN(size * 8, v), size: 1, signedOnly: true };
}

/** A plain imm8 (shift counts, int $n, enter's nesting level): any 8-bit value. */
export function imm8(c: InsnCtx, o: Operand): Imm {
  return immOf(c, o, 1, false);
}

export function fixed(bytes: readonly number[]): Handler {
  return (c) => {
    operandCount(c, 0);
    return { bytes: [...c.prefixes, ...bytes], fixups: [] };
  };
}
