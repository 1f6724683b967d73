/**
 * The audit's ptrace workload: a tracer and its traced child, as a real
 * debugger drives one. The child asks to be traced (PTRACE_TRACEME), loads
 * known values into its callee-saved registers and stops itself with
 * SIGSTOP; the parent, woken by wait4, reads the registers with
 * PTRACE_GETREGS and PTRACE_PEEKUSER, writes rbx back through
 * PTRACE_SETREGS (the GETREGS buffer with one word edited) and r12 through
 * PTRACE_POKEUSER, reads them again, and lets the child go (PTRACE_CONT).
 * The child exits with a code that says which edits reached it.
 *
 * Every request reaches pt_regs the way arch/x86/kernel/ptrace.c does —
 * getreg/putreg by user_regs_struct offset — so a design that moves pt_regs
 * members shows here what a debugger would see and do.
 */
import { MemoryConsole } from '../syscalls/host.js';
import type { Design } from '../../design/build.js';
import { bootKernel } from '../boot.js';
import { startProgram } from '../exec/program.js';
import { tinyElf } from './tiny-elf.js';

/** The child's callee-saved registers at its stop (they survive the kill system call). */
export const CHILD_LOADED = {
  rbx: 0x1111_2222_3333_4444n, rbp: 0x5555_6666_7777_8888n, r12: 0x0c0c_0c0c_1212_1212n,
  r13: 0x1313_1313_d0d0_d0d0n, r14: 0x1414_1414_e0e0_e0e0n, r15: 0x1515_1515_f0f0_f0f0n,
} as const;
/** What SETREGS writes into rbx's word and POKEUSER into r12's. */
export const SET_RBX = 0x5e75_e75e_75e7_5e75n;
export const POKE_R12 = 0x90ce_90ce_90ce_90cen;
/** sizeof(struct user_regs_struct) / 8 and the offsets the workload names (reference §5.1). */
const WORDS = 27;
const OFF_RBX = 40;
const OFF_R12 = 24;
const OFF_IP = 128;

function workload(): string {
  const ptrace = (req: number, addr: string, data: string): string => `
  mov $101, %eax
  mov $${req}, %edi
  mov %r12, %rsi
  ${addr}
  ${data}
  syscall`;
  const loads = Object.entries(CHILD_LOADED).map(([r, v]) => `  movabs $0x${v.toString(16)}, %${r}`).join('\n');
  return `
_start:
  mov $57, %eax
  syscall
  test %rax, %rax
  jz child
  mov %rax, %r12
  mov $61, %eax
  mov %r12, %rdi
  lea status(%rip), %rsi
  xor %edx, %edx
  xor %r10d, %r10d
  syscall
${ptrace(12, 'xor %edx, %edx', 'lea regs_get(%rip), %r10')}
  mov %rax, rc_getregs(%rip)
${ptrace(3, `mov $${OFF_IP}, %edx`, 'lea peek_ip(%rip), %r10')}
  mov %rax, rc_peekuser(%rip)
  lea regs_get(%rip), %rsi
  lea regs_set(%rip), %rdi
  mov $${WORDS}, %ecx
copy:
  mov (%rsi), %rax
  mov %rax, (%rdi)
  add $8, %rsi
  add $8, %rdi
  dec %ecx
  jnz copy
  movabs $0x${SET_RBX.toString(16)}, %rax
  mov %rax, regs_set+${OFF_RBX}(%rip)
${ptrace(13, 'xor %edx, %edx', 'lea regs_set(%rip), %r10')}
  mov %rax, rc_setregs(%rip)
${ptrace(6, `mov $${OFF_R12}, %edx`, `movabs $0x${POKE_R12.toString(16)}, %r10`)}
  mov %rax, rc_pokeuser(%rip)
${ptrace(12, 'xor %edx, %edx', 'lea regs_after(%rip), %r10')}
${ptrace(7, 'xor %edx, %edx', 'xor %r10d, %r10d')}
  mov $61, %eax
  mov %r12, %rdi
  lea status2(%rip), %rsi
  xor %edx, %edx
  xor %r10d, %r10d
  syscall
  movq $1, finished(%rip)
done:
  jmp done
child:
  xor %edi, %edi
  xor %esi, %esi
  xor %edx, %edx
  xor %r10d, %r10d
  mov $101, %eax
  syscall
  mov $39, %eax
  syscall
  mov %rax, %rdi
  mov $19, %esi
${loads}
  mov $62, %eax
  syscall
  xor %edi, %edi
  movabs $0x${SET_RBX.toString(16)}, %rax
  cmp %rax, %rbx
  jne rbx_checked
  or $1, %edi
rbx_checked:
  movabs $0x${POKE_R12.toString(16)}, %rax
  cmp %rax, %r12
  jne r12_checked
  or $2, %edi
r12_checked:
  mov $231, %eax
  syscall
  .p2align 3
finished: .quad 0
status: .quad 0
status2: .quad 0
peek_ip: .quad 0
rc_getregs: .quad 0
rc_peekuser: .quad 0
rc_setregs: .quad 0
rc_pokeuser: .quad 0
regs_get: .zero ${8 * WORDS}
regs_set: .zero ${8 * WORDS}
regs_after: .zero ${8 * WORDS}
`;
}

export interface PtraceRun {
  /** GETREGS at the stop: user_regs_struct's 27 words. */
  readonly regs: readonly bigint[];
  /** PEEKUSER of offsetof(user_regs_struct, ip). */
  readonly peekIp: bigint;
  /** Return values of GETREGS, PEEKUSER, SETREGS, POKEUSER (0 or -errno). */
  readonly rc: { readonly getregs: bigint; readonly peekuser: bigint; readonly setregs: bigint; readonly pokeuser: bigint };
  /** GETREGS after the SETREGS/POKEUSER edits. */
  readonly regsAfter: readonly bigint[];
  /** The wait4 status words: the stop, then the exit (bit 0 of the exit code: rbx edited; bit 1: r12 poked). */
  readonly stopStatus: number;
  readonly exitStatus: number;
  /** Whether the tracer got to the end. */
  readonly finished: boolean;
}

const MAX_INSNS = 3_000_000;

/** Runs the tracer/tracee workload under `design` (no timer: the same instruction stream under every design). */
export function runPtraceWorkload(design: Design): PtraceRun {
  const k = bootKernel(design);
  const elf = tinyElf(workload());
  const { process: tracer } = startProgram(k, k.allocPid(), elf.file, {
    argv: ['audit-ptrace'], envp: [], execfn: '/audit-ptrace', console: new MemoryConsole(),
  });
  const at = (name: string): number => Number(elf.symbols.get(name));
  // The tracer's memory through its own tables, whichever process the CPU is in when the run stops.
  const words = (name: string, n: number): bigint[] => {
    const b = tracer.mm.accessForce(at(name), 8 * n, null) ?? new Uint8Array(8 * n);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return Array.from({ length: n }, (_, i) => dv.getBigUint64(8 * i, true));
  };
  const word = (name: string): bigint => words(name, 1)[0]!;
  for (let n = 0; n < MAX_INSNS && word('finished') === 0n && !tracer.task.exit; n += 50_000) k.run(50_000);
  return {
    regs: words('regs_get', WORDS),
    peekIp: word('peek_ip'),
    rc: {
      getregs: BigInt.asIntN(64, word('rc_getregs')), peekuser: BigInt.asIntN(64, word('rc_peekuser')),
      setregs: BigInt.asIntN(64, word('rc_setregs')), pokeuser: BigInt.asIntN(64, word('rc_pokeuser')),
    },
    regsAfter: words('regs_after', WORDS),
    stopStatus: Number(word('status') & 0xffff_ffffn),
    exitStatus: Number(word('status2') & 0xffff_ffffn),
    finished: word('finished') === 1n,
  };
}
