/**
 * `kentry run --trace insn` through the CLI on guest/nostdlib.c: the user
 * instructions at the addresses and with the bytes objdump shows (the text
 * as iced-x86's Intel formatter prints the same bytes), the SYSCALL followed
 * by entry_SYSCALL_64's instructions (kernel lines with symbols), the call
 * into do_syscall_64 (kernel C), the entry line, the SYSRETQ path, then the
 * user instruction after the SYSCALL. Also --json-trace, and bad input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import { describe, expect, it } from 'vitest';
import { kentry } from '../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest } from './guest-build.js';

interface ObjdumpInsn { address: number; bytes: string }

/** `objdump -d -M intel` of `_start`: address and bytes per instruction (continuation lines joined). */
function objdumpStart(exe: string): ObjdumpInsn[] {
  const r = spawnSync('objdump', ['-d', '-M', 'intel', exe], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const body = r.stdout.split('<_start>:\n')[1]?.split('\n\n')[0] ?? '';
  const out: ObjdumpInsn[] = [];
  for (const line of body.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*(\t.*)?$/.exec(line);
    if (!m) continue;
    if (m[3] === undefined && out.length > 0) out[out.length - 1]!.bytes += ' ' + m[2]; // objdump wraps long ones
    else out.push({ address: parseInt(m[1]!, 16), bytes: m[2]! });
  }
  return out;
}

function icedText(bytes: string, address: number): string {
  const d = new Decoder(64, Uint8Array.from(bytes.split(' '), (h) => parseInt(h, 16)), DecoderOptions.None);
  d.ip = BigInt(address);
  const f = new Formatter(FormatterSyntax.Intel);
  const text = f.format(d.decode());
  d.free();
  f.free();
  return text;
}

const INSN = /^\[(\d+)\] ([uk]) 0x([0-9a-f]+) {2}((?:[0-9a-f]{2} )*[0-9a-f]{2}) +(.*?)(?: {2}<(.+)>)?$/;

describe.skipIf(SKIP_HOST_ORACLE)('kentry run --trace insn', () => {
  const exe = SKIP_HOST_ORACLE ? '' : buildGuest('nostdlib', ['-static', '-nostdlib']);

  it('user instructions as objdump and iced show them, then the entry code of the SYSCALL, then the user code after it', () => {
    const r = kentry('run', '--trace', 'insn', exe);
    expect(r.status).toBe(5);
    expect(r.stdout).toBe('freestanding hello\n');
    const lines = r.stderr.trimEnd().split('\n');
    const dump = objdumpStart(exe);
    const firstSyscall = dump.findIndex((d) => d.bytes === '0f 05');
    expect(firstSyscall).toBeGreaterThan(0);
    // The program's first instructions: address and bytes exactly, text as iced prints it.
    for (let i = 0; i <= firstSyscall; i++) {
      const m = INSN.exec(lines[i] ?? '');
      expect(m, lines[i]).not.toBeNull();
      const d = dump[i]!;
      expect([m![1], m![2], parseInt(m![3]!, 16), m![4]]).toEqual(['1', 'u', d.address, d.bytes]);
      expect(m![5]).toBe(icedText(d.bytes, d.address));
      expect(m![6]).toBeUndefined();
    }
    // SYSCALL → entry_SYSCALL_64 in kernel lines with symbols.
    const entry = INSN.exec(lines[firstSyscall + 1] ?? '');
    expect(entry?.[2]).toBe('k');
    expect(entry?.[6]).toBe('entry_SYSCALL_64+0x0');
    expect(lines[firstSyscall + 2]).toMatch(/ swapgs {2}<entry_SYSCALL_64\+0x[0-9a-f]+>$/);
    // ... up to the call into kernel C, whose entry line follows it.
    const native = lines.findIndex((l) => / \(kernel C\) +do_syscall_64$/.test(l));
    expect(native).toBeGreaterThan(firstSyscall + 2);
    expect(lines.slice(firstSyscall + 1, native).every((l) => INSN.exec(l)?.[2] === 'k' && INSN.exec(l)?.[6] !== undefined)).toBe(true);
    expect(lines[native - 1]).toMatch(/ call 0FFFFFFFF[0-9A-F]+h {2}<entry_SYSCALL_64_after_hwframe\+0x[0-9a-f]+>$/);
    expect(lines[native + 1]).toBe('[1] write(1, "freestanding hello\\n", 19) = 19');
    // The return path to SYSRETQ, then the user instruction after the SYSCALL.
    const back = lines.findIndex((l, i) => i > native && INSN.exec(l)?.[2] === 'u');
    expect(lines[back - 1]).toMatch(/ 48 0f 07 +sysretq {2}<entry_SYSRETQ_unsafe_stack\+0x[0-9a-f]+>$/);
    const after = dump[firstSyscall + 1]!;
    expect(INSN.exec(lines[back]!)?.slice(2, 5)).toEqual(['u', after.address.toString(16), after.bytes]);
    expect(lines.at(-1)).toBe('[1] +++ exited with 5 +++');
  });

  it('--json-trace with --trace insn: instruction, kernel C and entry events in order', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kentry-insn-')), 'trace.jsonl');
    const r = kentry('run', '--trace', 'insn', '--json-trace', file, exe);
    expect(r.status).toBe(5);
    const events = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const dump = objdumpStart(exe);
    expect(events[0]).toEqual({
      kind: 'insn', pid: 1, cpl: 3, rip: `0x${dump[0]!.address.toString(16)}`, bytes: dump[0]!.bytes,
      text: icedText(dump[0]!.bytes, dump[0]!.address), symbol: null,
    });
    const call = events.findIndex((e) => e['kind'] === 'native');
    expect(events[call]).toMatchObject({ kind: 'native', pid: 1, function: 'do_syscall_64', resumed: false });
    expect(events[call + 1]).toMatchObject({ kind: 'syscall', name: 'write', result: '0x13' });
    expect(events.some((e) => e['kind'] === 'insn' && e['symbol'] === 'entry_SYSCALL_64+0x0' && e['cpl'] === 0)).toBe(true);
    expect(events.at(-1)).toEqual({ kind: 'exit', pid: 1, code: 5 });
  });

  it('--trace with an unknown kind: one line, exit 2', () => {
    const r = kentry('run', '--trace', 'foo', exe);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--trace/);
  });
});
