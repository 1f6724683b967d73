/** Reads `readelf -lhW` output: the binutils view of a file, an oracle for the parser. */
import { execFileSync } from 'node:child_process';

export interface ReadelfPhdr {
  readonly type: string;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  /** readelf's three-column flags, e.g. "R E". */
  readonly flags: string;
  readonly align: bigint;
}

export interface ReadelfView {
  readonly type: string;
  readonly entry: bigint;
  readonly phoff: bigint;
  readonly phentsize: number;
  readonly phnum: number;
  readonly phdrs: readonly ReadelfPhdr[];
}

const ROW = /^\s+(\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s([RWE ]{3})\s+(0x[0-9a-f]+)\s*$/;

function field(text: string, label: string): string {
  const m = new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(text);
  if (!m?.[1]) throw new Error(`readelf output has no "${label}"`);
  return m[1];
}

export function readelf(path: string): ReadelfView {
  const text = execFileSync('readelf', ['-lhW', path], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const phdrs: ReadelfPhdr[] = [];
  for (const line of text.split('\n')) {
    const m = ROW.exec(line);
    if (!m) continue;
    const [, type = '', off = '', va = '', pa = '', fs = '', ms = '', flags = '', al = ''] = m;
    phdrs.push({ type, offset: BigInt(off), vaddr: BigInt(va), paddr: BigInt(pa), filesz: BigInt(fs), memsz: BigInt(ms), flags, align: BigInt(al) });
  }
  return {
    type: field(text, 'Type'),
    entry: BigInt(field(text, 'Entry point address')),
    phoff: BigInt(field(text, 'Start of program headers')),
    phentsize: Number(field(text, 'Size of program headers')),
    phnum: Number(field(text, 'Number of program headers')),
    phdrs,
  };
}

/** readelf's names for the segment types the tests meet. */
export const PT_NAMES: Readonly<Record<number, string>> = {
  1: 'LOAD', 2: 'DYNAMIC', 3: 'INTERP', 4: 'NOTE', 6: 'PHDR', 7: 'TLS',
  0x6474e550: 'GNU_EH_FRAME', 0x6474e551: 'GNU_STACK', 0x6474e552: 'GNU_RELRO', 0x6474e553: 'GNU_PROPERTY',
};
