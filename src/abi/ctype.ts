/**
 * C types as data: the vocabulary struct declarations are written in.
 *
 * A struct is declared once (see `structs/`); its offsets, size and
 * alignment are derived by `layout.ts` with the x86-64 SysV rules that gcc
 * applies to the kernel's headers — the kernel's asm-offsets idea: nobody
 * types an offset twice.
 */

/** A fixed-size integer-like type (integers, bool, pointers, typedefs of them). */
export interface ScalarType {
  readonly kind: 'scalar';
  /** The C spelling shown to users: `unsigned long`, `__u32`, `void *`, `pid_t`. */
  readonly name: string;
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
}

export interface ArrayType {
  readonly kind: 'array';
  readonly element: CType;
  readonly count: number;
}

/** A struct or union; `name` is null for an anonymous one. */
export interface RecordType {
  readonly kind: 'struct' | 'union';
  readonly name: string | null;
  readonly members: readonly Member[];
  /** `__attribute__((packed))`: members at alignment 1, no tail padding. */
  readonly packed: boolean;
  /** `__attribute__((aligned(N)))` on the whole type. */
  readonly aligned: number | null;
  /**
   * Names the kernel defines as macros over member paths
   * (`#define si_pkey _sifields._sigfault._addr_pkey._pkey`).
   */
  readonly aliases: Readonly<Record<string, string>>;
}

export type CType = ScalarType | ArrayType | RecordType;

/**
 * One member of a record. `name` is null for an anonymous struct or union,
 * whose members are then reached as if they belonged to the enclosing record
 * (C11 anonymous members).
 */
export interface Member {
  readonly name: string | null;
  readonly type: CType;
  /** `__aligned(N)` on this member. */
  readonly aligned: number | null;
}

function scalar(name: string, size: 1 | 2 | 4 | 8, signed: boolean): ScalarType {
  return { kind: 'scalar', name, size, signed };
}

// Kernel fixed-width types (include/uapi/asm-generic/int-ll64.h).
export const u8 = scalar('u8', 1, false);
export const u16 = scalar('u16', 2, false);
export const u32 = scalar('u32', 4, false);
export const u64 = scalar('u64', 8, false);
export const s32 = scalar('s32', 4, true);
export const __u16 = scalar('__u16', 2, false);
export const __u32 = scalar('__u32', 4, false);
export const __u64 = scalar('__u64', 8, false);

// C types with their LP64 sizes.
export const bool = scalar('bool', 1, false);
export const char = scalar('char', 1, true);
export const short = scalar('short', 2, true);
export const unsignedShort = scalar('unsigned short', 2, false);
export const int = scalar('int', 4, true);
export const unsignedInt = scalar('unsigned int', 4, false);
export const long = scalar('long', 8, true);
export const unsignedLong = scalar('unsigned long', 8, false);

// Typedefs the signal ABI uses (include/uapi/asm-generic/posix_types.h).
export const pid_t = scalar('pid_t', 4, true);
export const uid_t = scalar('uid_t', 4, false);
export const clock_t = scalar('clock_t', 8, true);
export const size_t = scalar('size_t', 8, false);

/** A pointer, spelled as the kernel declares it (`void __user *`). */
export function pointer(spelling = 'void *'): ScalarType {
  return scalar(spelling, 8, false);
}

export function array(element: CType, count: number): ArrayType {
  return { kind: 'array', element, count };
}

export interface MemberOptions {
  readonly aligned?: number;
}

export function member(name: string, type: CType, options: MemberOptions = {}): Member {
  return { name, type, aligned: options.aligned ?? null };
}

/** An anonymous struct or union member. */
export function anonymous(type: RecordType): Member {
  return { name: null, type, aligned: null };
}

export interface RecordOptions {
  readonly packed?: boolean;
  readonly aligned?: number;
  readonly aliases?: Readonly<Record<string, string>>;
}

export function struct(name: string | null, members: readonly Member[], options: RecordOptions = {}): RecordType {
  return record('struct', name, members, options);
}

export function union(name: string | null, members: readonly Member[], options: RecordOptions = {}): RecordType {
  return record('union', name, members, options);
}

function record(
  kind: 'struct' | 'union',
  name: string | null,
  members: readonly Member[],
  options: RecordOptions,
): RecordType {
  return {
    kind,
    name,
    members,
    packed: options.packed ?? false,
    aligned: options.aligned ?? null,
    aliases: options.aliases ?? {},
  };
}

/** A run of `unsigned long` members, the shape of most register structs. */
export function ulongs(...names: readonly string[]): Member[] {
  return names.map((n) => member(n, unsignedLong));
}

/** The C spelling of a type, for listings: `struct pt_regs`, `__u32[12]`. */
export function typeName(type: CType): string {
  switch (type.kind) {
    case 'scalar':
      return type.name;
    case 'array':
      return `${typeName(type.element)}[${type.count}]`;
    case 'struct':
    case 'union':
      return type.name === null ? `${type.kind} {anonymous}` : `${type.kind} ${type.name}`;
  }
}
