/**
 * The JSON form of a layout (the CLI contract of `kentry layout --json`):
 * { name, size, align, fields: [{name, offset, size, type}], flat: [...] }
 * where `flat` lists every leaf with nested members as dotted paths
 * ("regs.ip") and `aliases` the kernel's macro names (siginfo's si_pkey).
 */
import { typeName } from './ctype.js';
import type { FlatField, MemberLayout, RecordLayout } from './layout.js';

export interface FieldJson {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly type: string;
}

export interface LayoutJson {
  readonly name: string;
  readonly kind: 'struct' | 'union';
  readonly size: number;
  readonly align: number;
  readonly fields: readonly FieldJson[];
  readonly flat: readonly FieldJson[];
  readonly aliases: readonly (FieldJson & { readonly target: string })[];
}

function fieldJson(f: MemberLayout | FlatField): FieldJson {
  return { name: 'path' in f ? f.path : f.name, offset: f.offset, size: f.size, type: typeName(f.type) };
}

export function layoutJson(layout: RecordLayout): LayoutJson {
  return {
    name: layout.name,
    kind: layout.type.kind,
    size: layout.size,
    align: layout.align,
    fields: layout.members.map(fieldJson),
    flat: layout.flat.map(fieldJson),
    aliases: layout.aliases.map((a) => ({ ...fieldJson(a), target: a.target })),
  };
}
