/**
 * Directive argument parsing: data lists (.byte ... .quad), string literals
 * (.ascii/.asciz/.string), alignment and skip arguments. The driver
 * (assembler.ts) turns the results into items.
 */
import { type Fixup, checkField, pushLE } from './encode.js';
import { fail } from './errors.js';
import { type Expr, type LocalRef, parseExpr } from './expr.js';
import { splitOperands } from './operands.js';

/** Width in bytes of each data directive. */
export const DATA_WIDTH: Readonly<Record<string, 1 | 2 | 4 | 8>> = {
  '.byte': 1,
  '.word': 2,
  '.short': 2,
  '.hword': 2,
  '.2byte': 2,
  '.long': 4,
  '.int': 4,
  '.4byte': 4,
  '.quad': 8,
  '.8byte': 8,
};

/** Encodes `.byte 1, 2, sym+4` ...: constants now, the rest as fixups. */
export function dataList(args: string, width: 1 | 2 | 4 | 8, localRef: LocalRef, constOf: (e: Expr) => bigint | undefined): { bytes: number[]; fixups: Fixup[] } {
  const bytes: number[] = [];
  const fixups: Fixup[] = [];
  for (const a of splitOperands(args)) {
    const expr = parseExpr(a, localRef);
    const v = constOf(expr);
    if (v !== undefined) {
      checkField(v, width, false, 'value');
      pushLE(bytes, v, width);
    } else {
      fixups.push({ offset: bytes.length, size: width, expr, pcrel: false, signedOnly: false, what: 'value' });
      pushLE(bytes, 0n, width);
    }
  }
  return { bytes, fixups };
}

const STRING_ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, b: 8, f: 12, v: 11, '\\': 92, '"': 34, "'": 39 };

/** The bytes of one or more comma-separated string literals, each optionally NUL-terminated. */
export function stringList(args: string, terminate: boolean): number[] {
  const out: number[] = [];
  let i = 0;
  const s = args.trim();
  if (s === '') fail('missing string');
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '"') fail(`expected a string literal, found '${s.slice(i)}'`);
    i++;
    for (;;) {
      if (i >= s.length) fail('unterminated string');
      const c = s[i]!;
      if (c === '"') {
        i++;
        break;
      }
      if (c !== '\\') {
        const code = c.charCodeAt(0);
        if (code > 0x7f) out.push(...new TextEncoder().encode(c));
        else out.push(code);
        i++;
        continue;
      }
      const e = s[i + 1] ?? '';
      if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(s.slice(i + 1))!;
        out.push(parseInt(m[0], 8) & 0xff);
        i += 1 + m[0].length;
      } else if (e === 'x' || e === 'X') {
        const m = /^[0-9a-fA-F]+/.exec(s.slice(i + 2));
        if (!m) fail('bad \\x escape');
        out.push(parseInt(m[0].slice(-2), 16));
        i += 2 + m[0].length;
      } else {
        const v = STRING_ESCAPES[e];
        if (v === undefined) fail(`unknown escape '\\${e}' in string`);
        out.push(v);
        i += 2;
      }
    }
    if (terminate) out.push(0);
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i < s.length) {
      if (s[i] !== ',') fail(`junk '${s.slice(i)}' after string`);
      i++;
    }
  }
  return out;
}

/** A constant argument (alignment, count, fill): known when read, within [min, max]. */
export function constArg(text: string, what: string, localRef: LocalRef, constOf: (e: Expr) => bigint | undefined, min: bigint, max: bigint): number {
  const v = constOf(parseExpr(text, localRef));
  if (v === undefined) fail(`${what} must be a constant known at this point`);
  if (v < min || v > max) fail(`${what} ${v} out of range`);
  return Number(v);
}
