/**
 * DESIGN.md §4 invariant 6 for core dumps: guest/core-regs.c's core is
 * byte-identical under upstream, state-ref, extended and aux — whatever a
 * design keeps beside pt_regs does not reach the file — and under
 * pks-in-pt_regs the offset-indexed regset (getreg → pt_regs_access, the
 * NT_PRSTATUS note) reads every pt_regs word one member off, which this
 * test records word by word. Every run has the same cwd and environment,
 * so the initial stacks match.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { NT_PRSTATUS } from '../../../src/abi/structs/elfcore.js';
import { SKIP_HOST_ORACLE, buildGuest } from '../../run/guest-build.js';
import { USER_REGS_NAMES, parseCore, prReg, type CoreFile } from './core-file.js';

const MAIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));
const DESIGNS = ['upstream', 'state-ref', 'extended', 'aux', 'pks-in-pt_regs'] as const;

describe.skipIf(SKIP_HOST_ORACLE)('core dumps across designs', () => {
  const cores = new Map<string, Uint8Array>();
  beforeAll(() => {
    const exe = buildGuest('core-regs', ['-static']);
    const dir = mkdtempSync(join(tmpdir(), 'kentry-core-designs-'));
    for (const design of DESIGNS) {
      const r = spawnSync(process.execPath, [MAIN, 'run', '--design', design, exe, '1'], {
        cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, encoding: 'utf8', timeout: 60_000,
      });
      expect(r.stderr, design).toMatch(/killed by SIGSEGV \(si_code 1 at 0x10\), core dumped to core\n$/);
      renameSync(join(dir, 'core'), join(dir, `core.${design}`));
      cores.set(design, new Uint8Array(readFileSync(join(dir, `core.${design}`))));
    }
  }, 600_000);

  it.each(['state-ref', 'extended', 'aux'])('%s: the whole core file equals upstream\'s', (design) => {
    const up = cores.get('upstream')!;
    const mine = cores.get(design)!;
    expect(mine.length).toBe(up.length);
    const first = mine.findIndex((b, i) => b !== up[i]);
    expect(first, `first differing byte of core.${design}`).toBe(-1);
  });

  it('pks-in-pt_regs: NT_PRSTATUS\'s pt_regs words each hold the member before it; the rest of the core is upstream\'s', () => {
    const up = parseCore(cores.get('upstream')!);
    const pks = parseCore(cores.get('pks-in-pt_regs')!);
    const prstatus = (c: CoreFile): Uint8Array => c.notes.find((n) => n.type === NT_PRSTATUS)!.desc;
    const a = prReg(prstatus(up));
    const b = prReg(prstatus(pks));
    const differs = USER_REGS_NAMES.filter((_, i) => a[i] !== b[i]);
    // Every offset-indexed pt_regs word but flags (get_flags reads task_pt_regs(task)->flags by name).
    expect(differs).toEqual(USER_REGS_NAMES.slice(0, 21).filter((n) => n !== 'flags'));
    // Word i is upstream's word i - 1 (cs and ss as get_segment_reg's u16); word 0 is the new first member, pkrs.
    const prev = (i: number): bigint => (i === 19 ? a[18]! : a[i - 1]!); // sp's slot holds flags
    USER_REGS_NAMES.slice(1, 21).forEach((name, j) => {
      const i = j + 1;
      if (name === 'flags') return;
      const want = name === 'cs' || name === 'ss' ? prev(i) & 0xffffn : prev(i);
      expect(b[i], name).toBe(want);
    });
    expect(b[0]).not.toBe(a[0]); // r15 reads pkrs
    expect(b[16]).toBe(0xffff_ffff_ffff_ffffn); // "rip" is orig_ax: -1, no system call
    // Everything else — the other notes, every PT_LOAD — is upstream's.
    up.notes.forEach((n, i) => {
      if (n.type !== NT_PRSTATUS) expect(Buffer.from(pks.notes[i]!.desc).equals(Buffer.from(n.desc)), `note ${n.type.toString(16)}`).toBe(true);
    });
    const upBytes = cores.get('upstream')!;
    const pksBytes = cores.get('pks-in-pt_regs')!;
    const notesEnd = 4096 * Math.ceil((up.phdrs[0]!.offset + up.phdrs[0]!.filesz) / 4096);
    expect(Buffer.from(pksBytes.subarray(notesEnd)).equals(Buffer.from(upBytes.subarray(notesEnd)))).toBe(true);
  });
});
