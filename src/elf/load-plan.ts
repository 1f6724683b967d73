/**
 * ELF64 static executable -> a plain-data load plan: what fs/binfmt_elf.c
 * load_elf_binary() would map, where, with which protection, where it would
 * start the program and what it would tell it in the auxiliary vector. Pure:
 * no memory is touched; the kernel layer maps the plan.
 */
import {
  ELF64_PHDR_SIZE, ELF_ET_DYN_BASE, ELF_MIN_ALIGN, ET_DYN, ET_EXEC, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR,
  PT_TLS, TASK_SIZE, elfPageAlign,
} from './constants.js';
import { assert } from '../lib/errors.js';
import { DYNAMIC_EXECUTABLE_MESSAGE, ElfLoadError } from './errors.js';
import { staticPieBias } from './et-dyn-bias.js';
import { parseElfHeader, type ElfHeader } from './header.js';
import { readProgramHeaders, type ProgramHeader } from './program-headers.js';
import { biasSegment, checkLoad, checkNoOverlap, type CheckedLoad, type LoadSegment } from './segments.js';

export type { LoadSegment } from './segments.js';

/** PT_TLS as written, biased; static libc sets up TLS from it (the kernel does not). */
export interface TlsTemplate {
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
}

export interface LoadPlan {
  readonly type: 'ET_EXEC' | 'ET_DYN';
  /** Added to every p_vaddr and to e_entry: 0 for ET_EXEC. */
  readonly bias: number;
  /** e_entry + bias: the initial RIP (AT_ENTRY). */
  readonly entry: number;
  /** AT_PHDR: where the program header table is in memory. */
  readonly phdrAddr: number;
  /** AT_PHENT: sizeof(Elf64_Phdr). */
  readonly phent: number;
  /** AT_PHNUM. */
  readonly phnum: number;
  /**
   * PT_LOAD segments in program header order, the order Linux maps them.
   * Mapping notes for the kernel layer (elf_map()/elf_load()): Linux maps
   * whole file pages, so the rest of a first or last page shows the file's
   * neighbouring bytes, except that after p_filesz padzero() clears to the
   * page end when there is .bss; where two segments share a page, the later
   * mapping replaces the earlier one (MAP_FIXED), protection included.
   */
  readonly segments: readonly LoadSegment[];
  /** PT_GNU_STACK: EXSTACK_DEFAULT when absent, else enable/disable by PF_X. */
  readonly gnuStack: 'default' | 'enable-x' | 'disable-x';
  /** Whether setup_arg_pages() gives the stack VM_EXEC (only with PF_X on 64-bit). */
  readonly stackExecutable: boolean;
  readonly tls: TlsTemplate | null;
  /** PT_PHDR's biased p_vaddr, when present (Linux does not use it; see phdrAddr). */
  readonly ptPhdr: number | null;
  /** mm->start_brk with randomization off. */
  readonly brk: number;
}

export interface LoadPlanOptions {
  /** ET_DYN only: the load bias to use instead of Linux's non-randomized one (page aligned). */
  readonly bias?: number;
}

/** The file header and the raw program header table, checked as Linux checks them. */
export function readElf(bytes: Uint8Array): { header: ElfHeader; programHeaders: ProgramHeader[] } {
  const header = parseElfHeader(bytes);
  return { header, programHeaders: readProgramHeaders(bytes, header) };
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
const USER_LIMIT = BigInt(TASK_SIZE);

/** Builds the load plan of a static x86-64 executable. Throws `ElfLoadError`. */
export function planLoad(bytes: Uint8Array, options: LoadPlanOptions = {}): LoadPlan {
  const { header, programHeaders: phdrs } = readElf(bytes);

  // load_elf_binary() opens the PT_INTERP file right after reading the
  // program headers, before looking at any PT_LOAD: so does this refusal.
  const interp = phdrs.find((p) => p.type === PT_INTERP);
  if (interp) throw new ElfLoadError('dynamic', DYNAMIC_EXECUTABLE_MESSAGE, interp.at);

  // PT_GNU_STACK: the last one wins, as in load_elf_binary()'s switch.
  let gnuStack: LoadPlan['gnuStack'] = 'default';
  for (const p of phdrs) if (p.type === PT_GNU_STACK) gnuStack = p.flags & PF_X ? 'enable-x' : 'disable-x';

  const loads = phdrs.filter((p) => p.type === PT_LOAD).map((p) => checkLoad(p, bytes.length));
  // Linux only fails this for ET_DYN (total_mapping_size() == 0); an ET_EXEC
  // without PT_LOAD would start and die at its entry with SIGSEGV. Refused here.
  if (loads.length === 0) throw new ElfLoadError('segment', 'corrupt ELF: no loadable segment (PT_LOAD)');
  checkNoOverlap(loads);

  let bias = 0;
  if (header.type === ET_DYN) {
    bias = options.bias ?? staticPieBias(loads);
    assert(Number.isSafeInteger(bias) && bias % ELF_MIN_ALIGN === 0, `load bias ${bias} is not a page-aligned integer`);
  }

  const segments = loads.map((l) => biasSegment(l, bias, bytes));

  // BAD_ADDR(elf_entry): the entry must be a user address; Linux does not
  // require it to be inside a segment (a bad one ends in SIGSEGV).
  const entry = header.entry + BigInt(bias);
  if (entry < 0n || entry >= USER_LIMIT) {
    throw new ElfLoadError('entry', `corrupt ELF: entry point ${hex(entry)} is outside the user address space`, 24);
  }

  return {
    type: header.type === ET_EXEC ? 'ET_EXEC' : 'ET_DYN',
    bias,
    entry: Number(entry),
    phdrAddr: phdrAddress(header, loads) + bias,
    phent: ELF64_PHDR_SIZE,
    phnum: header.phnum,
    segments,
    gnuStack,
    // arch/x86/include/asm/elf.h elf_read_implies_exec() is false for 64-bit
    // tasks, so only an explicit PF_X on PT_GNU_STACK makes the stack executable.
    stackExecutable: gnuStack === 'enable-x',
    tls: tlsTemplate(phdrs, bias),
    ptPhdr: ptPhdrAddress(phdrs, bias),
    brk: initialBrk(header, segments),
  };
}

/**
 * AT_PHDR as load_elf_binary() computes it (since Linux 5.18): e_phoff
 * translated through the PT_LOAD whose file bytes contain it (the last one
 * if several do), else 0, plus the bias. PT_PHDR is not consulted.
 */
function phdrAddress(header: ElfHeader, loads: readonly CheckedLoad[]): number {
  let addr = 0;
  for (const l of loads) {
    const off = BigInt(l.offset);
    if (off <= header.phoff && header.phoff < off + BigInt(l.filesz)) addr = Number(header.phoff - off) + l.vaddr;
  }
  return addr;
}

/** A bigint field that must be a plain address or size to be reported. */
function reportable(v: bigint, what: string, p: ProgramHeader): number {
  if (v >= USER_LIMIT) throw new ElfLoadError('segment', `corrupt ELF: ${what} ${hex(v)} is not a user address or size`, p.at);
  return Number(v);
}

function tlsTemplate(phdrs: readonly ProgramHeader[], bias: number): TlsTemplate | null {
  const t = phdrs.find((p) => p.type === PT_TLS);
  if (!t) return null;
  return {
    vaddr: reportable(t.vaddr, 'PT_TLS p_vaddr', t) + bias,
    filesz: reportable(t.filesz, 'PT_TLS p_filesz', t),
    memsz: reportable(t.memsz, 'PT_TLS p_memsz', t),
    align: Number(t.align),
  };
}

function ptPhdrAddress(phdrs: readonly ProgramHeader[], bias: number): number | null {
  const p = phdrs.find((h) => h.type === PT_PHDR);
  return p ? reportable(p.vaddr, 'PT_PHDR p_vaddr', p) + bias : null;
}

/**
 * mm->start_brk without randomization: ELF_PAGEALIGN of the highest segment
 * end, except that a static PIE gets its brk moved to ELF_ET_DYN_BASE
 * (load_elf_binary(), "DOC: brk handling").
 */
function initialBrk(header: ElfHeader, segments: readonly LoadSegment[]): number {
  if (header.type === ET_DYN) return elfPageAlign(ELF_ET_DYN_BASE);
  return elfPageAlign(Math.max(...segments.map((s) => s.vaddr + s.memsz)));
}
