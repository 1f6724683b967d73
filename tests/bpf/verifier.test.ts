/**
 * Every verifier rule with a program it accepts and one it rejects, the
 * rejection message as the kernel's verifier log prints it plus the PC.
 * Accepting programs differ from rejected ones in the one point the rule is about.
 */
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../src/design/registry.js';
import { BpfVerifyError } from '../../src/bpf/index.js';
import { load } from './verify-helpers.js';

interface Rule {
  readonly rule: string;
  readonly accept: string;
  readonly reject: string;
  readonly error: string;
}

const LOOKUP = (fd: string): string => `
  stw [r10-4], 0
  mov r2, r10
  add r2, -4
  lddw r1, map:${fd}
  call 1`;

const RULES: readonly Rule[] = [
  // check_cfg
  { rule: 'no back-edges (loops)', accept: 'mov r0, 0\njeq r0, 1, +0\nexit',
    reject: 'mov r0, 0\nl: add r0, 1\njlt r0, 4, l\nexit', error: 'back-edge from insn 2 to 1 at PC 2' },
  { rule: 'jumps stay in the program', accept: 'mov r0, 0\nja +0\nexit', reject: 'mov r0, 0\nja +5\nexit',
    error: 'jump out of range from insn 1 to 7 at PC 1' },
  { rule: 'no backward jump before the start', accept: 'mov r0, 0\nexit', reject: 'mov r0, 0\nja -3\nexit',
    error: 'jump out of range from insn 1 to -1 at PC 1' },
  { rule: 'every insn reachable', accept: 'mov r0, 0\njeq r1, 0, +1\nmov r0, 1\nexit',
    reject: 'mov r0, 0\nexit\nmov r0, 1\nexit', error: 'unreachable insn 2 at PC 2' },
  { rule: 'no jump into the middle of LD_IMM64',
    accept: 'mov r0, 0\njeq r1, 0, +2\nlddw r0, 1\nexit',
    reject: 'mov r0, 0\njeq r1, 0, +1\nlddw r0, 1\nexit', error: 'jump into the middle of ldimm64 insn 2 at PC 2' },
  { rule: 'the last insn is exit or ja', accept: 'mov r0, 0\nexit', reject: 'exit\nmov r0, 0',
    error: 'last insn is not an exit or jmp at PC 1' },
  // registers
  { rule: 'r0 set before exit', accept: 'mov r0, 0\nexit', reject: 'exit', error: 'R0 !read_ok at PC 0' },
  { rule: 'r0 set on every path', accept: 'mov r0, 1\njeq r1, 0, +1\nmov r0, 0\nexit',
    reject: 'jeq r1, 0, +1\nmov r0, 0\nexit', error: 'R0 !read_ok at PC 2' },
  { rule: 'no read of an uninitialized register', accept: 'mov r2, 1\nmov r0, r2\nexit', reject: 'mov r0, r2\nexit',
    error: 'R2 !read_ok at PC 0' },
  { rule: 'r10 is read-only', accept: 'mov r1, r10\nmov r0, 0\nexit', reject: 'mov r10, 0\nmov r0, 0\nexit',
    error: 'frame pointer is read only at PC 0' },
  { rule: 'no pointer returned', accept: 'mov r0, r10\nmov r0, 0\nexit', reject: 'mov r0, r10\nexit',
    error: 'R0 leaks addr as return value at PC 1' },
  { rule: 'no memory access through a scalar', accept: 'mov r1, r10\nstdw [r1-8], 0\nmov r0, 0\nexit',
    reject: 'mov r1, 0\nstdw [r1-8], 0\nmov r0, 0\nexit', error: "R1 invalid mem access 'scalar' at PC 1" },
  // kprobe context (reference §6)
  { rule: 'ctx read in bounds', accept: 'ldxdw r0, [r1+160]\nexit', reject: 'ldxdw r0, [r1+168]\nexit',
    error: 'invalid bpf_context access off=168 size=8 at PC 0' },
  { rule: 'ctx off >= 0', accept: 'ldxdw r0, [r1+0]\nexit', reject: 'ldxdw r0, [r1-8]\nexit',
    error: 'invalid bpf_context access off=-8 size=8 at PC 0' },
  { rule: 'ctx off + size <= sizeof', accept: 'ldxw r0, [r1+164]\nexit', reject: 'ldxdw r0, [r1+164]\nexit',
    error: 'invalid bpf_context access off=164 size=8 at PC 0' },
  { rule: 'ctx natural alignment', accept: 'ldxw r0, [r1+116]\nexit', reject: 'ldxw r0, [r1+114]\nexit',
    error: 'invalid bpf_context access off=114 size=4 at PC 0' },
  { rule: 'ctx byte reads at any offset', accept: 'ldxb r0, [r1+167]\nexit', reject: 'ldxb r0, [r1+168]\nexit',
    error: 'invalid bpf_context access off=168 size=1 at PC 0' },
  { rule: 'ctx is read-only (STX)', accept: 'ldxdw r2, [r1+112]\nmov r0, 0\nexit',
    reject: 'mov r2, 0\nstxdw [r1+112], r2\nmov r0, 0\nexit', error: 'invalid bpf_context access off=112 size=8 at PC 1' },
  { rule: 'ctx is read-only (ST)', accept: 'stdw [r10-8], 0\nmov r0, 0\nexit', reject: 'stdw [r1+112], 0\nmov r0, 0\nexit',
    error: 'BPF_ST stores into R1 ctx is not allowed at PC 0' },
  { rule: 'ctx is read-only (atomic)', accept: 'stdw [r10-8], 0\nmov r2, 1\natomic_add64 [r10-8], r2\nmov r0, 0\nexit',
    reject: 'mov r2, 1\natomic_add64 [r1+112], r2\nmov r0, 0\nexit', error: 'BPF_ATOMIC stores into R1 ctx is not allowed at PC 1' },
  { rule: 'ctx pointer used unmodified', accept: 'mov r2, r1\nldxdw r0, [r2+8]\nexit',
    reject: 'add r1, 8\nldxdw r0, [r1+0]\nexit', error: 'dereference of modified ctx ptr R1 off=8 disallowed at PC 1' },
  // stack
  { rule: 'stack writes within 512 bytes', accept: 'stdw [r10-512], 0\nmov r0, 0\nexit',
    reject: 'stdw [r10-520], 0\nmov r0, 0\nexit', error: 'invalid write to stack R10 off=-520 size=8 at PC 0' },
  { rule: 'no stack access at or above r10', accept: 'stw [r10-4], 0\nmov r0, 0\nexit',
    reject: 'stw [r10-2], 0\nmov r0, 0\nexit', error: 'invalid write to stack R10 off=-2 size=4 at PC 0' },
  { rule: 'stack reads within bounds', accept: 'stdw [r10-8], 0\nldxdw r0, [r10-8]\nexit',
    reject: 'stdw [r10-8], 0\nldxdw r0, [r10+0]\nexit', error: 'invalid read from stack R10 off=0 size=8 at PC 1' },
  { rule: 'stack initialized before read', accept: 'stdw [r10-8], 1\nldxdw r0, [r10-8]\nexit',
    reject: 'stw [r10-8], 1\nldxdw r0, [r10-8]\nexit', error: 'invalid read from stack off -8+4 size 8 at PC 1' },
  { rule: 'stack accesses aligned', accept: 'stdw [r10-16], 1\nldxw r0, [r10-12]\nexit',
    reject: 'stdw [r10-16], 1\nldxw r0, [r10-14]\nexit', error: 'misaligned stack access off (0x0; 0x0)+0+-14 size 4 at PC 1' },
  // pointer arithmetic
  { rule: 'pointer arithmetic by a constant', accept: 'mov r2, r10\nadd r2, -8\nstdw [r2+0], 0\nmov r0, 0\nexit',
    reject: 'ldxdw r3, [r1+0]\nmov r2, r10\nadd r2, r3\nmov r0, 0\nexit',
    error: 'R2 math between fp pointer and register with unbounded min value is not allowed at PC 2' },
  { rule: 'no 32-bit pointer arithmetic', accept: 'mov r2, r10\nadd r2, -8\nmov r0, 0\nexit',
    reject: 'mov r2, r10\nadd32 r2, -8\nmov r0, 0\nexit', error: 'R2 32-bit pointer arithmetic prohibited at PC 1' },
  { rule: 'no multiplication of pointers', accept: 'mov r2, r10\nsub r2, 8\nmov r0, 0\nexit',
    reject: 'mov r2, r10\nmul r2, 2\nmov r0, 0\nexit', error: 'R2 pointer arithmetic with *= operator prohibited at PC 1' },
  // maps and helpers
  { rule: 'map value null-checked before use',
    accept: `${LOOKUP('${ARR}')}\njeq r0, 0, +1\nldxdw r0, [r0+0]\nexit`,
    reject: `${LOOKUP('${ARR}')}\nldxdw r0, [r0+0]\nexit`, error: "R0 invalid mem access 'map_value_or_null' at PC 6" },
  { rule: 'null-check refinement with jne', accept: `${LOOKUP('${ARR}')}\njne r0, 0, +1\nexit\nldxdw r0, [r0+0]\nexit`,
    reject: `${LOOKUP('${ARR}')}\njne r0, 0, +1\nldxdw r0, [r0+0]\nexit`, error: "R0 invalid mem access 'scalar' at PC 7" },
  { rule: 'copies of the looked-up pointer are refined too',
    accept: `${LOOKUP('${ARR}')}\nmov r6, r0\njeq r0, 0, +2\nldxdw r0, [r6+0]\nexit\nexit`,
    reject: `${LOOKUP('${ARR}')}\nmov r6, r0\njeq r1, 0, +2\nldxdw r0, [r6+0]\nexit\nexit`, error: 'R1 !read_ok at PC 7' },
  { rule: 'map value access in bounds', accept: `${LOOKUP('${ARR}')}\njeq r0, 0, +1\nldxdw r0, [r0+0]\nexit`,
    reject: `${LOOKUP('${ARR}')}\njeq r0, 0, +1\nldxdw r0, [r0+8]\nexit`,
    error: 'invalid access to map value, value_size=8 off=8 size=8 at PC 7' },
  { rule: 'no pointer stored into a map value',
    accept: `${LOOKUP('${ARR}')}\njeq r0, 0, +2\nmov r2, 1\nstxdw [r0+0], r2\nmov r0, 0\nexit`,
    reject: `${LOOKUP('${ARR}')}\njeq r0, 0, +2\nmov r2, r10\nstxdw [r0+0], r2\nmov r0, 0\nexit`,
    error: 'R2 leaks addr into map at PC 8' },
  { rule: 'no arithmetic on map_value_or_null', accept: `${LOOKUP('${ARR}')}\njeq r0, 0, +1\nadd r0, 4\nmov r0, 0\nexit`,
    reject: `${LOOKUP('${ARR}')}\nadd r0, 4\nmov r0, 0\nexit`,
    error: 'R0 pointer arithmetic on map_value_or_null prohibited, null-check it first at PC 6' },
  { rule: 'helper arg 1 is a map', accept: `${LOOKUP('${ARR}')}\nmov r0, 0\nexit`,
    reject: 'stw [r10-4], 0\nmov r2, r10\nadd r2, -4\nmov r1, 3\ncall 1\nmov r0, 0\nexit',
    error: 'R1 type=scalar expected=map_ptr at PC 4' },
  { rule: 'map key initialized', accept: `${LOOKUP('${ARR}')}\nmov r0, 0\nexit`,
    reject: 'mov r2, r10\nadd r2, -4\nlddw r1, map:${ARR}\ncall 1\nmov r0, 0\nexit',
    error: 'invalid indirect read from stack R2 off -4+0 size 4 at PC 4' },
  { rule: 'map key is a stack or map value pointer', accept: `${LOOKUP('${ARR}')}\nmov r0, 0\nexit`,
    reject: 'mov r2, r1\nlddw r1, map:${ARR}\ncall 1\nmov r0, 0\nexit', error: 'R2 type=ctx expected=fp, map_value at PC 3' },
  { rule: 'map value argument fully initialized (value_size 16)',
    accept: 'stw [r10-4], 0\nstdw [r10-24], 0\nstdw [r10-16], 0\nmov r2, r10\nadd r2, -4\nmov r3, r10\nadd r3, -24\nlddw r1, map:${HASH}\nmov r4, 0\ncall 2\nexit',
    reject: 'stw [r10-4], 0\nstdw [r10-24], 0\nmov r2, r10\nadd r2, -4\nmov r3, r10\nadd r3, -24\nlddw r1, map:${HASH}\nmov r4, 0\ncall 2\nexit',
    error: 'invalid indirect read from stack R3 off -24+8 size 16 at PC 9' },
  { rule: 'known helper ids only', accept: 'call 5\nexit', reject: 'call 999\nexit', error: 'invalid func unknown#999 at PC 0' },
  { rule: 'r1-r5 are scratched by a call', accept: 'mov r6, r1\ncall 5\nmov r0, r6\nmov r0, 0\nexit',
    reject: 'call 5\nmov r0, r1\nmov r0, 0\nexit', error: 'R1 !read_ok at PC 1' },
  { rule: 'probe_read_kernel size is a constant',
    accept: 'mov r1, r10\nadd r1, -8\nmov r2, 8\nldxdw r3, [r1+0]\nexit'.replace('ldxdw r3, [r1+0]', 'mov r3, 0\ncall 113'),
    reject: 'ldxdw r2, [r1+0]\nmov r1, r10\nadd r1, -8\nmov r3, 0\ncall 113\nexit',
    error: "R2 unbounded memory access, use 'var &= const' or 'if (var < const)' at PC 4" },
  { rule: 'probe_read_kernel destination within the stack',
    accept: 'mov r1, r10\nadd r1, -8\nmov r2, 8\nmov r3, 0\ncall 113\nexit',
    reject: 'mov r1, r10\nadd r1, -8\nmov r2, 16\nmov r3, 0\ncall 113\nexit',
    error: 'invalid indirect access to stack R1 off=-8 size=16 at PC 4' },
  { rule: 'probe_read_kernel initializes its destination',
    accept: 'mov r1, r10\nadd r1, -8\nmov r2, 8\nmov r3, 0\ncall 113\nldxdw r0, [r10-8]\nexit',
    reject: 'mov r1, r10\nadd r1, -8\nmov r2, 4\nmov r3, 0\ncall 113\nldxdw r0, [r10-8]\nexit',
    error: 'invalid read from stack off -8+4 size 8 at PC 5' },
  { rule: 'trace_printk format initialized and size non-zero',
    accept: 'stw [r10-4], 0x000a6968\nmov r1, r10\nadd r1, -4\nmov r2, 4\ncall 6\nexit',
    reject: 'stw [r10-4], 0x000a6968\nmov r1, r10\nadd r1, -4\nmov r2, 0\ncall 6\nexit',
    error: 'R2 invalid zero-sized read at PC 4' },
  { rule: 'no atomic store of a pointer', accept: 'stdw [r10-8], 0\nmov r2, 1\natomic_add64 [r10-8], r2\nmov r0, 0\nexit',
    reject: 'stdw [r10-8], 0\nmov r2, r10\natomic_add64 [r10-8], r2\nmov r0, 0\nexit', error: 'R2 leaks addr into mem at PC 2' },
  // encoding table (ubpf's constraint-table idea, the kernel's messages)
  { rule: 'no constant division by zero', accept: 'mov r0, 1\ndiv r0, 1\nexit', reject: 'mov r0, 1\nmod r0, 0\nexit',
    error: 'div by zero at PC 1' },
  { rule: 'shift by less than the width', accept: 'mov r0, 1\nlsh32 r0, 31\nexit', reject: 'mov r0, 1\nlsh32 r0, 32\nexit',
    error: 'invalid shift 32 at PC 1' },
  { rule: 'known ALU opcodes only', accept: 'mov r0, 0\nexit', reject: '.insn 0xe7, 0, 0, 0, 0\nmov r0, 0\nexit',
    error: 'invalid BPF_ALU opcode e0 at PC 0' },
  { rule: 'ALU reserved fields are zero', accept: 'mov r0, 0\nadd r0, 1\nexit', reject: 'mov r0, 0\n.insn 0x07, 0, 0, 1, 1\nexit',
    error: 'BPF_ALU uses reserved fields at PC 1' },
  { rule: 'MOVSX widths', accept: 'mov r1, 1\nmovsx32 r0, r1\nexit', reject: 'mov r1, 1\n.insn 0xbf, 0, 1, 24, 0\nexit',
    error: 'BPF_MOV uses reserved fields at PC 1' },
  { rule: 'no 32-bit MOVSX from 32 bits', accept: 'mov r1, 1\nmovsx32_16 r0, r1\nexit', reject: 'mov r1, 1\n.insn 0xbc, 0, 1, 32, 0\nexit',
    error: 'BPF_MOV uses reserved fields at PC 1' },
  { rule: 'END widths 16/32/64', accept: 'mov r0, 1\nbe32 r0\nexit', reject: 'mov r0, 1\n.insn 0xdc, 0, 0, 0, 8\nexit',
    error: 'BPF_END uses reserved fields at PC 1' },
  { rule: 'registers r0..r10', accept: 'mov r0, 0\nexit', reject: '.insn 0xb7, 11, 0, 0, 0\nmov r0, 0\nexit',
    error: 'R11 is invalid at PC 0' },
  { rule: 'LDX MEMSX is not DW', accept: 'ldxsw r0, [r1+0]\nexit', reject: '.insn 0x99, 0, 1, 0, 0\nexit',
    error: 'BPF_LDX uses reserved fields at PC 0' },
  { rule: 'atomics on W and DW only', accept: 'stdw [r10-8], 0\nmov r2, 1\natomic_add32 [r10-8], r2\nmov r0, 0\nexit',
    reject: 'stdw [r10-8], 0\nmov r2, 1\n.insn 0xd3, 10, 2, -8, 0\nmov r0, 0\nexit', error: 'invalid atomic operand size at PC 2' },
  { rule: 'known atomic operations', accept: 'stdw [r10-8], 0\nmov r2, 1\nxchg64 [r10-8], r2\nmov r0, 0\nexit',
    reject: 'stdw [r10-8], 0\nmov r2, 1\n.insn 0xdb, 10, 2, -8, 0x10\nmov r0, 0\nexit',
    error: 'BPF_ATOMIC uses invalid atomic opcode 10 at PC 2' },
  { rule: 'no legacy packet loads in kprobes', accept: 'mov r0, 0\nexit', reject: '.insn 0x20, 0, 0, 0, 0\nmov r0, 0\nexit',
    error: 'BPF_LD_[ABS|IND] instructions not allowed for this program type at PC 0' },
  { rule: 'helper calls only (no BPF-to-BPF calls)', accept: 'call 5\nexit', reject: '.insn 0x85, 0, 1, 0, 1\nmov r0, 0\nexit\nmov r0, 0\nexit',
    error: 'calls to BPF functions and kfuncs are not modelled (helpers only) at PC 0' },
  { rule: 'LD_IMM64 second slot is clean', accept: 'lddw r0, 1\nexit', reject: '.insn 0x18, 0, 0, 0, 1\n.insn 0, 1, 0, 0, 0\nexit',
    error: 'invalid bpf_ld_imm64 insn at PC 0' },
  { rule: 'LD_IMM64 map fd must exist', accept: 'lddw r1, map:${ARR}\nmov r0, 0\nexit', reject: 'lddw r1, map:77\nmov r0, 0\nexit',
    error: 'fd 77 is not pointing to valid bpf_map at PC 0' },
  { rule: 'map pointers cannot be dereferenced', accept: 'lddw r1, map:${ARR}\nmov r0, 0\nexit',
    reject: 'lddw r1, map:${ARR}\nldxdw r0, [r1+0]\nexit', error: "R1 invalid mem access 'map_ptr' at PC 2" },
];

describe('verifier rules: accept and reject', () => {
  it.each(RULES.map((r) => [r.rule, r] as const))('%s', (_n, r) => {
    expect(() => load(r.accept)).not.toThrow();
    let err: unknown;
    try {
      load(r.reject);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfVerifyError);
    expect((err as BpfVerifyError).message).toBe(r.error);
    expect((err as BpfVerifyError).pc).toBe(Number(/at PC (-?\d+)$/.exec(r.error)![1]));
  });
});

describe('kprobe ctx bounds follow the layout passed in', () => {
  const pks = builtinDesign('pks-in-pt_regs').ptRegs;
  it('pks-in-pt_regs is 176 bytes, so off=168 size=8 is valid there', () => {
    expect(pks.size).toBe(176);
    expect(() => load('ldxdw r0, [r1+168]\nexit', undefined, pks)).not.toThrow();
    expect(() => load('ldxdw r0, [r1+176]\nexit', undefined, pks)).toThrow('invalid bpf_context access off=176 size=8 at PC 0');
  });
});

describe('verifier state handling', () => {
  it('explores both sides of unknown branches and prunes identical states', () => {
    const branches = Array.from({ length: 24 }, () => 'ldxdw r2, [r1+0]\njeq r2, 0, +0').join('\n');
    const p = load(`${branches}\nmov r0, 0\nexit`);
    expect(p.processed).toBeLessThan(200); // 2^24 paths without pruning
  });
  it('a branch decided by known values explores only its side', () => {
    // The not-taken side reads an uninitialized register; a known compare never goes there.
    expect(() => load('mov r2, 1\njeq r2, 1, +2\nmov r0, r3\nexit\nmov r0, 0\nexit')).not.toThrow();
  });
  it('a spilled register keeps its type', () => {
    expect(() => load('stxdw [r10-8], r1\nldxdw r2, [r10-8]\nldxdw r0, [r2+112]\nexit')).not.toThrow();
    expect(() => load('stxw [r10-8], r1\nstw [r10-4], 0\nldxdw r2, [r10-8]\nldxdw r0, [r2+112]\nexit')).toThrow(
      "R2 invalid mem access 'scalar' at PC 3",
    );
  });
});
