/**
 * elf_core_dump: the ELF64 ET_CORE image of the dumping process.
 *
 *   Elf64_Ehdr                      e_type ET_CORE, e_machine EM_X86_64
 *   Elf64_Phdr PT_NOTE              first, then one PT_LOAD per VMA (ascending)
 *   notes, in write_note_info's order:
 *     CORE  NT_PRSTATUS    the thread's status, pr_reg = genregs_get (regset.ts)
 *     CORE  NT_PRPSINFO    process-wide notes after the first thread's NT_PRSTATUS
 *     CORE  NT_SIGINFO
 *     CORE  NT_AUXV
 *     CORE  NT_FILE        when a file is mapped
 *     CORE  NT_PRFPREG     then the thread's other regsets in regset order:
 *     LINUX NT_X86_XSTATE    xfpregs_get, xstateregs_get (IOPERM and SSP are inactive)
 *     LINUX NT_X86_XSAVE_LAYOUT  elf_coredump_extra_notes_write: offset and size of
 *                          each extended component (here PKRU only)
 *   padding to ELF_EXEC_PAGESIZE, then each VMA's dumped bytes (vma-dump.ts)
 *
 * Every piece is one dump_emit; `pieces` gives their end offsets so a
 * RLIMIT_CORE below the full size cuts the file where the kernel's first
 * refused dump_emit would (coredump.ts).
 *
 * @kernel fs/binfmt_elf.c elf_core_dump, fill_elf_header, fill_elf_note_phdr, fill_note_info, fill_thread_core_info, write_note_info
 * @kernel arch/x86/kernel/ptrace.c x86_64_regsets (GENERAL, FP, IOPERM, XSTATE, SSP)
 * @kernel arch/x86/kernel/fpu/xstate.c elf_coredump_extra_notes_write, dump_xsave_layout_desc
 */
import { layoutOf } from '../../abi/layout.js';
import { elf64Ehdr, elf64Phdr } from '../../abi/structs/elf64.js';
import {
  NT_AUXV, NT_FILE, NT_PRFPREG, NT_PRPSINFO, NT_PRSTATUS, NT_SIGINFO, NT_X86_XSAVE_LAYOUT, NT_X86_XSTATE, x86XfeatComponent,
} from '../../abi/structs/elfcore.js';
import { XSAVE_PKRU_OFFSET, XSAVE_PKRU_SIZE } from '../../cpu/cpuid.js';
import { XFEATURE_PKRU } from '../../cpu/ops/fpu-state.js';
import { BufferStore } from '../../lib/bytes.js';
import { StructView } from '../../abi/view.js';
import { EM_X86_64, ET_CORE, PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE } from '../../elf/constants.js';
import { genregsGet } from '../arch/x86/regset.js';
import { xfpregsGet, xstateregsGet } from '../arch/x86/regset-fpu.js';
import type { RegsetTarget } from '../arch/x86/regset-thread.js';
import type { PendingSignal } from '../arch/x86/sched.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, type Vma } from '../mm.js';
import { noteBytes, type MemElfNote } from './notes.js';
import { auxvBytes, filesBytes, prstatusBytes, psinfoBytes, siginfoNoteBytes, type DumpSubject } from './process-notes.js';
import { vmaContents, vmaDumpSize } from './vma-dump.js';

const EHDR = layoutOf(elf64Ehdr);
const PHDR = layoutOf(elf64Phdr);
/** ELF_EXEC_PAGESIZE on x86-64. */
const ELF_EXEC_PAGESIZE = 4096;
const EV_CURRENT = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;

export interface CoreImage {
  readonly bytes: Uint8Array;
  /** End offset of each dump_emit, ascending (the last is bytes.length). */
  readonly pieces: readonly number[];
  /** The notes in file order (for reports and tests). */
  readonly notes: readonly MemElfNote[];
}

/**
 * fill_thread_core_info + write_note_info for one thread: NT_PRSTATUS
 * (regset 0) first, the process-wide notes after it, then the other
 * active regsets with a core note type.
 */
function noteList(s: DumpSubject, target: RegsetTarget, sig: PendingSignal, vmas: readonly Vma[]): MemElfNote[] {
  const fp = xfpregsGet(target);
  const xstate = xstateregsGet(target);
  const files = filesBytes(vmas);
  return [
    { name: 'CORE', type: NT_PRSTATUS, data: prstatusBytes(s, sig.sig, genregsGet(target), true) },
    { name: 'CORE', type: NT_PRPSINFO, data: psinfoBytes(s) },
    { name: 'CORE', type: NT_SIGINFO, data: siginfoNoteBytes(sig) },
    { name: 'CORE', type: NT_AUXV, data: auxvBytes(s.exec) },
    ...(files ? [{ name: 'CORE', type: NT_FILE, data: files } as const] : []),
    { name: 'CORE', type: NT_PRFPREG, data: fp },
    { name: 'LINUX', type: NT_X86_XSTATE, data: xstate },
    { name: 'LINUX', type: NT_X86_XSAVE_LAYOUT, data: xsaveLayout(target.platform.cpu.xcr0) },
  ];
}

/**
 * dump_xsave_layout_desc: {type, size, offset, flags} of each user feature
 * from FIRST_EXTENDED_XFEATURE (2) on, at its standard-format offset. The
 * model's XSAVE has one extended component, PKRU (cpuid.ts).
 */
function xsaveLayout(xcr0: number): Uint8Array {
  const parts: (readonly [number, number, number])[] = [];
  if ((xcr0 & XFEATURE_PKRU) !== 0) parts.push([9, XSAVE_PKRU_SIZE, XSAVE_PKRU_OFFSET]);
  const size = layoutOf(x86XfeatComponent).size;
  const out = new Uint8Array(parts.length * size);
  parts.forEach(([type, bytes, offset], i) => {
    const v = new StructView(layoutOf(x86XfeatComponent), new BufferStore(out), i * size);
    v.set('type', type);
    v.set('size', bytes);
    v.set('offset', offset);
  });
  return out;
}

function ehdrBytes(phnum: number): Uint8Array {
  const v = StructView.zeroed(EHDR);
  v.store.writeBytes(0, Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, ELFCLASS64, ELFDATA2LSB, EV_CURRENT));
  v.set('e_type', ET_CORE);
  v.set('e_machine', EM_X86_64);
  v.set('e_version', EV_CURRENT);
  v.set('e_phoff', EHDR.size);
  v.set('e_ehsize', EHDR.size);
  v.set('e_phentsize', PHDR.size);
  v.set('e_phnum', phnum);
  return v.bytes();
}

interface Phdr {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
}

function phdrBytes(p: Phdr): Uint8Array {
  const v = StructView.zeroed(PHDR);
  v.set('p_type', p.type);
  v.set('p_flags', p.flags);
  v.set('p_offset', p.offset);
  v.set('p_vaddr', p.vaddr);
  v.set('p_filesz', p.filesz);
  v.set('p_memsz', p.memsz);
  v.set('p_align', p.align);
  return v.bytes();
}

function protFlags(prot: number): number {
  return ((prot & PROT_READ) !== 0 ? PF_R : 0) | ((prot & PROT_WRITE) !== 0 ? PF_W : 0) | ((prot & PROT_EXEC) !== 0 ? PF_X : 0);
}

/** elf_core_dump for `s` killed by `sig`, its VMAs `vmas` (ascending). */
export function elfCoreDump(s: DumpSubject, target: RegsetTarget, sig: PendingSignal, vmas: readonly Vma[]): CoreImage {
  const notes = noteList(s, target, sig, vmas);
  const noteParts = notes.map(noteBytes);
  const segs = vmas.length + 1;
  let offset = EHDR.size + segs * PHDR.size;
  const notesOffset = offset;
  const notesSize = noteParts.reduce((n, b) => n + b.length, 0);
  offset += notesSize;
  const dataoff = Math.ceil(offset / ELF_EXEC_PAGESIZE) * ELF_EXEC_PAGESIZE;
  const sizes = vmas.map((v) => vmaDumpSize(s.platform, v));
  const total = dataoff + sizes.reduce((n, x) => n + x, 0);
  const bytes = new Uint8Array(total);
  const pieces: number[] = [];
  let at = 0;
  const emit = (b: Uint8Array): void => {
    bytes.set(b, at);
    at += b.length;
    pieces.push(at);
  };
  emit(ehdrBytes(segs));
  emit(phdrBytes({ type: PT_NOTE, flags: 0, offset: notesOffset, vaddr: 0, filesz: notesSize, memsz: 0, align: 4 }));
  let dataAt = dataoff;
  vmas.forEach((v, i) => {
    const filesz = sizes[i]!;
    emit(phdrBytes({ type: PT_LOAD, flags: protFlags(v.prot), offset: dataAt, vaddr: v.start, filesz, memsz: v.end - v.start, align: ELF_EXEC_PAGESIZE }));
    dataAt += filesz;
  });
  noteParts.forEach(emit);
  at = dataoff; // dump_skip to the page boundary
  vmas.forEach((v, i) => {
    const contents = vmaContents(s.platform, v, sizes[i]!);
    for (let o = 0; o < contents.length; o += ELF_EXEC_PAGESIZE) emit(contents.subarray(o, o + ELF_EXEC_PAGESIZE));
  });
  if (pieces[pieces.length - 1] !== total) pieces.push(total);
  return { bytes, pieces, notes };
}
