/**
 * Typed access to a struct in some byte store: the kernel's `regs->ip`
 * becomes `view.get('ip')`. Paths are resolved once per layout and cached,
 * so repeated access costs a map lookup, not a walk of the declaration.
 */
import { BufferStore, readLE, writeLE, type ByteStore } from '../lib/bytes.js';
import { UsageError } from '../lib/errors.js';
import { resolvePath, type FlatField, type RecordLayout } from './layout.js';

const resolved = new WeakMap<RecordLayout, Map<string, FlatField>>();

/** `resolvePath` with a per-layout cache. */
export function field(layout: RecordLayout, path: string): FlatField {
  let m = resolved.get(layout);
  if (!m) resolved.set(layout, (m = new Map()));
  let f = m.get(path);
  if (!f) m.set(path, (f = resolvePath(layout, path)));
  return f;
}

export class StructView {
  constructor(
    readonly layout: RecordLayout,
    readonly store: ByteStore,
    readonly address: number,
  ) {}

  /** A view over a fresh zeroed host buffer of the struct's size. */
  static zeroed(layout: RecordLayout): StructView {
    return new StructView(layout, new BufferStore(new Uint8Array(layout.size)), 0);
  }

  /** Reads a scalar member (signed types sign-extend). */
  get(path: string): bigint {
    const f = this.scalar(path);
    return readLE(this.store.readBytes(this.address + f.offset, f.size), f.type.kind === 'scalar' && f.type.signed);
  }

  /** Writes a scalar member, truncating `value` to its size. */
  set(path: string, value: bigint | number): void {
    const f = this.scalar(path);
    this.store.writeBytes(this.address + f.offset, writeLE(BigInt(value), f.size));
  }

  /** The raw bytes of any member, or of the whole struct. */
  bytes(path?: string): Uint8Array {
    if (path === undefined) return this.store.readBytes(this.address, this.layout.size);
    const f = field(this.layout, path);
    return this.store.readBytes(this.address + f.offset, f.size);
  }

  /** A view of a nested struct member, e.g. `frame.member('uc')`. */
  member(path: string, layout: RecordLayout): StructView {
    return new StructView(layout, this.store, this.address + field(this.layout, path).offset);
  }

  private scalar(path: string): FlatField {
    const f = field(this.layout, path);
    if (f.type.kind !== 'scalar') {
      throw new UsageError(`${this.layout.name}.${path} is not a scalar member`);
    }
    return f;
  }
}
