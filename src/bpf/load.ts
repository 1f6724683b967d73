/**
 * BPF_PROG_LOAD for kprobe programs: instructions (raw bytecode or from an
 * ELF object) → optional CO-RE-style context relocations → pseudo LD_IMM64
 * resolution → verification against the context layout the program will see.
 */
import type { RecordLayout } from '../abi/layout.js';
import { decodeInsns, type BpfInsn } from './insn.js';
import { loadBpfObject, type BpfObject } from './loader/bpf-object.js';
import { applyCtxRelocs, type CtxFieldReloc } from './loader/ctx-reloc.js';
import { resolveProgram } from './loader/resolve.js';
import { BpfMaps } from './maps.js';
import { SlotSpace } from './memory.js';
import type { BpfProgram } from './program.js';
import { verifyProgram } from './verifier/verifier.js';

export interface LoadOptions {
  readonly maps: BpfMaps;
  /** struct pt_regs as the kernel that runs the program lays it out (sizeof bounds ctx access). */
  readonly ctxLayout: RecordLayout;
  readonly name?: string;
  readonly fdArray?: readonly number[];
  /** Field-offset relocations to apply against `ctxLayout` before verification. */
  readonly ctxRelocs?: readonly CtxFieldReloc[];
}

export interface LoadedProgram extends BpfProgram {
  /** The context size the verifier checked accesses against. */
  readonly ctxSize: number;
  /** Instructions the verifier processed over all paths. */
  readonly processed: number;
}

/** A map table with its own address space for values (one per simulated kernel). */
export function createMapTable(): BpfMaps {
  return new BpfMaps(new SlotSpace());
}

export function loadProgram(insns: readonly BpfInsn[], opts: LoadOptions): LoadedProgram {
  const patched = opts.ctxRelocs ? applyCtxRelocs(insns, opts.ctxRelocs, opts.ctxLayout) : insns;
  const prog = resolveProgram(patched, opts.maps, {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.fdArray !== undefined ? { fdArray: opts.fdArray } : {}),
  });
  const ctxSize = opts.ctxLayout.size;
  const { processed } = verifyProgram(prog, { ctxSize });
  return { ...prog, ctxSize, processed };
}

/** Loads raw bytecode: a Uint8Array of 8-byte instruction slots. */
export function loadRawProgram(bytecode: Uint8Array, opts: LoadOptions): LoadedProgram {
  return loadProgram(decodeInsns(bytecode), opts);
}

export interface LoadedObject {
  readonly object: BpfObject;
  /** Verified programs by section name. */
  readonly programs: ReadonlyMap<string, LoadedProgram>;
}

/** Loads every program of a `clang -target bpf` object (maps created in `opts.maps`). */
export function loadObject(elf: Uint8Array, opts: Omit<LoadOptions, 'name' | 'fdArray'>): LoadedObject {
  const object = loadBpfObject(elf, opts.maps);
  const programs = new Map<string, LoadedProgram>();
  for (const p of object.programs) programs.set(p.section, loadProgram(p.insns, { ...opts, name: p.section }));
  return { object, programs };
}
