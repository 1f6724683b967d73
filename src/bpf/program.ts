/**
 * A program after loading: decoded instructions, LD_IMM64 pseudo forms
 * resolved against the map table (the kernel's resolve_pseudo_ldimm64),
 * and, once verified, the context size it was verified against.
 */
import type { BpfInsn } from './insn.js';
import type { BpfMap, BpfMaps } from './maps.js';

/** What one LD_IMM64 loads (RFC 9669 §5.4 table; kernel resolve_pseudo_ldimm64). */
export type Imm64 =
  | { readonly kind: 'imm'; readonly value: bigint }
  /** src=1 map_by_fd / src=5 map_by_idx: the map itself (CONST_PTR_TO_MAP). */
  | { readonly kind: 'map'; readonly map: BpfMap }
  /** src=2 / src=6: the address of the map's value + offset (PTR_TO_MAP_VALUE). */
  | { readonly kind: 'map-value'; readonly map: BpfMap; readonly offset: number };

export interface BpfProgram {
  readonly name: string;
  readonly insns: readonly BpfInsn[];
  /** Keyed by the index of each LD_IMM64's first slot. */
  readonly imm64: ReadonlyMap<number, Imm64>;
  readonly maps: BpfMaps;
}

/** The 64-bit value an LD_IMM64 puts in its register at run time. */
export function imm64Value(v: Imm64): bigint {
  switch (v.kind) {
    case 'imm':
      return v.value;
    case 'map':
      return v.map.handle;
    case 'map-value': {
      const region = v.map.lookup(new Uint8Array(Math.max(4, v.map.def.keySize)));
      return (region?.base ?? 0n) + BigInt(v.offset);
    }
  }
}
