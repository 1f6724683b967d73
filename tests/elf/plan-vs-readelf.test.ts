/**
 * The parser against binutils: static, static-pie and -nostdlib executables
 * built by the host gcc at test time, read by `readelf -lhW` and by kentry.
 * Without readelf, an independent minimal decoder in this file stands in.
 */
import { describe, expect, it } from 'vitest';
import {
  ET_DYN, PF_R, PF_W, PF_X, PROT_EXEC, PROT_READ, PROT_WRITE, PT_LOAD, PT_TLS, MMAP_BASE_NO_RANDOMIZE,
  elfPageAlign, planLoad, readElf, type LoadPlan,
} from '../../src/elf/index.js';
import { HELLO, NOSTDLIB, SKIP_HOST_ORACLE, buildC, hasTool, readBytes } from './host-build.js';
import { PT_NAMES, readelf, type ReadelfView } from './readelf.js';

/** Fallback oracle: Elf64_Ehdr / Elf64_Phdr decoded with Buffer reads, nothing shared with src/elf. */
function minimalReader(bytes: Uint8Array): ReadelfView {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = b.readBigUInt64LE(32);
  const phnum = b.readUInt16LE(56);
  const phdrs = Array.from({ length: phnum }, (_, i) => {
    const o = Number(phoff) + i * 56;
    const f = b.readUInt32LE(o + 4);
    return {
      type: PT_NAMES[b.readUInt32LE(o)] ?? 'other',
      flags: `${f & 4 ? 'R' : ' '}${f & 2 ? 'W' : ' '}${f & 1 ? 'E' : ' '}`,
      offset: b.readBigUInt64LE(o + 8), vaddr: b.readBigUInt64LE(o + 16), paddr: b.readBigUInt64LE(o + 24),
      filesz: b.readBigUInt64LE(o + 32), memsz: b.readBigUInt64LE(o + 40), align: b.readBigUInt64LE(o + 48),
    };
  });
  return { type: b.readUInt16LE(16) === 2 ? 'EXEC' : 'DYN', entry: b.readBigUInt64LE(24), phoff, phentsize: b.readUInt16LE(54), phnum, phdrs };
}

const HAVE_READELF = hasTool('readelf', ['--version']);

const CASES = [
  { name: 'static', source: HELLO, flags: ['-static'], type: 'EXEC' },
  { name: 'static-pie', source: HELLO, flags: ['-static-pie'], type: 'DYN' },
  { name: 'nostdlib', source: NOSTDLIB, flags: ['-static', '-nostdlib'], type: 'EXEC' },
  { name: 'nostdlib-pie', source: NOSTDLIB, flags: ['-static-pie', '-nostdlib'], type: 'DYN' },
  { name: 'execstack', source: NOSTDLIB, flags: ['-static', '-nostdlib', '-Wl,-z,execstack'], type: 'EXEC' },
] as const;

describe.skipIf(SKIP_HOST_ORACLE)('ELF parser vs readelf', () => {
  it.each(CASES)('$name: header and every program header match', ({ name, source, flags, type }) => {
    const path = buildC(`plan-${name}`, source, flags);
    const bytes = readBytes(path);
    const oracle = HAVE_READELF ? readelf(path) : minimalReader(bytes);
    const { header, programHeaders } = readElf(bytes);

    expect(oracle.type).toBe(type);
    expect(header.type === ET_DYN ? 'DYN' : 'EXEC').toBe(type);
    expect(header.entry).toBe(oracle.entry);
    expect(header.phoff).toBe(oracle.phoff);
    expect(header.phentsize).toBe(oracle.phentsize);
    expect(header.phnum).toBe(oracle.phnum);
    expect(programHeaders).toHaveLength(oracle.phdrs.length);
    programHeaders.forEach((p, i) => {
      const o = oracle.phdrs[i];
      if (!o) throw new Error(`readelf lacks phdr ${i}`);
      const name = PT_NAMES[p.type];
      if (name) expect(name).toBe(o.type);
      expect([p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, p.align]).toEqual([o.offset, o.vaddr, o.paddr, o.filesz, o.memsz, o.align]);
      expect(`${p.flags & PF_R ? 'R' : ' '}${p.flags & PF_W ? 'W' : ' '}${p.flags & PF_X ? 'E' : ' '}`).toBe(o.flags);
    });

    const plan = planLoad(bytes);
    const loads = oracle.phdrs.filter((p) => p.type === 'LOAD');
    expect(plan.segments.map((s) => s.index)).toEqual(programHeaders.filter((p) => p.type === PT_LOAD).map((p) => p.index));
    plan.segments.forEach((s, i) => {
      const o = loads[i];
      if (!o) throw new Error('segment count');
      expect(BigInt(s.vaddr - plan.bias)).toBe(o.vaddr);
      expect([BigInt(s.memsz), BigInt(s.filesz), BigInt(s.offset)]).toEqual([o.memsz, o.filesz, o.offset]);
      expect(s.bss).toBe(s.memsz - s.filesz);
      expect(Buffer.compare(s.bytes, bytes.subarray(s.offset, s.offset + s.filesz))).toBe(0);
      expect(s.bytes.buffer).toBe(bytes.buffer); // a view, not a copy
      const prot = (o.flags[0] === 'R' ? PROT_READ : 0) | (o.flags[1] === 'W' ? PROT_WRITE : 0) | (o.flags[2] === 'E' ? PROT_EXEC : 0);
      expect(s.prot).toBe(prot);
      expect(s.mapStart % 4096).toBe(0);
      expect(s.mapEnd % 4096).toBe(0);
    });
    expect(BigInt(plan.entry - plan.bias)).toBe(oracle.entry);
    expect(plan.phnum).toBe(oracle.phnum);
    expect(plan.phent).toBe(56);
    // AT_PHDR: e_phoff through the PT_LOAD that maps it (the first one, at file offset 0, here).
    const first = loads[0];
    if (!first) throw new Error('no LOAD');
    expect(BigInt(plan.phdrAddr - plan.bias)).toBe(oracle.phoff - first.offset + first.vaddr);
    const stack = oracle.phdrs.find((p) => p.type === 'GNU_STACK');
    expect(plan.stackExecutable).toBe(stack?.flags[2] === 'E');
    expect(plan.gnuStack).toBe(stack ? (stack.flags[2] === 'E' ? 'enable-x' : 'disable-x') : 'default');
    if (name === 'execstack') expect(plan.stackExecutable).toBe(true);
    const tls = oracle.phdrs.find((p) => p.type === 'TLS');
    expect(plan.tls === null).toBe(tls === undefined);
    if (tls && plan.tls) expect([plan.tls.vaddr - plan.bias, plan.tls.filesz, plan.tls.memsz]).toEqual([Number(tls.vaddr), Number(tls.filesz), Number(tls.memsz)]);
    expect(programHeaders.some((p) => p.type === PT_TLS)).toBe(tls !== undefined);
    checkPlacement(plan, type);
  });
});

/** ET_EXEC stays where linked; a static PIE sits top-down below the non-randomized mmap_base. */
function checkPlacement(plan: LoadPlan, type: string): void {
  if (type === 'EXEC') {
    expect(plan.bias).toBe(0);
    expect(plan.brk).toBe(elfPageAlign(Math.max(...plan.segments.map((s) => s.vaddr + s.memsz))));
    return;
  }
  const top = Math.max(...plan.segments.map((s) => s.vaddr + s.memsz));
  expect(plan.bias % 4096).toBe(0);
  expect(elfPageAlign(top)).toBe(MMAP_BASE_NO_RANDOMIZE);
  expect(plan.brk).toBe(0x555555555000);
}
