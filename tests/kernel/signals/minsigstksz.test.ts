/**
 * AT_MINSIGSTKSZ is the kernel's max_frame_size (init_sigframe_size): the
 * formula is checked against the host kernel (a distribution kernel with
 * IA32 emulation, whatever its XSAVE size), then kentry's own value (no
 * IA32 emulation, its CPU's XSAVE size) through `kentry run`.
 */
import { describe, expect, it } from 'vitest';
import { maxFrameSize } from '../../../src/kernel/exec/binfmt-elf.js';
import { kentry } from '../../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from '../../run/guest-build.js';

function parse(out: string): { min: number; xsave: number } {
  const m = /^AT_MINSIGSTKSZ (\d+) xsave (\d+)$/m.exec(out);
  if (!m) throw new Error(`unexpected output: ${out}`);
  return { min: Number(m[1]), xsave: Number(m[2]) };
}

describe.skipIf(SKIP_HOST_ORACLE)('AT_MINSIGSTKSZ', () => {
  const exe = buildGuest('minsigstksz', ['-static']);

  it('the formula gives what the host kernel reports for its XSAVE size (IA32 emulation built in)', () => {
    const host = parse(runNative(exe, [], {}).stdout);
    expect(maxFrameSize(host.xsave, true)).toBe(host.min);
  });

  it('kentry reports max_frame_size for its own CPU: rt_sigframe + 15 + XSAVE (x87, SSE, PKRU) + MAGIC2 + 63, rounded to 16', () => {
    const model = parse(kentry('run', exe).stdout);
    expect(model.xsave).toBe(2696);
    expect(model.min).toBe(Math.ceil((440 + 15 + 2696 + 4 + 63) / 16) * 16);
    expect(model.min).toBe(maxFrameSize(model.xsave));
  });
});
