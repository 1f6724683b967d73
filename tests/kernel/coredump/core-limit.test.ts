/**
 * RLIMIT_CORE as vfs_coredump applies it: below min_coredump
 * (ELF_EXEC_PAGESIZE) no core; a limit below the image's size cuts the file
 * at the end of the last whole dump_emit that fits; 'unlimited' (--core
 * FILE) writes it all. In-process, on guest/core-regs.c (which raises the
 * limit itself only with an argument; here the test sets it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RSP } from '../../../src/cpu/core.js';
import { builtinDesign } from '../../../src/design/registry.js';
import { bootKernel } from '../../../src/kernel/boot.js';
import { RLIMIT_CORE, enableCoreDump, type CoreDumpHandle } from '../../../src/kernel/coredump/coredump.js';
import { startProgram } from '../../../src/kernel/exec/program.js';
import type { HostConsole } from '../../../src/kernel/syscalls/host.js';
import { SKIP_HOST_ORACLE, buildGuest } from '../../run/guest-build.js';
import { parseCore } from './core-file.js';

const quiet: HostConsole = { kind: () => 'closed', write: () => {}, read: () => new Uint8Array(0) };

function dump(limit: bigint | 'unlimited'): { handle: CoreDumpHandle; written: Uint8Array | null } {
  const exe = buildGuest('core-regs', ['-static']);
  const k = bootKernel(builtinDesign('upstream'), { timerEvery: 1_000_000 });
  const { task, process: proc } = startProgram(k, k.allocPid(), new Uint8Array(readFileSync(exe)), {
    argv: [exe], envp: [], execfn: exe, console: quiet,
  });
  if (limit !== 'unlimited') proc.rlimits = new Map([[RLIMIT_CORE, [limit, limit] as const]]);
  let written: Uint8Array | null = null;
  const handle = enableCoreDump({
    platform: k.platform, proc, limit: limit === 'unlimited' ? 'unlimited' : 'rlimit',
    write: (bytes) => { written = bytes.slice(); return 'memory'; },
  }, k.platform.cpu.reg64(RSP));
  for (let i = 0; i < 200 && !task.exit; i++) k.run(1_000_000);
  expect(task.exit).toMatchObject({ kind: 'killed', signal: 11 });
  return { handle, written };
}

describe.skipIf(SKIP_HOST_ORACLE)('RLIMIT_CORE', () => {
  it('4095 (below ELF_EXEC_PAGESIZE): no core', () => {
    const { handle, written } = dump(4095n);
    expect(written).toBeNull();
    expect(handle.result).toEqual({ kind: 'not-written', reason: 'RLIMIT_CORE is 4095' });
  });

  it('20000: the file ends at the last whole dump_emit below the limit, headers and notes intact', () => {
    const { handle, written } = dump(20000n);
    const full = handle.image!.bytes.length;
    expect(written!.length).toBeLessThanOrEqual(20000);
    expect(handle.image!.pieces).toContain(written!.length);
    expect(handle.result).toEqual({ kind: 'written', where: 'memory', size: written!.length, truncatedFrom: full });
    const core = parseCore(written!);
    expect(core.notes.map((n) => n.type)).toEqual(parseCore(handle.image!.bytes).notes.map((n) => n.type));
  });

  it('unlimited (--core FILE): the whole image', () => {
    const { handle, written } = dump('unlimited');
    expect(written!.length).toBe(handle.image!.bytes.length);
    expect(handle.result).toMatchObject({ kind: 'written', truncatedFrom: null });
  });
});
