/**
 * Self-tests of the native snippet harness against facts known
 * independently of it (the SDM's flag definitions, the Linux trap-to-signal
 * mapping), so that later instruction tests can trust it as an oracle.
 */
import { describe, expect, it } from 'vitest';
import { asm, assemble } from './gas.js';
import {
  CODE_BASE,
  DATA_BASE,
  DATA_SIZE,
  FLAG,
  GPR_NAMES,
  STACK_TOP,
  SKIP_HOST_ORACLE,
  dataAt,
  readData,
  runNative,
  runNativeOne,
  type NativeCase,
  type NativeResult,
} from './native.js';
import { compareResults, describeCase, generateCases } from './cases.js';
import { Prng, mask, parityEven, type OperandBits } from './random.js';
import { checkSnippet } from './snippet-check.js';

const SIGILL = 4;
const SIGTRAP = 5;
const SIGFPE = 8;
const SIGSEGV = 11;
const SI_KERNEL = 0x80;
const ARITH = FLAG.CF | FLAG.PF | FLAG.AF | FLAG.ZF | FLAG.SF | FLAG.OF;

function flags(r: NativeResult): Record<'CF' | 'PF' | 'AF' | 'ZF' | 'SF' | 'OF', 0 | 1> {
  const bit = (f: bigint): 0 | 1 => ((r.rflags & f) !== 0n ? 1 : 0);
  return { CF: bit(FLAG.CF), PF: bit(FLAG.PF), AF: bit(FLAG.AF), ZF: bit(FLAG.ZF), SF: bit(FLAG.SF), OF: bit(FLAG.OF) };
}

describe.skipIf(SKIP_HOST_ORACLE)('native snippet harness', () => {
  it('an empty snippet returns every register, flag, XMM and MXCSR unchanged', () => {
    const rng = new Prng(1);
    const cases: NativeCase[] = [];
    for (let i = 0; i < 50; i++) {
      cases.push({
        code: new Uint8Array(),
        regs: rng.gprs(),
        rflags: rng.rflags({ df: true }),
        xmm: Array.from({ length: 16 }, () => rng.xmm()),
        mxcsr: 0x1f80 | (rng.below(4) << 13) | rng.below(64),
      });
    }
    const results = runNative(cases);
    results.forEach((r, i) => {
      const c = cases[i]!;
      expect(r.status).toBe('ok');
      expect(r.rip).toBe(CODE_BASE);
      for (const name of GPR_NAMES) expect(r.regs[name]).toBe(c.regs![name]);
      expect(r.rflags).toBe(c.rflags);
      expect(r.xmm).toEqual(c.xmm);
      expect(r.mxcsr).toBe(c.mxcsr);
      expect(r.dataChanges).toEqual([]);
    });
  });

  describe('add %rbx,%rax (48 01 d8): result and flags as the SDM defines them', () => {
    const code = new Uint8Array([0x48, 0x01, 0xd8]);
    it('assembles to 48 01 d8', () => expect([...asm('add %rbx,%rax')]).toEqual([0x48, 0x01, 0xd8]));
    const rows: [bigint, bigint, bigint, Record<string, 0 | 1>][] = [
      [0x7fff_ffff_ffff_ffffn, 1n, 0x8000_0000_0000_0000n, { CF: 0, PF: 1, AF: 1, ZF: 0, SF: 1, OF: 1 }],
      [0xffff_ffff_ffff_ffffn, 1n, 0n, { CF: 1, PF: 1, AF: 1, ZF: 1, SF: 0, OF: 0 }],
      [1n, 2n, 3n, { CF: 0, PF: 1, AF: 0, ZF: 0, SF: 0, OF: 0 }],
      [0x8000_0000_0000_0000n, 0x8000_0000_0000_0000n, 0n, { CF: 1, PF: 1, AF: 0, ZF: 1, SF: 0, OF: 1 }],
      [0x0fn, 0x01n, 0x10n, { CF: 0, PF: 0, AF: 1, ZF: 0, SF: 0, OF: 0 }],
      [0xffff_ffff_ffff_fff0n, 0x0fn, 0xffff_ffff_ffff_ffffn, { CF: 0, PF: 1, AF: 0, ZF: 0, SF: 1, OF: 0 }],
    ];
    // Each row twice: with all arithmetic flags clear and all set on input (add overwrites them all).
    const cases = rows.flatMap(([a, b]) =>
      [0x202n, 0x202n | ARITH].map((rflags): NativeCase => ({ code, regs: { rax: a, rbx: b }, rflags })),
    );
    it.each(rows.map((row, i) => [i, row] as const))('row %i', (i, [, b, sum, want]) => {
      const results = runNative(cases.slice(2 * i, 2 * i + 2));
      for (const r of results) {
        expect(r.status).toBe('ok');
        expect(r.regs.rax).toBe(sum);
        expect(r.regs.rbx).toBe(b);
        expect(r.rip).toBe(CODE_BASE + 3n);
        expect(flags(r)).toEqual(want);
      }
    });
  });

  describe('memory', () => {
    it('push/pop round trip through the stack in the data area', () => {
      const c: NativeCase = { code: asm('push %rax\npushq $-2\npop %rcx\npop %rbx'), regs: { rax: 0x1122_3344_5566_7788n } };
      const r = runNativeOne(c);
      expect(r.status).toBe('ok');
      expect(r.regs.rbx).toBe(0x1122_3344_5566_7788n);
      expect(r.regs.rcx).toBe(0xffff_ffff_ffff_fffen);
      expect(r.regs.rsp).toBe(STACK_TOP);
      // The pushes stay in memory below the stack pointer.
      expect(readData(c, r, STACK_TOP - 8n, 8)).toBe(0x1122_3344_5566_7788n);
      expect(readData(c, r, STACK_TOP - 16n, 8)).toBe(0xffff_ffff_ffff_fffen);
    });

    it('a store to an absolute data address shows up in the reported data area', () => {
      const c: NativeCase = { code: asm('mov %rax, 0x20000100\nmovb $0x5a, 0x20003fff'), regs: { rax: 0x0102_0304_0506_0708n } };
      const r = runNativeOne(c);
      expect(r.status).toBe('ok');
      expect(r.dataChanges).toEqual([
        { offset: 0x100, bytes: new Uint8Array([8, 7, 6, 5, 4, 3, 2, 1]) },
        { offset: DATA_SIZE - 1, bytes: new Uint8Array([0x5a]) },
      ]);
    });

    it('initial data is patched in; loads (absolute and RIP-relative) see it; unchanged bytes are not reported', () => {
      // mov disp(%rip),%rax is 7 bytes at CODE_BASE: the target is CODE_BASE + 7 + disp.
      const disp = DATA_BASE + 0x208n - (CODE_BASE + 7n);
      const c: NativeCase = {
        code: asm(`mov ${disp}(%rip), %rax\nmov 0x20000200, %rbx\nmov %rbx, 0x20000200`),
        data: [dataAt(DATA_BASE + 0x200n, 0xdead_beef_cafe_f00dn, 8), dataAt(DATA_BASE + 0x208n, 42n, 8)],
      };
      const r = runNativeOne(c);
      expect(r.status).toBe('ok');
      expect(r.regs.rax).toBe(42n);
      expect(r.regs.rbx).toBe(0xdead_beef_cafe_f00dn);
      expect(r.dataChanges).toEqual([]);
    });

    it('the bytes above STACK_TOP can hold values for the snippet to pop', () => {
      const c: NativeCase = { code: asm('pop %rax\npop %rcx'), data: [dataAt(STACK_TOP, 11n, 8), dataAt(STACK_TOP + 8n, 22n, 8)] };
      const r = runNativeOne(c);
      expect([r.regs.rax, r.regs.rcx, r.regs.rsp]).toEqual([11n, 22n, STACK_TOP + 16n]);
    });

    it('call pushes the return address (forward call)', () => {
      const r = runNativeOne({ code: asm('call 1f\n1: pop %rax') });
      expect(r.status).toBe('ok');
      expect(r.regs.rax).toBe(CODE_BASE + 5n);
    });
  });

  describe('faults: the signal, trap number, error code and registers at the fault', () => {
    it('ud2 → SIGILL, trapno 6, RIP at the ud2', () => {
      const r = runNativeOne({ code: asm('mov $5, %eax\nud2'), regs: { rax: -1n } });
      expect(r.status).toBe('signal');
      expect(r.signal).toMatchObject({ signo: SIGILL, name: 'SIGILL', trapno: 6, code: 2 /* ILL_ILLOPN */, addr: CODE_BASE + 5n });
      expect(r.rip).toBe(CODE_BASE + 5n);
      expect(r.regs.rax).toBe(5n);
    });

    it('int3 → SIGTRAP, trapno 3, RIP after it', () => {
      const r = runNativeOne({ code: new Uint8Array([0x90, 0xcc, 0x90]) });
      expect(r.signal).toMatchObject({ signo: SIGTRAP, trapno: 3, code: SI_KERNEL });
      expect(r.rip).toBe(CODE_BASE + 2n);
    });

    it('a load from an unmapped address → SIGSEGV, trapno 14, user read of a not-present page, CR2 = the address', () => {
      const r = runNativeOne({ code: asm('mov (%rbx), %rax'), regs: { rbx: 0x3000_0000n, rax: 7n } });
      expect(r.signal).toMatchObject({ signo: SIGSEGV, trapno: 14, code: 1 /* SEGV_MAPERR */, addr: 0x3000_0000n, cr2: 0x3000_0000n });
      expect(r.signal!.err & 4n).toBe(4n); // user
      expect(r.signal!.err).toBe(4n); // not present, read, user
      expect(r.rip).toBe(CODE_BASE);
      expect(r.regs.rax).toBe(7n);
    });

    it('a store into the guard page above the data area → SIGSEGV, write bit in the error code', () => {
      const end = DATA_BASE + BigInt(DATA_SIZE);
      const r = runNativeOne({ code: asm('movl $1, (%rdi)'), regs: { rdi: end + 4n } });
      expect(r.signal).toMatchObject({ signo: SIGSEGV, trapno: 14, cr2: end + 4n, code: 2 /* SEGV_ACCERR */ });
      expect(r.signal!.err & 6n).toBe(6n); // write, user
    });

    it('a pop at the top of the data area runs into the guard page', () => {
      const r = runNativeOne({ code: asm('pop %rax'), regs: { rsp: DATA_BASE + BigInt(DATA_SIZE) - 4n } });
      expect(r.signal).toMatchObject({ signo: SIGSEGV, trapno: 14 });
    });

    it('a non-canonical address → SIGSEGV, trapno 13 (#GP)', () => {
      const r = runNativeOne({ code: asm('mov (%rbx), %rax'), regs: { rbx: 0x8000_0000_0000_0000n } });
      expect(r.signal).toMatchObject({ signo: SIGSEGV, trapno: 13, code: SI_KERNEL });
    });

    it('div by zero → SIGFPE, trapno 0, RIP at the div', () => {
      const r = runNativeOne({ code: asm('xor %ecx, %ecx\ndiv %rcx'), regs: { rax: 10n } });
      expect(r.signal).toMatchObject({ signo: SIGFPE, trapno: 0, code: 1 /* FPE_INTDIV */ });
      expect(r.rip).toBe(CODE_BASE + 2n);
    });

    it('hlt → SIGSEGV, trapno 13', () => {
      const r = runNativeOne({ code: new Uint8Array([0xf4]) });
      expect(r.signal).toMatchObject({ signo: SIGSEGV, trapno: 13, code: SI_KERNEL, err: 0n });
      expect(r.rip).toBe(CODE_BASE);
    });

    it('TF set on entry single-steps: SIGTRAP, trapno 1, after the first instruction', () => {
      const r = runNativeOne({ code: asm('inc %rax\ninc %rax'), rflags: 0x202n | FLAG.TF });
      expect(r.signal).toMatchObject({ signo: SIGTRAP, trapno: 1 });
      expect(r.rip).toBe(CODE_BASE + 3n);
      expect(r.regs.rax).toBe(1n);
    });

    it('AC set on entry: a misaligned load raises #AC (SIGBUS, trapno 17); an aligned one does not', () => {
      const [bad, good, leftSet] = runNative([
        { code: asm('mov 1(%rdi), %eax'), regs: { rdi: DATA_BASE }, rflags: 0x202n | FLAG.AC },
        { code: asm('mov 4(%rdi), %eax'), regs: { rdi: DATA_BASE }, rflags: 0x202n | FLAG.AC },
        { code: asm('push %rax\npopf'), regs: { rax: 0x202n | FLAG.AC }, unchecked: true },
      ]);
      expect(bad!.signal).toMatchObject({ signo: 7, name: 'SIGBUS', trapno: 17, code: 1 /* BUS_ADRALN */ });
      expect(bad!.rflags & FLAG.RF).toBe(FLAG.RF); // a fault's RFLAGS image has RF set
      expect(good!.status).toBe('ok');
      expect(leftSet!.status).toBe('ok');
      expect(leftSet!.rflags).toBe(0x202n | FLAG.AC);
    });

    it('CR2 is reported for page faults only (the kernel keeps a stale one otherwise)', () => {
      const [pf, ud] = runNative([{ code: asm('mov 0x30000000, %eax') }, { code: asm('ud2') }]);
      expect(pf!.signal!.cr2).toBe(0x3000_0000n);
      expect(ud!.signal!.cr2).toBe(0n);
    });

    it('faulting and clean cases interleave in one batch', () => {
      const ok = { code: asm('inc %rax') };
      const bad = { code: asm('ud2') };
      const rs = runNative([ok, bad, ok, bad, ok]);
      expect(rs.map((r) => r.status)).toEqual(['ok', 'signal', 'ok', 'signal', 'ok']);
      expect(rs.map((r) => r.regs.rax)).toEqual([1n, 0n, 1n, 0n, 1n]);
    });
  });

  describe('XMM and MXCSR', () => {
    it('pxor zeroes a register; paddd adds lanes with wrap-around', () => {
      const r = runNativeOne({
        code: asm('pxor %xmm1, %xmm1\npaddd %xmm3, %xmm2'),
        xmm: [undefined, 0x1234n, 0x7fff_ffff_0000_0001_ffff_ffff_0000_0005n, 0x0000_0001_0000_0002_0000_0001_0000_0003n],
      });
      expect(r.status).toBe('ok');
      expect(r.xmm[1]).toBe(0n);
      expect(r.xmm[2]).toBe(0x8000_0000_0000_0003_0000_0000_0000_0008n);
      expect(r.xmm[3]).toBe(0x0000_0001_0000_0002_0000_0001_0000_0003n);
    });

    it('divsd by zero sets ZE in MXCSR when masked; unmasked it raises #XM (SIGFPE, trapno 19)', () => {
      const one = 0x3ff0_0000_0000_0000n; // 1.0
      const base = { code: asm('divsd %xmm1, %xmm0'), xmm: [one, 0n] };
      const [masked, unmasked] = runNative([base, { ...base, mxcsr: 0x1f80 & ~0x200 }]);
      expect(masked!.status).toBe('ok');
      expect(masked!.xmm[0]).toBe(0x7ff0_0000_0000_0000n); // +inf
      expect(masked!.mxcsr).toBe(0x1f80 | 0x4);
      expect(unmasked!.signal).toMatchObject({ signo: SIGFPE, trapno: 19, code: 3 /* FPE_FLTDIV */ });
      expect(unmasked!.mxcsr & 0x4).toBe(0x4); // the fault's fpstate shows the pending flag
    });

    it('ldmxcsr/stmxcsr go through the data area', () => {
      const c: NativeCase = { code: asm('ldmxcsr 0x20000010\nstmxcsr 0x20000020'), data: [dataAt(DATA_BASE + 0x10n, 0x7f80n, 4)] };
      const r = runNativeOne(c);
      expect(r.mxcsr).toBe(0x7f80);
      expect(readData(c, r, DATA_BASE + 0x20n, 4)).toBe(0x7f80n);
    });
  });

  describe('the static check and the watchdog', () => {
    it('refuses code that could loop or enter the kernel, accepts forward branches', () => {
      expect(checkSnippet(new Uint8Array([0xeb, 0xfe]))).toMatch(/backward/);
      expect(checkSnippet(asm('ret'))).toMatch(/return/);
      expect(checkSnippet(asm('syscall'))).toMatch(/kernel/);
      expect(checkSnippet(asm('int $0x80'))).toMatch(/system call/);
      expect(checkSnippet(asm('jmp *%rax'))).toMatch(/indirect/);
      expect(checkSnippet(asm('wrfsbase %rax'))).toMatch(/TLS/);
      expect(checkSnippet(asm('mov %eax, %fs'))).toMatch(/FS or GS/);
      expect(checkSnippet(new Uint8Array([0x48, 0x8b]))).toMatch(/middle of an instruction/);
      expect(checkSnippet(asm('jz 1f\ninc %rax\n1:'))).toBeUndefined();
      expect(checkSnippet(asm('jz 1f\n1: inc %rax\n2:'))).toBeUndefined();
      expect(() => runNative([{ code: new Uint8Array([0xeb, 0xfe]) }])).toThrow(/refused: backward/);
    });

    it('an endless loop run unchecked ends with a clear watchdog error', () => {
      expect(() => runNative([{ code: asm('inc %rax'), unchecked: true }, { code: new Uint8Array([0xeb, 0xfe]), unchecked: true }], { timeoutSeconds: 1 })).toThrow(
        /watchdog.*case #1/,
      );
    });

    it('ret works when the case is unchecked', () => {
      const r = runNativeOne({ code: asm('call 1f\njmp 2f\n1: ret\n2: nop'), unchecked: true });
      expect(r.status).toBe('ok');
      expect(r.rip).toBe(CODE_BASE + 9n);
      expect(r.regs.rsp).toBe(STACK_TOP);
    });
  });

  it('10,000 random add/sub cases over all operand sizes match an independent model of the flags, in a few seconds', () => {
    const texts: { text: string; op: 'add' | 'sub'; bits: OperandBits }[] = [];
    for (const op of ['add', 'sub'] as const) {
      texts.push(
        { text: `${op} %bl, %al`, op, bits: 8 },
        { text: `${op} %bx, %ax`, op, bits: 16 },
        { text: `${op} %ebx, %eax`, op, bits: 32 },
        { text: `${op} %rbx, %rax`, op, bits: 64 },
      );
    }
    const bytes = assemble(texts.map((f) => f.text));
    const forms = texts.map((t, i) => ({ name: t.text, code: bytes[i]!, bits: t.bits, df: true, op: t.op }));
    const generated = generateCases(forms, 10_000, 2024);
    const t0 = performance.now();
    const results = runNative(generated.map((g) => g.case));
    const ms = performance.now() - t0;
    console.log(`native harness: ${generated.length} cases in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5000);

    const failures: string[] = [];
    results.forEach((r, i) => {
      const { form, case: c } = generated[i]!;
      const f = forms.find((x) => x.name === form.name)!;
      const m = mask(f.bits);
      const sign = 1n << BigInt(f.bits - 1);
      const a = c.regs!.rax! & m;
      const b = c.regs!.rbx! & m;
      const res = (f.op === 'add' ? a + b : a - b) & m;
      const cf = f.op === 'add' ? a + b > m : a < b;
      const of = f.op === 'add' ? ((a ^ res) & (b ^ res) & sign) !== 0n : ((a ^ b) & (a ^ res) & sign) !== 0n;
      let rflags = c.rflags! & ~ARITH;
      if (cf) rflags |= FLAG.CF;
      if (parityEven(res)) rflags |= FLAG.PF;
      if (((a ^ b ^ res) & 0x10n) !== 0n) rflags |= FLAG.AF;
      if (res === 0n) rflags |= FLAG.ZF;
      if ((res & sign) !== 0n) rflags |= FLAG.SF;
      if (of) rflags |= FLAG.OF;
      // 32-bit writes zero the upper half; 8/16-bit writes keep it.
      const rax = f.bits === 32 ? res : (c.regs!.rax! & ~m) | res;
      const expected: NativeResult = {
        status: 'ok',
        regs: { ...(c.regs as Required<NonNullable<NativeCase['regs']>>), rax },
        rip: CODE_BASE + BigInt(c.code.length),
        rflags,
        xmm: Array.from({ length: 16 }, () => 0n),
        mxcsr: 0x1f80,
        dataChanges: [],
      };
      const diffs = compareResults(expected, r);
      if (diffs.length > 0 && failures.length < 10) failures.push(`${describeCase(form, c)}: ${diffs.join('; ')}`);
    });
    expect(failures).toEqual([]);
    const sizes = new Set(generated.map((g) => g.form.name));
    expect(sizes.size).toBe(8);
  });

  it('survives arbitrary code: 3,000 random byte strings that pass the static check', () => {
    const rng = new Prng(7);
    const cases: NativeCase[] = [];
    while (cases.length < 3000) {
      const code = rng.bytes(rng.range(1, 16));
      if (checkSnippet(code) === undefined) cases.push({ code, regs: rng.gprs({ rsp: STACK_TOP }), rflags: rng.rflags({ df: true }) });
    }
    const results = runNative(cases);
    const kinds = new Set(results.map((r) => (r.status === 'ok' ? 'ok' : r.signal!.name)));
    expect([...kinds].every((k) => ['ok', 'SIGSEGV', 'SIGILL', 'SIGBUS', 'SIGTRAP', 'SIGFPE'].includes(k))).toBe(true);
    expect(kinds.has('ok') && kinds.has('SIGSEGV') && kinds.has('SIGILL')).toBe(true);
  });

  it('compareResults names each difference', () => {
    const c: NativeCase = { code: asm('inc %rax') };
    const r = runNativeOne(c);
    const other: NativeResult = { ...r, regs: { ...r.regs, rcx: 1n }, rflags: r.rflags ^ FLAG.CF, dataChanges: [{ offset: 4, bytes: new Uint8Array([1]) }] };
    expect(compareResults(r, r)).toEqual([]);
    expect(compareResults(r, other)).toEqual(['rcx: 0x0 vs 0x1', 'rflags: 0x202 vs 0x203 (mask 0xffffffff)', 'data changes: [] vs [4:01]']);
    expect(compareResults(r, other, { flagsMask: ~FLAG.CF, data: false })).toEqual(['rcx: 0x0 vs 0x1']);
  });
});
