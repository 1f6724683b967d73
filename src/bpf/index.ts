/**
 * eBPF for kprobes: instruction set, interpreter, verifier subset, helpers,
 * maps, and loading from bytecode or `clang -target bpf` objects. A library
 * of its own: imports only src/lib and src/abi, no Node built-ins.
 */
export * from './opcodes.js';
export { decodeInsns, encodeInsns, insn, ldImm64, imm64Of, isLdImm64, LD_IMM64 } from './insn.js';
export type { BpfInsn } from './insn.js';
export { assemble } from './asm.js';
export { BpfLoadError, BpfRuntimeError, BpfVerifyError } from './errors.js';
export {
  BpfMaps, BPF_ANY, BPF_EXIST, BPF_NOEXIST, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH,
} from './maps.js';
export type { BpfMap, BpfMapDef } from './maps.js';
export * from './helpers.js';
export { formatTracePrintk } from './trace-printk.js';
export { runProgram, DEFAULT_CTX_ADDRESS } from './interp.js';
export type { RunOptions, RunResult } from './interp.js';
export { createMapTable, loadObject, loadProgram, loadRawProgram } from './load.js';
export type { LoadOptions, LoadedObject, LoadedProgram } from './load.js';
export type { BpfProgram, Imm64 } from './program.js';
export { verifyProgram } from './verifier/verifier.js';
export { kprobeIsValidAccess } from './verifier/ctx-access.js';
export type { CtxFieldReloc } from './loader/ctx-reloc.js';
export { parseElfObject } from './loader/elf-object.js';
export { resolveProgram } from './loader/resolve.js';
export * from './programs/kprobe-params.js';
