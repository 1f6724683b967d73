/**
 * A `clang -target bpf -O2 -c` object, read as libbpf reads one: program
 * sections by name ("kprobe/<func>", "kretprobe/<func>"), legacy map
 * definitions (struct bpf_map_def in "maps", or in ".maps" when written as
 * such), the "license" string, and R_BPF_64_64 relocations that turn
 * `lddw rX, <map symbol>` into BPF_PSEUDO_MAP_FD loads of the created map.
 * @see libbpf src/libbpf.c bpf_object__elf_collect, bpf_object__init_user_maps
 *      (legacy), bpf_program__record_reloc; Documentation/bpf/llvm_reloc.rst
 *
 * Not modelled (each is a clear BpfLoadError): BTF-defined maps (the
 * __uint/__type form in ".maps", which needs .BTF), global data (.rodata,
 * .data, .bss as maps), BPF-to-BPF calls (R_BPF_64_32 into .text).
 */
import { BpfLoadError } from '../errors.js';
import { decodeInsns, isLdImm64, insn as mkInsn, type BpfInsn } from '../insn.js';
import type { BpfMapDef, BpfMaps } from '../maps.js';
import { BPF_PSEUDO_MAP_FD } from '../opcodes.js';
import { SHF_EXECINSTR, SHT_PROGBITS, parseElfObject, type ElfObject, type ElfSection } from './elf-object.js';

/** R_BPF_64_64: the 64-bit immediate of an LD_IMM64 (llvm_reloc.rst). */
export const R_BPF_64_64 = 1;
/** R_BPF_64_32: a call's 32-bit immediate (BPF-to-BPF call). */
export const R_BPF_64_32 = 10;
/** sizeof(struct bpf_map_def) without the optional trailing members (tools/lib/bpf/libbpf_legacy.h). */
export const BPF_MAP_DEF_SIZE = 20;

const PROGRAM_PREFIXES = ['kprobe/', 'kretprobe/'];

export interface ObjectProgram {
  /** The section name, e.g. "kprobe/do_sys_openat2". */
  readonly section: string;
  /** Instructions with map references resolved to BPF_PSEUDO_MAP_FD loads. */
  readonly insns: readonly BpfInsn[];
}

export interface BpfObject {
  readonly programs: readonly ObjectProgram[];
  /** Map name (its symbol) → fd in the map table. */
  readonly maps: ReadonlyMap<string, number>;
  readonly license: string;
}

function isMapSection(s: ElfSection): boolean {
  return s.name === 'maps' || s.name === '.maps';
}

/** bpf_object__init_user_maps(): one struct bpf_map_def per symbol in the maps section. */
function createMaps(obj: ElfObject, maps: BpfMaps): Map<number, number> {
  const fdBySymbol = new Map<number, number>();
  obj.symbols.forEach((sym, k) => {
    const sec = obj.sections[sym.shndx];
    if (!sec || !isMapSection(sec) || sym.name === '' || sym.type === 3 /* STT_SECTION */) return;
    const at = Number(sym.value);
    if (at + BPF_MAP_DEF_SIZE > sec.data.length) {
      throw new BpfLoadError(`map '${sym.name}': definition at ${at} runs past section ${sec.name}`, null);
    }
    const v = new DataView(sec.data.buffer, sec.data.byteOffset + at, BPF_MAP_DEF_SIZE);
    const def: BpfMapDef = {
      type: v.getUint32(0, true),
      keySize: v.getUint32(4, true),
      valueSize: v.getUint32(8, true),
      maxEntries: v.getUint32(12, true),
      flags: v.getUint32(16, true),
    };
    const fd = maps.create(def, sym.name);
    if (fd < 0) {
      const hint = sec.name === '.maps' && def.type === 0 ? ' (BTF-defined maps are not modelled: use struct bpf_map_def)' : '';
      throw new BpfLoadError(
        `map '${sym.name}': BPF_MAP_CREATE failed (${fd}) for type=${def.type} key_size=${def.keySize} ` +
          `value_size=${def.valueSize} max_entries=${def.maxEntries}${hint}`,
        null,
      );
    }
    fdBySymbol.set(k, fd);
  });
  return fdBySymbol;
}

function relocate(obj: ElfObject, sec: ElfSection, fdBySymbol: ReadonlyMap<number, number>): BpfInsn[] {
  const insns = decodeInsns(sec.data);
  for (const rel of obj.relocations.get(sec.index) ?? []) {
    const pc = Number(rel.offset / 8n);
    const sym = obj.symbols[rel.symbol];
    const target = sym ? obj.sections[sym.shndx] : undefined;
    const where = `${sec.name}: relocation of insn ${pc} against '${sym?.name || target?.name || rel.symbol}'`;
    if (rel.type === R_BPF_64_32) throw new BpfLoadError(`${where}: BPF-to-BPF calls are not modelled`, pc);
    if (rel.type !== R_BPF_64_64) throw new BpfLoadError(`${where}: relocation type ${rel.type} is not R_BPF_64_64`, pc);
    const fd = fdBySymbol.get(rel.symbol);
    if (fd === undefined) {
      throw new BpfLoadError(`${where}: not a map (global data in ${target?.name ?? '?'} is not modelled)`, pc);
    }
    const i = insns[pc];
    if (!isLdImm64(i) || rel.offset % 8n !== 0n) throw new BpfLoadError(`${where}: the insn is not an LD_IMM64`, pc);
    insns[pc] = mkInsn(i!.opcode, i!.dst, BPF_PSEUDO_MAP_FD, i!.off, fd);
  }
  return insns;
}

/** Reads an object, creates its maps in `maps`, and returns its programs ready to resolve and verify. */
export function loadBpfObject(bytes: Uint8Array, maps: BpfMaps): BpfObject {
  const obj = parseElfObject(bytes);
  const fdBySymbol = createMaps(obj, maps);
  const programs = obj.sections
    .filter((s) => s.type === SHT_PROGBITS && (s.flags & BigInt(SHF_EXECINSTR)) !== 0n)
    .filter((s) => PROGRAM_PREFIXES.some((p) => s.name.startsWith(p)))
    .map((s) => ({ section: s.name, insns: relocate(obj, s, fdBySymbol) }));
  const textUsed = obj.sections.some((s) => s.name === '.text' && s.data.length > 0);
  if (programs.length === 0) {
    throw new BpfLoadError(`no program section (${PROGRAM_PREFIXES.map((p) => `${p}...`).join(', ')})${textUsed ? '; .text holds code: BPF-to-BPF calls are not modelled' : ''}`, null);
  }
  const lic = obj.sections.find((s) => s.name === 'license');
  const license = lic ? String.fromCharCode(...lic.data.subarray(0, Math.max(0, lic.data.indexOf(0)))) : '';
  const mapNames = new Map<string, number>();
  fdBySymbol.forEach((fd, k) => mapNames.set(obj.symbols[k]!.name, fd));
  return { programs, maps: mapNames, license };
}
