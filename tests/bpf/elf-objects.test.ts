/**
 * Programs from `clang -target bpf -O2 -c` objects (bpf/*.c), loaded as libbpf
 * loads legacy objects: program sections by name, struct bpf_map_def maps,
 * R_BPF_64_64 map relocations. Needs clang (see clang-objects.ts).
 */
import { describe, expect, it } from 'vitest';
import type { RecordLayout } from '../../src/abi/layout.js';
import { StructView } from '../../src/abi/view.js';
import { builtinDesign } from '../../src/design/registry.js';
import {
  BPF_PSEUDO_MAP_FD, BpfLoadError, BpfVerifyError, createMapTable, decodeInsns, encodeInsns, loadObject, parseElfObject,
  runProgram,
} from '../../src/bpf/index.js';
import { bpfObject } from './clang-objects.js';

const UPSTREAM = builtinDesign('upstream').ptRegs;
const PKS = builtinDesign('pks-in-pt_regs').ptRegs;
const REGS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];

function ctxFor(layout: RecordLayout, values: (r: string) => bigint): Uint8Array {
  const v = StructView.zeroed(layout);
  for (const r of REGS) v.set(r, values(r));
  return v.bytes();
}

const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
const u64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);

describe('ELF objects from clang', () => {
  it('kprobe-params.o: sections, the legacy map, the license, relocated map loads', () => {
    const maps = createMapTable();
    const { object, programs } = loadObject(bpfObject('kprobe-params'), { maps, ctxLayout: UPSTREAM });
    expect(object.license).toBe('GPL');
    expect([...object.maps.keys()]).toEqual(['params']);
    const fd = object.maps.get('params')!;
    expect(maps.get(fd)!.def).toMatchObject({ type: 2, keySize: 4, valueSize: 8, maxEntries: 5 });
    const prog = programs.get('kprobe/do_sys_openat2')!;
    const mapLoads = prog.insns.filter((i) => i.opcode === 0x18 && i.src === BPF_PSEUDO_MAP_FD);
    expect(mapLoads.length).toBe(5);
    expect(mapLoads.every((i) => i.imm === fd)).toBe(true);
  });

  it.each([
    ['upstream', 'di si dx cx r8', UPSTREAM],
    ['pks-in-pt_regs', 'si dx cx ax r9', PKS],
  ] as const)('kprobe-params.o (fixed offsets) under %s reads %s', (_n, expected, layout) => {
    const maps = createMapTable();
    const { object, programs } = loadObject(bpfObject('kprobe-params'), { maps, ctxLayout: layout });
    const marker = (r: string): bigint => 0x5000n + BigInt(REGS.indexOf(r));
    runProgram(programs.get('kprobe/do_sys_openat2')!, { ctx: ctxFor(layout, marker) });
    const m = maps.get(object.maps.get('params')!)!;
    const got = [0, 1, 2, 3, 4].map((k) => REGS.find((r) => marker(r) === u64(m.lookup(u32(k))!.bytes)));
    expect(got.join(' ')).toBe(expected);
  });

  it('kprobe-count.o: hash counting per tgid, ktime, probe_read_kernel of *sp, trace_printk', () => {
    const maps = createMapTable();
    const { object, programs } = loadObject(bpfObject('kprobe-count'), { maps, ctxLayout: UPSTREAM });
    const prog = programs.get('kprobe/ksys_write')!;
    const sp = 0xffffc90000017f00n; // not inside the ctx (which sits at DEFAULT_CTX_ADDRESS)
    const ctx = ctxFor(UPSTREAM, (r) => (r === 'sp' ? sp : 0n));
    const lines: string[] = [];
    let now = 100n;
    const env = {
      currentPidTgid: () => (77n << 32n) | 78n,
      ktimeGetNs: () => (now += 10n),
      readKernel: (a: bigint, n: number) => (a === sp && n === 8 ? Uint8Array.of(0x34, 0x12, 0, 0x81, 0xff, 0xff, 0xff, 0xff) : null),
      tracePrintk: (l: string) => lines.push(l),
    };
    for (let k = 0; k < 3; k++) expect(runProgram(prog, { ctx, env }).r0).toBe(0n);
    expect(u64(maps.get(object.maps.get('counts')!)!.lookup(u32(77))!.bytes)).toBe(3n);
    expect(u64(maps.get(object.maps.get('last_ns')!)!.lookup(u32(0))!.bytes)).toBe(130n);
    expect(lines).toEqual([
      'tgid 77 count 1 ret ffffffff81001234\n',
      'tgid 77 count 2 ret ffffffff81001234\n',
      'tgid 77 count 3 ret ffffffff81001234\n',
    ]);
  });

  it('kprobe-bad-ctx.o: the verifier refuses the read past struct pt_regs', () => {
    const load = (layout: RecordLayout): unknown => loadObject(bpfObject('kprobe-bad-ctx'), { maps: createMapTable(), ctxLayout: layout });
    expect(() => load(UPSTREAM)).toThrow(BpfVerifyError);
    expect(() => load(UPSTREAM)).toThrow('invalid bpf_context access off=168 size=8 at PC 0');
    // 176 bytes under pks-in-pt_regs: the same program is accepted there (it reads ss).
    expect(() => load(PKS)).not.toThrow();
  });

  it('the program section decodes and re-encodes byte for byte', () => {
    const bytes = bpfObject('kprobe-params');
    const sec = parseElfObject(bytes).sections.find((s) => s.name === 'kprobe/do_sys_openat2')!;
    expect(encodeInsns(decodeInsns(sec.data))).toEqual(sec.data);
  });

  it('a non-BPF machine or a truncated file is a clear load error', () => {
    const bytes = bpfObject('kprobe-params').slice();
    bytes[18] = 62; // e_machine = EM_X86_64
    expect(() => loadObject(bytes, { maps: createMapTable(), ctxLayout: UPSTREAM })).toThrow('ELF machine 62 is not EM_BPF (247)');
    expect(() => loadObject(bpfObject('kprobe-params').subarray(0, 200), { maps: createMapTable(), ctxLayout: UPSTREAM })).toThrow(
      BpfLoadError,
    );
  });
});
