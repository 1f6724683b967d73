/** The core-file structs against their x86-64 sizes and offsets (include/linux/elfcore.h, include/uapi/linux/elfcore.h, elf.h). */
import { describe, expect, it } from 'vitest';
import { layoutOf, offsetOf } from '../../../src/abi/layout.js';
import { elf64Ehdr, elf64Phdr } from '../../../src/abi/structs/elf64.js';
import { ELF_NGREG, elf64Nhdr, elfPrpsinfo, elfPrstatus, x86XfeatComponent } from '../../../src/abi/structs/elfcore.js';

describe('core-file structs', () => {
  it('have the kernel sizes: elf_prstatus 336, elf_prpsinfo 136, Elf64_Ehdr 64, Elf64_Phdr 56, Elf64_Nhdr 12', () => {
    expect(layoutOf(elfPrstatus).size).toBe(336);
    expect(layoutOf(elfPrpsinfo).size).toBe(136);
    expect(layoutOf(elf64Ehdr).size).toBe(64);
    expect(layoutOf(elf64Phdr).size).toBe(56);
    expect(layoutOf(elf64Nhdr).size).toBe(12);
    expect(layoutOf(x86XfeatComponent).size).toBe(16);
    expect(ELF_NGREG).toBe(27);
  });
  it('place the members where gdb and readelf look for them', () => {
    const s = layoutOf(elfPrstatus);
    expect(offsetOf(s, 'common.pr_cursig')).toBe(12);
    expect(offsetOf(s, 'common.pr_sigpend')).toBe(16);
    expect(offsetOf(s, 'common.pr_pid')).toBe(32);
    expect(offsetOf(s, 'common.pr_utime')).toBe(48);
    expect(offsetOf(s, 'pr_reg')).toBe(112);
    expect(offsetOf(s, 'pr_fpvalid')).toBe(328);
    const p = layoutOf(elfPrpsinfo);
    expect(offsetOf(p, 'pr_flag')).toBe(8);
    expect(offsetOf(p, 'pr_uid')).toBe(16);
    expect(offsetOf(p, 'pr_pid')).toBe(24);
    expect(offsetOf(p, 'pr_fname')).toBe(40);
    expect(offsetOf(p, 'pr_psargs')).toBe(56);
    expect(offsetOf(layoutOf(elf64Ehdr), 'e_phnum')).toBe(56);
    expect(offsetOf(layoutOf(elf64Phdr), 'p_filesz')).toBe(32);
  });
});
