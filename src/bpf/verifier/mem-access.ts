/**
 * check_mem_access(): what a load or store through a register may touch,
 * by the register's type, and what a load yields.
 * @kernel kernel/bpf/verifier.c check_mem_access, check_ctx_access,
 *         check_ptr_off_reg, check_map_access, check_stack_access_within_bounds,
 *         check_stack_read_fixed_off, check_stack_write_fixed_off, check_ptr_alignment
 */
import { BpfVerifyError } from '../errors.js';
import { MAX_BPF_STACK } from '../opcodes.js';
import { kprobeIsValidAccess, type AccessType } from './ctx-access.js';
import {
  STACK_INVALID, STACK_MISC, STACK_SPILL, UNKNOWN, isPointer, readReg, regTypeStr, type RegState, type VerifierState,
} from './state.js';

export interface MemAccess {
  readonly regno: number;
  /** The instruction's offset (added to the register's own offset). */
  readonly off: number;
  readonly size: number;
  readonly type: AccessType;
  /** For a store: what is stored (a register's state, or a known scalar for BPF_ST). */
  readonly value?: RegState;
  /** The register number stored from, for "R%d leaks addr" (BPF_STX). */
  readonly valueRegno?: number;
}

/** The state a load produces (UNKNOWN for stores). Throws BpfVerifyError when the access is not allowed. */
export function checkMemAccess(s: VerifierState, a: MemAccess, pc: number, ctxSize: number): RegState {
  const reg = readReg(s, a.regno, pc);
  switch (reg.type) {
    case 'ctx': {
      if (reg.off !== 0) throw new BpfVerifyError(`dereference of modified ctx ptr R${a.regno} off=${reg.off} disallowed`, pc);
      if (!kprobeIsValidAccess(a.off, a.size, a.type, ctxSize)) {
        throw new BpfVerifyError(`invalid bpf_context access off=${a.off} size=${a.size}`, pc);
      }
      return UNKNOWN;
    }
    case 'fp':
      return stackAccess(s, reg.off, a, pc);
    case 'map_value': {
      const off = reg.off + a.off;
      const valueSize = reg.map.def.valueSize;
      if (off < 0 || off + a.size > valueSize) {
        throw new BpfVerifyError(`invalid access to map value, value_size=${valueSize} off=${off} size=${a.size}`, pc);
      }
      if (a.type === 'write' && a.value && isPointer(a.value)) {
        throw new BpfVerifyError(`R${a.valueRegno ?? 0} leaks addr into map`, pc);
      }
      return UNKNOWN;
    }
    default:
      throw new BpfVerifyError(`R${a.regno} invalid mem access '${regTypeStr(reg)}'`, pc);
  }
}

function stackAccess(s: VerifierState, regOff: number, a: MemAccess, pc: number): RegState {
  const off = regOff + a.off;
  if (off < -MAX_BPF_STACK || off + a.size > 0) {
    const what = a.type === 'read' ? ' read from' : ' write to';
    throw new BpfVerifyError(`invalid${what} stack R${a.regno} off=${off} size=${a.size}`, pc);
  }
  // Stack accesses are always checked for alignment (check_ptr_alignment: strict for PTR_TO_STACK).
  if (off % a.size !== 0) {
    throw new BpfVerifyError(`misaligned stack access off (0x0; 0x0)+${regOff}+${a.off} size ${a.size}`, pc);
  }
  const base = MAX_BPF_STACK + off;
  return a.type === 'read' ? stackRead(s, base, off, a.size, pc) : stackWrite(s, base, a.size, a.value ?? UNKNOWN);
}

function stackRead(s: VerifierState, base: number, off: number, size: number, pc: number): RegState {
  for (let i = 0; i < size; i++) {
    if (s.stack[base + i] === STACK_INVALID) throw new BpfVerifyError(`invalid read from stack off ${off}+${i} size ${size}`, pc);
  }
  const spilled = s.spills[base / 8];
  if (size === 8 && spilled) return spilled;
  return UNKNOWN;
}

function stackWrite(s: VerifierState, base: number, size: number, value: RegState): RegState {
  // An 8-byte aligned store keeps the stored register's state (a spill);
  // anything else makes the bytes plain data and scrubs any spill it touches.
  const first = Math.floor(base / 8);
  const last = Math.floor((base + size - 1) / 8);
  for (let slot = first; slot <= last; slot++) {
    if (s.spills[slot]) {
      s.spills[slot] = undefined;
      s.stack.fill(STACK_MISC, slot * 8, slot * 8 + 8);
    }
  }
  if (size === 8 && value.type !== 'not_init') {
    s.stack.fill(STACK_SPILL, base, base + 8);
    s.spills[base / 8] = value;
  } else {
    s.stack.fill(STACK_MISC, base, base + size);
  }
  return UNKNOWN;
}

/**
 * check_helper_mem_access(): `size` bytes at a stack or map-value pointer,
 * initialized when the helper reads them; a helper that writes them leaves
 * them initialized (check_stack_range_initialized with an uninit-mem argument).
 */
export function checkHelperMem(
  s: VerifierState, regno: number, size: number, init: 'read' | 'write', pc: number,
): void {
  const reg = readReg(s, regno, pc);
  if (reg.type === 'map_value') {
    const valueSize = reg.map.def.valueSize;
    if (reg.off < 0 || reg.off + size > valueSize) {
      throw new BpfVerifyError(`invalid access to map value, value_size=${valueSize} off=${reg.off} size=${size}`, pc);
    }
    return;
  }
  if (reg.type !== 'fp') throw new BpfVerifyError(`R${regno} type=${regTypeStr(reg)} expected=fp, map_value`, pc);
  const off = reg.off;
  if (off < -MAX_BPF_STACK || off + size > 0) {
    throw new BpfVerifyError(`invalid indirect access to stack R${regno} off=${off} size=${size}`, pc);
  }
  const base = MAX_BPF_STACK + off;
  for (let i = 0; i < size; i++) {
    if (init === 'read' && s.stack[base + i] === STACK_INVALID) {
      throw new BpfVerifyError(`invalid indirect read from stack R${regno} off ${off}+${i} size ${size}`, pc);
    }
  }
  if (init === 'write') {
    for (let i = 0; i < size; i++) {
      const slot = Math.floor((base + i) / 8);
      if (s.spills[slot]) {
        s.spills[slot] = undefined;
        s.stack.fill(STACK_MISC, slot * 8, slot * 8 + 8);
      }
      s.stack[base + i] = STACK_MISC;
    }
  }
}
