/**
 * Every refusal of the loader: one clear line, an `ElfLoadError` (a
 * `UsageError`, so the CLI exits 2) with the reason of the failed check.
 * Inputs are real gcc outputs, patched where no compiler flag makes the
 * defect.
 */
import { describe, expect, it } from 'vitest';
import { KentryError, UsageError } from '../../src/lib/errors.js';
import { DYNAMIC_EXECUTABLE_MESSAGE, ElfLoadError, planLoad, type ElfErrorReason } from '../../src/elf/index.js';
import { NOSTDLIB, HELLO, SKIP_HOST_ORACLE, buildC, readBytes } from './host-build.js';
import { EHDR, PHDR, get, patched, phdrAt, put } from './elf-patch.js';

function refusal(bytes: Uint8Array): ElfLoadError {
  try {
    planLoad(bytes);
  } catch (e) {
    if (e instanceof ElfLoadError) return e;
    throw e;
  }
  throw new Error('the file was accepted');
}

function expectRefused(bytes: Uint8Array, reason: ElfErrorReason, message: RegExp | string): ElfLoadError {
  const e = refusal(bytes);
  expect(e.reason).toBe(reason);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
  expect(e.message).not.toContain('\n');
  return e;
}

describe('ElfLoadError conventions', () => {
  it('is a UsageError with code "usage", its own name and a reason', () => {
    const e = new ElfLoadError('not-elf', 'x', 0);
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(KentryError);
    expect(e).toBeInstanceOf(UsageError);
    expect(e.code).toBe('usage');
    expect(e.name).toBe('ElfLoadError');
    expect([e.reason, e.offset]).toEqual(['not-elf', 0]);
  });
});

describe('non-ELF and truncated input', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it.each([
    ['an empty file', new Uint8Array(0)],
    ['a shell script', enc('#!/bin/sh\necho hi\n')],
    ['a PE file', enc('MZ\x90\x00')],
    ['three bytes of the magic', Uint8Array.of(0x7f, 0x45, 0x4c)],
  ])('%s is not ELF', (_n, bytes) => {
    expectRefused(bytes, 'not-elf', 'not an ELF file (bad magic)');
  });
  it('an ELF64 ident with no header is truncated', () => {
    expectRefused(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0), 'truncated', /truncated ELF file: 8 bytes/);
  });
});

describe.skipIf(SKIP_HOST_ORACLE)('refusals of patched gcc executables', () => {
  const exe = SKIP_HOST_ORACLE ? new Uint8Array() : readBytes(buildC('err-nostdlib', NOSTDLIB, ['-static', '-nostdlib']));
  const pie = SKIP_HOST_ORACLE ? new Uint8Array() : readBytes(buildC('err-nostdlib-pie', NOSTDLIB, ['-static-pie', '-nostdlib']));
  const load = (b: Uint8Array, i: number): number => phdrAt(b, i); // PT_LOAD #0..#2 come first in these files

  it('the unpatched files load', () => {
    expect(planLoad(exe).type).toBe('ET_EXEC');
    expect(planLoad(pie).type).toBe('ET_DYN');
  });

  it.each([
    ['ELFCLASS32', EHDR.class, 1n, 'elf-class', '32-bit ELF (ELFCLASS32) is not supported: build a 64-bit x86-64 executable'],
    ['an unknown class', EHDR.class, 9n, 'elf-class', /unknown ELF class 9/],
    ['big-endian', EHDR.data, 2n, 'elf-data', /big-endian ELF \(ELFDATA2MSB\)/],
    ['an unknown data encoding', EHDR.data, 0n, 'elf-data', /unknown data encoding 0/],
  ] as const)('%s', (_n, at, value, reason, message) => {
    expectRefused(patched(exe, (b) => put(b, at, 1, value)), reason, message);
  });

  it.each([
    ['ET_REL', 1n, /ET_REL \(relocatable object\)/],
    ['ET_CORE', 4n, /ET_CORE \(core dump\)/],
    ['ET_NONE', 0n, /ET_NONE/],
  ] as const)('e_type %s is not an executable', (_n, value, message) => {
    expectRefused(patched(exe, (b) => put(b, EHDR.type, 2, value)), 'elf-type', message);
  });

  it('a real relocatable object (gcc -c) is not an executable', () => {
    const obj = readBytes(buildC('err-object', NOSTDLIB, ['-c']));
    expectRefused(obj, 'elf-type', 'not an executable: ELF type ET_REL (relocatable object), expected ET_EXEC or ET_DYN');
  });

  it.each([
    [3n, /EM_386 \(i386\)/],
    [183n, /EM_AARCH64/],
    [4242n, /e_machine is 4242, expected EM_X86_64 \(62\)/],
  ] as const)('e_machine %s is not x86-64', (value, message) => {
    expectRefused(patched(exe, (b) => put(b, EHDR.machine, 2, value)), 'machine', message);
  });

  it('program header table: entry size, count, place', () => {
    expectRefused(patched(exe, (b) => put(b, EHDR.phentsize, 2, 32n)), 'phdr-table', /e_phentsize is 32, expected 56/);
    expectRefused(patched(exe, (b) => put(b, EHDR.phnum, 2, 0n)), 'phdr-table', /no program headers/);
    expectRefused(patched(exe, (b) => put(b, EHDR.phnum, 2, 74n)), 'phdr-table', /too many program headers \(e_phnum 74, Linux accepts at most 73\)/);
    expectRefused(patched(exe, (b) => put(b, EHDR.phoff, 8, BigInt(b.length - 100))), 'truncated', /program headers at offset/);
    expectRefused(patched(exe, (b) => put(b, EHDR.phoff, 8, (1n << 64n) - 8n)), 'truncated', /program headers at offset 0xfffffffffffffff8/);
    expectRefused(exe.slice(0, 200), 'truncated', /program headers/);
  });

  it('a dynamic executable (PT_INTERP) gets the exact one-line message', () => {
    const dyn = readBytes(buildC('err-dynamic', HELLO, []));
    const e = expectRefused(dyn, 'dynamic', DYNAMIC_EXECUTABLE_MESSAGE);
    expect(e.message).toBe('dynamic executables are not supported yet: build with -static');
    const dynNoPie = readBytes(buildC('err-dynamic-nopie', HELLO, ['-no-pie']));
    expectRefused(dynNoPie, 'dynamic', DYNAMIC_EXECUTABLE_MESSAGE);
    // PT_INTERP wins over broken segments, as in load_elf_binary() (it is looked at first).
    expectRefused(patched(exe, (b) => { put(b, phdrAt(b, 3), 4, 3n); put(b, load(b, 0) + PHDR.filesz, 8, 1n << 60n); }), 'dynamic', DYNAMIC_EXECUTABLE_MESSAGE);
  });

  it('segments Linux cannot map', () => {
    expectRefused(patched(exe, (b) => put(b, load(b, 1) + PHDR.filesz, 8, 0x100n)), 'segment', /PT_LOAD #1 has p_filesz 0x100 > p_memsz 0xb/);
    expectRefused(patched(exe, (b) => put(b, load(b, 1) + PHDR.vaddr, 8, 1n << 47n)), 'segment', /outside the user address space/);
    expectRefused(patched(exe, (b) => { put(b, load(b, 1) + PHDR.memsz, 8, (1n << 64n) - 1n); }), 'segment', /PT_LOAD #1 .* is outside the user address space/);
    expectRefused(patched(exe, (b) => put(b, load(b, 2) + PHDR.memsz, 8, (1n << 47n) - 0x402000n - 0xfffn)), 'segment', /outside the user address space/);
    expectRefused(patched(exe, (b) => put(b, load(b, 1) + PHDR.offset, 8, 0x1010n)), 'segment', /PT_LOAD #1 p_offset 0x1010 and p_vaddr 0x401000 differ modulo the page size/);
    expectRefused(patched(exe, (b) => put(b, load(b, 2) + PHDR.offset, 8, BigInt(b.length + 0x1000 - (b.length % 0x1000)))), 'truncated', /PT_LOAD #2 file bytes .* extend past the end of the file/);
    expectRefused(patched(exe, (b) => put(b, load(b, 2) + PHDR.filesz, 8, 0x10000n)), 'segment', /p_filesz 0x10000 > p_memsz/);
    expectRefused(patched(exe, (b) => { put(b, load(b, 2) + PHDR.filesz, 8, 0x10000n); put(b, load(b, 2) + PHDR.memsz, 8, 0x10000n); }), 'truncated', /extend past the end/);
    expectRefused(patched(exe, (b) => { put(b, load(b, 2) + PHDR.vaddr, 8, 0x401000n); }), 'segment', /PT_LOAD #1 and PT_LOAD #2 overlap at 0x401000/);
    expectRefused(patched(exe, (b) => { put(b, load(b, 0) + PHDR.vaddr, 8, 0n); }), 'segment', /PT_LOAD #0 at 0x0 is below vm.mmap_min_addr/);
    expectRefused(patched(exe, (b) => { for (const i of [0, 1, 2]) put(b, load(b, i) + PHDR.type, 4, 4n); }), 'segment', 'corrupt ELF: no loadable segment (PT_LOAD)');
  });

  it('an entry point outside user space', () => {
    expectRefused(patched(exe, (b) => put(b, EHDR.entry, 8, 1n << 63n)), 'entry', /entry point 0x8000000000000000 is outside the user address space/);
    // Linux does not require the entry to be inside a segment: such a file loads and faults at run time.
    expect(planLoad(patched(exe, (b) => put(b, EHDR.entry, 8, 0x12345678n))).entry).toBe(0x12345678);
  });

  it('what Linux accepts is accepted: p_align that is not a power of two, PT_LOADs out of order', () => {
    expect(planLoad(patched(exe, (b) => put(b, load(b, 1) + PHDR.align, 8, 3n))).segments[1]?.align).toBe(3);
    expect(planLoad(patched(pie, (b) => put(b, load(b, 1) + PHDR.align, 8, 12345n))).type).toBe('ET_DYN');
    const swapped = patched(exe, (b) => {
      const a = b.slice(load(b, 1), load(b, 1) + 56);
      b.copyWithin(load(b, 1), load(b, 2), load(b, 2) + 56);
      b.set(a, load(b, 2));
    });
    expect(planLoad(swapped).segments.map((s) => s.vaddr)).toEqual([0x400000, 0x402000, 0x401000]);
  });

  it('a PIE with a large p_align is placed on that alignment', () => {
    const aligned = planLoad(patched(pie, (b) => put(b, load(b, 1) + PHDR.align, 8, 0x200000n)));
    expect(aligned.bias % 0x200000).toBe(0);
    expect(aligned.bias).toBeLessThan(planLoad(pie).bias);
  });

  it('AT_PHDR follows the PT_LOAD that maps e_phoff, not PT_PHDR; none maps it -> the bias', () => {
    const plan = planLoad(exe);
    expect(plan.phdrAddr).toBe(0x400040);
    expect(planLoad(patched(exe, (b) => put(b, load(b, 0) + PHDR.filesz, 8, 0x20n))).phdrAddr).toBe(0);
    expect(get(exe, EHDR.phoff, 8)).toBe(64n);
  });
});
