/**
 * Struct sizes and offsets checked against ../shared/reference/linux-x86-entry.md
 * (the numbers below are transcribed from that file and the kernel headers it
 * cites, never taken from the engine's own output).
 */
import { describe, expect, it } from 'vitest';
import { layoutOf, offsetOf } from '../../src/abi/layout.js';
import {
  fpstate64, fpxSwBytes, ptRegs, rtSigframe, sigaction, sigcontext, siginfo, stack_t, ucontext, userRegsStruct, xstateHeader,
} from '../../src/abi/structs/index.js';

describe('struct pt_regs (reference §1.1)', () => {
  // field -> offset, from the table in §1.1 / ptrace-abi.h.
  const expected: [string, number][] = [
    ['r15', 0], ['r14', 8], ['r13', 16], ['r12', 24], ['bp', 32], ['bx', 40], ['r11', 48],
    ['r10', 56], ['r9', 64], ['r8', 72], ['ax', 80], ['cx', 88], ['dx', 96], ['si', 104],
    ['di', 112], ['orig_ax', 120], ['ip', 128], ['cs', 136], ['flags', 144], ['sp', 152], ['ss', 160],
  ];
  const l = layoutOf(ptRegs);
  it('is 168 bytes (FRAME_SIZE), 8-aligned', () => {
    expect(l.size).toBe(168);
    expect(l.align).toBe(8);
  });
  it.each(expected)('%s at %i', (name, off) => {
    expect(offsetOf(l, name)).toBe(off);
  });
  it('has exactly the 21 reference fields in order', () => {
    expect(l.members.map((m) => m.name)).toEqual(expected.map(([n]) => n));
  });
});

describe('struct sigcontext (reference §4.3)', () => {
  const l = layoutOf(sigcontext);
  const expected: [string, number][] = [
    ['r8', 0], ['r9', 8], ['r10', 16], ['r11', 24], ['r12', 32], ['r13', 40], ['r14', 48], ['r15', 56],
    ['di', 64], ['si', 72], ['bp', 80], ['bx', 88], ['dx', 96], ['ax', 104], ['cx', 112], ['sp', 120],
    ['ip', 128], ['flags', 136], ['cs', 144], ['gs', 146], ['fs', 148], ['ss', 150], ['__pad0', 150],
    ['err', 152], ['trapno', 160], ['oldmask', 168], ['cr2', 176], ['fpstate', 184], ['reserved1', 192],
  ];
  it('is 256 bytes', () => expect(l.size).toBe(256));
  it.each(expected)('%s at %i', (name, off) => expect(offsetOf(l, name)).toBe(off));
});

describe('struct ucontext, kernel view (reference §4.2)', () => {
  const l = layoutOf(ucontext);
  it('is 304 bytes', () => expect(l.size).toBe(304));
  it.each([
    ['uc_flags', 0], ['uc_link', 8], ['uc_stack', 16], ['uc_mcontext', 40], ['uc_sigmask', 296],
  ] as [string, number][])('%s at %i', (name, off) => expect(offsetOf(l, name)).toBe(off));
  it('stack_t is ss_sp 0, ss_flags 8, ss_size 16, 24 bytes', () => {
    const s = layoutOf(stack_t);
    expect([s.size, offsetOf(s, 'ss_sp'), offsetOf(s, 'ss_flags'), offsetOf(s, 'ss_size')]).toEqual([24, 0, 8, 16]);
  });
});

describe('struct rt_sigframe (reference §4.1, §4.3 absolute offsets)', () => {
  const l = layoutOf(rtSigframe);
  it('is 440 bytes with uc at 8 and info at 312', () => {
    expect(l.size).toBe(440);
    expect(offsetOf(l, 'pretcode')).toBe(0);
    expect(offsetOf(l, 'uc')).toBe(8);
    expect(offsetOf(l, 'info')).toBe(312);
  });
  it.each([
    ['uc.uc_mcontext', 48], ['uc.uc_mcontext.ip', 176], ['uc.uc_mcontext.sp', 168],
    ['uc.uc_mcontext.flags', 184], ['uc.uc_sigmask', 304], ['info', 312],
  ] as [string, number][])('%s at handler RSP + %i', (path, off) => expect(offsetOf(l, path)).toBe(off));
});

describe('siginfo (reference §4, §7)', () => {
  const l = layoutOf(siginfo);
  it('is 128 bytes', () => expect(l.size).toBe(128));
  it('si_signo 0, si_errno 4, si_code 8', () => {
    expect([offsetOf(l, 'si_signo'), offsetOf(l, 'si_errno'), offsetOf(l, 'si_code')]).toEqual([0, 4, 8]);
  });
  it('si_pkey at 0x20 (static_assert in signal_64.c)', () => expect(offsetOf(l, 'si_pkey')).toBe(0x20));
  it('si_addr at 0x10', () => expect(offsetOf(l, 'si_addr')).toBe(0x10));
});

describe('struct user_regs_struct (reference §5.1)', () => {
  const l = layoutOf(userRegsStruct);
  it('is 216 bytes, 27 words', () => {
    expect(l.size).toBe(216);
    expect(l.members).toHaveLength(27);
  });
  it('mirrors pt_regs for the first 21 words', () => {
    const pt = layoutOf(ptRegs);
    for (const m of pt.members) expect(offsetOf(l, m.name)).toBe(m.offset);
  });
  it.each([
    ['fs_base', 168], ['gs_base', 176], ['ds', 184], ['es', 192], ['fs', 200], ['gs', 208],
  ] as [string, number][])('%s at %i', (name, off) => expect(offsetOf(l, name)).toBe(off));
});

describe('FPU areas (reference §4.5)', () => {
  it('the FXSAVE image is 512 bytes with _fpx_sw_bytes at 464..511', () => {
    const l = layoutOf(fpstate64);
    expect(l.size).toBe(512);
    expect(offsetOf(l, 'sw_reserved')).toBe(464);
    expect(layoutOf(fpxSwBytes).size).toBe(48);
    expect(offsetOf(l, 'sw_reserved.magic1')).toBe(464);
    expect(offsetOf(l, 'mxcsr')).toBe(24); // SDM Vol. 1 Table 10-2: MXCSR at byte 24
    expect(offsetOf(l, 'xmm_space')).toBe(160); // XMM0 at byte 160
  });
  it('the XSAVE header is 64 bytes', () => {
    expect(layoutOf(xstateHeader).size).toBe(64);
  });
  it('kernel struct sigaction is handler, flags, restorer, mask: 32 bytes', () => {
    const l = layoutOf(sigaction);
    expect([offsetOf(l, 'sa_handler'), offsetOf(l, 'sa_flags'), offsetOf(l, 'sa_restorer'), offsetOf(l, 'sa_mask'), l.size])
      .toEqual([0, 8, 16, 24, 32]);
  });
});
