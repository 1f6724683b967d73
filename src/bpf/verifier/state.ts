/**
 * What the verifier knows about registers and stack slots on one path.
 * @kernel include/linux/bpf_verifier.h struct bpf_reg_state, struct
 *         bpf_stack_state (STACK_INVALID/STACK_MISC/STACK_SPILL),
 *         kernel/bpf/verifier.c reg_type_str
 *
 * Scalars are either a known constant or unknown: the kernel's tnum and
 * min/max bounds are not modelled, so pointer arithmetic needs a constant.
 */
import type { BpfMap } from '../maps.js';
import { MAX_BPF_REG, MAX_BPF_STACK } from '../opcodes.js';
import { BpfVerifyError } from '../errors.js';

export type RegState =
  | { readonly type: 'not_init' }
  /** SCALAR_VALUE; `value` is the unsigned 64-bit constant when known. */
  | { readonly type: 'scalar'; readonly value: bigint | null }
  | { readonly type: 'ctx'; readonly off: number }
  /** PTR_TO_STACK; `off` is relative to r10 (the frame top), so it is negative inside the stack. */
  | { readonly type: 'fp'; readonly off: number }
  | { readonly type: 'map_value'; readonly map: BpfMap; readonly off: number }
  /** PTR_TO_MAP_VALUE | PTR_MAYBE_NULL; copies share `id`, so one null check refines all of them. */
  | { readonly type: 'map_value_or_null'; readonly map: BpfMap; readonly id: number }
  /** CONST_PTR_TO_MAP. */
  | { readonly type: 'map_ptr'; readonly map: BpfMap };

export const NOT_INIT: RegState = { type: 'not_init' };
export const UNKNOWN: RegState = { type: 'scalar', value: null };
export const known = (value: bigint): RegState => ({ type: 'scalar', value: BigInt.asUintN(64, value) });

/** Stack byte kinds (enum bpf_stack_slot_type). */
export const STACK_INVALID = 0;
export const STACK_MISC = 1;
export const STACK_SPILL = 2;

export interface VerifierState {
  readonly regs: RegState[];
  /** Index 0 is the byte at r10-512, index 511 the byte at r10-1. */
  readonly stack: Uint8Array;
  /** Spilled registers by 8-byte slot (index = (512 + off) / 8). */
  readonly spills: (RegState | undefined)[];
}

export function initialState(): VerifierState {
  const regs = new Array<RegState>(MAX_BPF_REG).fill(NOT_INIT);
  regs[1] = { type: 'ctx', off: 0 };
  regs[10] = { type: 'fp', off: 0 };
  return { regs, stack: new Uint8Array(MAX_BPF_STACK), spills: new Array(MAX_BPF_STACK / 8).fill(undefined) };
}

export function cloneState(s: VerifierState): VerifierState {
  return { regs: s.regs.slice(), stack: s.stack.slice(), spills: s.spills.slice() };
}

/** The kernel's name of a register type, as log lines print it. */
export function regTypeStr(r: RegState): string {
  switch (r.type) {
    case 'not_init':
      return '?';
    case 'scalar':
      return 'scalar';
    case 'ctx':
      return 'ctx';
    case 'fp':
      return 'fp';
    case 'map_value':
      return 'map_value';
    case 'map_value_or_null':
      return 'map_value_or_null';
    case 'map_ptr':
      return 'map_ptr';
  }
}

export function isPointer(r: RegState): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

function regKey(r: RegState | undefined): string {
  if (!r) return '-';
  switch (r.type) {
    case 'not_init':
      return 'n';
    case 'scalar':
      return `s${r.value ?? '?'}`;
    case 'ctx':
    case 'fp':
      return `${r.type}${r.off}`;
    case 'map_value':
      return `mv${r.map.fd}:${r.off}`;
    case 'map_value_or_null':
      return `mvn${r.map.fd}:${r.id}`;
    case 'map_ptr':
      return `mp${r.map.fd}`;
  }
}

/** A string identifying the state exactly, for pruning paths that reach an instruction in a state already seen. */
export function stateKey(s: VerifierState): string {
  return `${s.regs.map(regKey).join(',')}|${s.stack.join('')}|${s.spills.map(regKey).join(',')}`;
}

/** check_reg_arg(SRC_OP): the register must have been written on this path. */
export function readReg(s: VerifierState, regno: number, pc: number): RegState {
  const r = s.regs[regno]!;
  if (r.type === 'not_init') throw new BpfVerifyError(`R${regno} !read_ok`, pc);
  return r;
}
