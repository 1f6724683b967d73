/**
 * The C type names a design spec may use, mapped to the abi/ scalar types.
 */
import {
  __u16, __u32, __u64, bool, char, int, long, short, u16, u32, u64, u8, unsignedInt, unsignedLong,
  type ScalarType,
} from '../abi/ctype.js';

/** A member of this type in an extension is the design's struct pt_regs. */
export const PT_REGS_TYPE = 'struct pt_regs';

const SCALARS: readonly ScalarType[] = [
  u8, u16, u32, u64, __u16, __u32, __u64, bool, char, short, int, unsignedInt, long, unsignedLong,
];

export const SCALAR_TYPE_NAMES: readonly string[] = SCALARS.map((s) => s.name);

export function scalarType(name: string): ScalarType | undefined {
  return SCALARS.find((s) => s.name === name);
}
