/**
 * modify_ldt and failed returns to user mode, with the host kernel as the
 * oracle (DESIGN.md §5.2): guest/ldt-modify.c (every modify_ldt errno rule
 * of arch/x86/kernel/ldt.c, the raw zero-extended RAX, the table read back;
 * with `probe`, what LAR/LSL/VERR/VERW and a GS load make of the new
 * selectors) and guest/ldt-bad-iret.c (sigreturn to a bad CS/SS/RIP: the
 * IRET's fault reaches the user as SIGSEGV/SIGBUS with trapno and error
 * code, through fixup_bad_iret and, for LDT stack segments, ESPFIX64's
 * double fault) run natively and under `kentry run` with every design.
 */
import { describe, expect, it } from 'vitest';
import { kentry } from '../../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative, type HostRun } from '../../run/guest-build.js';

const DESIGNS = ['upstream', 'state-ref', 'extended', 'aux', 'pks-in-pt_regs'] as const;

interface Case {
  readonly prog: string;
  readonly args: readonly string[];
  /** Lines the native run must print (the oracle's own sanity check). */
  readonly hostPrints: readonly string[];
}

const CASES: readonly Case[] = [
  {
    prog: 'ldt-modify',
    args: [],
    hostPrints: [
      'read_ldt, no LDT yet                         rax 0x0',
      'func 3                                       rax 0xffffffda',
      'write_ldt bytecount 15                       rax 0xffffffea',
      'write_ldt bad pointer                        rax 0xfffffff2',
      'conforming code present, 0x11                rax 0xffffffea',
      'conforming code not present, 0x11            rax 0x0',
      'read_ldt 65600:                              rax 0x10000 tail zero 1',
      '  entry 4: 0x12caf9345678bcde',
    ],
  },
  { prog: 'ldt-modify', args: ['probe'], hostPrints: ['sel 0x17: lar 1 0x0040f300 lsl 1 0xfff verr 1 verw 1', 'read through gs 0x17: 0x5eed1234'] },
  {
    prog: 'ldt-bad-iret',
    args: [],
    hostPrints: [
      'SIGSEGV si_code 128 trapno 13 err 0x30 | frame cs 0x33 ss 0x33 rip =target rsp =target uc_flags&7 7',
      'SIGBUS si_code 128 trapno 11 err 0x4 | frame cs 0x7 ss 0x2b rip =target rsp =target uc_flags&7 3',
      // ESPFIX64: the IRET's fault on the read-only ministack becomes #DF, reported as #GP(0).
      'SIGSEGV si_code 128 trapno 13 err 0x0 | frame cs 0x33 ss 0x47 rip =target rsp =target uc_flags&7 7',
      'SIGSEGV si_code 128 trapno 13 err 0x0 | frame cs 0x23 ss 0xf rip =target rsp =target uc_flags&7 3',
    ],
  },
];

const built = new Map<string, string>();
const native = new Map<string, HostRun>();
const name = (c: Case): string => [c.prog, ...c.args].join(' ');

function exe(prog: string): string {
  let path = built.get(prog);
  if (path === undefined) built.set(prog, (path = buildGuest(prog, ['-static'])));
  return path;
}

function host(c: Case): HostRun {
  let run = native.get(name(c));
  if (run === undefined) native.set(name(c), (run = runNative(exe(c.prog), c.args, {})));
  return run;
}

describe.skipIf(SKIP_HOST_ORACLE)('LDT and bad IRET: the host kernel as the oracle', () => {
  it.each(CASES.map((c) => [name(c), c] as const))('%s natively prints what the kernel does', (_n, c) => {
    const run = host(c);
    for (const line of c.hostPrints) expect(run.stdout).toContain(line);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe.skipIf(SKIP_HOST_ORACLE)('LDT and bad IRET: kentry run vs the host kernel', () => {
  const rows = CASES.flatMap((c) => DESIGNS.map((d) => [name(c), d, c] as const));
  it.each(rows)('%s under %s: same stdout and exit status', (_n, design, c) => {
    const want = host(c);
    const got = kentry('run', '--design', design, exe(c.prog), '--', ...c.args);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  });
});
