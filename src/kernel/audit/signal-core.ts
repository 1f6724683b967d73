/**
 * The audit's process workload, run as a real static program (tiny-elf.ts)
 * on the modelled kernel: it installs a SIGUSR1 handler (SA_SIGINFO |
 * SA_RESTORER), loads known values into the general registers, kill()s
 * itself, and the handler edits uc_mcontext.bx before returning through
 * rt_sigreturn. Back in main it stores every GPR to memory (what the
 * registers are after sigreturn) and touches address 0x10: SIGSEGV, whose
 * core dump writes NT_PRSTATUS through the general-register regset
 * (getreg by user_regs_struct offset, regset.ts).
 *
 * Captured per design: the rt_sigframe and its XSAVE area as the kernel
 * wrote them (read at the trace's 'signal' event, which names the frame),
 * the registers after sigreturn, and the core's notes.
 */
import { NT_PRSTATUS, elfPrstatus } from '../../abi/structs/elfcore.js';
import { SA_RESTORER, SA_SIGINFO, SIGUSR1 } from '../../abi/signal-numbers.js';
import { userRegsStruct } from '../../abi/structs/user-regs.js';
import { layoutOf } from '../../abi/layout.js';
import { field } from '../../abi/view.js';
import { RSP } from '../../cpu/core.js';
import { MODE_USER } from '../../cpu/mmu.js';
import type { Design } from '../../design/build.js';
import { xstateSigframeSize } from '../arch/x86/fpu-signal.js';
import { FRAME } from '../arch/x86/signal-frame.js';
import { bootKernel } from '../boot.js';
import { enableCoreDump } from '../coredump/coredump.js';
import { startProgram } from '../exec/program.js';
import { MemoryConsole } from '../syscalls/host.js';
import { tinyElf } from './tiny-elf.js';

/** The registers the program loads before kill(), each a value no other slot holds by accident. */
export const LOADED = {
  rbx: 0x0b0b_0000_0000_0b0bn, rbp: 0x0b0b_0000_0000_0b9bn, rdx: 0x0d0d_0000_0000_0d0dn,
  r8: 0x0808_0000_0000_0808n, r9: 0x0909_0000_0000_0909n, r10: 0x1010_0000_0000_1010n,
  r12: 0x1212_0000_0000_1212n, r13: 0x1313_0000_0000_1313n, r14: 0x1414_0000_0000_1414n, r15: 0x1515_0000_0000_1515n,
} as const;
/** What the handler writes into uc_mcontext.bx (sigreturn must bring it back in rbx). */
export const EDITED_RBX = 0xed17_0000_0000_0b0bn;

/** The GPRs stored after sigreturn, in this order. */
export const STORED = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

/** offsetof(struct elf_prstatus, pr_reg) (include/linux/elfcore.h). */
const PR_REG_OFFSET = layoutOf(elfPrstatus).members.find((m) => m.name === 'pr_reg')!.offset;
const UC_BX = field(FRAME, 'uc.uc_mcontext.bx').offset - field(FRAME, 'uc').offset;
/** user_regs_struct's members in order (the regset's words). */
export const USER_REGS_NAMES: readonly string[] = layoutOf(userRegsStruct).flat.map((f) => f.path);

function workload(): string {
  const loads = Object.entries(LOADED).map(([r, v]) => `  movabs $0x${v.toString(16)}, %${r}`).join('\n');
  const stores = STORED.map((r, i) => `  mov %${r}, regs_out+${8 * i}(%rip)`).join('\n');
  return `
_start:
  lea act(%rip), %rsi
  mov $${SIGUSR1}, %edi
  xor %edx, %edx
  mov $8, %r10d
  mov $13, %eax
  syscall
  mov $39, %eax
  syscall
  mov %rax, %rdi
${loads}
  mov $${SIGUSR1}, %esi
  mov $62, %eax
  syscall
${stores}
  mov 0x10, %rax
  hlt
handler:
  movabs $0x${EDITED_RBX.toString(16)}, %rax
  mov %rax, ${UC_BX}(%rdx)
  ret
restorer:
  mov $15, %eax
  syscall
  hlt
  .p2align 3
act:
  .quad handler, 0x${(SA_SIGINFO | SA_RESTORER).toString(16)}, restorer, 0
regs_out:
  .zero ${8 * STORED.length}
`;
}

export interface ProcessRun {
  /** The rt_sigframe (FRAME.size bytes) at the handler's RSP. */
  readonly frame: Uint8Array;
  /** The XSAVE area the frame points to, with FP_XSTATE_MAGIC2. */
  readonly fpstate: Uint8Array;
  /** STORED's values right after rt_sigreturn. */
  readonly afterSigreturn: readonly bigint[];
  /** pr_reg of NT_PRSTATUS: user_regs_struct's words as the regset wrote them. */
  readonly prReg: readonly bigint[];
  /** Every note's descriptor, by type, in order (NT_PRSTATUS's included). */
  readonly notes: readonly { readonly type: number; readonly data: Uint8Array }[];
  /** How the process ended, in words (for the note when something went wrong). */
  readonly ending: string;
}

const MAX_INSNS = 2_000_000;

/** Runs the workload under `design` (no timer: the run is the same instruction stream under every design). */
export function runProcessWorkload(design: Design): ProcessRun {
  const k = bootKernel(design);
  const elf = tinyElf(workload());
  const { task, process } = startProgram(k, k.allocPid(), elf.file, {
    argv: ['audit'], envp: [], execfn: '/audit', console: new MemoryConsole(),
  });
  const mmu = k.platform.cpu.mmu;
  const read = (a: number, n: number): Uint8Array => mmu.readBytes(a, n, MODE_USER).slice();
  let frame: Uint8Array = new Uint8Array(0);
  let fpstate: Uint8Array = new Uint8Array(0);
  k.setTrace((e) => {
    if (e.kind === 'signal' && e.action === 'handler' && e.frame !== undefined && e.fpstate !== undefined) {
      frame = read(e.frame, FRAME.size);
      fpstate = read(e.fpstate, xstateSigframeSize(k.platform.cpu));
    }
  });
  const regsOut = Number(elf.symbols.get('regs_out'));
  let afterSigreturn: bigint[] = [];
  const handle = enableCoreDump({
    platform: k.platform, proc: process, limit: 'unlimited',
    write: () => {
      // The dump runs in get_signal, memory intact: the registers main stored after sigreturn.
      const b = read(regsOut, 8 * STORED.length);
      const dv = new DataView(b.buffer);
      afterSigreturn = STORED.map((_, i) => dv.getBigUint64(8 * i, true));
      return 'memory';
    },
  }, k.platform.cpu.reg64(RSP));
  for (let n = 0; n < MAX_INSNS && !task.exit; n += 100_000) k.run(100_000);
  const exit = task.exit;
  const ending = !exit ? 'still running' : exit.kind === 'exited' ? `exited ${exit.code}` : `killed by signal ${exit.signal}${exit.coreDumped ? ', core dumped' : ''}`;
  const notes = (handle.image?.notes ?? []).map((n) => ({ type: n.type, data: n.data }));
  const prstatus = notes.find((n) => n.type === NT_PRSTATUS)?.data;
  const prReg: bigint[] = [];
  if (prstatus) {
    const dv = new DataView(prstatus.buffer, prstatus.byteOffset, prstatus.byteLength);
    const at = PR_REG_OFFSET;
    for (let i = 0; i < USER_REGS_NAMES.length; i++) prReg.push(dv.getBigUint64(at + 8 * i, true));
  }
  return { frame, fpstate, afterSigreturn, prReg, notes, ending };
}

