/**
 * No leak into signals (issue 5 item 7): guest/sig-frame-dump.c dumps one signal
 * frame (the 440-byte rt_sigframe and the fpstate up to FP_XSTATE_MAGIC2) word by word,
 * stack addresses masked. Under upstream, state-ref, extended and aux the dumps must be
 * byte-identical: whatever a design keeps beside pt_regs must not show in the frame.
 * kentry-only: the host's XSAVE layout (AVX and more) differs from the model's.
 */
import { describe, expect, it } from 'vitest';
import { kentry } from '../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest } from './guest-build.js';

const DESIGNS = ['upstream', 'state-ref', 'extended', 'aux'] as const;
/** Offset of uc_mcontext (the gregs) from the frame base: pretcode 8 + uc_flags, uc_link, uc_stack 40. */
const MCONTEXT = 0x30;

/** Word at `offset` (hex, 4 digits) of the dump section `label` ("frame" or "fp"). */
function word(dump: string, label: string, offset: number): string | undefined {
  const key = `${label}+${offset.toString(16).padStart(4, '0')} `;
  const line = dump.split('\n').find((l) => l.startsWith(key));
  return line?.slice(key.length);
}

describe.skipIf(SKIP_HOST_ORACLE)('signal frames are the same under every design', () => {
  it('sig-frame-dump: one frame, four designs, byte-identical and non-trivial', () => {
    const exe = buildGuest('sig-frame-dump', ['-static']);
    const dumps = DESIGNS.map((design) => {
      const r = kentry('run', '--design', design, exe);
      expect(r.stderr, `${design} stderr`).toBe('');
      expect(r.status, `${design} exit status`).toBe(0);
      return r.stdout;
    });
    const upstream = dumps[0] ?? '';
    // Non-trivial: the known registers of sig-frame-dump.c's fire() and the XSAVE magics.
    expect(upstream).toMatch(/^rt_sigframe 440 bytes, fpstate xstate_size \d+ \+ MAGIC2$/m);
    const greg = (i: number): string | undefined => word(upstream, 'frame', MCONTEXT + 8 * i);
    expect(greg(0)).toBe('7777777777777777'); // r8
    expect(greg(7)).toBe('6666666666666666'); // r15
    expect(greg(10)).toBe('2222222222222222'); // rbp
    expect(greg(11)).toBe('1111111111111111'); // rbx
    expect(greg(15)).toBe('STACKADDR'); // rsp
    expect(greg(18)).toBe('002b000000000033'); // ss, fs, gs, cs
    expect(word(upstream, 'fp', 160)).toBe('a0a0a0a001010101'); // xmm0, low half
    expect(word(upstream, 'fp', 160 + 15 * 16 + 8)).toBe('a0a0a0a020202020'); // xmm15, high half
    expect(word(upstream, 'fp', 464)?.slice(8)).toBe('46505853'); // sw_reserved.magic1
    expect(upstream).toMatch(/^fp\+[0-9a-f]{4} 46505845$/m); // FP_XSTATE_MAGIC2
    expect(upstream.split('\n').length).toBeGreaterThan(55 + 64);
    DESIGNS.forEach((design, i) => expect(dumps[i], `${design} vs upstream`).toBe(upstream));
  });
});
