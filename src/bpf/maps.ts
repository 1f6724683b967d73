/**
 * BPF maps: BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_ARRAY, with the update flags
 * and errno results of the kernel's map ops. Values live in `SlotSpace`
 * regions, so a pointer a program got from bpf_map_lookup_elem reads and
 * writes the map's own bytes (the kernel returns a pointer into the element).
 * @kernel kernel/bpf/arraymap.c, kernel/bpf/hashtab.c, kernel/bpf/syscall.c
 */
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno.js';
import type { Region, SlotSpace } from './memory.js';

// enum bpf_map_type (include/uapi/linux/bpf.h).
export const BPF_MAP_TYPE_HASH = 1;
export const BPF_MAP_TYPE_ARRAY = 2;

// Update flags (include/uapi/linux/bpf.h).
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

/** What BPF_MAP_CREATE takes (and struct bpf_map_def in legacy ELF "maps" sections holds). */
export interface BpfMapDef {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
}

export interface BpfMap {
  readonly fd: number;
  readonly name: string;
  readonly def: BpfMapDef;
  /** The `struct bpf_map *` a LD_IMM64 BPF_PSEUDO_MAP_FD loads (a region nothing may read). */
  readonly handle: bigint;
  /** The value's region (its address for the program), or null: map->ops->map_lookup_elem. */
  lookup(key: Uint8Array): Region | null;
  /** 0 or a negative errno: map->ops->map_update_elem. */
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  /** 0 or a negative errno: map->ops->map_delete_elem. */
  delete(key: Uint8Array): number;
  /** Keys present, in insertion (hash) or index (array) order: for user space. */
  keys(): Uint8Array[];
}

function keyString(key: Uint8Array): string {
  return Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** kernel/bpf/arraymap.c: preallocated elements, u32 index keys, no delete. */
class ArrayMap implements BpfMap {
  private readonly values: Region[];
  constructor(
    readonly fd: number,
    readonly name: string,
    readonly def: BpfMapDef,
    readonly handle: bigint,
    space: SlotSpace,
  ) {
    this.values = Array.from({ length: def.maxEntries }, (_, i) =>
      space.allocate('map-value', `${name}[${i}]`, new Uint8Array(def.valueSize), true),
    );
  }
  private index(key: Uint8Array): number {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }
  lookup(key: Uint8Array): Region | null {
    return this.values[this.index(key)] ?? null;
  }
  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -EINVAL; // array_map_update_elem: unknown flags
    const v = this.values[this.index(key)];
    if (!v) return -E2BIG; // index >= max_entries: "all elements were pre-allocated, cannot insert a new one"
    if (flags === BPF_NOEXIST) return -EEXIST; // every element always exists
    v.bytes.set(value.subarray(0, this.def.valueSize));
    return 0;
  }
  delete(): number {
    return -EINVAL; // array_map_delete_elem
  }
  keys(): Uint8Array[] {
    return this.values.map((_, i) => Uint8Array.of(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, i >>> 24));
  }
}

/** kernel/bpf/hashtab.c: elements allocated on insert, at most max_entries. */
class HashMap implements BpfMap {
  private readonly elems = new Map<string, { key: Uint8Array; value: Region }>();
  constructor(
    readonly fd: number,
    readonly name: string,
    readonly def: BpfMapDef,
    readonly handle: bigint,
    private readonly space: SlotSpace,
  ) {}
  lookup(key: Uint8Array): Region | null {
    return this.elems.get(keyString(key))?.value ?? null;
  }
  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const k = keyString(key);
    const old = this.elems.get(k);
    // check_flags(): NOEXIST on a present key, EXIST on an absent one.
    if (old && flags === BPF_NOEXIST) return -EEXIST;
    if (!old && flags === BPF_EXIST) return -ENOENT;
    if (old) {
      // The kernel swaps in a new element (RCU); readers holding the old
      // pointer see either copy. Updating in place is one of those outcomes.
      old.value.bytes.set(value.subarray(0, this.def.valueSize));
      return 0;
    }
    if (this.elems.size >= this.def.maxEntries) return -E2BIG; // alloc_htab_elem: map full
    const region = this.space.allocate('map-value', `${this.name}{${k}}`, new Uint8Array(this.def.valueSize), true);
    region.bytes.set(value.subarray(0, this.def.valueSize));
    this.elems.set(k, { key: key.slice(0, this.def.keySize), value: region });
    return 0;
  }
  delete(key: Uint8Array): number {
    const k = keyString(key);
    const e = this.elems.get(k);
    if (!e) return -ENOENT;
    this.elems.delete(k);
    this.space.release(e.value);
    return 0;
  }
  keys(): Uint8Array[] {
    return [...this.elems.values()].map((e) => e.key.slice());
  }
}

/**
 * The map table: BPF_MAP_CREATE's checks and fd allocation, and the shared
 * address space the values live in. Errors are negative errnos, as the
 * syscall returns them.
 */
export class BpfMaps {
  private readonly byFd = new Map<number, BpfMap>();
  private nextFd = 3;
  constructor(readonly space: SlotSpace) {}

  /** A new map's fd, or -EINVAL for a definition the map type refuses (map_alloc_check). */
  create(def: BpfMapDef, name = `map${this.nextFd}`): number {
    if (def.keySize <= 0 || def.valueSize <= 0 || def.maxEntries <= 0) return -EINVAL;
    if (def.type === BPF_MAP_TYPE_ARRAY && def.keySize !== 4) return -EINVAL; // array_map_alloc_check
    if (def.type !== BPF_MAP_TYPE_ARRAY && def.type !== BPF_MAP_TYPE_HASH) return -EINVAL;
    const fd = this.nextFd++;
    const handle = this.space.allocate('map', `struct bpf_map ${name}`, new Uint8Array(0), false).base;
    const map =
      def.type === BPF_MAP_TYPE_ARRAY
        ? new ArrayMap(fd, name, def, handle, this.space)
        : new HashMap(fd, name, def, handle, this.space);
    this.byFd.set(fd, map);
    return fd;
  }

  get(fd: number): BpfMap | undefined {
    return this.byFd.get(fd);
  }

  /** The map whose `struct bpf_map *` is `handle` (what helpers receive in r1). */
  byHandle(handle: bigint): BpfMap | undefined {
    for (const m of this.byFd.values()) if (m.handle === handle) return m;
    return undefined;
  }
}
