/**
 * The helper functions a kprobe program may call: their ids (enum
 * bpf_func_id), argument and return types for the verifier (struct
 * bpf_func_proto) and their effect.
 * @kernel include/uapi/linux/bpf.h (__BPF_FUNC_MAPPER), kernel/bpf/helpers.c,
 *         kernel/trace/bpf_trace.c (bpf_tracing_func_proto)
 */
import { EFAULT } from './errno.js';
import type { BpfMap } from './maps.js';
import type { RunMemory } from './memory.js';
import { formatTracePrintk } from './trace-printk.js';

export const BPF_FUNC_map_lookup_elem = 1;
export const BPF_FUNC_map_update_elem = 2;
export const BPF_FUNC_map_delete_elem = 3;
export const BPF_FUNC_ktime_get_ns = 5;
export const BPF_FUNC_trace_printk = 6;
export const BPF_FUNC_get_current_pid_tgid = 14;
export const BPF_FUNC_probe_read_kernel = 113;

/** enum bpf_arg_type, the subset these helpers use. */
export type ArgType =
  | 'const_map_ptr' // ARG_CONST_MAP_PTR
  | 'ptr_to_map_key' // ARG_PTR_TO_MAP_KEY: key_size readable, initialized bytes
  | 'ptr_to_map_value' // ARG_PTR_TO_MAP_VALUE: value_size readable, initialized bytes
  | 'ptr_to_uninit_mem' // ARG_PTR_TO_UNINIT_MEM: writable, size in the next argument
  | 'ptr_to_mem_rdonly' // ARG_PTR_TO_MEM | MEM_RDONLY: initialized, size in the next argument
  | 'const_size' // ARG_CONST_SIZE: a known scalar > 0
  | 'const_size_or_zero' // ARG_CONST_SIZE_OR_ZERO
  | 'anything'; // ARG_ANYTHING: any initialized register

/** enum bpf_return_type, the subset these helpers use. */
export type RetType = 'integer' | 'map_value_or_null';

/** What the kernel side supplies: guest memory, the clock, the current task, the trace pipe. */
export interface BpfHelperEnv {
  /** copy_from_kernel_nofault: the bytes, or null when any is unmapped. */
  readonly readKernel?: (address: bigint, size: number) => Uint8Array | null;
  readonly ktimeGetNs?: () => bigint;
  /** (tgid << 32) | pid of current. */
  readonly currentPidTgid?: () => bigint;
  /** One line of /sys/kernel/tracing/trace_pipe output. */
  readonly tracePrintk?: (line: string) => void;
}

export interface HelperCall {
  readonly args: readonly [bigint, bigint, bigint, bigint, bigint];
  readonly memory: RunMemory;
  readonly mapAt: (handle: bigint) => BpfMap | undefined;
  readonly env: BpfHelperEnv;
}

export interface HelperProto {
  readonly id: number;
  readonly name: string;
  readonly args: readonly ArgType[];
  readonly ret: RetType;
  /** r0 after the call (a negative errno as a 64-bit two's complement value). */
  readonly call: (c: HelperCall) => bigint;
}

const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));

function mapOf(c: HelperCall): BpfMap {
  const m = c.mapAt(c.args[0]);
  if (!m) throw new RangeError('helper called with something that is not a map'); // the verifier prevents it
  return m;
}

function bytesAt(c: HelperCall, address: bigint, size: number): Uint8Array {
  const b = c.memory.read(address, size);
  if (!b) throw new RangeError(`helper argument ${address.toString(16)} is not readable`);
  return b;
}

/** Reads through the program's own regions first (its stack, ctx, maps), then the kernel's memory. */
function readAnywhere(c: HelperCall, address: bigint, size: number): Uint8Array | null {
  if (size === 0) return new Uint8Array(0);
  return c.memory.read(address, size) ?? c.env.readKernel?.(address, size) ?? null;
}

function readString(c: HelperCall, address: bigint, max: number): string | null {
  let s = '';
  for (let i = 0; i < max - 1; i++) {
    const b = readAnywhere(c, address + BigInt(i), 1);
    if (!b) return null;
    if (b[0] === 0) return s;
    s += String.fromCharCode(b[0]!);
  }
  return s;
}

export const HELPERS: readonly HelperProto[] = [
  {
    id: BPF_FUNC_map_lookup_elem,
    name: 'bpf_map_lookup_elem',
    args: ['const_map_ptr', 'ptr_to_map_key'],
    ret: 'map_value_or_null',
    call: (c) => {
      const m = mapOf(c);
      return m.lookup(bytesAt(c, c.args[1], m.def.keySize))?.base ?? 0n;
    },
  },
  {
    id: BPF_FUNC_map_update_elem,
    name: 'bpf_map_update_elem',
    args: ['const_map_ptr', 'ptr_to_map_key', 'ptr_to_map_value', 'anything'],
    ret: 'integer',
    call: (c) => {
      const m = mapOf(c);
      const key = bytesAt(c, c.args[1], m.def.keySize);
      const value = bytesAt(c, c.args[2], m.def.valueSize);
      return u64(m.update(key, value, Number(BigInt.asUintN(32, c.args[3]))));
    },
  },
  {
    id: BPF_FUNC_map_delete_elem,
    name: 'bpf_map_delete_elem',
    args: ['const_map_ptr', 'ptr_to_map_key'],
    ret: 'integer',
    call: (c) => {
      const m = mapOf(c);
      return u64(m.delete(bytesAt(c, c.args[1], m.def.keySize)));
    },
  },
  {
    id: BPF_FUNC_ktime_get_ns,
    name: 'bpf_ktime_get_ns',
    args: [],
    ret: 'integer',
    call: (c) => u64(c.env.ktimeGetNs?.() ?? 0n),
  },
  {
    // bpf_trace_printk(fmt, fmt_size, ...): returns the bytes written or -EINVAL.
    // The proto types only fmt and fmt_size; r3..r5 are not checked (ARG_DONTCARE).
    id: BPF_FUNC_trace_printk,
    name: 'bpf_trace_printk',
    args: ['ptr_to_mem_rdonly', 'const_size'],
    ret: 'integer',
    call: (c) => {
      const fmt = bytesAt(c, c.args[0], Number(c.args[1]));
      const line = formatTracePrintk(fmt, {
        args: c.args.slice(2),
        readString: (address, max) => readString(c, address, max),
      });
      if (typeof line === 'number') return u64(line);
      c.env.tracePrintk?.(line);
      return u64(line.length);
    },
  },
  {
    id: BPF_FUNC_get_current_pid_tgid,
    name: 'bpf_get_current_pid_tgid',
    args: [],
    ret: 'integer',
    call: (c) => u64(c.env.currentPidTgid?.() ?? 0n),
  },
  {
    // bpf_probe_read_kernel(dst, size, unsafe_ptr): on a fault dst is zeroed and -EFAULT returned.
    id: BPF_FUNC_probe_read_kernel,
    name: 'bpf_probe_read_kernel',
    args: ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'],
    ret: 'integer',
    call: (c) => {
      const size = Number(c.args[1]);
      const got = readAnywhere(c, c.args[2], size);
      if (!c.memory.write(c.args[0], got ?? new Uint8Array(size))) {
        throw new RangeError('probe_read_kernel destination is not writable'); // the verifier prevents it
      }
      return got ? 0n : u64(-EFAULT);
    },
  },
];

const BY_ID = new Map(HELPERS.map((h) => [h.id, h]));

export function helperById(id: number): HelperProto | undefined {
  return BY_ID.get(id);
}
