/**
 * The initial stack against the host kernel (DESIGN.md §5, oracle 2). A
 * static program dumps every byte from its initial RSP to the top of its
 * stack; kentry rebuilds the same bytes from the same argv, envp, path and
 * the host's auxv values (hwcap, uids, vDSO address, AT_RANDOM bytes, ...).
 * Under `setarch -R` (no randomization) the comparison is exact, load
 * addresses included; with randomization on, arch_align_stack()'s random
 * shift is read back from the dump and everything else must still match.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_GID, AT_HWCAP, AT_HWCAP2, AT_MINSIGSTKSZ, AT_NAMES, AT_PHDR, AT_PLATFORM,
  AT_RANDOM, AT_RSEQ_ALIGN, AT_RSEQ_FEATURE_SIZE, AT_SECURE, AT_SYSINFO_EHDR, AT_UID,
  buildInitialStack, planLoad, type LoadPlan,
} from '../../src/elf/index.js';
import { SKIP_HOST_ORACLE, buildC, hasTool, readBytes } from './host-build.js';

const DUMP = String.raw`
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
int main(int argc, char **argv) {
  unsigned char *sp = (unsigned char *)((unsigned long *)argv - 1);
  const char *fn = (const char *)getauxval(AT_EXECFN);
  unsigned char *top = (unsigned char *)fn + strlen(fn) + 1 + 8;
  printf("sp %lx\ntop %lx\nbytes ", (unsigned long)sp, (unsigned long)top);
  for (unsigned char *p = sp; p < top; p++) printf("%02x", *p);
  printf("\n");
  return 0;
}
`;

interface HostStack {
  readonly sp: number;
  readonly top: number;
  readonly bytes: Uint8Array;
  readonly auxv: readonly (readonly [number, number])[];
}

function runDump(exe: string, argv: readonly string[], env: Record<string, string>, norandom: boolean): HostStack {
  const [cmd, args] = norandom ? ['setarch', ['-R', exe, ...argv.slice(1)]] : [exe, argv.slice(1)];
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const kv = new Map(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const));
  const sp = parseInt(kv.get('sp') ?? '', 16);
  const bytes = Uint8Array.from(Buffer.from(kv.get('bytes') ?? '', 'hex'));
  const view = new DataView(bytes.buffer);
  const word = (i: number): number => Number(view.getBigUint64(i * 8, true));
  let i = 1 + word(0) + 1;
  while (word(i) !== 0) i++;
  i++;
  const auxv: [number, number][] = [];
  for (;; i += 2) {
    auxv.push([word(i), word(i + 1)]);
    if (word(i) === 0) break;
  }
  return { sp, top: parseInt(kv.get('top') ?? '', 16), bytes, auxv };
}

/** What kentry builds from the host's own auxv values. */
function rebuild(host: HostStack, plan: Pick<LoadPlan, 'phdrAddr' | 'phent' | 'phnum' | 'entry'>, argv: readonly string[], env: Record<string, string>, exe: string) {
  const aux = new Map(host.auxv);
  const val = (t: number): number => {
    const v = aux.get(t);
    if (v === undefined) throw new Error(`host auxv lacks ${AT_NAMES[t] ?? t}`);
    return v;
  };
  const randomAt = val(AT_RANDOM) - host.sp;
  // arch_align_stack() subtracted some r in 0..8191 and rounded down to 16:
  // any r' giving the same rounded result rebuilds the same stack.
  const argStart = argv0Address(host);
  const aligned = val(AT_PLATFORM) + 'x86_64\0'.length;
  const alignStackRandom = Math.min(8191, argStart - aligned - (argStart % 16));
  return buildInitialStack({
    stackTop: host.top,
    argv, envp: Object.entries(env).map(([k, v]) => `${k}=${v}`), execfn: exe, plan,
    random: host.bytes.slice(randomAt, randomAt + 16),
    hwcap: val(AT_HWCAP), hwcap2: val(AT_HWCAP2), minsigstksz: val(AT_MINSIGSTKSZ),
    uid: val(AT_UID), euid: val(AT_EUID), gid: val(AT_GID), egid: val(AT_EGID), secure: val(AT_SECURE),
    ...(aux.has(AT_SYSINFO_EHDR) ? { vdso: val(AT_SYSINFO_EHDR) } : {}),
    ...(aux.has(AT_RSEQ_FEATURE_SIZE) ? { rseq: { featureSize: val(AT_RSEQ_FEATURE_SIZE), align: val(AT_RSEQ_ALIGN) } } : {}),
    alignStackRandom,
  });
}

/** argv[0]'s address: the lowest string byte (mm->arg_start). */
function argv0Address(host: HostStack): number {
  return Number(new DataView(host.bytes.buffer).getBigUint64(8, true));
}

const ARGV_TAIL = ['a', 'bb', '', 'a longer argument with spaces'];
const ENV = { KENTRY_A: '1', KENTRY_EMPTY: '', KENTRY_LONG: 'x'.repeat(300), LC_ALL: 'C' };
const HAVE_SETARCH = !SKIP_HOST_ORACLE && hasTool('setarch', ['-R', 'true']);

describe.skipIf(SKIP_HOST_ORACLE)('initial stack vs the host kernel', () => {
  const builds = SKIP_HOST_ORACLE ? [] : (['static', 'static-pie'] as const).map((kind) => {
    const exe = buildC(`stack-${kind}`, DUMP, [`-${kind}`]);
    return { kind, exe, plan: planLoad(readBytes(exe)) };
  });

  it.each(builds.map((b) => [b.kind, b] as const))('%s, randomization on: same bytes, same auxv order', (_k, { exe }) => {
    const argv = [exe, ...ARGV_TAIL];
    const host = runDump(exe, argv, ENV, false);
    const aux = new Map(host.auxv);
    // The load address is random here: take AT_PHDR/AT_ENTRY from the host.
    const plan = { phdrAddr: aux.get(AT_PHDR) ?? 0, entry: aux.get(AT_ENTRY) ?? 0, phent: 56, phnum: planLoad(readBytes(exe)).phnum };
    const ours = rebuild(host, plan, argv, ENV, exe);
    expect(ours.auxv.map(([t]) => AT_NAMES[t] ?? t)).toEqual(host.auxv.map(([t]) => AT_NAMES[t] ?? t));
    expect(host.sp % 16).toBe(0);
    expect(ours.rsp).toBe(host.sp);
    expect(Buffer.from(ours.bytes).toString('hex')).toBe(Buffer.from(host.bytes).toString('hex'));
  });

  it.skipIf(!HAVE_SETARCH).each(builds.map((b) => [b.kind, b] as const))('%s, setarch -R: exact stack and load addresses', (_k, { exe, plan }) => {
    const argv = [exe, ...ARGV_TAIL];
    const host = runDump(exe, argv, ENV, true);
    const aux = new Map(host.auxv);
    expect(host.top % 4096).toBe(0);
    // The plan's placement is Linux's: a static PIE just below mmap_base.
    expect(aux.get(AT_PHDR)).toBe(plan.phdrAddr);
    expect(aux.get(AT_ENTRY)).toBe(plan.entry);
    const ours = rebuild(host, plan, argv, ENV, exe);
    expect(ours.rsp).toBe(host.sp);
    expect(ours.execfn).toBe(aux.get(AT_EXECFN));
    expect(Buffer.from(ours.bytes).toString('hex')).toBe(Buffer.from(host.bytes).toString('hex'));
  });
});
