/**
 * The assembler's driver: reads statements in order, defines symbols,
 * encodes instructions and directives into items, lays them out and returns
 * the bytes, the symbol table and a listing.
 *
 * Statement forms (GNU as, AT&T syntax, 64-bit mode only):
 *   label:   1:            labels and numeric local labels (`1b`, `1f`)
 *   name = expr            also `.set name, expr`, `.equ name, expr`
 *   .directive args        see DIRECTIVES below
 *   [prefix...] mnemonic operands
 */
import { AsmError, StatementError, fail } from './errors.js';
import { DATA_WIDTH, constArg, dataList, stringList } from './directives.js';
import { type Expr, evalExpr, parseExpr, usesDot } from './expr.js';
import type { InsnCtx } from './insn-common.js';
import { PREFIXES, lookupMnemonic } from './insn-table.js';
import type { Item, ListingKind, Origin } from './items.js';
import { layout } from './layout.js';
import { parseOperand, splitOperands } from './operands.js';
import { splitStatements } from './source.js';

export interface AsmOptions {
  /** Address of the first byte; labels are absolute addresses from here. Default 0. */
  readonly origin?: number | bigint;
}

/** One statement of the listing. */
export interface AsmLine {
  /** 1-based source line. */
  readonly line: number;
  /** The statement text (comments removed). */
  readonly text: string;
  readonly kind: ListingKind;
  /** Offset of the statement's first byte from the origin. */
  readonly offset: number;
  /** Bytes the statement emitted. */
  readonly size: number;
}

export interface AsmResult {
  readonly bytes: Uint8Array;
  readonly origin: bigint;
  /** Every named symbol (labels, .set/.equ/=) with its value; numeric local labels are left out. */
  readonly symbols: ReadonlyMap<string, bigint>;
  /** Symbols named by .globl/.global. */
  readonly globals: ReadonlySet<string>;
  /** One entry per statement, in source order. */
  readonly lines: readonly AsmLine[];
}

const LABEL_RE = /^([A-Za-z_.$][A-Za-z0-9_.$]*|[0-9]+)\s*:(?!:)/;
const ASSIGN_RE = /^([A-Za-z_.$][A-Za-z0-9_.$]*)\s*=(?!=)(.*)$/;
const SYMBOL_RE = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;

/** Directives accepted and ignored: they matter to a linker or debugger, not to the bytes. */
const IGNORED = new Set(['.text', '.code64', '.type', '.size', '.file', '.ident', '.loc', '.cfi_startproc', '.cfi_endproc', '.hidden', '.local', '.weak']);

/**
 * Assembles AT&T-syntax x86-64 source. Throws `AsmError` (code 'asm', with
 * the line number and statement in the message) on the first error; there
 * is no partial output.
 */
export function assemble(source: string, options: AsmOptions = {}): AsmResult {
  const origin = BigInt.asUintN(64, BigInt(options.origin ?? 0));
  const statements = splitStatements(source);
  const items: Item[] = [];
  const listingKind: ListingKind[] = [];
  const consts = new Map<string, bigint>();
  const defined = new Map<string, number>();
  const globals = new Map<string, Origin>();
  const localCount = new Map<string, number>();
  const localRef = (label: string, dir: 'b' | 'f'): string => {
    const k = localCount.get(label) ?? 0;
    if (dir === 'b' && k === 0) fail(`no previous definition of local label '${label}' for '${label}b'`);
    return `${label}\x02${dir === 'b' ? k : k + 1}`;
  };
  const constOf = (e: Expr): bigint | undefined => evalExpr(e, (n) => consts.get(n), undefined);
  const define = (name: string, line: number): void => {
    const prev = defined.get(name);
    if (prev !== undefined) fail(`symbol '${name}' is already defined (line ${prev})`);
    defined.set(name, line);
  };

  statements.forEach((st, stmt) => {
    const at: Origin = { stmt, line: st.line, text: st.text };
    let kind: ListingKind = 'label';
    try {
      let rest = st.text;
      for (let m = LABEL_RE.exec(rest); m; m = LABEL_RE.exec(rest)) {
        let name = m[1]!;
        if (/^[0-9]/.test(name)) {
          const k = (localCount.get(name) ?? 0) + 1;
          localCount.set(name, k);
          name = `${name}\x02${k}`;
        } else define(name, st.line);
        items.push({ kind: 'label', name, at });
        rest = rest.slice(m[0].length).trim();
      }
      if (rest === '') return;
      const assign = ASSIGN_RE.exec(rest);
      if (assign) {
        kind = 'directive';
        setSymbol(assign[1]!, assign[2]!);
        return;
      }
      if (rest.startsWith('.')) {
        kind = directive(rest);
        return;
      }
      kind = 'instruction';
      instruction(rest);
    } catch (e) {
      if (e instanceof StatementError) throw new AsmError(st.line, st.text, e.message);
      throw e;
    } finally {
      listingKind[stmt] = kind;
    }

    function setSymbol(name: string, exprText: string): void {
      if (!SYMBOL_RE.test(name)) fail(`bad symbol name '${name}'`);
      const expr = parseExpr(exprText, localRef);
      define(name, st.line);
      const v = usesDot(expr) ? undefined : constOf(expr);
      if (v !== undefined) consts.set(name, v);
      else items.push({ kind: 'set', name, expr, at });
    }

    function directive(text: string): ListingKind {
      const m = /^(\.[A-Za-z0-9_]+)\s*(.*)$/.exec(text);
      if (!m) fail(`bad directive '${text}'`);
      const name = m[1]!.toLowerCase();
      const args = m[2]!.trim();
      const width = DATA_WIDTH[name];
      if (width !== undefined) {
        const { bytes, fixups } = dataList(args, width, localRef, constOf);
        items.push({ kind: 'bytes', bytes, fixups, listing: 'data', dataDot: true, at });
        return 'data';
      }
      switch (name) {
        case '.ascii':
        case '.asciz':
        case '.string':
          items.push({ kind: 'bytes', bytes: stringList(args, name !== '.ascii'), fixups: [], listing: 'data', dataDot: true, at });
          return 'data';
        case '.globl':
        case '.global':
          for (const g of splitOperands(args)) {
            if (!SYMBOL_RE.test(g)) fail(`bad symbol name '${g}'`);
            if (!globals.has(g)) globals.set(g, at);
          }
          return 'directive';
        case '.set':
        case '.equ':
        case '.equiv': {
          const parts = splitOperands(args);
          if (parts.length !== 2) fail(`'${name}' needs a name and an expression`);
          setSymbol(parts[0]!, parts[1]!);
          return 'directive';
        }
        case '.align':
        case '.balign':
        case '.p2align': {
          const parts = splitOperands(args, true);
          if (parts.length < 1 || parts.length > 3) fail(`wrong number of arguments for '${name}'`);
          const n = constArg(parts[0]!, 'alignment', localRef, constOf, 0n, name === '.p2align' ? 30n : 1n << 30n);
          const align = name === '.p2align' ? 2 ** n : Math.max(n, 1);
          if ((align & (align - 1)) !== 0) fail(`alignment ${n} is not a power of 2`);
          // No fill, or 0x90 (GNU as takes "fill with nop" to mean the multi-byte NOPs): code padding.
          let fill: number | null = parts[1] ? constArg(parts[1], 'fill value', localRef, constOf, -128n, 255n) & 0xff : null;
          if (fill === 0x90) fill = null;
          const max = parts[2] ? constArg(parts[2], 'maximum padding', localRef, constOf, 0n, 1n << 30n) : null;
          items.push({ kind: 'align', align, fill, max, at });
          return 'align';
        }
        case '.skip':
        case '.space':
        case '.zero': {
          const parts = splitOperands(args);
          if (parts.length < 1 || parts.length > (name === '.zero' ? 1 : 2)) fail(`wrong number of arguments for '${name}'`);
          const count = constArg(parts[0]!, 'size', localRef, constOf, 0n, 1n << 24n);
          const fill = parts[1] ? constArg(parts[1], 'fill value', localRef, constOf, -128n, 255n) & 0xff : 0;
          items.push({ kind: 'bytes', bytes: new Array<number>(count).fill(fill), fixups: [], listing: 'data', dataDot: true, at });
          return 'data';
        }
        case '.fill': {
          const parts = splitOperands(args);
          if (parts.length < 1 || parts.length > 3) fail(`wrong number of arguments for '.fill'`);
          const repeat = constArg(parts[0]!, 'repeat count', localRef, constOf, 0n, 1n << 24n);
          const size = parts[1] ? constArg(parts[1], 'size', localRef, constOf, 0n, 8n) : 1;
          const value = parts[2] ? constOf(parseExpr(parts[2], localRef)) : 0n;
          if (value === undefined) fail('fill value must be a constant known at this point');
          const bytes: number[] = [];
          // GNU as: values wider than 4 bytes get only their low 4 bytes, the rest is zero.
          for (let r = 0; r < repeat; r++) for (let b = 0; b < size; b++) bytes.push(b < 4 ? Number((BigInt.asUintN(32, value) >> BigInt(8 * b)) & 0xffn) : 0);
          items.push({ kind: 'bytes', bytes, fixups: [], listing: 'data', dataDot: true, at });
          return 'data';
        }
        case '.section':
          if (/^\.text\b/.test(args)) return 'directive';
          fail(`only one section (.text) is supported`);
          break;
        default:
          if (IGNORED.has(name) || name.startsWith('.cfi_')) return 'directive';
      }
      fail(`unknown directive '${name}'`);
    }

    function instruction(text: string): void {
      const prefixes: number[] = [];
      let rest = text;
      for (;;) {
        const m = /^([A-Za-z][A-Za-z0-9]*)\s*(.*)$/.exec(rest);
        if (!m) fail(`bad instruction '${rest}'`);
        const word = m[1]!.toLowerCase();
        const p = PREFIXES.get(word);
        if (p !== undefined) {
          prefixes.push(p);
          rest = m[2]!.trim();
          if (rest === '') {
            // A prefix on its own (`rep; movsb`): the byte alone.
            items.push({ kind: 'bytes', bytes: prefixes, fixups: [], listing: 'instruction', dataDot: false, at });
            return;
          }
          continue;
        }
        const found = lookupMnemonic(word);
        if (!found) fail(`unknown instruction '${m[1]!}'`);
        const ops = m[2]!.trim() === '' ? [] : splitOperands(m[2]!).map((o) => parseOperand(o, localRef));
        const ctx: InsnCtx = { mnemonic: word, suffix: found.suffix, ops, prefixes, constOf };
        const out = found.def.handler(ctx);
        if ('kind' in out) {
          if (prefixes.length) fail(`prefix not allowed on '${word}'`);
          items.push({ kind: 'branch', short: out.short, long: out.long, target: out.target, at });
        } else {
          items.push({ kind: 'bytes', bytes: out.bytes, fixups: out.fixups, listing: 'instruction', dataDot: false, at });
        }
        return;
      }
    }
  });

  for (const [g, at] of globals) {
    if (!defined.has(g)) throw new AsmError(at.line, at.text, `global symbol '${g}' is never defined`);
  }
  const laid = layout(items, origin, consts);
  const symbols = new Map<string, bigint>();
  for (const [k, v] of laid.values) if (!k.includes('\x02')) symbols.set(k, BigInt.asUintN(64, v));

  const lines: AsmLine[] = statements.map((st, stmt) => ({ line: st.line, text: st.text, kind: listingKind[stmt] ?? 'directive', offset: -1, size: 0 }));
  let end = 0;
  items.forEach((it, i) => {
    const l = lines[it.at.stmt]! as { offset: number; size: number };
    if (l.offset < 0) l.offset = laid.offsets[i]!;
    l.size += laid.sizes[i]!;
    end = laid.offsets[i]! + laid.sizes[i]!;
  });
  // Statements that produced no item (.globl, constant .set) sit at the offset of what follows.
  let next = end;
  for (let s = lines.length - 1; s >= 0; s--) {
    const l = lines[s]! as { offset: number };
    if (l.offset < 0) l.offset = next;
    else next = l.offset;
  }
  return { bytes: laid.bytes, origin, symbols, globals: new Set(globals.keys()), lines };
}
