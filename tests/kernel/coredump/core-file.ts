/** Reads an ELF64 core the way a debugger starts to: program headers, then the notes of PT_NOTE. */
export interface CoreNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

export interface CorePhdr {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
}

export interface CoreFile {
  readonly phdrs: readonly CorePhdr[];
  readonly notes: readonly CoreNote[];
  /** `size` bytes at `vaddr` from the PT_LOAD that holds them (null if none dumps them). */
  memory(vaddr: number, size: number): Uint8Array | null;
}

export function parseCore(file: Uint8Array): CoreFile {
  const bytes = new Uint8Array(file); // a copy: a Node Buffer's slice() is a view into a shared pool
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = (o: number): number => Number(dv.getBigUint64(o, true));
  if (dv.getUint16(16, true) !== 4) throw new Error('not ET_CORE');
  const phoff = n(32);
  const phnum = dv.getUint16(56, true);
  const phdrs: CorePhdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * 56;
    phdrs.push({ type: dv.getUint32(p, true), flags: dv.getUint32(p + 4, true), offset: n(p + 8), vaddr: n(p + 16), filesz: n(p + 32), memsz: n(p + 40) });
  }
  const notes: CoreNote[] = [];
  const pn = phdrs.find((p) => p.type === 4);
  if (pn) {
    const align = (x: number): number => (x + 3) & ~3;
    for (let o = pn.offset; o < pn.offset + pn.filesz;) {
      const namesz = dv.getUint32(o, true);
      const descsz = dv.getUint32(o + 4, true);
      const type = dv.getUint32(o + 8, true);
      const name = new TextDecoder().decode(bytes.subarray(o + 12, o + 12 + namesz - 1));
      const d = o + 12 + align(namesz);
      notes.push({ name, type, desc: bytes.slice(d, d + descsz) });
      o = d + align(descsz);
    }
  }
  return {
    phdrs,
    notes,
    memory(vaddr, size) {
      const p = phdrs.find((x) => x.type === 1 && vaddr >= x.vaddr && vaddr + size <= x.vaddr + x.filesz);
      return p ? bytes.slice(p.offset + (vaddr - p.vaddr), p.offset + (vaddr - p.vaddr) + size) : null;
    },
  };
}

/** pr_reg of an NT_PRSTATUS descriptor: user_regs_struct's 27 words (offset 112). */
export function prReg(prstatus: Uint8Array): bigint[] {
  const dv = new DataView(prstatus.buffer, prstatus.byteOffset, prstatus.byteLength);
  return Array.from({ length: 27 }, (_, i) => dv.getBigUint64(112 + 8 * i, true));
}

/** user_regs_struct's members in order (arch/x86/include/asm/user_64.h). */
export const USER_REGS_NAMES = [
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di',
  'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
