/**
 * From decoded instructions to a loadable program: every LD_IMM64 is
 * checked and its pseudo source resolved against the map table, as the
 * kernel's loader does before verification.
 * @kernel kernel/bpf/verifier.c resolve_pseudo_ldimm64, kernel/bpf/arraymap.c
 *         array_map_direct_value_addr
 * @see RFC 9669 §5.4 (64-bit immediate instructions, the src_reg table)
 */
import { BpfVerifyError } from '../errors.js';
import { imm64Of, isLdImm64, type BpfInsn } from '../insn.js';
import { BPF_MAP_TYPE_ARRAY, type BpfMap, type BpfMaps } from '../maps.js';
import {
  BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
} from '../opcodes.js';
import type { BpfProgram, Imm64 } from '../program.js';

export interface ResolveOptions {
  readonly name?: string;
  /** fd_array of BPF_PROG_LOAD, for BPF_PSEUDO_MAP_IDX(_VALUE): index → map fd. */
  readonly fdArray?: readonly number[];
}

function mapFor(maps: BpfMaps, src: number, imm: number, fdArray: readonly number[] | undefined, pc: number): BpfMap {
  const byIdx = src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_IDX_VALUE;
  const fd = byIdx ? fdArray?.[imm] : imm;
  if (fd === undefined) throw new BpfVerifyError(`fd_idx ${imm} is out of bounds of fd_array`, pc);
  const map = maps.get(fd);
  if (!map) throw new BpfVerifyError(`fd ${fd} is not pointing to valid bpf_map`, pc);
  return map;
}

export function resolveProgram(insns: readonly BpfInsn[], maps: BpfMaps, options: ResolveOptions = {}): BpfProgram {
  const imm64 = new Map<number, Imm64>();
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    if (!isLdImm64(i)) continue;
    const next = insns[pc + 1];
    if (!next || next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
      throw new BpfVerifyError('invalid bpf_ld_imm64 insn', pc);
    }
    switch (i.src) {
      case 0:
        imm64.set(pc, { kind: 'imm', value: imm64Of(i, next) });
        break;
      case BPF_PSEUDO_MAP_FD:
      case BPF_PSEUDO_MAP_IDX:
        if (next.imm !== 0) throw new BpfVerifyError('unrecognized bpf_ld_imm64 insn', pc);
        imm64.set(pc, { kind: 'map', map: mapFor(maps, i.src, i.imm, options.fdArray, pc) });
        break;
      case BPF_PSEUDO_MAP_VALUE:
      case BPF_PSEUDO_MAP_IDX_VALUE: {
        const map = mapFor(maps, i.src, i.imm, options.fdArray, pc);
        // Direct value access exists for single-element array maps only.
        if (map.def.type !== BPF_MAP_TYPE_ARRAY || map.def.maxEntries !== 1) {
          throw new BpfVerifyError('no direct value access support for this map type', pc);
        }
        const off = next.imm >>> 0;
        if (off >= map.def.valueSize) throw new BpfVerifyError(`direct value offset of ${off} is not allowed`, pc);
        imm64.set(pc, { kind: 'map-value', map, offset: off });
        break;
      }
      case BPF_PSEUDO_BTF_ID:
      case BPF_PSEUDO_FUNC:
        throw new BpfVerifyError(`bpf_ld_imm64 src ${i.src} (BTF variable / function address) is not modelled`, pc);
      default:
        throw new BpfVerifyError('unrecognized bpf_ld_imm64 insn', pc);
    }
    pc++;
  }
  return { name: options.name ?? 'prog', insns, imm64, maps };
}
