/**
 * Expressions: parsing and evaluation over `bigint`.
 *
 * Operators and their precedence follow GNU as (not C), highest first:
 *   unary  - ~ !
 *   *  /  %  <<  >>
 *   |  &  ^
 *   +  -
 * Operands: numbers (decimal, 0x hex, 0b binary, leading-0 octal, 'c
 * character constants), symbols, numeric local label references (`1b`,
 * `1f`, resolved by the caller's `localRef`) and `.` (the current location).
 */
import { fail } from './errors.js';

export type Expr =
  | { readonly k: 'num'; readonly v: bigint }
  | { readonly k: 'sym'; readonly name: string }
  | { readonly k: 'dot' }
  | { readonly k: 'un'; readonly op: '-' | '~' | '!'; readonly a: Expr }
  | { readonly k: 'bin'; readonly op: BinOp; readonly a: Expr; readonly b: Expr };

type BinOp = '*' | '/' | '%' | '<<' | '>>' | '|' | '&' | '^' | '+' | '-';

/** Turns a numeric local label reference (`1b` -> "1", 'b') into its symbol name. */
export type LocalRef = (label: string, dir: 'b' | 'f') => string;

const LEVELS: readonly (readonly BinOp[])[] = [['+', '-'], ['|', '&', '^'], ['*', '/', '%', '<<', '>>']];

const SYMBOL_START = /[A-Za-z_.$]/;
const SYMBOL_CHAR = /[A-Za-z0-9_.$]/;

const ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34, b: 8, f: 12 };

class ExprParser {
  private pos = 0;
  constructor(
    private readonly s: string,
    private readonly localRef: LocalRef,
  ) {}

  parse(): Expr {
    const e = this.binary(0);
    this.skipSpace();
    if (this.pos < this.s.length) fail(`junk '${this.s.slice(this.pos)}' after expression`);
    return e;
  }

  private skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  private peekOp(ops: readonly BinOp[]): BinOp | null {
    this.skipSpace();
    for (const op of ops) {
      if (this.s.startsWith(op, this.pos)) {
        // '|' must not be the first half of '||', '<' handled by '<<' only.
        if (op === '|' && this.s[this.pos + 1] === '|') return null;
        if (op === '&' && this.s[this.pos + 1] === '&') return null;
        return op;
      }
    }
    return null;
  }

  private binary(level: number): Expr {
    if (level >= LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    for (;;) {
      const op = this.peekOp(LEVELS[level]!);
      if (!op) return a;
      this.pos += op.length;
      const b = this.binary(level + 1);
      a = { k: 'bin', op, a, b };
    }
  }

  private unary(): Expr {
    this.skipSpace();
    const c = this.s[this.pos];
    if (c === '-' || c === '~' || c === '!') {
      this.pos++;
      return { k: 'un', op: c, a: this.unary() };
    }
    if (c === '+') {
      this.pos++;
      return this.unary();
    }
    return this.primary();
  }

  private primary(): Expr {
    this.skipSpace();
    const s = this.s;
    const c = s[this.pos];
    if (c === undefined) fail('missing expression');
    if (c === '(') {
      this.pos++;
      const e = this.binary(0);
      this.skipSpace();
      if (s[this.pos] !== ')') fail(`missing ')' in expression '${s}'`);
      this.pos++;
      return e;
    }
    if (c === "'") {
      let j = this.pos + 1;
      let v: number;
      if (s[j] === '\\') {
        const e = ESCAPES[s[j + 1] ?? ''];
        if (e === undefined) fail(`bad character escape in '${s}'`);
        v = e;
        j += 2;
      } else {
        if (j >= s.length) fail('missing character after quote');
        v = s.charCodeAt(j);
        j += 1;
      }
      if (s[j] === "'") j++;
      this.pos = j;
      return { k: 'num', v: BigInt(v) };
    }
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([bf]?)/.exec(s.slice(this.pos))!;
      const digits = m[1]!;
      const after = s[this.pos + m[0].length];
      if (after !== undefined && SYMBOL_CHAR.test(after)) fail(`bad number '${s.slice(this.pos).split(/[^A-Za-z0-9_.$]/)[0]}'`);
      this.pos += m[0].length;
      if (m[2]) {
        if (!/^[0-9]+$/.test(digits)) fail(`bad local label reference '${m[0]}'`);
        return { k: 'sym', name: this.localRef(digits, m[2] as 'b' | 'f') };
      }
      let v: bigint;
      if (/^0[xXbB]/.test(digits)) v = BigInt(digits);
      else if (digits.length > 1 && digits.startsWith('0')) {
        if (!/^[0-7]+$/.test(digits)) fail(`bad octal number '${digits}'`);
        v = BigInt('0o' + digits.slice(1));
      } else v = BigInt(digits);
      return { k: 'num', v };
    }
    if (SYMBOL_START.test(c)) {
      let j = this.pos + 1;
      while (j < s.length && SYMBOL_CHAR.test(s[j]!)) j++;
      const name = s.slice(this.pos, j);
      this.pos = j;
      if (name === '.') return { k: 'dot' };
      return { k: 'sym', name };
    }
    fail(`unexpected '${c}' in expression '${s}'`);
  }
}

export function parseExpr(text: string, localRef: LocalRef): Expr {
  if (text.trim() === '') fail('missing expression');
  return new ExprParser(text, localRef).parse();
}

/**
 * Evaluates `e`. `lookup` returns a symbol's value or `undefined` when it
 * has none (yet); `dot` is the current location, or undefined when `.` has
 * no value in this context. Returns `undefined` if anything is unknown.
 */
export function evalExpr(e: Expr, lookup: (name: string) => bigint | undefined, dot: bigint | undefined): bigint | undefined {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'sym':
      return lookup(e.name);
    case 'dot':
      return dot;
    case 'un': {
      const a = evalExpr(e.a, lookup, dot);
      if (a === undefined) return undefined;
      return e.op === '-' ? -a : e.op === '~' ? ~a : a === 0n ? 1n : 0n;
    }
    case 'bin': {
      const a = evalExpr(e.a, lookup, dot);
      const b = evalExpr(e.b, lookup, dot);
      if (a === undefined || b === undefined) return undefined;
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          if (b === 0n) fail('division by zero');
          return a / b;
        case '%':
          if (b === 0n) fail('division by zero');
          return a % b;
        case '<<':
          return b >= 0n && b < 64n ? BigInt.asIntN(64, a << b) : 0n;
        case '>>':
          return b >= 0n && b < 64n ? a >> b : a < 0n ? -1n : 0n;
        case '&':
          return a & b;
        case '|':
          return a | b;
        case '^':
          return a ^ b;
      }
    }
  }
}

/** Every symbol name an expression mentions. */
export function symbolsOf(e: Expr, out: string[] = []): string[] {
  if (e.k === 'sym') out.push(e.name);
  else if (e.k === 'un') symbolsOf(e.a, out);
  else if (e.k === 'bin') {
    symbolsOf(e.a, out);
    symbolsOf(e.b, out);
  }
  return out;
}

/** True if the expression mentions `.`. */
export function usesDot(e: Expr): boolean {
  return e.k === 'dot' || (e.k === 'un' && usesDot(e.a)) || (e.k === 'bin' && (usesDot(e.a) || usesDot(e.b)));
}
