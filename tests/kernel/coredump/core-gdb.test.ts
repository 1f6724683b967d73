/**
 * kentry's core files through the real tools (issue 6 item 5): readelf -n
 * and -l parse them, gdb loads PROG + core and its registers are those
 * guest/core-regs.c loaded before the fault, its stack words those it
 * pushed. The same program's core from the host kernel, when this machine
 * lets one be written (core_pattern not a pipe, RLIMIT_CORE raisable),
 * gives the same registers (RSP aside: the host's auxv is longer, so its
 * initial stack sits lower) and the same note order.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SKIP_HOST_ORACLE, buildGuest } from '../../run/guest-build.js';
import { parseCore } from './core-file.js';
import { ensureGdb, gdbBatch, gdbRegisters, gdbWords } from './gdb-oracle.js';

const MAIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

/** What guest/core-regs.c leaves in the registers at its faulting store. */
const EXPECTED: Readonly<Record<string, bigint>> = {
  rax: 0x1111111111111111n, rbx: 0x2222222222222222n, rcx: 0x3333333333333333n, rdx: 0x4444444444444444n,
  rsi: 0x5555555555555555n, rdi: 0x6666666666666666n, rbp: 0x7777777777777777n, r8: 0x8888888888888888n,
  r9: 0x9999999999999999n, r10: 0xaaaaaaaaaaaaaaaan, r11: 0xbbbbbbbbbbbbbbbbn, r12: 0xccccccccccccccccn,
  r13: 0xddddddddddddddddn, r14: 0xeeeeeeeeeeeeeeeen, r15: 0x0f0f0f0f0f0f0f0fn,
  // popfq's 0x247 (CF PF ZF IF), and RF, which a fault's saved RFLAGS carries.
  eflags: 0x10247n, cs: 0x33n, ss: 0x2bn, ds: 0n, es: 0n, fs: 0n, gs: 0n,
};
const PUSHED = [0xfeedface00000001n, 0xfeedface00000002n, 0xfeedface00000003n, 0xfeedface00000004n];
const GDB_COMMANDS = ['info registers', 'info registers fs_base gs_base', 'x/4gx $rsp'];

/** Note owners and types in file order, as `readelf -n` lists them. */
function readelfNotes(core: string): string[] {
  const r = spawnSync('readelf', ['-n', '-W', core], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n')
    .map((l) => /^\s+(CORE|LINUX)\s+0x[0-9a-f]+\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]!.split(' ')[0]}`);
}

function symbol(exe: string, name: string): bigint {
  const r = spawnSync('readelf', ['-sW', exe], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.trim().endsWith(` ${name}`));
  if (!line) throw new Error(`${exe} has no symbol ${name}`);
  return BigInt('0x' + line.trim().split(/\s+/)[1]!);
}

/** The host kernel's core for the same program, or why there is none. */
function nativeCore(exe: string, dir: string): { core: string } | { skip: string } {
  const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
  if (pattern.startsWith('|')) return { skip: `core_pattern pipes cores to ${pattern.slice(1).split(' ')[0]}` };
  if (pattern.includes('/')) return { skip: `core_pattern writes cores elsewhere (${pattern})` };
  // setarch -R: no randomization, so the text, brk and stack sit where kentry puts them.
  spawnSync('sh', ['-c', `ulimit -c unlimited && exec setarch -R '${exe}' 1`], { cwd: dir, encoding: 'utf8' });
  const core = readdirSync(dir).find((f) => f === 'core' || f.startsWith('core.'));
  return core ? { core: join(dir, core) } : { skip: `the host wrote no core (core_pattern '${pattern}', RLIMIT_CORE hard limit too low?)` };
}

describe.skipIf(SKIP_HOST_ORACLE)('kentry core files through readelf and gdb', () => {
  let exe = '';
  let dir = '';
  let core = '';
  let stderr = '';
  let status: number | null = null;
  beforeAll(() => {
    ensureGdb();
    exe = buildGuest('core-regs', ['-static']);
    dir = mkdtempSync(join(tmpdir(), 'kentry-core-'));
    mkdirSync(join(dir, 'kentry'));
    const r = spawnSync(process.execPath, [MAIN, 'run', exe, '1'], { cwd: join(dir, 'kentry'), encoding: 'utf8', timeout: 60_000 });
    stderr = r.stderr;
    status = r.status;
    core = join(dir, 'kentry', 'core');
  }, 600_000);

  it('writes ./core once the program raised RLIMIT_CORE, and says so', () => {
    expect(status).toBe(139);
    expect(stderr).toBe(`kentry: ${exe}: killed by SIGSEGV (si_code 1 at 0x10), core dumped to core\n`);
    expect(existsSync(core)).toBe(true);
  });

  it('writes none while RLIMIT_CORE is 0 (the default), and says so', () => {
    const cwd = join(dir, 'kentry-default');
    mkdirSync(cwd);
    const r = spawnSync(process.execPath, [MAIN, 'run', exe], { cwd, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(139);
    expect(r.stderr).toBe(`kentry: ${exe}: killed by SIGSEGV (si_code 1 at 0x10), core not written (RLIMIT_CORE is 0)\n`);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('readelf -n: Linux\'s note order (write_note_info), readelf -l: an ET_CORE with PT_NOTE first', () => {
    expect(readelfNotes(core)).toEqual([
      'CORE NT_PRSTATUS', 'CORE NT_PRPSINFO', 'CORE NT_SIGINFO', 'CORE NT_AUXV', 'CORE NT_FILE',
      'CORE NT_FPREGSET', 'LINUX NT_X86_XSTATE', expect.stringMatching(/^LINUX (NT_X86_XSAVE_LAYOUT|Unknown)/),
    ]);
    const l = spawnSync('readelf', ['-lW', core], { encoding: 'utf8' });
    expect(l.stdout).toContain('Elf file type is CORE (Core file)');
    const types = l.stdout.split('\n').map((x) => /^\s+(NOTE|LOAD)\s/.exec(x)?.[1]).filter((x) => x !== undefined);
    expect(types[0]).toBe('NOTE');
    expect(types.slice(1).every((t) => t === 'LOAD') && types.length > 4).toBe(true);
  });

  it('gdb: the registers at the fault and the pushed words at $rsp', () => {
    const out = gdbBatch(exe, core, GDB_COMMANDS);
    expect(out).toContain('Program terminated with signal SIGSEGV');
    const regs = gdbRegisters(out);
    for (const [name, want] of Object.entries(EXPECTED)) expect(regs.get(name), name).toBe(want);
    expect(regs.get('rip')).toBe(symbol(exe, 'core_regs_fault'));
    expect(gdbWords(out)).toEqual(PUSHED);
    // The stack words through the core's own PT_LOAD of the stack, too.
    const parsed = parseCore(readFileSync(core));
    const sp = Number(regs.get('rsp'));
    const words = parsed.memory(sp, 32);
    expect(words && Array.from({ length: 4 }, (_, i) => new DataView(words.buffer, words.byteOffset).getBigUint64(8 * i, true))).toEqual(PUSHED);
  });

  it('the host kernel\'s core of the same program: same registers (RSP aside) and note order', (ctx) => {
    const nativeDir = join(dir, 'native');
    mkdirSync(nativeDir);
    const n = nativeCore(exe, nativeDir);
    if ('skip' in n) {
      console.warn(`core-gdb: native comparison skipped: ${n.skip}`);
      ctx.skip();
      return;
    }
    const mine = gdbRegisters(gdbBatch(exe, core, GDB_COMMANDS));
    const host = gdbRegisters(gdbBatch(exe, n.core, GDB_COMMANDS));
    for (const [name, v] of host) if (name !== 'rsp') expect(mine.get(name), name).toBe(v);
    expect(gdbWords(gdbBatch(exe, n.core, ['x/4gx $rsp']))).toEqual(PUSHED);
    // The host may add notes kentry does not write (none today); the common ones come in the same order.
    const hostNotes = readelfNotes(n.core).map((x) => x.replace(/Unknown.*/, 'Unknown'));
    const mineNotes = readelfNotes(core).map((x) => x.replace(/Unknown.*/, 'Unknown'));
    expect(mineNotes.filter((x) => hostNotes.includes(x))).toEqual(hostNotes.filter((x) => mineNotes.includes(x)));
  });
});
