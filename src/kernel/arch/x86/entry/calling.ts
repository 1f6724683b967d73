/**
 * arch/x86/entry/calling.h for a design: PUSH_REGS, CLEAR_REGS, POP_REGS and
 * PUSH/POP_PTREGS_AUXILIARY, generated from the design's struct pt_regs
 * layout and extension (STYLE.md §2.3), and the asm-offsets `.set` lines
 * (R15 … SS, ORIG_RAX, PTREGS_SIZE, PTREGS_AUX_SIZE).
 *
 * The top six members must be orig_ax ip cs flags sp ss, contiguous and
 * 8 bytes each: the CPU's frame (SDM Vol. 3A §6.14.2) fixes them. Every
 * member below orig_ax is one 8-byte push; a member that is not a register
 * (pks-in-pt_regs' leading `pkrs`) is pushed as a 0 placeholder, which the
 * C code fills, and skipped by POP_REGS.
 */
import type { Design } from '../../../../design/build.js';
import { UsageError } from '../../../../lib/errors.js';

/** pt_regs member → the register it saves. */
const REGISTER_OF: Readonly<Record<string, string>> = {
  r15: '%r15', r14: '%r14', r13: '%r13', r12: '%r12', bp: '%rbp', bx: '%rbx',
  r11: '%r11', r10: '%r10', r9: '%r9', r8: '%r8', ax: '%rax', cx: '%rcx', dx: '%rdx', si: '%rsi', di: '%rdi',
};

/** 32-bit names for CLEAR_REGS' `xorl` (a 32-bit write zero-extends). */
const REG32: Readonly<Record<string, string>> = {
  '%rsi': '%esi', '%rdx': '%edx', '%rcx': '%ecx', '%rbx': '%ebx', '%rbp': '%ebp',
  '%r8': '%r8d', '%r9': '%r9d', '%r10': '%r10d', '%r11': '%r11d',
  '%r12': '%r12d', '%r13': '%r13d', '%r14': '%r14d', '%r15': '%r15d',
};

/** arch/x86/include/uapi/asm/ptrace-abi.h names for the asm offsets. */
const ASM_NAME: Readonly<Record<string, string>> = {
  r15: 'R15', r14: 'R14', r13: 'R13', r12: 'R12', bp: 'RBP', bx: 'RBX', r11: 'R11', r10: 'R10', r9: 'R9', r8: 'R8',
  ax: 'RAX', cx: 'RCX', dx: 'RDX', si: 'RSI', di: 'RDI', orig_ax: 'ORIG_RAX', ip: 'RIP', cs: 'CS', flags: 'EFLAGS', sp: 'RSP', ss: 'SS',
};

const HARDWARE_TOP = ['orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'] as const;

export interface PtRegsSlot {
  readonly name: string;
  readonly offset: number;
  /** The saved register, or null for a design's non-register member. */
  readonly reg: string | null;
}

/** The design's pt_regs as the stubs see it. */
export interface PtRegsFrame {
  readonly size: number;
  /** Members below orig_ax, highest offset first: the PUSH_REGS order. */
  readonly pushed: readonly PtRegsSlot[];
  /** Bytes reserved below pt_regs around each C call (PTREGS_AUX_SIZE); 0 without an extension. */
  readonly auxSize: number;
  readonly offsets: ReadonlyMap<string, number>;
}

export function ptRegsFrame(design: Design): PtRegsFrame {
  const members = design.ptRegs.members;
  const size = design.ptRegs.size;
  members.forEach((m, i) => {
    if (m.size !== 8 || m.offset !== i * 8) {
      throw new UsageError(`design ${design.name}: pt_regs.${m.name} is not an 8-byte slot at ${i * 8} (the stubs push 8-byte slots)`);
    }
  });
  const top = members.slice(-HARDWARE_TOP.length).map((m) => m.name);
  if (size !== members.length * 8 || top.join(' ') !== HARDWARE_TOP.join(' ')) {
    throw new UsageError(`design ${design.name}: pt_regs must end with ${HARDWARE_TOP.join(' ')} (the CPU's frame)`);
  }
  const pushed = members
    .slice(0, -HARDWARE_TOP.length)
    .reverse()
    .map((m) => ({ name: m.name, offset: m.offset, reg: REGISTER_OF[m.name] ?? null }));
  const saved = new Set(pushed.map((s) => s.reg));
  for (const r of Object.values(REGISTER_OF)) {
    if (!saved.has(r)) throw new UsageError(`design ${design.name}: pt_regs does not save ${r}`);
  }
  const auxSize = design.extension?.belowPtRegs ?? 0;
  if (auxSize % 8 !== 0) throw new UsageError(`design ${design.name}: extension size ${auxSize} is not a multiple of 8`);
  return { size, pushed, auxSize, offsets: new Map(members.map((m) => [m.name, m.offset])) };
}

/** asm-offsets_64.c: member offsets, PTREGS_SIZE and PTREGS_AUX_SIZE as `.set` lines. */
export function offsetPrelude(f: PtRegsFrame): string[] {
  const lines = [...f.offsets].map(([name, off]) => `.set ${ASM_NAME[name] ?? `PT_${name.toUpperCase()}`}, ${off}`);
  lines.push(`.set PTREGS_SIZE, ${f.size}`, `.set PTREGS_AUX_SIZE, ${f.auxSize}`);
  return lines;
}

export interface PushOptions {
  /** Replacement operands by member (calling.h PUSH_REGS rdx=/rcx=/rax=). */
  readonly subst?: Readonly<Record<string, string>>;
  /**
   * calling.h `save_ret=1` (error_entry, paranoid_entry, reached by `call`):
   * the return address sits in the first slot; swap it out through the second
   * slot's register and push it back on top once pt_regs is complete.
   */
  readonly saveRet?: boolean;
}

function operand(s: PtRegsSlot, subst: Readonly<Record<string, string>>): string {
  return subst[s.name] ?? s.reg ?? '$0';
}

/** calling.h PUSH_REGS. */
export function pushRegs(f: PtRegsFrame, opts: PushOptions = {}): string[] {
  const subst = opts.subst ?? {};
  const out: string[] = [];
  let rest = f.pushed;
  let retReg: string | null = null;
  if (opts.saveRet) {
    const [first, second] = f.pushed;
    if (!first?.reg || !second?.reg || subst[first.name] || subst[second.name]) {
      throw new UsageError('PUSH_REGS save_ret needs two plain registers right below orig_ax');
    }
    retReg = second.reg;
    out.push(
      `pushq ${second.reg}            /* pt_regs->${second.name} */`,
      `movq 8(%rsp), ${second.reg}    /* the return address, for now in ${second.reg} */`,
      `movq ${first.reg}, 8(%rsp)     /* pt_regs->${first.name}, over the return address */`,
    );
    rest = f.pushed.slice(2);
  }
  for (const s of rest) out.push(`pushq ${operand(s, subst)}    /* pt_regs->${s.name}${s.reg ? '' : ' (placeholder: C fills it)'} */`);
  if (retReg) out.push(`pushq ${retReg}    /* return address on top of pt_regs */`);
  return out;
}

/** calling.h CLEAR_REGS: every saved register except %rdi and %rax (speculation hygiene). */
export function clearRegs(f: PtRegsFrame): string[] {
  return f.pushed
    .map((s) => s.reg)
    .filter((r): r is string => r !== null && r !== '%rdi' && r !== '%rax')
    .map((r) => `xorl ${REG32[r]!}, ${REG32[r]!}`);
}

export function pushAndClearRegs(f: PtRegsFrame, opts: PushOptions = {}): string[] {
  return [...pushRegs(f, opts), ...clearRegs(f)];
}

/** calling.h POP_REGS: lowest member first; non-register members skipped with `addq`. */
export function popRegs(f: PtRegsFrame, opts: { readonly popRdi?: boolean } = {}): string[] {
  const out: string[] = [];
  let skip = 0;
  const flush = (): void => {
    if (skip > 0) out.push(`addq $${skip}, %rsp    /* skip non-register pt_regs members */`);
    skip = 0;
  };
  for (const s of [...f.pushed].reverse()) {
    if (s.reg === null || (s.reg === '%rdi' && opts.popRdi === false)) {
      skip += 8;
      continue;
    }
    flush();
    out.push(`popq ${s.reg}`);
  }
  // A trailing skip (pop_rdi=0) is left to the caller, as in calling.h.
  return out;
}

/** calling.h PUSH_PTREGS_AUXILIARY (V9): empty without an extension. */
export function pushAux(f: PtRegsFrame): string[] {
  return f.auxSize > 0 ? ['subq $PTREGS_AUX_SIZE, %rsp    /* PUSH_PTREGS_AUXILIARY: the extension below pt_regs */'] : [];
}

export function popAux(f: PtRegsFrame): string[] {
  return f.auxSize > 0 ? ['addq $PTREGS_AUX_SIZE, %rsp    /* POP_PTREGS_AUXILIARY */'] : [];
}

/** A C call that receives pt_regs in %rdi, wrapped in the design's extension reservation. */
export function callWithRegs(f: PtRegsFrame, cfunc: string): string[] {
  return [...pushAux(f), `call ${cfunc}`, ...popAux(f)];
}
