/**
 * AT&T operand syntax:
 *
 *   %reg                      register
 *   $expr                     immediate
 *   [%seg:]disp(base,index,scale)   memory; any part may be missing
 *   [%seg:]expr               memory at an absolute address (or a branch target)
 *   sym(%rip)                 RIP-relative memory
 *   *op                       indirect branch target (call/jmp only)
 */
import { fail } from './errors.js';
import { type Expr, type LocalRef, evalExpr, parseExpr } from './expr.js';
import { type Reg, lookupRegister } from './registers.js';

export interface RegOperand {
  readonly kind: 'reg';
  readonly reg: Reg;
  readonly star: boolean;
}

export interface ImmOperand {
  readonly kind: 'imm';
  readonly expr: Expr;
}

export interface MemOperand {
  readonly kind: 'mem';
  readonly seg: Reg | null;
  readonly disp: Expr | null;
  readonly base: Reg | null;
  readonly index: Reg | null;
  /** 1, 2, 4 or 8. */
  readonly scale: number;
  readonly star: boolean;
}

export type Operand = RegOperand | ImmOperand | MemOperand;

/**
 * Splits an operand list on commas outside parentheses and quotes. Empty
 * parts are an error unless `allowEmpty` (`.p2align 4,,7` skips the fill).
 */
export function splitOperands(text: string, allowEmpty = false): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      // A character constant may be ',' or '(' itself.
      let end = text[i + 1] === '\\' ? i + 3 : i + 2;
      if (text[end] === "'") end++;
      cur += text.slice(i, end);
      i = end - 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '' || out.length > 0) out.push(cur.trim());
  if (!allowEmpty) for (const o of out) if (o === '') fail('missing operand');
  return out;
}

function parseRegister(text: string): Reg {
  const t = text.trim();
  if (!t.startsWith('%')) fail(`expected a register, found '${t}'`);
  const r = lookupRegister(t.slice(1));
  if (!r) fail(`bad register name '${t}'`);
  return r;
}

export function parseOperand(text: string, localRef: LocalRef): Operand {
  let t = text.trim();
  let star = false;
  if (t.startsWith('*')) {
    star = true;
    t = t.slice(1).trim();
  }
  if (t.startsWith('$')) {
    if (star) fail(`'*' before an immediate '${text}'`);
    return { kind: 'imm', expr: parseExpr(t.slice(1), localRef) };
  }
  let seg: Reg | null = null;
  const segMatch = /^%([a-z]s)\s*:/i.exec(t);
  if (segMatch) {
    seg = parseRegister('%' + segMatch[1]!);
    if (seg.cls !== 'seg') fail(`bad segment register '%${segMatch[1]!}'`);
    t = t.slice(segMatch[0].length).trim();
  }
  if (t.startsWith('%')) {
    if (seg) fail(`segment override on a register operand '${text}'`);
    return { kind: 'reg', reg: parseRegister(t), star };
  }
  // A trailing "(...)" whose contents start with a register or a comma is the base/index part.
  let disp = t;
  let base: Reg | null = null;
  let index: Reg | null = null;
  let scale = 1;
  if (t.endsWith(')')) {
    let depth = 0;
    let open = -1;
    for (let i = t.length - 1; i >= 0; i--) {
      if (t[i] === ')') depth++;
      else if (t[i] === '(' && --depth === 0) {
        open = i;
        break;
      }
    }
    if (open < 0) fail(`unbalanced parentheses in '${text}'`);
    const inner = t.slice(open + 1, -1).trim();
    if (inner.startsWith('%') || inner.startsWith(',')) {
      disp = t.slice(0, open).trim();
      const parts = inner.split(',').map((p) => p.trim());
      if (parts.length > 3) fail(`too many parts in memory operand '${text}'`);
      if (parts[0]) base = parseRegister(parts[0]);
      if (parts.length >= 2) {
        if (!parts[1]) fail(`missing index register in '${text}'`);
        index = parseRegister(parts[1]);
      }
      if (parts.length === 3) {
        const sv = evalExpr(parseExpr(parts[2] || '1', localRef), () => undefined, undefined);
        if (sv !== 1n && sv !== 2n && sv !== 4n && sv !== 8n) fail(`scale factor of ${parts[2]} is not 1, 2, 4 or 8`);
        scale = Number(sv);
      }
      if (base && base.cls !== 'gpr' && base.cls !== 'rip') fail(`'${base.name}' is not a valid base register`);
      if (base && base.cls === 'gpr' && base.size < 4) fail(`'%${base.name}' is not a valid base/index register in 64-bit mode`);
      if (index) {
        if (index.cls !== 'gpr' || index.size < 4) fail(`'%${index.name}' is not a valid index register`);
        if (index.num === 4 && index.size >= 4) fail(`'%${index.name}' cannot be an index register`);
        if (base?.cls === 'rip') fail(`'%rip' cannot have an index register`);
        if (base && base.size !== index.size) fail(`base and index registers of different sizes in '${text}'`);
      }
    }
  }
  return {
    kind: 'mem',
    seg,
    disp: disp === '' ? null : parseExpr(disp, localRef),
    base,
    index,
    scale,
    star,
  };
}
