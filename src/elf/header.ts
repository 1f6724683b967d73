/**
 * The ELF64 file header: the first checks of fs/binfmt_elf.c
 * load_elf_binary() (magic, e_type, elf_check_arch) plus the class and byte
 * order checks Linux gets implicitly from dispatching on e_machine.
 */
import {
  EI_CLASS, EI_DATA, ELF64_EHDR_SIZE, ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, ELFMAG,
  EM_386, EM_X86_64, ET_CORE, ET_DYN, ET_EXEC, ET_NONE, ET_REL,
} from './constants.js';
import { ElfLoadError } from './errors.js';

/** Elf64_Ehdr fields the loader uses; 64-bit fields stay `bigint` until checked. */
export interface ElfHeader {
  readonly type: typeof ET_EXEC | typeof ET_DYN;
  readonly machine: number;
  readonly entry: bigint;
  readonly phoff: bigint;
  readonly phentsize: number;
  readonly phnum: number;
}

/** Field offsets inside Elf64_Ehdr (include/uapi/linux/elf.h). */
const E_TYPE = 16;
const E_MACHINE = 18;
const E_ENTRY = 24;
const E_PHOFF = 32;
const E_PHENTSIZE = 54;
const E_PHNUM = 56;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [ET_NONE]: 'ET_NONE (no file type)',
  [ET_REL]: 'ET_REL (relocatable object)',
  [ET_CORE]: 'ET_CORE (core dump)',
};

const MACHINE_NAMES: Readonly<Record<number, string>> = {
  [EM_386]: 'EM_386 (i386)', 8: 'EM_MIPS', 20: 'EM_PPC', 21: 'EM_PPC64', 40: 'EM_ARM', 183: 'EM_AARCH64', 243: 'EM_RISCV',
};

/** A little-endian view of the whole file; callers check bounds first. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Parses and checks the file header. Throws `ElfLoadError`. */
export function parseElfHeader(bytes: Uint8Array): ElfHeader {
  if (bytes.length < ELFMAG.length || ELFMAG.some((b, i) => bytes[i] !== b)) {
    throw new ElfLoadError('not-elf', 'not an ELF file (bad magic)', 0);
  }
  const cls = bytes[EI_CLASS];
  if (cls === ELFCLASS32) {
    throw new ElfLoadError('elf-class', '32-bit ELF (ELFCLASS32) is not supported: build a 64-bit x86-64 executable', EI_CLASS);
  }
  if (cls !== ELFCLASS64) throw new ElfLoadError('elf-class', `corrupt ELF header: unknown ELF class ${cls ?? 'missing'}`, EI_CLASS);
  const data = bytes[EI_DATA];
  if (data === ELFDATA2MSB) {
    throw new ElfLoadError('elf-data', 'big-endian ELF (ELFDATA2MSB) is not supported: x86-64 is little-endian', EI_DATA);
  }
  if (data !== ELFDATA2LSB) throw new ElfLoadError('elf-data', `corrupt ELF header: unknown data encoding ${data ?? 'missing'}`, EI_DATA);
  if (bytes.length < ELF64_EHDR_SIZE) {
    throw new ElfLoadError('truncated', `truncated ELF file: ${bytes.length} bytes, the ELF64 header alone is ${ELF64_EHDR_SIZE}`, 0);
  }

  const v = viewOf(bytes);
  // load_elf_binary(): "if (elf_ex->e_type != ET_EXEC && elf_ex->e_type != ET_DYN) goto out;"
  const type = v.getUint16(E_TYPE, true);
  if (type !== ET_EXEC && type !== ET_DYN) {
    const name = TYPE_NAMES[type] ?? `${type}`;
    throw new ElfLoadError('elf-type', `not an executable: ELF type ${name}, expected ET_EXEC or ET_DYN`, E_TYPE);
  }
  // elf_check_arch() on x86-64 (arch/x86/include/asm/elf.h): e_machine == EM_X86_64.
  const machine = v.getUint16(E_MACHINE, true);
  if (machine !== EM_X86_64) {
    const name = MACHINE_NAMES[machine] ?? `${machine}`;
    throw new ElfLoadError('machine', `not an x86-64 executable: e_machine is ${name}, expected EM_X86_64 (62)`, E_MACHINE);
  }
  return {
    type,
    machine,
    entry: v.getBigUint64(E_ENTRY, true),
    phoff: v.getBigUint64(E_PHOFF, true),
    phentsize: v.getUint16(E_PHENTSIZE, true),
    phnum: v.getUint16(E_PHNUM, true),
  };
}
