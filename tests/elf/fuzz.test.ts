/**
 * Mutation fuzzing of the loader: valid gcc executables with bit flips,
 * smashed header fields and truncation. Every input must give a load plan
 * that keeps the plan's invariants, or an `ElfLoadError` — never another
 * exception. Seeded and reproducible: KENTRY_ELF_FUZZ_SEED=n picks another
 * seed; a failure names the seed and iteration.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/lib/prng.js';
import {
  ElfLoadError, MMAP_MIN_ADDR, TASK_SIZE, buildInitialStack, planLoad, type ElfErrorReason, type LoadPlan,
} from '../../src/elf/index.js';
import { HELLO, NOSTDLIB, SKIP_HOST_ORACLE, buildC, readBytes } from './host-build.js';
import { EHDR, EHDR_WIDTH, PHDR, PHDR_WIDTH, get, phdrAt, put, type Width } from './elf-patch.js';

const SEED = Number(process.env['KENTRY_ELF_FUZZ_SEED'] ?? 20240601);
const ITERATIONS_PER_FILE = 3000;

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
const below = (rng: Rng, n: number): number => Math.floor(rng() * n);

function interesting(rng: Rng, old: bigint, fileLength: number): bigint {
  const r = (): bigint => (BigInt(below(rng, 2 ** 32)) << 32n) | BigInt(below(rng, 2 ** 32));
  return pick(rng, [
    () => 0n, () => 1n, () => (1n << 64n) - 1n, () => 1n << 63n, () => 1n << 47n, () => BigInt(TASK_SIZE),
    () => BigInt(TASK_SIZE) - 0x1000n, () => BigInt(fileLength), () => BigInt(fileLength + 1), () => BigInt(fileLength - 1),
    () => old + BigInt(below(rng, 0x2000)) - 0x1000n, () => old ^ (1n << BigInt(below(rng, 64))), () => old * 2n,
    () => 0x1000n, () => 0x200000n, () => 0x40n, () => 3n, () => 0x6474e551n, r,
  ])();
}

/** One mutated copy of `base`: 1-4 mutations, each a bit flip, a field smash or a truncation. */
function mutate(rng: Rng, base: Uint8Array): Uint8Array {
  let b = base.slice();
  const headerEnd = Math.min(b.length, 64 + 56 * 16);
  for (let n = 1 + below(rng, 4); n > 0; n--) {
    const kind = below(rng, 10);
    if (kind < 3) {
      const at = below(rng, rng() < 0.8 ? headerEnd : b.length);
      b[at] = (b[at] ?? 0) ^ (1 << below(rng, 8));
    } else if (kind < 5) {
      const f = pick(rng, Object.keys(EHDR) as (keyof typeof EHDR)[]);
      const w: Width = EHDR_WIDTH[f];
      put(b, EHDR[f], w, interesting(rng, get(b, EHDR[f], w), b.length));
    } else if (kind < 9) {
      const phnum = Number(get(b, EHDR.phnum, 2));
      const f = pick(rng, Object.keys(PHDR) as (keyof typeof PHDR)[]);
      const at = Number(BigInt.asUintN(40, BigInt(phdrAt(b, below(rng, Math.max(1, Math.min(phnum, 16))))))) + PHDR[f];
      const w: Width = PHDR_WIDTH[f];
      if (at + w <= b.length) put(b, at, w, f === 'type' && rng() < 0.5 ? BigInt(pick(rng, [1, 3, 6, 7, 0x6474e551])) : interesting(rng, get(b, at, w), b.length));
    } else {
      b = b.slice(0, rng() < 0.5 ? below(rng, headerEnd) : below(rng, b.length));
    }
  }
  return b;
}

/** What any accepted plan must satisfy. */
function checkPlan(plan: LoadPlan, file: Uint8Array): void {
  for (const s of plan.segments) {
    expect(Number.isSafeInteger(s.vaddr) && Number.isSafeInteger(s.memsz)).toBe(true);
    expect(s.bytes.length).toBe(s.filesz);
    // With p_filesz 0 Linux maps nothing from the file and ignores p_offset.
    if (s.filesz > 0) expect(s.offset + s.filesz).toBeLessThanOrEqual(file.length);
    expect(s.filesz).toBeLessThanOrEqual(s.memsz);
    expect(s.vaddr + s.memsz).toBeLessThanOrEqual(TASK_SIZE);
    if (s.memsz > 0) expect(s.mapStart).toBeGreaterThanOrEqual(MMAP_MIN_ADDR);
  }
  expect(plan.entry).toBeGreaterThanOrEqual(0);
  expect(plan.entry).toBeLessThan(TASK_SIZE);
  // The plan always yields an initial stack.
  const stack = buildInitialStack({
    stackTop: 0x7ffffffff000, argv: ['prog'], envp: [], execfn: 'prog', plan, random: new Uint8Array(16),
    hwcap: 0, hwcap2: 0, minsigstksz: 0xd30, uid: 0, euid: 0, gid: 0, egid: 0,
  });
  expect(stack.rsp % 16).toBe(0);
}

describe.skipIf(SKIP_HOST_ORACLE)('ELF loader fuzzing', () => {
  const files = SKIP_HOST_ORACLE ? [] : [
    ['nostdlib', buildC('fuzz-nostdlib', NOSTDLIB, ['-static', '-nostdlib'])],
    ['nostdlib-pie', buildC('fuzz-nostdlib-pie', NOSTDLIB, ['-static-pie', '-nostdlib'])],
    ['glibc-static', buildC('fuzz-static', HELLO, ['-static'])],
    ['glibc-static-pie', buildC('fuzz-static-pie', HELLO, ['-static-pie'])],
  ] as const;

  it.each(files)(`%s: ${ITERATIONS_PER_FILE} mutants end in a plan or an ElfLoadError (seed ${SEED})`, (name, path) => {
    const base = readBytes(path);
    const rng = mulberry32(SEED ^ name.length * 0x9e3779b1);
    const outcomes = new Map<ElfErrorReason | 'loaded', number>();
    for (let i = 0; i < ITERATIONS_PER_FILE; i++) {
      const input = mutate(rng, base);
      let outcome: ElfErrorReason | 'loaded';
      try {
        const plan = planLoad(input);
        checkPlan(plan, input);
        outcome = 'loaded';
      } catch (e) {
        if (!(e instanceof ElfLoadError)) {
          throw new Error(`${name}: seed ${SEED} iteration ${i}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        }
        expect(e.message).not.toContain('\n');
        outcome = e.reason;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // The mutants reach deep checks, not just the magic test.
    expect(outcomes.get('loaded') ?? 0).toBeGreaterThan(ITERATIONS_PER_FILE / 20);
    for (const r of ['truncated', 'phdr-table', 'segment', 'elf-type', 'machine'] as const) expect(outcomes.get(r) ?? 0).toBeGreaterThan(0);
  });
});
