/**
 * PT_LOAD checks: the per-segment tests of fs/binfmt_elf.c
 * load_elf_binary()'s mapping loop, in its order, the file-offset rule
 * vm_mmap() enforces for elf_map(), and where kentry is stricter than Linux.
 */
import {
  ELF_MIN_ALIGN, MMAP_MIN_ADDR, PF_R, PF_W, PF_X, PROT_EXEC, PROT_READ, PROT_WRITE, TASK_SIZE, elfPageAlign, elfPageStart,
} from './constants.js';
import { ElfLoadError } from './errors.js';
import type { ProgramHeader } from './program-headers.js';

/** One PT_LOAD, biased. Addresses and sizes are exact JS numbers (< 2^47). */
export interface LoadSegment {
  /** Index in the program header table. */
  readonly index: number;
  readonly vaddr: number;
  readonly memsz: number;
  readonly filesz: number;
  /** p_offset: where `bytes` starts in the file (unchecked, as in Linux, when filesz is 0). */
  readonly offset: number;
  /** p_align as written (informational: Linux only uses it to align a PIE). */
  readonly align: number;
  /** p_flags (PF_R | PF_W | PF_X). */
  readonly flags: number;
  /** make_prot(): PROT_READ | PROT_WRITE | PROT_EXEC from p_flags. */
  readonly prot: number;
  /** The p_filesz file bytes at `vaddr`: a view into the input, not a copy. */
  readonly bytes: Uint8Array;
  /** Zero-filled bytes after the file bytes (memsz - filesz): .bss. */
  readonly bss: number;
  /** The pages Linux maps for it: [ELF_PAGESTART(vaddr), ELF_PAGEALIGN(vaddr + memsz)). */
  readonly mapStart: number;
  readonly mapEnd: number;
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
const USER_LIMIT = BigInt(TASK_SIZE);

/** A PT_LOAD whose numbers have been bounded; `vaddr` not yet biased. */
export interface CheckedLoad {
  readonly p: ProgramHeader;
  readonly vaddr: number;
  readonly memsz: number;
  readonly filesz: number;
  readonly offset: number;
  readonly align: bigint;
}

/**
 * The per-segment checks of load_elf_binary()'s mapping loop, in its order,
 * plus the file-offset rule vm_mmap() enforces for the file mapping.
 */
export function checkLoad(p: ProgramHeader, fileSize: number): CheckedLoad {
  const where = `PT_LOAD #${p.index}`;
  // "p_filesz must always be <= p_memsz" -> -EINVAL.
  if (p.filesz > p.memsz) {
    throw new ElfLoadError('segment', `corrupt ELF: ${where} has p_filesz ${hex(p.filesz)} > p_memsz ${hex(p.memsz)}`, p.at);
  }
  // BAD_ADDR(k) || p_memsz > TASK_SIZE || TASK_SIZE - p_memsz < k -> -EINVAL
  // (this also rules out vaddr + memsz wrapping around).
  if (p.vaddr >= USER_LIMIT || p.memsz > USER_LIMIT || USER_LIMIT - p.memsz < p.vaddr) {
    throw new ElfLoadError('segment', `corrupt ELF: ${where} [${hex(p.vaddr)}, +${hex(p.memsz)}) is outside the user address space`, p.at);
  }
  if (p.filesz > 0n) {
    // elf_map() mmaps from p_offset - ELF_PAGEOFFSET(p_vaddr); vm_mmap()
    // refuses an offset that is not page aligned (-EINVAL). This is the only
    // vaddr/offset congruence Linux enforces; p_align itself is not checked.
    if ((p.offset - p.vaddr) % BigInt(ELF_MIN_ALIGN) !== 0n) {
      throw new ElfLoadError('segment', `corrupt ELF: ${where} p_offset ${hex(p.offset)} and p_vaddr ${hex(p.vaddr)} differ modulo the page size (4096)`, p.at);
    }
    // Linux maps file pages past EOF and the program dies with SIGBUS when it
    // touches them; kentry refuses the file up front instead.
    if (p.offset + p.filesz > BigInt(fileSize)) {
      throw new ElfLoadError('truncated', `truncated ELF file: ${where} file bytes [${hex(p.offset)}, +${hex(p.filesz)}) extend past the end of the file (${fileSize} bytes)`, p.at);
    }
  }
  return { p, vaddr: Number(p.vaddr), memsz: Number(p.memsz), filesz: Number(p.filesz), offset: Number(p.offset), align: p.align };
}

/**
 * Linux maps later PT_LOADs over earlier ones with MAP_FIXED, so overlapping
 * segments silently replace each other's bytes; no linker emits that, and
 * kentry refuses it so every byte of the image has one source. Sharing a
 * page without sharing bytes is normal and allowed.
 */
export function checkNoOverlap(loads: readonly CheckedLoad[]): void {
  const sorted = loads.filter((l) => l.memsz > 0).sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a && b && a.vaddr + a.memsz > b.vaddr) {
      throw new ElfLoadError('segment', `corrupt ELF: PT_LOAD #${a.p.index} and PT_LOAD #${b.p.index} overlap at ${hex(b.vaddr)}`, b.p.at);
    }
  }
}

export function biasSegment(l: CheckedLoad, bias: number, bytes: Uint8Array): LoadSegment {
  const vaddr = l.vaddr + bias;
  // The biased mapping must still be a user address the allocator can give
  // (elf_load() fails with -ENOMEM / -EPERM otherwise).
  if (vaddr < 0 || vaddr + l.memsz > TASK_SIZE) {
    throw new ElfLoadError('segment', `corrupt ELF: PT_LOAD #${l.p.index} at ${hex(l.vaddr)} + bias ${hex(bias)} is outside the user address space`, l.p.at);
  }
  // security/commoncap.c cap_mmap_addr(): below vm.mmap_min_addr -> -EPERM.
  if (l.memsz > 0 && elfPageStart(vaddr) < MMAP_MIN_ADDR) {
    throw new ElfLoadError('segment', `PT_LOAD #${l.p.index} at ${hex(vaddr)} is below vm.mmap_min_addr (${hex(MMAP_MIN_ADDR)})`, l.p.at);
  }
  const flags = l.p.flags;
  return {
    index: l.p.index,
    vaddr,
    memsz: l.memsz,
    filesz: l.filesz,
    offset: l.offset,
    align: Number(l.align),
    flags,
    prot: (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0),
    bytes: bytes.subarray(l.offset, l.offset + l.filesz),
    bss: l.memsz - l.filesz,
    mapStart: elfPageStart(vaddr),
    mapEnd: elfPageAlign(vaddr + l.memsz),
  };
}
