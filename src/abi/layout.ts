/**
 * Derives offsets, sizes and alignment from C type declarations, with the
 * x86-64 SysV ABI rules gcc uses for the kernel (each scalar aligned to its
 * size; a record aligned to its strictest member; size rounded up to the
 * alignment; `packed` drops member alignment; `aligned(N)` raises it).
 * @see System V AMD64 ABI §3.1.2 "Data Representation"
 */
import { UsageError } from '../lib/errors.js';
import type { CType, RecordType } from './ctype.js';

/** A member of a record at a known offset (offsets relative to the record). */
export interface MemberLayout {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly type: CType;
}

/** A leaf (scalar or array) reached by a dotted path, e.g. `regs.ip`. */
export interface FlatField {
  readonly path: string;
  readonly offset: number;
  readonly size: number;
  readonly type: CType;
}

export interface RecordLayout {
  readonly type: RecordType;
  readonly name: string;
  readonly size: number;
  readonly align: number;
  /** Members visible at the top level, anonymous members already merged in. */
  readonly members: readonly MemberLayout[];
  /** Every leaf, nested records flattened into dotted paths. */
  readonly flat: readonly FlatField[];
  /** The kernel's macro aliases resolved to their fields. */
  readonly aliases: readonly (FlatField & { readonly target: string })[];
}

interface SizeAlign {
  readonly size: number;
  readonly align: number;
}

const cache = new WeakMap<RecordType, RecordLayout>();

function sizeAlign(type: CType): SizeAlign {
  switch (type.kind) {
    case 'scalar':
      return { size: type.size, align: type.size };
    case 'array': {
      const e = sizeAlign(type.element);
      return { size: e.size * type.count, align: e.align };
    }
    case 'struct':
    case 'union': {
      const l = layoutOf(type);
      return { size: l.size, align: l.align };
    }
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Offsets of a record's direct members (anonymous ones included, unnamed). */
function placeMembers(type: RecordType): { offsets: number[]; size: number; align: number } {
  let offset = 0;
  let size = 0;
  let align = 1;
  const offsets: number[] = [];
  for (const m of type.members) {
    const sa = sizeAlign(m.type);
    let a = type.packed ? 1 : sa.align;
    if (m.aligned !== null) a = Math.max(a, m.aligned);
    align = Math.max(align, a);
    const at = type.kind === 'union' ? 0 : alignUp(offset, a);
    offsets.push(at);
    offset = at + sa.size;
    size = Math.max(size, offset);
  }
  if (type.aligned !== null) align = Math.max(align, type.aligned);
  // A packed record rounds up too, but to its packed alignment (1 unless a member says aligned(N)).
  return { offsets, size: alignUp(size, align), align };
}

/** The derived layout of a struct or union (memoised per declaration). */
export function layoutOf(type: RecordType): RecordLayout {
  const hit = cache.get(type);
  if (hit) return hit;
  const placed = placeMembers(type);
  const members: MemberLayout[] = [];
  const flat: FlatField[] = [];
  collect(type, 0, '', placed.offsets, members, flat);
  const layout: RecordLayout = {
    type,
    name: type.name ?? '(anonymous)',
    size: placed.size,
    align: placed.align,
    members,
    flat,
    aliases: [],
  };
  // Cached before aliases are resolved: resolving walks this very layout.
  cache.set(type, layout);
  const aliases = Object.entries(type.aliases).map(([alias, target]) => ({
    ...resolvePath(layout, target),
    path: alias,
    target,
  }));
  const withAliases: RecordLayout = { ...layout, aliases };
  cache.set(type, withAliases);
  return withAliases;
}

function collect(
  type: RecordType,
  base: number,
  prefix: string,
  offsets: readonly number[],
  members: MemberLayout[] | null,
  flat: FlatField[],
): void {
  type.members.forEach((m, i) => {
    const at = base + (offsets[i] ?? 0);
    if (m.name === null) {
      // C11 anonymous member: its members join the enclosing record.
      const inner = m.type as RecordType;
      collect(inner, at, prefix, placeMembers(inner).offsets, members, flat);
      return;
    }
    const size = sizeAlign(m.type).size;
    members?.push({ name: m.name, offset: at, size, type: m.type });
    const path = prefix + m.name;
    if (m.type.kind === 'struct' || m.type.kind === 'union') {
      collect(m.type, at, path + '.', placeMembers(m.type).offsets, null, flat);
    } else {
      flat.push({ path, offset: at, size, type: m.type });
    }
  });
}

/**
 * Resolves a dotted member path (`regs.ip`, `_sifields._kill`) or an alias
 * (`si_pkey`) to its offset, size and type. Records are resolvable too, so
 * `container_of(ptr, extended_pt_regs, regs)` can name a nested struct.
 */
export function resolvePath(layout: RecordLayout, path: string): FlatField {
  const alias = layout.aliases.find((a) => a.path === path);
  if (alias) return alias;
  let type: RecordType = layout.type;
  let offset = 0;
  let found: FlatField | null = null;
  for (const part of path.split('.')) {
    const m = findMember(type, part);
    if (!m || found?.type.kind === 'scalar' || found?.type.kind === 'array') {
      throw new UsageError(`struct ${layout.name} has no member '${path}'`);
    }
    offset += m.offset;
    found = { path, offset, size: m.size, type: m.type };
    if (m.type.kind === 'struct' || m.type.kind === 'union') type = m.type;
  }
  if (!found) throw new UsageError(`struct ${layout.name} has no member '${path}'`);
  return found;
}

function findMember(type: RecordType, name: string): MemberLayout | undefined {
  return layoutOf(type).members.find((m) => m.name === name);
}

/** `offsetof(type, path)`. */
export function offsetOf(layout: RecordLayout, path: string): number {
  return resolvePath(layout, path).offset;
}

/**
 * `container_of(ptr, type, member)`: the address of the enclosing record
 * whose `member` lives at `memberAddress` (include/linux/container_of.h).
 */
export function containerOf(layout: RecordLayout, member: string, memberAddress: bigint): bigint {
  return memberAddress - BigInt(offsetOf(layout, member));
}
