/**
 * x86 kprobes on the entry text, as arch/x86/kernel/kprobes/core.c does them
 * (int3-based; no optprobes, no ftrace-based probes):
 *
 * - register_kprobe → _kprobe_addr (symbol[+offset] from the entry text's
 *   symbol table) → check_kprobe_address_safe (kernel text only) →
 *   arch_prepare_kprobe: the original instruction is decoded
 *   (can_probe/insn_decode_kernel), copied into an instruction slot
 *   (arch_copy_kprobe → __copy_instruction into get_insn_slot()), and
 *   prepare_singlestep() appends an INT3 after the copy → arch_arm_kprobe:
 *   text_poke(p->addr, INT3_INSN_OPCODE).
 * - The CPU executes the 0xCC: #BP from kernel mode; asm_exc_int3 builds
 *   pt_regs (with the design's extension) and calls exc_int3, which from
 *   kernel mode runs irqentry_nmi_enter, do_int3 → kprobe_int3_handler.
 * - kprobe_int3_handler: the probe at regs->ip - 1 → set_current_kprobe,
 *   KPROBE_HIT_ACTIVE, pre_handler(p, regs) — the BPF dispatcher
 *   (kprobe_dispatcher → kprobe_perf_func → trace_call_bpf) with ctx = this
 *   #BP entry's pt_regs — then setup_singlestep: save regs->flags & IF,
 *   clear IF, regs->ip = the slot, KPROBE_HIT_SS.
 * - IRET runs the copied instruction out of line; the INT3 after it traps
 *   again; kprobe_int3_handler sees KPROBE_HIT_SS with ip inside the slot
 *   → resume_singlestep: IF restored, regs->ip += (orig - copy) - 1, so
 *   execution continues after the original instruction; then
 *   kprobe_post_process (post_handler, reset_current_kprobe).
 *
 * This is Linux's single-step since v5.14 ("x86/kprobes: Use int3 instead
 * of debug trap for single-step", no TF and no #DB); the "boosted" variant
 * (a JMP back instead of the INT3, only without CONFIG_PREEMPTION) is not
 * modelled. Not modelled either: instructions Linux emulates instead of
 * stepping (prepare_emulation: call, jmp, jcc, ret, loop, int3 — refused
 * here), RIP-relative operands (__copy_instruction fixes the displacement;
 * refused here), reenter_kprobe (a probe hit while one is being handled is
 * an oops), the kprobe blacklist (Linux refuses .entry.text, where every
 * probe point of this model lives — the audit needs them there), and
 * probes on the native "C" functions: their text is a host-call range the
 * CPU leaves before it fetches a byte, so an INT3 there would never run.
 * @kernel arch/x86/kernel/kprobes/core.c arch_prepare_kprobe, kprobe_int3_handler, setup_singlestep, resume_singlestep
 * @kernel kernel/kprobes.c register_kprobe
 */
import { decodeInsn } from '../../../cpu/decode/decoder.js';
import { BASE_RIP, MAX_INSN_LENGTH, newDecodedInsn } from '../../../cpu/decode/insn.js';
import { IF } from '../../../cpu/flags.js';
import { ACCESS_READ, MODE_SUPERVISOR } from '../../../cpu/mmu.js';
import { KentryError } from '../../../lib/errors.js';
import type { CEntryContext } from './kernel-c.js';
import { KERNEL_TEXT, KERNEL_TEXT_SIZE, NATIVE_TEXT, NATIVE_TEXT_SIZE, PAGE_SIZE } from './memory-map.js';
import { KernelOops } from './native.js';
import type { Platform } from './platform.js';
import type { PtRegs } from './regs.js';

/** INT3_INSN_OPCODE (arch/x86/include/asm/text-patching.h). */
export const INT3_INSN_OPCODE = 0xcc;
/** MAX_INSN_SIZE (arch/x86/include/asm/kprobes.h): one instruction slot. */
export const MAX_INSN_SIZE = 16;
/** MODULES_VADDR (Documentation/arch/x86/x86_64/mm.rst): execmem's EXECMEM_KPROBES area, where insn slots live. */
export const KPROBE_INSN_PAGE = Number(0xffff_ffff_a000_0000n - 2n ** 64n);

/** What the kernel must offer to register probes (a booted `Kernel` has both). */
export interface KprobeHost {
  readonly platform: Platform;
  readonly c: CEntryContext;
}

/**
 * pre_handler(p, regs): true means "the handler changed regs->ip, do not
 * single-step" (kprobe_int3_handler's `!p->pre_handler(p, regs)` test).
 */
export type KprobePreHandler = (p: Kprobe, regs: PtRegs) => boolean;
/** post_handler(p, regs, flags), after the original instruction ran. */
export type KprobePostHandler = (p: Kprobe, regs: PtRegs) => void;

export class KprobeError extends KentryError {
  readonly code = 'kprobe' as const;
}

/** struct kprobe, the fields the x86 int3 path uses. */
export interface Kprobe {
  /** symbol_name+offset as registered, or null for a raw address. */
  readonly symbol: string | null;
  /** p->addr: the probed instruction. */
  readonly addr: number;
  /** p->opcode: the original first byte. */
  readonly opcode: number;
  /** The original instruction (ainsn.insn holds a copy of it, then INT3). */
  readonly insn: Uint8Array;
  /** p->ainsn.insn: the instruction slot. */
  readonly slot: number;
  readonly pre: KprobePreHandler;
  readonly post: KprobePostHandler | null;
  /** Times the pre-handler ran. */
  nhit: number;
  /** kprobes_inc_nmissed_count. */
  nmissed: number;
}

type KprobeStatus = 'hit-active' | 'hit-ss';

/** The per-kernel registry (kprobe_table) and the per-CPU kprobe_ctlblk. */
interface KprobeTable {
  readonly probes: Map<number, Kprobe>;
  current: Kprobe | null;
  status: KprobeStatus | null;
  /** kcb->kprobe_saved_flags: regs->flags & X86_EFLAGS_IF. */
  savedFlags: bigint;
  /** Physical address of the slot page, once allocated. */
  slotPagePhys: number | null;
  nextSlot: number;
}

const tables = new WeakMap<CEntryContext, KprobeTable>();

function tableOf(ctx: CEntryContext): KprobeTable {
  let t = tables.get(ctx);
  if (!t) {
    t = { probes: new Map(), current: null, status: null, savedFlags: 0n, slotPagePhys: null, nextSlot: 0 };
    tables.set(ctx, t);
  }
  return t;
}

const hex = (a: number): string => `0x${BigInt.asUintN(64, BigInt(a)).toString(16)}`;

/** _kprobe_addr: `symbol`, `symbol+0xoff` or a number. */
function resolveAddress(platform: Platform, target: string | number): { addr: number; symbol: string | null } {
  if (typeof target === 'number') return { addr: target, symbol: null };
  const m = /^([A-Za-z_.][\w.]*)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(target);
  if (!m) throw new KprobeError(`kprobe: bad symbol '${target}'`);
  const base = platform.symbols.get(m[1]!);
  if (base === undefined) {
    if (nativeAddress(platform, m[1]!) !== undefined) {
      throw new KprobeError(`kprobe: ${m[1]} is a native "C" function (host-call text): an int3 there never executes`);
    }
    throw new KprobeError(`kprobe: no symbol '${m[1]}' in the entry text (-ENOENT)`);
  }
  return { addr: base + (m[2] ? Number(m[2]) : 0), symbol: target };
}

function nativeAddress(platform: Platform, name: string): number | undefined {
  try {
    return platform.native.get(name).address;
  } catch {
    return undefined;
  }
}

/** Physical address of kernel-text byte `va` (text_poke writes through its own mapping; here: the frame). */
function textPhys(platform: Platform, va: number): number {
  return platform.mmu.translate(va, ACCESS_READ, MODE_SUPERVISOR);
}

function readText(platform: Platform, va: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = platform.phys.read8(textPhys(platform, va + i));
  return out;
}

/** Control transfers Linux emulates (prepare_emulation) rather than steps out of line. */
const EMULATED = /^(j|call|ret|iret|sysret|loop|int|syscall|sysenter|sysexit)/;

/**
 * register_kprobe(p) for a probe on the entry text at `target`
 * (a symbol, `symbol+offset`, or an address), armed at once.
 */
export function registerKprobe(
  host: KprobeHost, target: string | number, pre: KprobePreHandler, post: KprobePostHandler | null = null,
): Kprobe {
  const { platform } = host;
  const { addr, symbol } = resolveAddress(platform, target);
  if (addr >= NATIVE_TEXT && addr < NATIVE_TEXT + NATIVE_TEXT_SIZE) {
    throw new KprobeError(`kprobe at ${hex(addr)}: native "C" function text (host calls): an int3 there never executes`);
  }
  // check_kprobe_address_safe: core kernel text only.
  if (addr < KERNEL_TEXT || addr >= KERNEL_TEXT + KERNEL_TEXT_SIZE) {
    throw new KprobeError(`kprobe at ${hex(addr)}: not kernel text (-EINVAL)`);
  }
  const t = tableOf(host.c);
  if (t.probes.has(addr)) throw new KprobeError(`kprobe at ${hex(addr)}: already probed (-EEXIST in this model: no aggregate probes)`);
  // can_probe / arch_copy_kprobe: decode the original instruction.
  const window = readText(platform, addr, MAX_INSN_LENGTH);
  const d = decodeInsn(newDecodedInsn(), window, 0, window.length, addr, 64);
  if (d.op < 0) throw new KprobeError(`kprobe at ${hex(addr)}: no instruction boundary / undecodable (-EILSEQ)`);
  if (EMULATED.test(d.mnemonic)) {
    throw new KprobeError(`kprobe at ${hex(addr)}: '${d.mnemonic}' needs emulation (prepare_emulation), not modelled`);
  }
  if (d.hasModrm && d.mod !== 3 && d.base === BASE_RIP) {
    throw new KprobeError(`kprobe at ${hex(addr)}: RIP-relative operand (__copy_instruction's fixup not modelled)`);
  }
  const insn = window.slice(0, d.length);
  // get_insn_slot: one page of slots at MODULES_VADDR, mapped read-only and executable (set_memory_rox).
  if (t.slotPagePhys === null) t.slotPagePhys = platform.space.mapNew(KPROBE_INSN_PAGE, PAGE_SIZE, {});
  if (t.nextSlot + MAX_INSN_SIZE > PAGE_SIZE) throw new KprobeError('kprobe: insn slots exhausted (-ENOMEM)');
  const slot = KPROBE_INSN_PAGE + t.nextSlot;
  const slotPhys = t.slotPagePhys + t.nextSlot;
  t.nextSlot += MAX_INSN_SIZE;
  // prepare_singlestep (non-boosted): the copy, then INT3 to trap after it.
  platform.phys.writeBytes(slotPhys, insn);
  platform.phys.write8(slotPhys + insn.length, INT3_INSN_OPCODE);
  const p: Kprobe = { symbol, addr, opcode: insn[0]!, insn, slot, pre, post, nhit: 0, nmissed: 0 };
  t.probes.set(addr, p);
  // arch_arm_kprobe: text_poke(p->addr, INT3) (the decode cache drops the frame's decodes on the write).
  platform.phys.write8(textPhys(platform, addr), INT3_INSN_OPCODE);
  return p;
}

/** unregister_kprobe: arch_disarm_kprobe puts the original byte back (the slot is not reused). */
export function unregisterKprobe(host: KprobeHost, p: Kprobe): void {
  const t = tableOf(host.c);
  if (t.probes.get(p.addr) !== p) throw new KprobeError(`kprobe at ${hex(p.addr)}: not registered`);
  host.platform.phys.write8(textPhys(host.platform, p.addr), p.opcode);
  t.probes.delete(p.addr);
}

/** The probes registered on a kernel. */
export function kprobesOf(host: KprobeHost): readonly Kprobe[] {
  return [...tableOf(host.c).probes.values()];
}

/** setup_singlestep (no emulate_op): IF off, ip → the slot, KPROBE_HIT_SS. */
function setupSinglestep(t: KprobeTable, p: Kprobe, regs: PtRegs): void {
  t.status = 'hit-ss';
  const flags = regs.get('flags');
  t.savedFlags = flags & BigInt(IF);
  regs.set('flags', flags & ~BigInt(IF));
  regs.set('ip', BigInt.asUintN(64, BigInt(p.slot)));
}

/** resume_singlestep: IF back, regs->ip from after the slot's INT3 to after the original instruction. */
function resumeSinglestep(t: KprobeTable, p: Kprobe, regs: PtRegs): void {
  regs.set('flags', regs.get('flags') | t.savedFlags);
  regs.set('ip', BigInt.asUintN(64, regs.get('ip') + BigInt(p.addr - p.slot) - 1n));
}

/** kprobe_post_process: post_handler, then reset_current_kprobe. */
function postProcess(t: KprobeTable, p: Kprobe, regs: PtRegs): void {
  if (p.post) {
    t.status = 'hit-active'; // KPROBE_HIT_SSDONE
    p.post(p, regs);
  }
  t.current = null;
  t.status = null;
}

/**
 * kprobe_int3_handler(regs): true when the INT3 was a kprobe's (the probe
 * itself, or the INT3 after its out-of-line copy), false for anyone else's.
 */
export function kprobeInt3Handler(ctx: CEntryContext, regs: PtRegs): boolean {
  if (regs.userMode()) return false;
  const t = tables.get(ctx);
  if (!t) return false;
  const ip = Number(BigInt.asIntN(64, regs.get('ip')));
  const p = t.probes.get(ip - 1);
  if (p) {
    if (t.current) {
      // reenter_kprobe: a probe hit while single-stepping is unrecoverable; nested handling is not modelled.
      p.nmissed++;
      throw new KernelOops(`Unrecoverable kprobe detected at ${hex(p.addr)} (reenter_kprobe, status ${t.status ?? 'none'})`);
    }
    t.current = p; // set_current_kprobe
    t.status = 'hit-active';
    p.nhit++;
    if (!p.pre(p, regs)) setupSinglestep(t, p, regs);
    else {
      t.current = null;
      t.status = null;
    }
    return true;
  }
  const c = t.current;
  if (t.status === 'hit-ss' && c && c.slot < ip && c.slot + MAX_INSN_SIZE > ip) {
    // "Most provably this is the second int3 for singlestep".
    resumeSinglestep(t, c, regs);
    postProcess(t, c, regs);
    return true;
  }
  return false;
}
