/**
 * The instruction corpus: every instruction and operand form the assembler
 * supports, generated as AT&T lines (one instruction per line, no labels),
 * so each line can be compared byte for byte with GNU as and decoded with
 * iced-x86. Constants used in displacements are `.set` first (PREAMBLE).
 */

/** Symbols every corpus line may use; defined before the corpus. */
export const PREAMBLE = ['.set K8, 8', '.set K32, 0x12345', '.set NEG, -4'];

const R64 = ['%rax', '%rcx', '%rsp', '%rbp', '%rsi', '%r8', '%r12', '%r13', '%r15'];
const R32 = ['%eax', '%ecx', '%edx', '%esp', '%ebp', '%edi', '%r8d', '%r13d', '%r15d'];
const R16 = ['%ax', '%cx', '%sp', '%si', '%r9w', '%r15w'];
const R8 = ['%al', '%cl', '%dl', '%ah', '%bh', '%spl', '%bpl', '%sil', '%dil', '%r8b', '%r15b'];
const REGS: Record<string, string[]> = { b: R8, w: R16, l: R32, q: R64 };

/** Memory operands: no base, SIB, rbp/r13/rsp/r12 special cases, disp8/disp32, RIP, FS/GS, constants. */
export const MEMS = [
  '(%rax)',
  '(%rsp)',
  '(%rbp)',
  '(%r12)',
  '(%r13)',
  '8(%rax)',
  '-8(%rbp)',
  '0x7f(%rcx)',
  '0x80(%rdx)',
  '-0x80(%rsi)',
  '-0x81(%rdi)',
  '0x12345678(%r11)',
  '0(%rbx)',
  '(%rax,%rcx)',
  '4(%rax,%rbx,2)',
  '-16(%rsp,%r9,8)',
  '0x1000(,%rcx,4)',
  '(,%r14,8)',
  '(%r13,%r12,1)',
  '0x1234',
  '%fs:0x28',
  '%gs:8(%rax)',
  '%fs:(%r8,%rdi,4)',
  '0x10(%rip)',
  '-0x100(%rip)',
  'K8(%rax)',
  'K32(%rbx,%rsi,8)',
  'NEG(%rsp)',
  'K8*2+1(%r10)',
  '(%eax)',
  '8(%ebx,%ecx,4)',
];
/** A smaller set for forms where the address part is not the point. */
const SOME_MEMS = ['(%rax)', '-8(%rbp)', '0x80(%rsp,%r9,8)', '%gs:0x10', '0x20(%rip)', '(%r13)'];

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const SIZES = ['b', 'w', 'l', 'q'] as const;
const CONDS = ['o', 'no', 'b', 'c', 'nae', 'ae', 'nb', 'nc', 'e', 'z', 'ne', 'nz', 'be', 'na', 'a', 'nbe', 's', 'ns', 'p', 'pe', 'np', 'po', 'l', 'nge', 'ge', 'nl', 'le', 'ng', 'g', 'nle'];

const HIGH8 = /^%[abcd]h$/;
const NEEDS_REX = /%(spl|bpl|sil|dil|r\d+[bwdl]?)\b/;

/** Replaces %ah..%bh in a line that also needs a REX prefix (no encoding exists for that). */
function rexSafe(line: string): string {
  const needsRex = NEEDS_REX.test(line) || /\b[a-z]+q\b/.test(line.split(' ')[0]!);
  if (!needsRex) return line;
  return line.replace(/%([abcd])h\b/g, '%$1l');
}

function pick<T>(xs: readonly T[], n: number, offset = 0): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[(i * 3 + offset) % xs.length]!);
  return out;
}

export function corpus(): string[] {
  const out: string[] = [];
  const L = (s: string): void => void out.push(rexSafe(s));

  // ALU: every op x size x form.
  ALU.forEach((op, k) => {
    for (const s of SIZES) {
      const r = REGS[s]!;
      const [a, b, c] = pick(r, 3, k);
      L(`${op} ${a}, ${b}`);
      L(`${op}${s} ${c}, ${a}`);
      for (const m of pick(MEMS, 3, k * 4 + s.charCodeAt(0))) {
        L(`${op} ${m}, ${b}`);
        L(`${op} ${a}, ${m}`);
      }
      L(`${op} $1, ${b}`);
      L(`${op} $-128, ${c}`);
      L(`${op} $0x7f, ${r[0]}`);
      L(`${op}${s} $${s === 'b' ? '0x55' : '0x1234'}, ${b}`);
      L(`${op}${s} $${s === 'b' ? '0x80' : '0x1000'}, ${r[0]}`);
      L(`${op}${s} $-1, ${pick(MEMS, 1, k + 7)[0]}`);
      L(`${op}${s} $${s === 'b' ? '200' : '300'}, ${pick(MEMS, 1, k + 11)[0]}`);
      L(`${op}${s} $K8, ${pick(MEMS, 1, k + 13)[0]}`);
      if (s === 'l') L(`${op}l $0xffffffff, %ecx`);
      if (s === 'w') L(`${op}w $0xffff, %dx`);
    }
  });
  // test
  for (const s of SIZES) {
    const r = REGS[s]!;
    L(`test ${r[1]}, ${r[2]}`);
    L(`test ${r[0]}, (%rax)`);
    L(`test (%rbx), ${r[3]}`);
    L(`test $${s === 'b' ? '1' : '0x100'}, ${r[0]}`);
    L(`test $1, ${r[2]}`);
    L(`test${s} $7, 8(%rbp)`);
  }
  // Shifts and rotates.
  for (const op of ['rol', 'ror', 'rcl', 'rcr', 'shl', 'sal', 'shr', 'sar']) {
    for (const s of SIZES) {
      const r = REGS[s]!;
      L(`${op} ${r[1]}`);
      L(`${op} $1, ${r[2]}`);
      L(`${op} $5, ${r[4]}`);
      L(`${op} %cl, ${r[5]}`);
      L(`${op}${s} $3, -8(%rbp)`);
      L(`${op}${s} %cl, (%r12)`);
      L(`${op}${s} 0x10(%rip)`);
    }
  }
  for (const op of ['shld', 'shrd']) {
    for (const s of ['w', 'l', 'q']) {
      const r = REGS[s]!;
      L(`${op} $4, ${r[1]}, ${r[2]}`);
      L(`${op} %cl, ${r[3]}, ${r[5]}`);
      L(`${op} ${r[0]}, ${r[4]}`);
      L(`${op}${s} $63, ${r[1]}, 8(%rax,%rbx,4)`);
    }
  }
  // Unary groups, multiply, divide.
  for (const op of ['inc', 'dec', 'neg', 'not', 'mul', 'div', 'idiv', 'imul']) {
    for (const s of SIZES) {
      const r = REGS[s]!;
      L(`${op} ${r[1]}`);
      L(`${op} ${r[r.length - 1]}`);
      L(`${op}${s} ${pick(SOME_MEMS, 1, s.charCodeAt(0))[0]}`);
    }
  }
  for (const s of ['w', 'l', 'q']) {
    const r = REGS[s]!;
    L(`imul ${r[1]}, ${r[2]}`);
    L(`imul (%rax), ${r[4]}`);
    L(`imul $3, ${r[1]}`);
    L(`imul $1000, ${r[2]}`);
    L(`imul $-2, ${r[3]}, ${r[0]}`);
    L(`imul $0x1234, 8(%rsp), ${r[r.length - 1]}`);
  }
  // mov: every form.
  for (const s of SIZES) {
    const r = REGS[s]!;
    L(`mov ${r[0]}, ${r[1]}`);
    L(`mov ${r[5]}, ${r[r.length - 1]}`);
    L(`mov${s} ${r[2]}, ${r[3]}`);
    for (const m of pick(MEMS, 5, s.charCodeAt(0))) {
      L(`mov ${m}, ${r[1]}`);
      L(`mov ${r[2]}, ${m}`);
    }
    L(`mov $1, ${r[0]}`);
    L(`mov $-1, ${r[r.length - 1]}`);
    L(`mov${s} $0x7f, ${pick(MEMS, 1, s.charCodeAt(0) + 3)[0]}`);
    L(`mov $K8, ${r[3]}`);
  }
  L('mov $0x7fffffff, %rax');
  L('mov $0xffffffff, %rax');
  L('mov $-0x80000000, %r9');
  L('mov $0x123456789abcdef0, %r11');
  L('movabs $0x123456789abcdef0, %rdx');
  L('movabs $1, %rax');
  L('movabs 0x1122334455667788, %al');
  L('movabs 0x1122334455667788, %rax');
  L('movabs %eax, 0x1122334455667788');
  L('movabs %ax, 0x10');
  L('movq $-1, (%rax)');
  L('movq %rax, %rcx');
  L('mov %fs:0, %rax');
  L('mov %gs:0x18, %rsp');
  L('movq %rsp, %gs:0x18');
  for (const seg of ['%es', '%cs', '%ss', '%ds', '%fs', '%gs']) {
    L(`mov ${seg}, %eax`);
    L(`mov ${seg}, %r9d`);
    L(`mov ${seg}, %ax`);
    L(`mov ${seg}, (%rbx)`);
    L(`mov ${seg}, %rax`);
    if (seg !== '%cs') {
      L(`mov %eax, ${seg}`);
      L(`mov %ax, ${seg}`);
      L(`mov %r10, ${seg}`);
      L(`mov (%rdx), ${seg}`);
    }
  }
  for (const cr of ['%cr0', '%cr2', '%cr3', '%cr4', '%cr8']) {
    L(`mov ${cr}, %rax`);
    L(`mov ${cr}, %r11`);
    L(`mov %rdi, ${cr}`);
    L(`mov %r14, ${cr}`);
  }
  L('mov %db7, %rax');
  L('mov %rax, %db0');
  L('mov %dr6, %r9');
  L('addq $0xFFFFFFFFFFFFFF80, %r12');
  L('pushq $0xFFFFFFFFFFFFFFFF');
  L('imul $0xFFFFFFFFFFFFFFFE, %rbp, %rax');
  // Extensions.
  const ext: [string, string, string][] = [
    ['movzbw', '%al', '%cx'],
    ['movzbl', '%sil', '%eax'],
    ['movzbl', '%ah', '%edx'],
    ['movzbq', '%r9b', '%r10'],
    ['movzwl', '%ax', '%ebx'],
    ['movzwq', '%r15w', '%rax'],
    ['movsbw', '%dil', '%ax'],
    ['movsbl', '%cl', '%r8d'],
    ['movsbq', '%al', '%rax'],
    ['movswl', '%si', '%edi'],
    ['movswq', '%ax', '%r12'],
    ['movslq', '%eax', '%rax'],
    ['movslq', '%r13d', '%r14'],
    ['movzx', '%bl', '%ecx'],
    ['movzx', '%dx', '%rsi'],
    ['movsx', '%cl', '%rdx'],
    ['movsx', '%ax', '%r9d'],
  ];
  for (const [m, a, b] of ext) L(`${m} ${a}, ${b}`);
  for (const m of ['movzbl', 'movzwl', 'movsbq', 'movswq', 'movslq', 'movzbw', 'movsbl']) L(`${m} 8(%rsi,%rcx,2), ${m.endsWith('q') ? '%r8' : m.endsWith('w') ? '%dx' : '%eax'}`);
  // lea, xchg, cmpxchg, xadd, bswap, accumulator extensions.
  for (const m of MEMS.filter((x) => !x.includes('%fs') && !x.includes('%gs'))) L(`lea ${m}, %rax`);
  L('lea 8(%rax), %ecx');
  L('lea -1(%rbx,%rcx), %r9w');
  L('leaq 0x10(%rip), %r15');
  for (const s of SIZES) {
    const r = REGS[s]!;
    L(`xchg ${r[1]}, ${r[2]}`);
    L(`xchg ${r[0]}, ${r[3]}`);
    L(`xchg ${r[4]}, ${r[0]}`);
    L(`xchg ${r[1]}, (%rax)`);
    L(`xchg 8(%rsp), ${r[2]}`);
    L(`cmpxchg ${r[1]}, ${r[2]}`);
    L(`lock cmpxchg ${r[3]}, (%rdi)`);
    L(`xadd ${r[2]}, ${r[1]}`);
    L(`lock xadd ${r[0]}, %gs:0x40`);
  }
  L('xchg %eax, %eax');
  L('xchg %rax, %rax');
  L('xchg %ax, %ax');
  L('xchg %r8, %rax');
  L('cmpxchg16b (%rdi)');
  L('lock cmpxchg16b 0x10(%rsp)');
  L('cmpxchg8b (%r8)');
  for (const r of ['%eax', '%ecx', '%r9d', '%rax', '%rdx', '%r15']) L(`bswap ${r}`);
  for (const m of ['cbw', 'cwde', 'cdqe', 'cwd', 'cdq', 'cqo', 'cbtw', 'cwtl', 'cltq', 'cwtd', 'cltd', 'cqto']) L(m);
  // Bit tests and scans.
  for (const op of ['bt', 'bts', 'btr', 'btc']) {
    for (const s of ['w', 'l', 'q']) {
      const r = REGS[s]!;
      L(`${op} ${r[1]}, ${r[2]}`);
      L(`${op} ${r[3]}, (%rax)`);
      L(`${op} $5, ${r[4]}`);
      L(`${op}${s} $31, 8(%rbp)`);
    }
    if (op !== 'bt') L(`lock ${op} %rax, (%rdx)`);
  }
  for (const op of ['bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt']) {
    for (const s of ['w', 'l', 'q']) {
      const r = REGS[s]!;
      L(`${op} ${r[1]}, ${r[2]}`);
      L(`${op} (%r13), ${r[r.length - 1]}`);
      L(`${op}${s} 0x10(%rip), ${r[0]}`);
    }
  }
  // setcc / cmovcc with every alias.
  CONDS.forEach((cc, i) => {
    L(`set${cc} ${R8[i % R8.length]}`);
    L(`set${cc} ${pick(SOME_MEMS, 1, i)[0]}`);
    L(`cmov${cc} ${R32[i % R32.length]}, ${R32[(i + 1) % R32.length]}`);
    L(`cmov${cc}q ${pick(SOME_MEMS, 1, i + 1)[0]}, ${R64[i % R64.length]}`);
    L(`cmov${cc} ${R16[i % R16.length]}, ${R16[(i + 2) % R16.length]}`);
  });
  // Stack.
  for (const r of [...R64, '%rbx', '%rdi', '%r9', '%r14', '%ax', '%r8w']) {
    L(`push ${r}`);
    L(`pop ${r}`);
  }
  for (const m of SOME_MEMS) {
    L(`pushq ${m}`);
    L(`popq ${m}`);
  }
  L('pushw (%rax)');
  L('popw 8(%rsp)');
  L('push $1');
  L('push $-128');
  L('push $0x80');
  L('push $0x12345678');
  L('pushq $K32');
  L('pushw $0x1234');
  L('push %fs');
  L('push %gs');
  L('pop %fs');
  L('pop %gs');
  for (const m of ['pushf', 'pushfq', 'popf', 'popfq', 'pushfw', 'popfw']) L(m);
  // Indirect branches, returns.
  for (const op of ['call', 'jmp']) {
    for (const r of ['%rax', '%rcx', '%r8', '%r15', '%rsp']) L(`${op} *${r}`);
    for (const m of ['8(%rsp)', '(%rax,%rcx,8)', '0x10(%rip)', '%gs:0x30', '(%r13)', '0x1000']) L(`${op} *${m}`);
    L(`${op}q *%rdx`);
  }
  L('ret');
  L('retq');
  L('ret $8');
  L('ret $0x1000');
  L('lretl');
  L('lretq');
  L('enter $0x20, $0');
  L('enter $8, $1');
  L('leave');
  L('leaveq');
  // String instructions and prefixes.
  for (const op of ['movs', 'cmps', 'scas', 'lods', 'stos']) {
    for (const s of SIZES) {
      L(`${op}${s}`);
      L(`rep ${op}${s}`);
    }
  }
  for (const p of ['repe', 'repz', 'repne', 'repnz']) {
    L(`${p} cmpsb`);
    L(`${p} scasq`);
  }
  L('movsb (%rsi), (%rdi)');
  L('scasq (%rdi), %rax');
  L('stos %al, (%rdi)');
  L('stos %eax, %es:(%rdi)');
  L('lods (%rsi), %eax');
  L('rep stosq %rax, (%rdi)');
  L('insb %dx, (%rdi)');
  L('insb');
  L('outsl');
  L('rep stosq');
  L('lock incl (%rax)');
  L('lock addq $1, %gs:0x10');
  L('lock orb $1, (%rbx)');
  L('lock decw 8(%rdi)');
  L('lock notq (%rcx)');
  L('lock btsq $3, (%rsi)');
  // Flags and system instructions.
  for (const m of ['clc', 'stc', 'cmc', 'cld', 'std', 'cli', 'sti', 'lahf', 'sahf', 'nop', 'endbr64', 'cpuid', 'rdtsc', 'rdtscp', 'rdpkru', 'wrpkru', 'hlt', 'int3', 'ud2', 'rdmsr', 'wrmsr', 'swapgs', 'syscall', 'sysretq', 'sysretl', 'iretq', 'iretl', 'lfence', 'mfence', 'sfence', 'xgetbv', 'xsetbv', 'stac', 'clac', 'pause', 'wbinvd', 'clts', 'rdpmc', 'monitor', 'mwait', 'sysenter', 'int1']) L(m);
  L('int $3');
  L('int $0x80');
  L('int $255');
  for (const m of ['nopw (%rax)', 'nopl 0(%rax)', 'nopl 0x0(%rax,%rax,1)', 'nopw 0x0(%rax,%rax,1)', 'nopl 0x00000000(%rax)', 'nopw %cs:0x0(%rax,%rax,1)', 'nopl %eax', 'nopq 8(%rbp)', 'nopw %ax']) L(m);
  for (const op of ['rdfsbase', 'rdgsbase', 'wrfsbase', 'wrgsbase']) {
    L(`${op} %rax`);
    L(`${op} %r12`);
    L(`${op} %ecx`);
  }
  for (const m of ['(%rax)', '0x1000', '-8(%rbp,%rcx,8)', '0x10(%rip)']) L(`invlpg ${m}`);
  for (const op of ['xsave', 'xrstor', 'fxsave', 'fxrstor', 'xsave64', 'xrstor64', 'fxsave64', 'fxrstor64', 'xsaveopt', 'xsaveopt64', 'xsavec', 'xsaves', 'xrstors', 'clflush']) {
    L(`${op} (%rdi)`);
    L(`${op} 0x40(%rsp,%r9,1)`);
  }
  for (const op of ['lgdt', 'lidt', 'sgdt', 'sidt']) L(`${op} (%rax)`);
  L('ltr %ax');
  L('ltrw %cx');
  L('strw %dx');
  L('str %eax');
  L('sldt %rax');
  L('ltr (%rax)');
  L('str %ax');
  L('lldt %cx');
  L('ldmxcsr 4(%rsp)');
  L('stmxcsr (%rax)');
  // SSE.
  for (const op of ['movdqa', 'movdqu', 'movaps', 'movups', 'movapd', 'movupd']) {
    L(`${op} %xmm1, %xmm0`);
    L(`${op} %xmm8, %xmm15`);
    L(`${op} (%rax), %xmm2`);
    L(`${op} %xmm3, 0x10(%rsp)`);
    L(`${op} %xmm9, %gs:0x20(%r8)`);
    L(`${op} -0x80(%rip), %xmm12`);
  }
  for (const op of ['pxor', 'por', 'pand', 'pandn', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq', 'pminub', 'pmaxub', 'punpcklbw', 'punpcklqdq', 'punpckhqdq', 'xorps', 'xorpd', 'andps', 'orps']) {
    L(`${op} %xmm1, %xmm2`);
    L(`${op} %xmm10, %xmm3`);
    L(`${op} 0x10(%rdi), %xmm11`);
  }
  L('pmovmskb %xmm0, %eax');
  L('pmovmskb %xmm9, %r10d');
  L('pmovmskb %xmm2, %rcx');
  L('pshufd $0x1b, %xmm1, %xmm2');
  L('pshufd $0, (%rax), %xmm9');
  L('movd %eax, %xmm0');
  L('movd %r9d, %xmm10');
  L('movd (%rax), %xmm1');
  L('movd %xmm2, %ecx');
  L('movd %xmm3, 8(%rsp)');
  L('movd %rax, %xmm4');
  L('movq %rax, %xmm0');
  L('movq %r12, %xmm13');
  L('movq %xmm0, %rax');
  L('movq %xmm15, %r8');
  L('movq (%rax), %xmm1');
  L('movq %xmm1, (%rax)');
  L('movq %xmm1, %xmm0');
  L('movq %xmm9, %gs:8');
  // Expressions in operands.
  L('mov $1+2*3, %eax');
  L('mov $(1<<12)|0x80, %ecx');
  L('mov $~0, %edx');
  L('mov $-K8, %rax');
  L("mov $'A', %al");
  L('add $K32-K8, %rbx');
  L('mov 8*3(%rax), %rcx');
  L('mov K8+K8(%rsp), %rdx');
  L('mov (K32 >> 4) & 0xff0(%rip), %rsi');
  L('cmp $0b1010, %al');
  L('add $010, %cl');
  return out;
}
