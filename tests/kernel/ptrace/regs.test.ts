/**
 * PTRACE_GETREGS / PTRACE_SETREGS: user_regs_struct through genregs_get /
 * genregs_set, copied to and from the tracer (-EFAULT), under upstream and
 * pks-in-pt_regs. Under pks-in-pt_regs the words getreg reads by offset
 * (pt_regs_access) come from whichever design member sits at that offset —
 * derived here from the design's layout, not written down — while the
 * named-member paths (get_flags, and set_segment_reg's cs/ss stores, set_flags)
 * still reach the right members.
 */
import { describe, expect, it } from 'vitest';
import { EFAULT, EIO } from '../../../src/abi/errno.js';
import { PTRACE_GETREGS, PTRACE_SETREGS } from '../../../src/abi/ptrace.js';
import { layoutOf, offsetOf } from '../../../src/abi/layout.js';
import { userRegsStruct } from '../../../src/abi/structs/user-regs.js';
import { readLE } from '../../../src/lib/bytes.js';
import { PT_REGS_ORDER, TRACER_BASE, stopped, type Stopped } from './harness.js';

const UREGS = layoutOf(userRegsStruct);
const BUF = TRACER_BASE + 0x1000;

function getregs(s: Stopped): bigint[] {
  expect(s.ptrace(PTRACE_GETREGS, 0, BUF)).toBe(0n);
  const bytes = s.tracer.bytes(BUF, UREGS.size);
  return Array.from({ length: UREGS.size / 8 }, (_, i) => readLE(bytes.subarray(i * 8, i * 8 + 8), false));
}

/** The design's pt_regs member whose slot starts at byte `offset`. */
function memberAt(s: Stopped, offset: number): string {
  const m = s.k.design.ptRegs.members.find((x) => x.offset === offset);
  if (!m) throw new Error(`no member at ${offset}`);
  return m.name;
}

describe('PTRACE_GETREGS', () => {
  it('upstream: each word is the member of the same name', () => {
    const s = stopped('upstream');
    const words = getregs(s);
    PT_REGS_ORDER.forEach((name, i) => {
      expect(UREGS.members[i]!.name).toBe(name);
      const v = s.regs.get(name);
      expect(words[i], name).toBe(name === 'cs' || name === 'ss' ? v & 0xffffn : v);
    });
    expect(words.slice(21)).toEqual([0n, 0n, 0n, 0n, 0n, 0n]); // fs_base gs_base ds es fs gs of a fresh thread
  });

  it('pks-in-pt_regs: offset-indexed words are read from the member at that offset; flags is read by name', () => {
    const s = stopped('pks-in-pt_regs');
    const words = getregs(s);
    let shifted = 0;
    PT_REGS_ORDER.forEach((name, i) => {
      const off = offsetOf(UREGS, name);
      if (name === 'flags') {
        expect(words[i], 'get_flags is task_pt_regs(task)->flags').toBe(s.regs.get('flags'));
        return;
      }
      const there = memberAt(s, off);
      const v = s.regs.get(there);
      expect(words[i], `${name} reads ${there}`).toBe(name === 'cs' || name === 'ss' ? v & 0xffffn : v);
      if (there !== name) shifted++;
    });
    expect(shifted).toBe(20); // every offset-indexed word is someone else's
    expect(words[0]).toBe(s.regs.get('pkrs')); // the new first member leaks as "r15"
  });

  it('-EFAULT when the buffer is not the tracer\'s', () => {
    const s = stopped('upstream');
    expect(s.ptrace(PTRACE_GETREGS, 0, 0x10)).toBe(BigInt(-EFAULT));
    expect(s.ptrace(PTRACE_GETREGS, 0, TRACER_BASE + 0x1_0000 - 100)).toBe(BigInt(-EFAULT));
  });
});

describe('PTRACE_SETREGS', () => {
  it('upstream: GETREGS then SETREGS of the same block changes nothing; a changed word lands by name', () => {
    const s = stopped('upstream');
    const before = PT_REGS_ORDER.map((n) => s.regs.get(n));
    getregs(s);
    expect(s.ptrace(PTRACE_SETREGS, 0, BUF)).toBe(0n);
    expect(PT_REGS_ORDER.map((n) => s.regs.get(n))).toEqual(before);
    s.tracer.putU64(BUF + offsetOf(UREGS, 'ax'), 0x4242n);
    expect(s.ptrace(PTRACE_SETREGS, 0, BUF)).toBe(0n);
    expect(s.regs.get('ax')).toBe(0x4242n);
  });

  it('pks-in-pt_regs: the same round trip fails: the word read as "cs" is ip\'s, not a user selector', () => {
    const s = stopped('pks-in-pt_regs');
    const words = getregs(s);
    const csWord = words[PT_REGS_ORDER.indexOf('cs')]!;
    // set_segment_reg refuses a non-null selector whose RPL is not 3 (reference §5.2).
    expect(csWord & 3n).not.toBe(3n);
    expect(s.ptrace(PTRACE_SETREGS, 0, BUF)).toBe(BigInt(-EIO));
    // genregs_set stopped at cs: the words before it were stored by offset, so "r15" went to pkrs, each word one slot up.
    expect(s.regs.get('pkrs')).toBe(words[0]);
  });

  it('pks-in-pt_regs: cs and ss written through SETREGS reach the named members; flags does too, then the "sp" word overwrites it', () => {
    const s = stopped('pks-in-pt_regs');
    getregs(s);
    s.tracer.putU64(BUF + offsetOf(UREGS, 'cs'), 0x33n);
    s.tracer.putU64(BUF + offsetOf(UREGS, 'ss'), 0x2bn);
    s.tracer.putU64(BUF + offsetOf(UREGS, 'flags'), 0x203n);
    s.tracer.putU64(BUF + offsetOf(UREGS, 'sp'), 0x7fff_0000n);
    s.regs.set('cs', 0x2bn); // so the named store is visible
    expect(s.ptrace(PTRACE_SETREGS, 0, BUF)).toBe(0n);
    expect(s.regs.get('cs')).toBe(0x33n);
    expect(s.regs.get('ss')).toBe(0x2bn);
    // set_flags stored into ->flags by name; the later "sp" word is stored by offset, and the member there is flags.
    expect(memberAt(s, offsetOf(UREGS, 'sp'))).toBe('flags');
    expect(s.regs.get('flags')).toBe(0x7fff_0000n);
    const upstream = stopped('upstream');
    getregs(upstream);
    upstream.tracer.putU64(BUF + offsetOf(UREGS, 'flags'), 0x203n);
    upstream.tracer.putU64(BUF + offsetOf(UREGS, 'sp'), 0x7fff_0000n);
    expect(upstream.ptrace(PTRACE_SETREGS, 0, BUF)).toBe(0n);
    expect(upstream.regs.get('flags')).toBe((0x246n & ~0x54dd5n) | (0x203n & 0x54dd5n));
    expect(upstream.regs.get('sp')).toBe(0x7fff_0000n);
  });

  it('-EIO cases of putreg, -EFAULT for an unreadable buffer (nothing written)', () => {
    const s = stopped('upstream');
    getregs(s);
    s.tracer.putU64(BUF + offsetOf(UREGS, 'fs_base'), 1n << 47n);
    expect(s.ptrace(PTRACE_SETREGS, 0, BUF)).toBe(BigInt(-EIO));
    const ax = s.regs.get('ax');
    expect(s.ptrace(PTRACE_SETREGS, 0, 0x1000)).toBe(BigInt(-EFAULT));
    expect(s.regs.get('ax')).toBe(ax);
  });

  it('a buffer that faults part-way: the words before the fault are stored (__get_user word by word)', () => {
    const s = stopped('upstream');
    const end = TRACER_BASE + 0x1_0000;
    const start = end - 8 * 11; // r15 .. ax readable, cx onwards not
    for (let i = 0; i < 11; i++) s.tracer.putU64(start + 8 * i, 0x7700n + BigInt(i));
    // access_ok passes (the range is below TASK_SIZE_MAX); the copy faults at cx.
    expect(s.ptrace(PTRACE_SETREGS, 0, start)).toBe(BigInt(-EFAULT));
    expect(s.regs.get('r15')).toBe(0x7700n);
    expect(s.regs.get('ax')).toBe(0x770an);
    expect(s.regs.get('cx')).toBe(0x1000n + 8n * 11n);
  });
});
