/**
 * The system calls of issue M4 item 2 that came last (readv, getrlimit,
 * sched_yield, mremap, setitimer/getitimer, futex, clock_nanosleep errors,
 * terminal ioctls, pkeys) against the host kernel (DESIGN.md §5, oracle
 * 2): guest/sys-*.c built now with gcc -static run natively and under
 * `kentry run`; stdout and the exit status must match. The programs print
 * results and errno names, never addresses or times, so both runs print
 * the same lines. No program installs a signal handler.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kentry } from '../../cli/run-cli.js';
import { SKIP_HOST_ORACLE, buildGuest, runNative } from '../../run/guest-build.js';

function both(name: string, args: string[]): { host: { status: number; stdout: string }; model: { status: number | null; stdout: string; stderr: string } } {
  const exe = buildGuest(name, ['-static']);
  return { host: runNative(exe, args, {}), model: kentry('run', exe, '--', ...args) };
}

describe.skipIf(SKIP_HOST_ORACLE)('new system calls vs the host kernel', () => {
  it('readv, getrlimit/prlimit64, sched_yield, TIOCGWINSZ/TCGETS on pipes and files', () => {
    const { host, model } = both('sys-misc', []);
    expect(host.stdout).toContain('readv exe: 5 7f ELF');
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(host.status);
  });

  it('mremap: shrink, grow in place, move with contents, FIXED, DONTUNMAP, errno rules', () => {
    const { host, model } = both('sys-mremap', []);
    expect(host.stdout).toContain('moved: new address 1, old pages 0 0, third page 1, data xx');
    expect(model.stdout).toBe(host.stdout);
    expect(model.status).toBe(0);
  });

  it('mremap where Linux versions order their checks differently: the 6.12 order', () => {
    // 6.12 (kentry's uname) looks the VMA up first (EFAULT) and lets a huge new_len reach
    // may_expand_vm (ENOMEM); 6.17+ check_mremap_params says EINVAL first. The host may be either.
    const { model } = both('sys-mremap', ['order']);
    expect(model.stdout).toBe('unmapped source, unaligned target    EFAULT\nnew_len above TASK_SIZE              ENOMEM\n');
  });

  it.each(['itimers', 'ignored', 'blocked', 'clocks', 'futex', 'futex-alarm', 'virtual', 'prof'])(
    'timers and futex "%s": same output and status', (what) => {
      const { host, model } = both('sys-timers', [what]);
      expect(model.stdout).toBe(host.stdout);
      expect(model.status).toBe(host.status);
    });
});

/** util-linux script(1) gives the programs a pseudo-terminal. */
const HAVE_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const MAIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

describe.skipIf(SKIP_HOST_ORACLE || !HAVE_SCRIPT)('terminal ioctls on a terminal vs the host kernel', () => {
  it('TIOCGWINSZ gives the host terminal rows and columns; TCGETS succeeds', () => {
    const exe = buildGuest('sys-tty', ['-static']);
    const cmd = `stty rows 33 cols 101; ${exe}; ${process.execPath} ${MAIN} run ${exe}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    const lines = r.stdout.split(/\r?\n/).filter((l) => l.startsWith('TIOCGWINSZ'));
    expect(lines[0]).toBe('TIOCGWINSZ 0: 33 rows, 101 cols; TCGETS 0, canonical 1; isatty 1 1 1');
    expect(lines[1]).toBe(lines[0]);
  });
});

/** Whether this CPU and kernel have user protection keys (the host can then be the oracle for pkeys too). */
const HOST_PKU = (() => {
  try {
    return /\bospke\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
})();

/**
 * pkeys: expected output written here (what Linux prints on a CPU with PKU;
 * it is checked against the host too when the host has PKU and OSPKE).
 */
const PKEYS_API = `keys 1 2 3, PKRU bits 0 2 1, key 0 bits 0
pkey_alloc flags 1                           -1 EINVAL
pkey_alloc init_val 4                        -1 EINVAL
pkey_alloc init_val 1<<32                    -1 EINVAL
pkey_mprotect key 1                          0 
write under key 1: w
pkey_mprotect key 9 (not allocated)          -1 EINVAL
pkey_mprotect key 16                         -1 EINVAL
pkey_mprotect key -2                         -1 EINVAL
pkey_mprotect key 0                          0 
pkey_mprotect -1 (mprotect)                  0 
pkey_mprotect unaligned                      -1 EINVAL
pkey_mprotect bad prot                       -1 EINVAL
pkey_mprotect len 0, bad key                 0 
pkey_mprotect unmapped                       -1 ENOMEM
pkey_mprotect key 3 (access disabled)        0 
write() from the access-disabled page        -1 EFAULT
pkey_free key 3                              0 
pkey_free key 3 again                        -1 EINVAL
pkey_free key 0                              0 
pkey_free key 16                             -1 EINVAL
pkey_free key -1                             -1 EINVAL
PKRU bits of the freed key stay: 1
allocated 14 more from key 0, then ENOSPC
pkey_free key 15                             0 
pkey_alloc reuses it                         15 
key 15 bits 3
`;

const PKEYS_FAULTS: readonly (readonly [string, string])[] = [
  ['exec-only', 'mprotect PROT_EXEC                           0 \nnext pkey_alloc: 2 (the execute-only key is taken)\ncalled the execute-only page; reading it\n'],
  ['write-disabled', 'read under a write-disabled key: 0; writing\n'],
  ['access-disabled', 'key 1 access-disabled by WRPKRU; reading\n'],
  ['mprotect-keeps', 'mprotect keeps the key                       0 \nkey 1 access-disabled by WRPKRU; reading\n'],
];

describe.skipIf(SKIP_HOST_ORACLE)('protection keys (expected output; the host too when it has PKU)', () => {
  it('pkey_alloc/pkey_free/pkey_mprotect: keys, PKRU bits, errno, exhaustion, reuse', () => {
    const exe = buildGuest('sys-pkeys', ['-static']);
    const model = kentry('run', exe, '--', 'api');
    expect(model.stdout).toBe(PKEYS_API);
    expect(model.status).toBe(0);
    if (HOST_PKU) expect(runNative(exe, ['api'], {}).stdout).toBe(PKEYS_API);
  });

  it.each(PKEYS_FAULTS)('a PKU violation ("%s") ends the program with SIGSEGV', (what, out) => {
    const exe = buildGuest('sys-pkeys', ['-static']);
    const model = kentry('run', exe, '--', what);
    expect(model.stdout).toBe(out);
    expect(model.status).toBe(139);
    if (HOST_PKU) {
      const host = runNative(exe, [what], {});
      expect(host.stdout).toBe(out);
      expect(host.status).toBe(139);
    }
  });

  it('the #PF of a PKU violation carries PK in its error code (P|U|PK = 0x25 for a user read)', () => {
    const exe = buildGuest('sys-pkeys', ['-static']);
    const r = kentry('run', '--trace', 'entry', exe, '--', 'access-disabled');
    expect(r.status).toBe(139);
    const pf = r.stderr.split('\n').find((l) => / #PF at /.test(l));
    expect(pf).toMatch(/\(CPL 3\) error_code 0x25 address 0x[0-9a-f]+$/);
    expect(r.stderr).toMatch(/--- SIGSEGV \{si_code 4, si_addr 0x[0-9a-f]+\}/); // SEGV_PKUERR
  });
});
