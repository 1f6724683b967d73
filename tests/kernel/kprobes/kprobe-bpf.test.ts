/**
 * kprobes with a BPF program attached, per design (issue 6 item 4; DESIGN.md
 * §4 invariant 6): an int3 on the entry text, #BP from kernel mode, the
 * idtentry stub's pt_regs as the program's ctx, out-of-line single-step.
 *
 * Probe point: entry_SYSCALL_64_after_hwframe (`pushq %rax`, pt_regs->orig_ax):
 * the syscall's hardware part of pt_regs is on the stack and every GPR still
 * holds the user's value, so the #BP entry's pt_regs — the ctx a kprobe
 * program gets, *not* the syscall's pt_regs — has di si dx r10 r8 r9 as the
 * user loaded them, ax = the syscall number, and cx = the user RIP after
 * SYSCALL (SDM: RCX ← RIP), which is what PT_REGS_PARM4 reads there (the
 * syscall's 4th argument is in r10, PT_REGS_PARM4_SYSCALL, reference §6).
 *
 * A second probe, on the instruction right before `call do_syscall_64`
 * (where the syscall's pt_regs is complete), shows what Linux programs see
 * at such a point: PUSH_AND_CLEAR_REGS has cleared the argument registers,
 * PARM1 is the syscall's struct pt_regs * (PT_REGS_SYSCALL_REGS).
 */
import { describe, expect, it } from 'vitest';
import {
  PARAMS_MAP_DEF, createMapTable, fixedParamsProgram, loadProgram, relocatedParamsProgram,
  type BpfMaps, type LoadedProgram,
} from '../../../src/bpf/index.js';
import { decodeInsn } from '../../../src/cpu/decode/decoder.js';
import { newDecodedInsn } from '../../../src/cpu/decode/insn.js';
import { MODE_SUPERVISOR } from '../../../src/cpu/mmu.js';
import type { Design } from '../../../src/design/build.js';
import { BUILTIN_DESIGNS } from '../../../src/design/registry.js';
import { bpfKprobeHandler } from '../../../src/kernel/arch/x86/kprobe-bpf.js';
import { KprobeError, registerKprobe, type Kprobe } from '../../../src/kernel/arch/x86/kprobes.js';
import { PKS_INIT_VALUE } from '../../../src/kernel/arch/x86/pks.js';
import { bootKernel, type Kernel } from '../../../src/kernel/boot.js';

const U = { di: 0x1111_0001n, si: 0x2222_0002n, dx: 0x3333_0003n, r10: 0x4444_0004n, r8: 0x5555_0005n, r9: 0x6666_0006n };
const NR_getpid = 39n;

const USER = `
  movabs $${U.di}, %rdi
  movabs $${U.si}, %rsi
  movabs $${U.dx}, %rdx
  movabs $${U.r10}, %r10
  movabs $${U.r8}, %r8
  movabs $${U.r9}, %r9
  mov $39, %eax
  syscall
  lea 7(%rax), %rdi
  mov $231, %eax
  syscall
`;

type Kind = 'fixed' | 'relocated';

interface Hit {
  /** PT_REGS_PARM1..5 as the program stored them (map slots 0..4). */
  readonly params: bigint[];
  readonly ctxAddress: number;
  /** *(u64 *)regs->sp at the hit: where the probe is on the syscall path, the pt_regs->ip slot it pushed. */
  readonly atSp: bigint;
}

function u64(bytes: Uint8Array, off = 0): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]!);
  return v;
}

function mapValues(maps: BpfMaps, fd: number): bigint[] {
  const map = maps.get(fd)!;
  return [0, 1, 2, 3, 4].map((k) => {
    const key = new Uint8Array(4);
    key[0] = k;
    const r = map.lookup(key);
    return r ? u64(r.bytes) : -1n;
  });
}

interface Attached {
  readonly probe: Kprobe;
  readonly hits: Map<Kind, Hit[]>;
}

/** Loads both reference programs against the running design's pt_regs and attaches them to one probe. */
function attachBoth(k: Kernel, target: string | number): Attached {
  const maps = createMapTable();
  const progs = new Map<Kind, { prog: LoadedProgram; fd: number }>();
  for (const kind of ['fixed', 'relocated'] as const) {
    const fd = maps.create(PARAMS_MAP_DEF, `params_${kind}`);
    const src = kind === 'fixed' ? fixedParamsProgram(fd) : relocatedParamsProgram(fd);
    progs.set(kind, { prog: loadProgram(src.insns, { maps, ctxLayout: k.design.ptRegs, ctxRelocs: src.relocs, name: kind }), fd });
  }
  const hits = new Map<Kind, Hit[]>([['fixed', []], ['relocated', []]]);
  const spOff = k.design.ptRegs.members.find((m) => m.name === 'sp')!.offset;
  const handlers = [...progs].map(([kind, { prog, fd }]) => bpfKprobeHandler(k, prog, {
    onRun: (run) => {
      expect(run.result.r0).toBe(0n);
      const sp = Number(BigInt.asIntN(64, u64(run.ctx, spOff)));
      hits.get(kind)!.push({ params: mapValues(maps, fd), ctxAddress: run.ctxAddress, atSp: k.platform.mmu.read64(sp, MODE_SUPERVISOR) });
    },
  }));
  // Two programs on one probe: the perf event's bpf_prog_array, run in order.
  const probe = registerKprobe(k, target, (p, regs) => handlers.map((h) => h(p, regs)).some(Boolean));
  return { probe, hits };
}

/** Addresses of the instructions from `label` up to and including the first `call`. */
function instructionsToCall(k: Kernel, label: string): number[] {
  const start = k.platform.symbols.get(label)!;
  const out: number[] = [];
  for (let a = start; out.length < 200;) {
    const w = new Uint8Array(15);
    for (let i = 0; i < 15; i++) w[i] = k.platform.mmu.read8(a + i, MODE_SUPERVISOR);
    const d = decodeInsn(newDecodedInsn(), w, 0, 15, a, 64);
    out.push(a);
    if (d.mnemonic === 'call') return out;
    a += d.length;
  }
  throw new Error('no call');
}

/** The run's invariants: the task exits with getpid() + 7 (so getpid returned the pid, entries balanced, PKRS kept. */
function expectCompleted(k: Kernel, { probe }: Attached, syscalls: number): void {
  const [task] = k.exited;
  expect(task?.exit).toEqual({ kind: 'exited', code: task!.pid + 7 }); // exit_group(getpid() + 7)
  expect(probe.nhit).toBe(syscalls);
  expect(k.violations()).toEqual([]);
  const int3 = k.log.finished.filter((e) => e.cFunction === 'exc_int3');
  expect(int3).toHaveLength(2 * syscalls); // the probe's int3, then the one after the out-of-line copy
  for (const e of int3) {
    expect(e.pkrsAtHandler).toBe(PKS_INIT_VALUE); // invariant 3
    expect(e.pkrsOnReturn).toBe(e.pkrsAtEntry); // invariant 2
  }
  expect(k.log.active.filter((e) => e.cFunction === 'exc_int3')).toEqual([]); // (exit_group's syscall never returns)
}

/** pt_regs member at `offset` in `design` (what a fixed-offset load there really reads). */
function memberAt(design: Design, offset: number): string {
  return design.ptRegs.members.find((m) => m.offset === offset)?.name ?? `(none at ${offset})`;
}

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('kprobe + BPF, design %s', (name, design) => {
  it('probe on entry_SYSCALL_64_after_hwframe: ctx = the #BP pt_regs; PARM1..5 per layout; the syscall completes', () => {
    const k = bootKernel(design);
    k.startUser(USER, 'kprobe-user');
    const attached = attachBoth(k, 'entry_SYSCALL_64_after_hwframe');
    const { hits } = attached;
    k.run(20_000);
    expectCompleted(k, attached, 2);

    const int3 = k.log.finished.filter((e) => e.cFunction === 'exc_int3');
    const [fixed, relocated] = [hits.get('fixed')![0]!, hits.get('relocated')![0]!];
    // ctx is the pt_regs of the #BP entry (the first int3 of the first syscall), not the syscall's.
    expect(fixed.ctxAddress).toBe(int3[0]!.regs);
    expect(relocated.ctxAddress).toBe(int3[0]!.regs);
    const syscall = k.log.finished.find((e) => e.kind === 'syscall')!;
    expect(relocated.ctxAddress).not.toBe(syscall.regs);
    // The #BP's regs->sp is the syscall's half-built frame: pt_regs->ip (user RIP) at its bottom.
    const userRip = relocated.atSp;
    expect(userRip >= 0x40_0000n && userRip < 0x40_1000n).toBe(true);

    // The relocated program reads di si dx cx r8 under every design: cx is the user RIP (SYSCALL's RCX).
    expect(relocated.params).toEqual([U.di, U.si, U.dx, userRip, U.r8]);
    if (name !== 'pks-in-pt_regs') {
      expect(fixed.params).toEqual(relocated.params);
    } else {
      // pkrs is the new first member: every register moved up 8 bytes, so the upstream
      // offsets 112 104 96 88 72 land on si dx cx ax r9.
      expect([112, 104, 96, 88, 72].map((o) => memberAt(design, o))).toEqual(['si', 'dx', 'cx', 'ax', 'r9']);
      expect(fixed.params).toEqual([U.si, U.dx, userRip, NR_getpid, U.r9]);
    }
    // Second hit (exit_group(pid + 7)): the same mapping with the new di and ax.
    const [fixed2, relocated2] = [hits.get('fixed')![1]!, hits.get('relocated')![1]!];
    const code = BigInt(k.exited[0]!.pid + 7);
    expect(relocated2.params[0]).toBe(code);
    if (name === 'pks-in-pt_regs') expect(fixed2.params[3]).toBe(231n);
    else expect(fixed2.params[0]).toBe(code);
  });

  it('probe on the instruction before `call do_syscall_64`: args cleared, PARM1 = the syscall pt_regs *', () => {
    const k = bootKernel(design);
    k.startUser(USER, 'kprobe-user');
    const insns = instructionsToCall(k, 'entry_SYSCALL_64_after_hwframe');
    const attached = attachBoth(k, insns[insns.length - 2]!);
    const { hits } = attached;
    k.run(20_000);
    expectCompleted(k, attached, 2);
    const syscall = k.log.finished.find((e) => e.kind === 'syscall')!;
    const relocated = hits.get('relocated')![0]!;
    // di = the syscall's struct pt_regs * (movq %rsp, %rdi ran); dx cx r8 cleared by CLEAR_REGS;
    // si: 0 where the probed instruction is `movslq %eax, %rsi` itself, the nr where it already ran
    // (extended/aux: the probed instruction is PUSH_PTREGS_AUXILIARY's subq).
    const si = design.extension ? NR_getpid : 0n;
    expect(relocated.params).toEqual([BigInt.asUintN(64, BigInt(syscall.regs)), si, 0n, 0n, 0n]);
    const fixed = hits.get('fixed')![0]!;
    if (name !== 'pks-in-pt_regs') expect(fixed.params).toEqual(relocated.params);
    else expect(fixed.params).toEqual([si, 0n, 0n, NR_getpid, 0n]); // si dx cx ax r9
  });
});

describe('kprobe registration', () => {
  const design = BUILTIN_DESIGNS[0]!;
  it('refuses native "C" functions, non-text addresses and instructions that need emulation', () => {
    const k = bootKernel(design);
    expect(() => registerKprobe(k, 'do_syscall_64', () => false)).toThrow(KprobeError);
    expect(() => registerKprobe(k, k.platform.native.get('do_syscall_64').address, () => false)).toThrow(/native/);
    expect(() => registerKprobe(k, 0x40_0000, () => false)).toThrow(/not kernel text/);
    expect(() => registerKprobe(k, 'entry_SYSRETQ_unsafe_stack+3', () => false)).toThrow(/emulation/); // sysretq
    expect(() => registerKprobe(k, 'no_such_symbol', () => false)).toThrow(/no symbol/);
  });

  it('writes 0xCC at the probed address and keeps the original instruction in the slot', () => {
    const k = bootKernel(design);
    const at = k.platform.symbols.get('entry_SYSCALL_64_after_hwframe')!;
    const before = k.platform.mmu.read8(at, MODE_SUPERVISOR);
    const p = registerKprobe(k, 'entry_SYSCALL_64_after_hwframe', () => false);
    expect(k.platform.mmu.read8(at, MODE_SUPERVISOR)).toBe(0xcc);
    expect(p.opcode).toBe(before);
    expect(k.platform.mmu.read8(p.slot, MODE_SUPERVISOR)).toBe(before);
    expect(k.platform.mmu.read8(p.slot + p.insn.length, MODE_SUPERVISOR)).toBe(0xcc);
    expect(() => registerKprobe(k, at, () => false)).toThrow(/already/);
  });
});
