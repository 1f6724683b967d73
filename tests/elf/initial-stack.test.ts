/** The initial stack builder on its own: order, alignment and limits from fs/exec.c and create_elf_tables(). */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/lib/errors.js';
import { AT_NAMES, MAX_ARG_STRLEN, buildInitialStack, type InitialStackInput } from '../../src/elf/index.js';

const TOP = 0x7ffffffff000;
const base: InitialStackInput = {
  stackTop: TOP, argv: ['/bin/prog', 'x'], envp: ['A=1'], execfn: '/bin/prog',
  plan: { phdrAddr: 0x400040, phent: 56, phnum: 10, entry: 0x401550 },
  random: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
  hwcap: 0x178bfbff, hwcap2: 2, minsigstksz: 0xd30, uid: 1000, euid: 1001, gid: 100, egid: 101,
};

const word = (s: { bytes: Uint8Array; rsp: number }, addr: number): number =>
  Number(new DataView(s.bytes.buffer).getBigUint64(addr - s.rsp, true));
const cstr = (s: { bytes: Uint8Array; rsp: number }, addr: number): string => {
  const from = addr - s.rsp;
  return new TextDecoder().decode(s.bytes.subarray(from, s.bytes.indexOf(0, from)));
};

describe('buildInitialStack', () => {
  it('emits the auxv in create_elf_tables() order: ARCH_DLINFO first, AT_NULL last', () => {
    const s = buildInitialStack(base);
    expect(s.auxv.map(([t]) => AT_NAMES[t])).toEqual([
      'AT_MINSIGSTKSZ', 'AT_HWCAP', 'AT_PAGESZ', 'AT_CLKTCK', 'AT_PHDR', 'AT_PHENT', 'AT_PHNUM', 'AT_BASE', 'AT_FLAGS',
      'AT_ENTRY', 'AT_UID', 'AT_EUID', 'AT_GID', 'AT_EGID', 'AT_SECURE', 'AT_RANDOM', 'AT_HWCAP2', 'AT_EXECFN',
      'AT_PLATFORM', 'AT_NULL',
    ]);
    const withVdso = buildInitialStack({ ...base, vdso: 0x7ffff7ffd000, rseq: { featureSize: 28, align: 32 } });
    expect(withVdso.auxv.map(([t]) => AT_NAMES[t])).toEqual([
      'AT_SYSINFO_EHDR', ...s.auxv.slice(0, -1).map(([t]) => AT_NAMES[t]), 'AT_RSEQ_FEATURE_SIZE', 'AT_RSEQ_ALIGN', 'AT_NULL',
    ]);
    expect(new Map(s.auxv).get(6)).toBe(4096);
    expect(new Map(s.auxv).get(17)).toBe(100);
  });

  it('lays out argc, argv, NULL, envp, NULL, auxv from RSP, and the strings at the top', () => {
    const s = buildInitialStack(base);
    expect(s.bytes.length).toBe(TOP - s.rsp);
    expect(word(s, s.rsp)).toBe(2);
    expect([word(s, s.rsp + 8), word(s, s.rsp + 16), word(s, s.rsp + 24)]).toEqual([...s.argv, 0]);
    expect([word(s, s.rsp + 32), word(s, s.rsp + 40)]).toEqual([...s.envp, 0]);
    expect(word(s, s.rsp + 48)).toBe(51); // AT_MINSIGSTKSZ
    expect(s.argv.map((a) => cstr(s, a))).toEqual(['/bin/prog', 'x']);
    expect(cstr(s, s.envp[0] ?? 0)).toBe('A=1');
    // Strings contiguous upwards: argv, envp, execfn, then 8 zero bytes up to the top.
    expect(s.argStart).toBe(s.argv[0]);
    expect(s.envp[0]).toBe((s.argv[1] ?? 0) + 2);
    expect(s.execfn).toBe((s.envp[0] ?? 0) + 4);
    expect(s.execfn + '/bin/prog'.length + 1 + 8).toBe(TOP);
    expect(cstr(s, s.platform)).toBe('x86_64');
    expect(s.platform + 7).toBe(Math.floor(s.argStart / 16) * 16);
    expect(s.random).toBe(s.platform - 16);
    expect(Array.from(s.bytes.subarray(s.random - s.rsp, s.random - s.rsp + 16))).toEqual(Array.from(base.random));
    expect(new Map(s.auxv).get(25)).toBe(s.random);
  });

  it.each([0, 1, 2, 3, 4, 5])('RSP is 16-byte aligned at argc with %i arguments', (n) => {
    const s = buildInitialStack({ ...base, argv: Array.from({ length: n }, (_, i) => `arg${i}`) });
    expect(s.rsp % 16).toBe(0);
    // The auxv ends at most 15 bytes of padding below AT_RANDOM's bytes.
    const auxEnd = s.rsp + 8 * (1 + s.argv.length + 1 + s.envp.length + 1) + 16 * s.auxv.length;
    expect(s.random - auxEnd).toBeGreaterThanOrEqual(0);
    expect(s.random - auxEnd).toBeLessThan(16);
  });

  it('an empty argv becomes [""] (fs/exec.c, Linux 5.18+)', () => {
    const s = buildInitialStack({ ...base, argv: [] });
    expect(word(s, s.rsp)).toBe(1);
    expect(s.argv).toHaveLength(1);
    expect(cstr(s, s.argv[0] ?? 0)).toBe('');
  });

  it('arch_align_stack() randomness moves everything below the strings by whole 16-byte steps', () => {
    const a = buildInitialStack(base);
    const b = buildInitialStack({ ...base, alignStackRandom: 4000 });
    expect(b.argv).toEqual(a.argv);
    expect(a.platform - b.platform).toBe(Math.floor(a.argStart / 16) * 16 - Math.floor((a.argStart - 4000) / 16) * 16);
    expect(b.rsp % 16).toBe(0);
  });

  it('refuses what execve refuses, as a UsageError', () => {
    expect(() => buildInitialStack({ ...base, argv: ['a\0b'] })).toThrow(UsageError);
    expect(() => buildInitialStack({ ...base, envp: ['X='.padEnd(MAX_ARG_STRLEN, 'y')] })).toThrow(/E2BIG/);
    expect(() => buildInitialStack({ ...base, envp: Array.from({ length: 40 }, () => 'x'.repeat(60_000)) })).toThrow(/argument list too long/);
    expect(() => buildInitialStack({ ...base, envp: ['X='.padEnd(MAX_ARG_STRLEN - 1, 'y')] })).not.toThrow();
  });

  it('accepts raw bytes for arguments that are not UTF-8', () => {
    const s = buildInitialStack({ ...base, argv: [Uint8Array.of(0xff, 0xfe)] });
    expect(Array.from(s.bytes.subarray((s.argv[0] ?? 0) - s.rsp, (s.argv[0] ?? 0) - s.rsp + 3))).toEqual([0xff, 0xfe, 0]);
  });
});
