/**
 * Layout: gives every item an address, relaxes branches and emits bytes.
 *
 * Like GNU as, every jmp/jcc starts in its short (rel8) form and only ever
 * grows to rel32 when its target is out of reach; growing one branch moves
 * later code, so the pass repeats until nothing changes (at most once per
 * branch, since nothing shrinks). Alignment padding is recomputed each pass.
 * Then every fixup is evaluated with final addresses and range-checked.
 */
import { AsmError, StatementError } from './errors.js';
import { checkField, pushLE } from './encode.js';
import { evalExpr } from './expr.js';
import type { Item, ListingKind, Origin } from './items.js';
import { nopPadding } from './nops.js';

export interface Laid {
  readonly bytes: Uint8Array;
  /** Every symbol with its final value (labels: origin + offset). */
  readonly values: ReadonlyMap<string, bigint>;
  /** Offset and size of each item, in item order. */
  readonly offsets: readonly number[];
  readonly sizes: readonly number[];
}

function errorAt(at: Origin, detail: string): AsmError {
  return new AsmError(at.line, at.text, detail);
}

/** Runs `f`, turning a helper's StatementError into an AsmError for `at`. */
function at<T>(where: Origin, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof StatementError) throw errorAt(where, e.message);
    throw e;
  }
}

export function layout(items: readonly Item[], origin: bigint, consts: ReadonlyMap<string, bigint>): Laid {
  const n = items.length;
  const long = new Array<boolean>(n).fill(false);
  const offsets = new Array<number>(n).fill(0);
  const sizes = new Array<number>(n).fill(0);
  const labels = new Map<string, bigint>();
  const sets = new Map<string, number>();
  items.forEach((it, i) => {
    if (it.kind === 'set') sets.set(it.name, i);
  });

  const branchSize = (it: Item & { kind: 'branch' }, isLong: boolean): number =>
    isLong || it.short === null ? it.long.length + 4 : it.short.length + 1;

  const place = (): void => {
    let off = 0;
    items.forEach((it, i) => {
      offsets[i] = off;
      let size = 0;
      switch (it.kind) {
        case 'label':
          labels.set(it.name, origin + BigInt(off));
          break;
        case 'set':
          break;
        case 'bytes':
          size = it.bytes.length;
          break;
        case 'branch':
          size = branchSize(it, long[i]!);
          break;
        case 'align': {
          const pad = (it.align - (off % it.align)) % it.align;
          size = it.max !== null && pad > it.max ? 0 : pad;
          break;
        }
      }
      sizes[i] = size;
      off += size;
    });
  };

  // Symbol values; a symbol set to an expression is evaluated where it was set.
  const evaluating = new Set<string>();
  const lookup = (name: string): bigint | undefined => {
    const l = labels.get(name);
    if (l !== undefined) return l;
    const c = consts.get(name);
    if (c !== undefined) return c;
    const si = sets.get(name);
    if (si === undefined) return undefined;
    const it = items[si] as Item & { kind: 'set' };
    if (evaluating.has(name)) throw errorAt(it.at, `symbol '${name}' is defined in terms of itself`);
    evaluating.add(name);
    try {
      return evalExpr(it.expr, lookup, origin + BigInt(offsets[si]!));
    } finally {
      evaluating.delete(name);
    }
  };
  const value = (where: Origin, e: Parameters<typeof evalExpr>[0], dot: bigint): bigint => {
    const v = at(where, () => evalExpr(e, lookup, dot));
    if (v === undefined) {
      const missing = at(where, () => firstUndefined(e, lookup));
      throw errorAt(where, `undefined symbol '${displayName(missing)}'`);
    }
    return v;
  };

  place();
  for (let pass = 0; pass <= n; pass++) {
    let changed = false;
    items.forEach((it, i) => {
      if (it.kind !== 'branch' || long[i] || it.short === null) return;
      const end = origin + BigInt(offsets[i]! + sizes[i]!);
      const d = value(it.at, it.target, origin + BigInt(offsets[i]!)) - end;
      if (d < -128n || d > 127n) {
        if (it.long.length === 0) throw errorAt(it.at, `branch target out of range of a rel8 jump (${d})`);
        long[i] = true;
        changed = true;
      }
    });
    if (!changed) break;
    place();
  }

  const out: number[] = [];
  items.forEach((it, i) => {
    const start = origin + BigInt(offsets[i]!);
    if (it.kind === 'bytes') {
      const bytes = [...it.bytes];
      for (const f of it.fixups) {
        let v = value(it.at, f.expr, it.dataDot ? start + BigInt(f.offset) : start);
        if (f.pcrel) v -= start + BigInt(sizes[i]!);
        at(it.at, () => checkField(v, f.size, f.signedOnly, f.what));
        const field: number[] = [];
        pushLE(field, v, f.size);
        bytes.splice(f.offset, f.size, ...field);
      }
      out.push(...bytes);
    } else if (it.kind === 'branch') {
      const isShort = !long[i] && it.short !== null;
      const d = value(it.at, it.target, start) - (start + BigInt(sizes[i]!));
      if (isShort) {
        out.push(...it.short!);
        pushLE(out, d, 1);
      } else {
        if (d < -(1n << 31n) || d >= 1n << 31n) throw errorAt(it.at, `branch target out of range of a rel32 jump`);
        out.push(...it.long);
        pushLE(out, d, 4);
      }
    } else if (it.kind === 'align') {
      const size = sizes[i]!;
      if (it.fill === null) out.push(...nopPadding(size));
      else for (let k = 0; k < size; k++) out.push(it.fill);
    }
  });

  const values = new Map<string, bigint>();
  for (const [k, v] of labels) values.set(k, v);
  for (const [k, v] of consts) values.set(k, v);
  for (const [k, i] of sets) values.set(k, value(items[i]!.at, (items[i] as Item & { kind: 'set' }).expr, origin + BigInt(offsets[i]!)));
  return { bytes: Uint8Array.from(out), values, offsets, sizes };
}

function firstUndefined(e: Parameters<typeof evalExpr>[0], lookup: (name: string) => bigint | undefined): string {
  if (e.k === 'sym') return lookup(e.name) === undefined ? e.name : '';
  if (e.k === 'un') return firstUndefined(e.a, lookup);
  if (e.k === 'bin') return firstUndefined(e.a, lookup) || firstUndefined(e.b, lookup);
  return '';
}

/** Numeric local labels are stored as `N\x02k` (k-th definition of `N:`); show them as `N`. */
export function displayName(name: string): string {
  const m = /^(\d+)\x02\d+$/.exec(name);
  return m ? `local label ${m[1]!}` : name;
}

export type { ListingKind };
