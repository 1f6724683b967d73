/**
 * Where Linux maps a static PIE (ET_DYN without PT_INTERP) when address
 * space randomization is off (`setarch -R`, or randomize_va_space=0): the
 * deterministic placement kentry uses by default.
 *
 * fs/binfmt_elf.c load_elf_binary(), "DOC: PIE handling": a PIE *with*
 * PT_INTERP goes at ELF_ET_DYN_BASE (0x555555554000 after alignment), but a
 * static PIE is a "loader" and is mapped with load_bias 0 and no MAP_FIXED,
 * so the top-down allocator puts the whole image (total_mapping_size())
 * just below mm->mmap_base. When some PT_LOAD asks for more than page
 * alignment (maximum_alignment()), the address is rounded down to it. The
 * bias then makes the first PT_LOAD's page land at that address.
 *
 * Checked against the host: a glibc `-static-pie` binary under `setarch -R`
 * reports AT_PHDR = 0x7ffff7fff000 - PAGE_ALIGN(total) + 0x40.
 */
import { ELF_MIN_ALIGN, MMAP_BASE_NO_RANDOMIZE, elfPageAlign, elfPageStart } from './constants.js';
import { ElfLoadError } from './errors.js';

/** The PT_LOAD fields the placement depends on, already bounded to user addresses. */
export interface LoadExtent {
  readonly vaddr: number;
  readonly memsz: number;
  readonly align: bigint;
}

/** total_mapping_size(): from the lowest PT_LOAD page to the highest end. */
export function totalMappingSize(loads: readonly LoadExtent[]): number {
  let min = Infinity;
  let max = 0;
  for (const l of loads) {
    min = Math.min(min, elfPageStart(l.vaddr));
    max = Math.max(max, l.vaddr + l.memsz);
  }
  return loads.length === 0 ? 0 : max - min;
}

/** maximum_alignment(): the largest power-of-two p_align, at least one page unless none is set. */
export function maximumAlignment(loads: readonly LoadExtent[]): number {
  let alignment = 0n;
  for (const l of loads) {
    const a = l.align;
    // "skip non-power of two alignments as invalid"
    if (a === 0n || (a & (a - 1n)) !== 0n) continue;
    if (a > alignment) alignment = a;
  }
  // ELF_PAGEALIGN(alignment); an alignment beyond the address space cannot be honoured anyway.
  return alignment >= 1n << 47n ? 2 ** 47 : elfPageAlign(Number(alignment));
}

/**
 * The load bias Linux picks for a static PIE without randomization.
 * `loads` are in program header order; the first one anchors the bias.
 */
export function staticPieBias(loads: readonly LoadExtent[]): number {
  const first = loads[0];
  const total = totalMappingSize(loads);
  // load_elf_binary(): "if (!total_size) { retval = -EINVAL; ... }"
  if (first === undefined || total === 0) {
    throw new ElfLoadError('segment', 'corrupt ELF: the PT_LOAD segments of this PIE span no memory');
  }
  const size = elfPageAlign(total);
  let mapAddr = MMAP_BASE_NO_RANDOMIZE - size;
  if (mapAddr < 0) throw new ElfLoadError('segment', `corrupt ELF: the PIE image (0x${total.toString(16)} bytes) does not fit in the address space`);
  const alignment = maximumAlignment(loads);
  if (alignment > ELF_MIN_ALIGN) mapAddr = Math.floor(mapAddr / alignment) * alignment;
  return mapAddr - elfPageStart(first.vaddr);
}
