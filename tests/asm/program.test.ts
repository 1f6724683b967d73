/**
 * Oracle 3: whole programs with labels, numeric local labels, forward
 * references, branch relaxation at the rel8 boundary, expressions, alignment
 * and data directives (including `.quad label` jump tables). Where GNU as is
 * present the bytes are compared with `as` (+ `ld -Ttext=ORIGIN` when the
 * program holds absolute addresses of labels); the expected values are also
 * pinned directly so the tests say what they check.
 */
import { describe, expect, it } from 'vitest';
import { AsmError, assemble } from '../../src/asm/index.js';
import { KentryError } from '../../src/lib/errors.js';
import { HAVE_GAS, HAVE_LD, gasLinked, gasText, hexOf } from './gas.js';

const ORIGIN = 0x401000n;

function hex(src: string, origin: bigint = 0n): string {
  return hexOf(assemble(src, { origin }).bytes);
}

const PROGRAM = `
/* A small program in the style of an entry stub. */
        .globl  entry, table
        .set    FRAME, 0x20          # a constant
        NR_MAX = 3
entry:  endbr64
        swapgs
        movq    %rsp, %gs:0x18
        pushq   $0x2b ; pushq %rax
        subq    $FRAME, %rsp
        cmpq    $NR_MAX, %rax
        ja      1f
        leaq    table(%rip), %rcx
        movq    (%rcx,%rax,8), %rcx
        call    *%rcx
        jmp     2f
1:      movq    $-38, %rax            # -ENOSYS
2:      addq    $FRAME, %rsp
        testl   %eax, %eax
        jz      1f
        call    handler
1:      jmp     1b
handler:
        movl    $entry, %eax
        movq    $table, %rdx
        lea     table+8(%rip), %rsi
        mov     table(,%rax,8), %rdi
        ret
        .p2align 4
table:  .quad   entry, handler, 2b, table + 8
        .long   handler - entry, . - table
        .word   NR_MAX * 2 + 1
        .byte   'A', 0x7f, -1
        .ascii  "kentry\\n"
        .asciz  "a\\tb"
        .string "\\x41\\101"
        .skip   3, 0xcc
        .fill   2, 4, 0x11223344
        .balign 8, 0
end:
        .quad   end - table
`;

describe('programs with labels and directives', () => {
  it.skipIf(!HAVE_GAS || !HAVE_LD)('a stub-like program is byte-identical with as + ld at the same origin', () => {
    expect(hex(PROGRAM, ORIGIN)).toBe(hexOf(gasLinked(PROGRAM, ORIGIN)));
  });

  it('gives symbols absolute addresses, marks globals, hides numeric local labels', () => {
    const r = assemble(PROGRAM, { origin: ORIGIN });
    expect(r.symbols.get('entry')).toBe(ORIGIN);
    expect(r.symbols.get('FRAME')).toBe(0x20n);
    expect(r.symbols.get('NR_MAX')).toBe(3n);
    expect((r.symbols.get('table')! - ORIGIN) % 16n).toBe(0n);
    expect([...r.globals].sort()).toEqual(['entry', 'table']);
    expect([...r.symbols.keys()].some((k) => /^\d/.test(k))).toBe(false);
    // The jump table holds the absolute address of entry, little-endian.
    const t = Number(r.symbols.get('table')! - ORIGIN);
    const view = new DataView(r.bytes.buffer, r.bytes.byteOffset);
    expect(view.getBigUint64(t, true)).toBe(ORIGIN);
    expect(view.getBigUint64(t + 8, true)).toBe(r.symbols.get('handler'));
  });

  it('works at a kernel-text origin (sign-extended 32-bit addresses)', () => {
    const origin = 0xffffffff81000000n;
    const r = assemble('start: movq $start, %rax\n.quad start\nmov start(,%rax,8), %rcx', { origin });
    expect(hexOf(r.bytes)).toBe('48 c7 c0 00 00 00 81 00 00 00 81 ff ff ff ff 48 8b 0c c5 00 00 00 81');
    expect(r.symbols.get('start')).toBe(origin);
  });

  it('lists each statement with its offset and size', () => {
    const r = assemble('a: nop\n  movl $1, %eax ; ret\n.byte 1,2\n');
    expect(r.lines.map((l) => [l.line, l.kind, l.offset, l.size])).toEqual([
      [1, 'instruction', 0, 1],
      [2, 'instruction', 1, 5],
      [2, 'instruction', 6, 1],
      [3, 'data', 7, 2],
    ]);
  });
});

describe('branch relaxation', () => {
  /** Forward: `jmp 1f; .skip N; 1:` has displacement N. Backward: `1: .skip N; jmp 1b` has -(N + 2). */
  const cases: { name: string; src: (n: number) => string; shortUpTo: number; shortSize: number; longSize: number }[] = [
    { name: 'jmp forward', src: (n) => `jmp 1f\n.skip ${n}\n1: nop`, shortUpTo: 127, shortSize: 2, longSize: 5 },
    { name: 'jne forward', src: (n) => `jne 1f\n.skip ${n}\n1: nop`, shortUpTo: 127, shortSize: 2, longSize: 6 },
    { name: 'jmp backward', src: (n) => `1: .skip ${n}\njmp 1b`, shortUpTo: 126, shortSize: 2, longSize: 5 },
    { name: 'jl backward', src: (n) => `1: .skip ${n}\njl 1b`, shortUpTo: 126, shortSize: 2, longSize: 6 },
  ];
  for (const c of cases) {
    it(`${c.name}: rel8 up to the boundary, rel32 one byte past it`, () => {
      for (const n of [c.shortUpTo - 1, c.shortUpTo, c.shortUpTo + 1, c.shortUpTo + 2]) {
        const bytes = assemble(c.src(n)).bytes;
        const expectShort = n <= c.shortUpTo;
        expect(bytes.length - n - (c.name.includes('forward') ? 1 : 0), `${c.name} over ${n} bytes`).toBe(expectShort ? c.shortSize : c.longSize);
        if (HAVE_GAS) expect(hexOf(bytes), `${c.name} over ${n} bytes vs as`).toBe(hexOf(gasText(c.src(n))));
      }
    });
  }

  it.skipIf(!HAVE_GAS)('growing one branch pushes another past the boundary (cascade), as GNU as does', () => {
    const src = ['jmp 2f', 'je 1f', '.skip 124', 'nop', '1: jmp 2f', '.skip 120', 'jne 1b', '2: ret', '3: jmp 3b', 'jmp 3b', 'jz 3b'].join('\n');
    expect(hex(src)).toBe(hexOf(gasText(src)));
    for (const pad of [118, 119, 120, 121, 122, 123, 124, 125, 126]) {
      const s = `a: jmp b\nje a\n.skip ${pad}\njne a\nb: jmp a\n.skip 2\njmp c\nc: ret`;
      expect(hex(s), `pad ${pad}`).toBe(hexOf(gasText(s)));
    }
  });

  it('call is always rel32; a rel8-only branch out of range is an error', () => {
    expect(hex('call 1f\n1: ret')).toBe('e8 00 00 00 00 c3');
    expect(() => assemble('1: .skip 200\nloop 1b')).toThrow(/line 2: branch target out of range/);
  });
});

describe('expressions and directives', () => {
  it.skipIf(!HAVE_GAS)('operators and precedence follow GNU as (bitwise binds tighter than + and -)', () => {
    const src = [
      '.quad 1+2*3, (1<<4)|1, ~0, -1, 7/2, 7%3, 0x10>>2, 1+2&3, 6-2|1, 2*3+4, -(3-5), 0b101, 017, 0x1F',
      ".byte 'a, 'b', '\\n",
      '.set X, 5',
      'Y = X * 2',
      '.long Y - X, X << 3',
      's: .long . - s, e - s',
      'e: .equ Z, e - s',
      '.short Z',
    ].join('\n');
    expect(hex(src)).toBe(hexOf(gasText(src)));
    const r = assemble(src);
    expect(r.symbols.get('Y')).toBe(10n);
    expect(r.symbols.get('Z')).toBe(8n);
  });

  it.skipIf(!HAVE_GAS)('.align/.p2align/.balign pad code with the NOPs GNU as uses, data with the fill byte', () => {
    for (let n = 0; n < 40; n++) {
      const src = `.skip ${n}, 0xcc\n.p2align 5\nret\n.align 8\n.balign 16, 0x90\n.p2align 6,,10\nint3\n.p2align 4, 0xcc\nhlt`;
      expect(hex(src), `after ${n} bytes`).toBe(hexOf(gasText(src)));
    }
  });

  it('a symbol used before its .set gets a full-size field, as in GNU as', () => {
    // Known constant: disp8. Forward reference: disp32, patched after layout.
    expect(hex('.set K, 8\nmov K(%rax), %ecx')).toBe('8b 48 08');
    expect(hex('mov K(%rax), %ecx\n.set K, 8')).toBe('8b 88 08 00 00 00');
    if (HAVE_GAS) expect(hex('mov K(%rax), %ecx\nadd $K, %eax\n.set K, 8')).toBe(hexOf(gasText('mov K(%rax), %ecx\nadd $K, %eax\n.set K, 8')));
  });
});

describe('errors: one line, with the line number, no output', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown mnemonic', 'nop\nmovz %al, %eax', /^line 2: unknown instruction 'movz' in 'movz %al, %eax'$/],
    ['bad register', 'mov %rzx, %rax', /^line 1: bad register name '%rzx' in 'mov %rzx, %rax'$/],
    ['ambiguous size', 'nop\n\ninc (%rax)', /^line 3: no instruction mnemonic suffix given and no register operands; can't size 'inc' in 'inc \(%rax\)'$/],
    ['ambiguous immediate to memory', 'movq %rax, %rbx\nadd $1, 8(%rsp)', /^line 2: no instruction mnemonic suffix/],
    ['mismatched registers', 'mov %eax, %rbx', /^line 1: operand size mismatch for 'mov'/],
    ['wrong suffix', 'movl %rax, %rbx', /^line 1: incorrect register '%rax' used with 'l' suffix/],
    ['undefined symbol', 'jmp nowhere', /^line 1: undefined symbol 'nowhere' in 'jmp nowhere'$/],
    ['undefined symbol in data', '.quad 1\n.quad missing + 8', /^line 2: undefined symbol 'missing'/],
    ['undefined local label', 'jmp 1f', /^line 1: undefined symbol 'local label 1'/],
    ['local label backward without definition', 'jmp 1b', /^line 1: no previous definition of local label '1'/],
    ['immediate out of range (byte)', 'mov $256, %al', /^line 1: immediate 0x100 out of range for imm8 field in 'mov \$256, %al'$/],
    ['immediate out of range (imm32s)', 'add $0x80000000, %rax', /^line 1: immediate 0x80000000 out of range/],
    ['value out of range', '.byte 300', /^line 1: value 0x12c out of range/],
    ['duplicate label', 'a: nop\nb: nop\na: ret', /^line 3: symbol 'a' is already defined \(line 1\) in 'a: ret'$/],
    ['REX with a high byte register', 'mov %ah, %sil', /^line 1: can't encode register '%ah' in an instruction requiring REX prefix/],
    ['unknown directive', '.frobnicate 1', /^line 1: unknown directive '.frobnicate'/],
    ['global never defined', '.globl f\nnop', /^line 1: global symbol 'f' is never defined/],
    ['bad operand combination', 'movl (%rax), (%rbx)', /^line 1: operand type mismatch for 'movl'/],
    ['rsp as index', 'mov (%rax,%rsp), %eax', /^line 1: '%rsp' cannot be an index register/],
  ];
  it.each(cases)('%s', (_name, src, message) => {
    let caught: unknown;
    try {
      assemble(src);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AsmError);
    expect(caught).toBeInstanceOf(KentryError);
    const e = caught as AsmError;
    expect(e.code).toBe('asm');
    expect(e.message).toMatch(message);
    expect(e.message.includes('\n')).toBe(false);
    expect(e.line).toBe(Number(/^line (\d+)/.exec(e.message)![1]));
  });
});
