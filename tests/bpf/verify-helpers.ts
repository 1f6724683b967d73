/** Shared setup for verifier tests: the upstream and pks-in-pt_regs layouts, a map table with one array and one hash map. */
import { layoutOf, type RecordLayout } from '../../src/abi/layout.js';
import { ptRegs } from '../../src/abi/structs/index.js';
import {
  assemble, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, createMapTable, loadProgram, type BpfMaps, type LoadedProgram,
} from '../../src/bpf/index.js';

export const UPSTREAM_PT_REGS: RecordLayout = layoutOf(ptRegs);

export interface Fixture {
  readonly maps: BpfMaps;
  /** An array map: key 4, value 8, 4 entries. */
  readonly arrayFd: number;
  /** A hash map: key 4, value 16, 2 entries. */
  readonly hashFd: number;
}

export function fixture(): Fixture {
  const maps = createMapTable();
  const arrayFd = maps.create({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, 'arr');
  const hashFd = maps.create({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 16, maxEntries: 2 }, 'hash');
  return { maps, arrayFd, hashFd };
}

/** Assembles `asm` (with ${ARR} / ${HASH} replaced by the fds) and loads it. */
export function load(asm: string, f: Fixture = fixture(), layout: RecordLayout = UPSTREAM_PT_REGS): LoadedProgram {
  const text = asm.replaceAll('${ARR}', String(f.arrayFd)).replaceAll('${HASH}', String(f.hashFd));
  return loadProgram(assemble(text), { maps: f.maps, ctxLayout: layout });
}
