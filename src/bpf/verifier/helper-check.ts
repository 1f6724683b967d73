/**
 * check_helper_call(): the helper must exist, each argument register must
 * match its bpf_arg_type, r1–r5 are scratched, r0 gets the return type.
 * @kernel kernel/bpf/verifier.c check_helper_call, check_func_arg,
 *         check_mem_size_reg, mark_reg_not_init (caller-saved registers)
 */
import { BpfVerifyError } from '../errors.js';
import { helperById, type ArgType } from '../helpers.js';
import type { BpfMap } from '../maps.js';
import { checkHelperMem } from './mem-access.js';
import { NOT_INIT, UNKNOWN, readReg, regTypeStr, type VerifierState } from './state.js';

/** Ids for map_value_or_null results, unique per verification (reg->id). */
export interface IdSource {
  next(): number;
}

function constSize(s: VerifierState, regno: number, zeroOk: boolean, pc: number): number {
  const r = readReg(s, regno, pc);
  if (r.type !== 'scalar') throw new BpfVerifyError(`R${regno} type=${regTypeStr(r)} expected=scalar`, pc);
  if (r.value === null) {
    throw new BpfVerifyError(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`, pc);
  }
  const size = BigInt.asIntN(64, r.value);
  if (size < 0n) throw new BpfVerifyError(`R${regno} min value is negative, either use unsigned or 'var &= const'`, pc);
  if (size === 0n && !zeroOk) throw new BpfVerifyError(`R${regno} invalid zero-sized read`, pc);
  if (size > 1n << 29n) throw new BpfVerifyError(`R${regno} unbounded memory access`, pc);
  return Number(size);
}

export function checkHelperCall(s: VerifierState, imm: number, pc: number, ids: IdSource): void {
  const h = helperById(imm);
  if (!h) throw new BpfVerifyError(`invalid func unknown#${imm}`, pc);
  let map: BpfMap | null = null;
  const args: readonly ArgType[] = h.args;
  for (let k = 0; k < args.length; k++) {
    const regno = k + 1;
    const t = args[k]!;
    switch (t) {
      case 'anything':
        readReg(s, regno, pc);
        break;
      case 'const_map_ptr': {
        const r = readReg(s, regno, pc);
        if (r.type !== 'map_ptr') throw new BpfVerifyError(`R${regno} type=${regTypeStr(r)} expected=map_ptr`, pc);
        map = r.map;
        break;
      }
      case 'ptr_to_map_key':
      case 'ptr_to_map_value': {
        if (!map) throw new BpfVerifyError(`invalid map_ptr to access map->${t === 'ptr_to_map_key' ? 'key' : 'value'}`, pc);
        checkHelperMem(s, regno, t === 'ptr_to_map_key' ? map.def.keySize : map.def.valueSize, 'read', pc);
        break;
      }
      case 'ptr_to_uninit_mem':
      case 'ptr_to_mem_rdonly': {
        // The size is the next argument (ARG_CONST_SIZE[_OR_ZERO] follows a memory argument).
        const sizeType = args[k + 1];
        const size = constSize(s, regno + 1, sizeType === 'const_size_or_zero', pc);
        checkHelperMem(s, regno, size, t === 'ptr_to_uninit_mem' ? 'write' : 'read', pc);
        k++;
        break;
      }
      case 'const_size':
      case 'const_size_or_zero':
        constSize(s, regno, t === 'const_size_or_zero', pc);
        break;
    }
  }
  for (let r = 1; r <= 5; r++) s.regs[r] = NOT_INIT;
  if (h.ret === 'map_value_or_null') {
    if (!map) throw new BpfVerifyError(`kernel subsystem misconfigured verifier`, pc);
    s.regs[0] = { type: 'map_value_or_null', map, id: ids.next() };
  } else {
    s.regs[0] = UNKNOWN;
  }
}
