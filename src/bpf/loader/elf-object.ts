/**
 * The parts of an ELF64 relocatable object (ET_REL, EM_BPF, little-endian)
 * a BPF loader needs: sections by name, the symbol table, SHT_REL entries.
 * Pure bytes in, records out; every problem is a BpfLoadError naming it.
 * @see System V gABI ch. 4 (ELF header, section header, symbol table, relocation)
 */
import { BpfLoadError } from '../errors.js';

export const ET_REL = 1;
export const EM_BPF = 247;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_REL = 9;
export const SHT_NOBITS = 8;
export const SHF_EXECINSTR = 0x4;

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly link: number;
  readonly info: number;
  readonly data: Uint8Array;
}

export interface ElfSymbol {
  readonly name: string;
  /** STB_* (st_info >> 4). */
  readonly bind: number;
  /** STT_* (st_info & 0xf). */
  readonly type: number;
  readonly shndx: number;
  readonly value: bigint;
  readonly size: bigint;
}

export interface ElfRel {
  readonly offset: bigint;
  readonly type: number;
  readonly symbol: number;
}

export interface ElfObject {
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  /** Relocations by the index of the section they apply to. */
  readonly relocations: ReadonlyMap<number, readonly ElfRel[]>;
}

function cstring(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return String.fromCharCode(...bytes.subarray(at, end));
}

export function parseElfObject(bytes: Uint8Array): ElfObject {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new BpfLoadError('not an ELF file', null);
  }
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new BpfLoadError('not a 64-bit little-endian ELF object', null);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eType = v.getUint16(16, true);
  const machine = v.getUint16(18, true);
  if (eType !== ET_REL) throw new BpfLoadError(`ELF type ${eType} is not ET_REL (a relocatable object)`, null);
  if (machine !== EM_BPF) throw new BpfLoadError(`ELF machine ${machine} is not EM_BPF (${EM_BPF})`, null);
  const shoff = Number(v.getBigUint64(40, true));
  const shentsize = v.getUint16(58, true);
  const shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  if (shentsize !== 64 || shoff + shnum * 64 > bytes.length) throw new BpfLoadError('section header table out of the file', null);
  const raw = Array.from({ length: shnum }, (_, k) => {
    const at = shoff + k * 64;
    const type = v.getUint32(at + 4, true);
    const offset = Number(v.getBigUint64(at + 24, true));
    const size = Number(v.getBigUint64(at + 32, true));
    if (type !== SHT_NOBITS && offset + size > bytes.length) throw new BpfLoadError(`section ${k} data out of the file`, null);
    return {
      nameOff: v.getUint32(at, true),
      type,
      flags: v.getBigUint64(at + 8, true),
      link: v.getUint32(at + 40, true),
      info: v.getUint32(at + 44, true),
      data: type === SHT_NOBITS ? new Uint8Array(size) : bytes.subarray(offset, offset + size),
    };
  });
  const shstr = raw[shstrndx]?.data ?? new Uint8Array(0);
  const sections: ElfSection[] = raw.map((s, index) => ({
    index, name: cstring(shstr, s.nameOff), type: s.type, flags: s.flags, link: s.link, info: s.info, data: s.data,
  }));
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    const strtab = sections[symtab.link]?.data ?? new Uint8Array(0);
    const sv = new DataView(symtab.data.buffer, symtab.data.byteOffset, symtab.data.byteLength);
    for (let at = 0; at + 24 <= symtab.data.length; at += 24) {
      const info = sv.getUint8(at + 4);
      symbols.push({
        name: cstring(strtab, sv.getUint32(at, true)),
        bind: info >> 4,
        type: info & 0xf,
        shndx: sv.getUint16(at + 6, true),
        value: sv.getBigUint64(at + 8, true),
        size: sv.getBigUint64(at + 16, true),
      });
    }
  }
  const relocations = new Map<number, ElfRel[]>();
  for (const s of sections.filter((x) => x.type === SHT_REL)) {
    const rv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    const list: ElfRel[] = [];
    for (let at = 0; at + 16 <= s.data.length; at += 16) {
      const info = rv.getBigUint64(at + 8, true);
      list.push({ offset: rv.getBigUint64(at, true), type: Number(info & 0xffffffffn), symbol: Number(info >> 32n) });
    }
    relocations.set(s.info, [...(relocations.get(s.info) ?? []), ...list]);
  }
  return { sections, symbols, relocations };
}
