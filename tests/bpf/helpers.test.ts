/** Maps (errno semantics of the kernel's map ops) and helpers, through programs and directly. */
import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_NOEXIST, createMapTable, formatTracePrintk, runProgram,
} from '../../src/bpf/index.js';
import { fixture, load } from './verify-helpers.js';

const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
const u64le = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
const CTX = new Uint8Array(168);

describe('array map (kernel/bpf/arraymap.c)', () => {
  const maps = createMapTable();
  const fd = maps.create({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
  const m = maps.get(fd)!;
  it('every element exists: NOEXIST is -EEXIST, EXIST and ANY succeed', () => {
    expect(m.update(u32(1), new Uint8Array(8).fill(1), BPF_NOEXIST)).toBe(-17);
    expect(m.update(u32(1), new Uint8Array(8).fill(2), BPF_EXIST)).toBe(0);
    expect(m.update(u32(0), new Uint8Array(8).fill(3), BPF_ANY)).toBe(0);
    expect(m.lookup(u32(1))!.bytes).toEqual(new Uint8Array(8).fill(2));
  });
  it('an index past max_entries is -E2BIG on update and NULL on lookup', () => {
    expect(m.update(u32(2), new Uint8Array(8), BPF_ANY)).toBe(-7);
    expect(m.lookup(u32(2))).toBeNull();
  });
  it('unknown flags are -EINVAL; delete is always -EINVAL', () => {
    expect(m.update(u32(0), new Uint8Array(8), 3)).toBe(-22);
    expect(m.delete(u32(0))).toBe(-22);
  });
  it('BPF_MAP_CREATE refuses a key size other than 4 and empty maps', () => {
    expect(maps.create({ type: BPF_MAP_TYPE_ARRAY, keySize: 8, valueSize: 8, maxEntries: 1 })).toBe(-22);
    expect(maps.create({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 0 })).toBe(-22);
    expect(maps.create({ type: 99, keySize: 4, valueSize: 8, maxEntries: 1 })).toBe(-22);
  });
});

describe('hash map (kernel/bpf/hashtab.c)', () => {
  const maps = createMapTable();
  const m = maps.get(maps.create({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 2 }))!;
  it('EXIST on an absent key is -ENOENT, NOEXIST on a present one -EEXIST', () => {
    expect(m.update(u32(7), u32(1), BPF_EXIST)).toBe(-2);
    expect(m.update(u32(7), u32(1), BPF_NOEXIST)).toBe(0);
    expect(m.update(u32(7), u32(2), BPF_NOEXIST)).toBe(-17);
    expect(m.update(u32(7), u32(3), BPF_EXIST)).toBe(0);
    expect(m.lookup(u32(7))!.bytes).toEqual(u32(3));
  });
  it('a full map is -E2BIG for a new key, but an existing key still updates', () => {
    expect(m.update(u32(8), u32(1), BPF_ANY)).toBe(0);
    expect(m.update(u32(9), u32(1), BPF_ANY)).toBe(-7);
    expect(m.update(u32(8), u32(5), BPF_ANY)).toBe(0);
  });
  it('delete: 0, then -ENOENT; the freed slot takes a new key', () => {
    expect(m.delete(u32(8))).toBe(0);
    expect(m.delete(u32(8))).toBe(-2);
    expect(m.lookup(u32(8))).toBeNull();
    expect(m.update(u32(9), u32(1), BPF_ANY)).toBe(0);
    expect(m.keys()).toEqual([u32(7), u32(9)]);
  });
});

describe('map helpers from a program', () => {
  it('lookup + increment through the value pointer writes the map', () => {
    const f = fixture();
    const p = load(`
      stw [r10-4], 2
      mov r2, r10
      add r2, -4
      lddw r1, map:\${ARR}
      call 1
      jeq r0, 0, out
      mov r1, 1
      atomic_add64 [r0+0], r1
      ldxdw r0, [r0+0]
      exit
    out: mov r0, -1
      exit`, f);
    expect(runProgram(p, { ctx: CTX }).r0).toBe(1n);
    expect(runProgram(p, { ctx: CTX }).r0).toBe(2n);
    expect(u64le(f.maps.get(f.arrayFd)!.lookup(u32(2))!.bytes)).toBe(2n);
  });
  it('update and delete return 0 or a negative errno in r0', () => {
    const f = fixture();
    const update = (key: number, flags: number): string => `
      stw [r10-4], ${key}
      stdw [r10-24], 0x55
      stdw [r10-16], 0
      mov r2, r10
      add r2, -4
      mov r3, r10
      add r3, -24
      lddw r1, map:\${HASH}
      mov r4, ${flags}
      call 2
      exit`;
    expect(runProgram(load(update(1, BPF_EXIST), f), { ctx: CTX }).r0).toBe(BigInt.asUintN(64, -2n));
    expect(runProgram(load(update(1, BPF_ANY), f), { ctx: CTX }).r0).toBe(0n);
    expect(runProgram(load(update(2, BPF_ANY), f), { ctx: CTX }).r0).toBe(0n);
    expect(runProgram(load(update(3, BPF_ANY), f), { ctx: CTX }).r0).toBe(BigInt.asUintN(64, -7n));
    expect(u64le(f.maps.get(f.hashFd)!.lookup(u32(1))!.bytes)).toBe(0x55n);
    const del = (key: number): string => `
      stw [r10-4], ${key}
      mov r2, r10
      add r2, -4
      lddw r1, map:\${HASH}
      call 3
      exit`;
    expect(runProgram(load(del(1), f), { ctx: CTX }).r0).toBe(0n);
    expect(runProgram(load(del(1), f), { ctx: CTX }).r0).toBe(BigInt.asUintN(64, -2n));
  });
  it('LD_IMM64 BPF_PSEUDO_MAP_VALUE points into a one-element array map', () => {
    const maps = createMapTable();
    const fd = maps.create({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 });
    maps.get(fd)!.update(u32(0), Uint8Array.from({ length: 16 }, (_, i) => i), BPF_ANY);
    const f = { maps, arrayFd: fd, hashFd: fd };
    expect(runProgram(load('lddw r1, mapval:${ARR}+8\nldxb r0, [r1+1]\nexit', f), { ctx: CTX }).r0).toBe(9n);
    expect(() => load('lddw r1, mapval:${ARR}+16\nmov r0, 0\nexit', f)).toThrow('direct value offset of 16 is not allowed at PC 0');
  });
});

describe('bpf_probe_read_kernel (113)', () => {
  const prog = (addr: string): string => `
    stdw [r10-8], -1
    mov r1, r10
    add r1, -8
    mov r2, 8
    lddw r3, ${addr}
    call 113
    ldxdw r6, [r10-8]
    stxdw [r10-16], r0
    mov r0, r6
    exit`;
  const readKernel = (a: bigint, n: number): Uint8Array | null =>
    a === 0xffff888000001000n ? Uint8Array.from({ length: n }, (_, i) => 0x10 + i) : null;
  it('copies through the callback and returns 0', () => {
    const r = runProgram(load(prog('0xffff888000001000')), { ctx: CTX, env: { readKernel } });
    expect(r.r0).toBe(0x1716151413121110n);
    expect(u64le(r.stack.subarray(512 - 16))).toBe(0n);
  });
  it('on a fault zeroes the destination and returns -EFAULT', () => {
    const r = runProgram(load(prog('0xffff888000002000')), { ctx: CTX, env: { readKernel } });
    expect(r.r0).toBe(0n);
    expect(u64le(r.stack.subarray(512 - 16))).toBe(BigInt.asUintN(64, -14n));
  });
  it('reads the context at its address (the pt_regs is kernel memory)', () => {
    const ctx = new Uint8Array(168);
    ctx[112] = 0x42;
    const r = runProgram(load(prog('0xffffc90000013fc8')), { ctx, ctxAddress: 0xffffc90000013f58n });
    expect(r.r0).toBe(0x42n);
  });
});

describe('bpf_ktime_get_ns (5), bpf_get_current_pid_tgid (14)', () => {
  it('return what the callbacks say', () => {
    const p = load('call 5\nmov r6, r0\ncall 14\nadd r0, r6\nexit');
    expect(runProgram(p, { ctx: CTX, env: { ktimeGetNs: () => 1000n, currentPidTgid: () => (7n << 32n) | 9n } }).r0).toBe(
      (7n << 32n) + 9n + 1000n,
    );
  });
});

describe('bpf_trace_printk (6)', () => {
  const fmt = (s: string): Uint8Array => new TextEncoder().encode(s + '\0');
  const noStr = { args: [], readString: () => null };
  it('integer conversions with and without l/ll (no l: the argument is an int)', () => {
    const p = { args: [-1n, 0xffffffffffn, 255n], readString: () => null };
    expect(formatTracePrintk(fmt('%d %u %x'), p)).toBe('-1 4294967295 ff');
    expect(formatTracePrintk(fmt('%ld %lld %llx'), { ...p, args: [-1n, 0xffffffffffn, 255n] })).toBe('-1 1099511627775 ff');
    expect(formatTracePrintk(fmt('%i|%lx|%X'), { ...p, args: [5n, 0xabcn, 0xabcn] })).toBe('5|abc|ABC');
  });
  it('width and flags', () => {
    expect(formatTracePrintk(fmt('[%05d] [%-4u] [%3x]'), { args: [-42n, 7n, 10n], readString: () => null })).toBe('[-0042] [7   ] [  a]');
  });
  it('%s reads a string (a fault prints nothing); %p prints 16 hex digits; %% is literal', () => {
    const p = { args: [0x1000n, 0x2000n, 0xffff888000000010n], readString: (a: bigint) => (a === 0x1000n ? 'comm' : null) };
    expect(formatTracePrintk(fmt('%s<%s> %p 100%%'), p)).toBe('comm<> ffff888000000010 100%');
  });
  it('-EINVAL: more than 3 conversions, no NUL, unknown conversion, non-printable char', () => {
    expect(formatTracePrintk(fmt('%d %d %d %d'), noStr)).toBe(-22);
    expect(formatTracePrintk(new TextEncoder().encode('%d'), noStr)).toBe(-22);
    expect(formatTracePrintk(fmt('%q'), noStr)).toBe(-22);
    expect(formatTracePrintk(fmt('%lu%n'), noStr)).toBe(-22);
    expect(formatTracePrintk(fmt('a\x01b'), noStr)).toBe(-22);
    expect(formatTracePrintk(fmt('%pi4'), noStr)).toBe(-22);
  });
  it('from a program: the line goes to the callback, r0 is its length', () => {
    const lines: string[] = [];
    // "pid %d\n" on the stack: 70 69 64 20 25 64 0a 00
    const p = load(`
      lddw r1, 0x000a642520646970
      stxdw [r10-8], r1
      mov r1, r10
      add r1, -8
      mov r2, 8
      mov r3, 1234
      call 6
      exit`);
    expect(runProgram(p, { ctx: CTX, env: { tracePrintk: (l) => lines.push(l) } }).r0).toBe(9n);
    expect(lines).toEqual(['pid 1234\n']);
  });
  it('from a program: a bad format returns -EINVAL and prints nothing', () => {
    const lines: string[] = [];
    const p = load(`
      lddw r1, 0x0000000000007125
      stxdw [r10-8], r1
      mov r1, r10
      add r1, -8
      mov r2, 8
      call 6
      exit`);
    expect(runProgram(p, { ctx: CTX, env: { tracePrintk: (l) => lines.push(l) } }).r0).toBe(BigInt.asUintN(64, -22n));
    expect(lines).toEqual([]);
  });
});
