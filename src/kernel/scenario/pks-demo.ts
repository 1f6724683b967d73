/**
 * The built-in PKS scenario of `kentry demo` (DESIGN.md §1, §6), as data:
 * a user task makes a system call whose handler opens PKS key 1
 * (pks_set_readwrite), writes a key-1 page and reaches an instruction
 * boundary where the local APIC timer fires. The timer handler reads the
 * key-1 page: with the design's entry code the handler runs with the
 * default PKRS, so that read takes a #PF with X86_PF_PK; key 1's fault
 * callback calls pks_update_exception(regs, 1, read/write) and the read is
 * retried. Inside the #PF handler, after the callback, an NMI arrives. At
 * the deepest point (in exc_nmi) every level is recorded; on the way out
 * the invariants of DESIGN.md §4 that apply are checked.
 *
 * For `upstream` (no PKRS save/restore) the timer handler inherits the
 * syscall's key-1 rights, no #PF happens, and the NMI arrives in the timer
 * handler instead: the result says so (invariant 3 false). For
 * `state-ref` the #PF's exit writes back the thread's PKRS it saved, which
 * the callback could not correct (invariant 2 false; pkrs-invariants.ts
 * says why). At the deepest point the stacks are also captured word by
 * word (stack-diagram.ts).
 */
import { RBP, RBX, RDI, RDX, RSI, RSP } from '../../cpu/core.js';
import type { PkrsReach } from '../../design/build.js';
import { LOCAL_TIMER_VECTOR } from '../arch/x86/entry/symbols.js';
import type { InjectionRecord } from '../arch/x86/inject.js';
import { cBoundary, type EntryRecord } from '../arch/x86/kernel-c.js';
import { USER_CS, USER_STACK_TOP } from '../arch/x86/memory-map.js';
import { KernelOops } from '../arch/x86/native.js';
import {
  PKEY_READ_WRITE, pkeyUpdatePkval, pksRegisterFaultCallback, pksSetNoaccess, pksSetReadwrite,
  type PksUpdateExceptionResult,
} from '../arch/x86/pks.js';
import { updateException } from '../arch/x86/traps.js';
import { timerInterrupt } from '../arch/x86/irq.js';
import { PKS_KEY1_PAGE, bootKernel, type BootOptions, type Kernel } from '../boot.js';
import type { Design } from '../../design/build.js';
import { levelsNow, type ScenarioLevel } from './levels.js';
import { stacksInBounds, unwinderFindsAll } from './stack-invariants.js';
import { unwindFromCall, type Unwind } from '../arch/x86/unwind.js';
import { stackDiagramNow, type StackDiagram } from './stack-diagram.js';
import {
  defaultPkrs, pkrsRestored, type InvariantResult, type ScenarioEntry, type ScenarioInvariant,
} from './pkrs-invariants.js';

/** The demo's system call (outside Linux's table). */
export const NR_PKS_DEMO = 1000;
const PKS_KEY = 1;
const MAGIC = 0x5ec2e7n;

/** Values the user task holds across its system call (invariant 1). */
const USER_REGS: readonly (readonly [string, number, number])[] = [
  ['rbx', RBX, 0x1111], ['rdx', RDX, 0x2222], ['rsi', RSI, 0x3333], ['rdi', RDI, 0x4444], ['rbp', RBP, 0x5555],
  ['r8', 8, 0x8888], ['r9', 9, 0x9999], ['r10', 10, 0xaaaa], ['r12', 12, 0xcccc], ['r13', 13, 0xdddd],
  ['r14', 14, 0xeeee], ['r15', 15, 0xffff],
];

const USER_PROGRAM = `
${USER_REGS.map(([name, , v]) => `  mov $${v}, %${name}`).join('\n')}
  mov $${NR_PKS_DEMO}, %eax
  syscall
done:
  jmp done
`;

export interface PksScenarioResult {
  readonly design: string;
  /** The design's PKRS slot (`extension.aux.pkrs`, …), or null (not saved). */
  readonly pkrsSlot: string | null;
  readonly pkrsReach: PkrsReach;
  /** Levels at the deepest point (inside exc_nmi), outermost first; empty if the NMI never ran. */
  readonly levels: readonly ScenarioLevel[];
  /** The timer handler's read of the key-1 page faulted (#PF with PK). */
  readonly pkFault: boolean;
  /** What key 1's fault callback got from pks_update_exception, or null when it never ran. */
  readonly updateException: PksUpdateExceptionResult['kind'] | null;
  /** The value the timer handler read from the key-1 page (null: it did not finish). */
  readonly timerRead: bigint | null;
  readonly entries: readonly ScenarioEntry[];
  readonly invariants: Readonly<Record<ScenarioInvariant, InvariantResult>>;
  readonly injections: readonly InjectionRecord[];
  /** Instructions the CPU retired (user code and entry stubs; native C is not counted). */
  readonly instructions: number;
  /** A KernelOops that ended the run, or null. */
  readonly oops: string | null;
  /** The frame-pointer unwind from inside exc_nmi (stack alone, no compiler frame layouts), or null. */
  readonly unwind: Unwind | null;
  /** The stacks at the deepest point, every word labelled (read inside exc_nmi), or null. */
  readonly stackDiagram: StackDiagram | null;
}

export interface PksScenarioOptions extends BootOptions {
  /** Instruction budget (default 50 000). */
  readonly budget?: number;
}

function expectedOnReturn(r: EntryRecord): number {
  return r.updates.reduce((v, u) => (u.reached ? pkeyUpdatePkval(v, u.pkey, u.prot) : v), r.pkrsAtEntry) >>> 0;
}

/** Runs the scenario on a fresh kernel for `design`. */
export function runPksScenario(design: Design, options: PksScenarioOptions = {}): PksScenarioResult {
  const k = bootKernel(design, options);
  const rt = k.platform.native;
  const cpu = k.platform.cpu;
  let levels: ScenarioLevel[] = [];
  let updateKind: PksUpdateExceptionResult['kind'] | null = null;
  let timerRead: bigint | null = null;
  let unwind: Unwind | null = null;
  let stackDiagram: StackDiagram | null = null;

  k.syscalls.set(NR_PKS_DEMO, () => {
    pksSetReadwrite(k.pks, PKS_KEY);
    rt.write64(PKS_KEY1_PAGE, MAGIC);
    cBoundary(k.c, rt, 'sys_pks_demo'); // the timer fires here
    pksSetNoaccess(k.pks, PKS_KEY);
    return 0;
  });
  const tick = timerInterrupt(k.c);
  k.irqHandlers.set(LOCAL_TIMER_VECTOR, (hrt, regs, vector) => {
    tick(hrt, regs, vector);
    timerRead = hrt.read64(PKS_KEY1_PAGE);
    if (!k.log.finished.some((e) => e.kind === 'page-fault')) {
      // No #PF (upstream): the NMI lands in the timer handler instead.
      k.injector.nmi({ atFunction: 'timer_interrupt', when: 'boundary' });
      cBoundary(k.c, hrt, 'timer_interrupt');
    }
  });
  pksRegisterFaultCallback(k.pks, PKS_KEY, (_pks, regs) => {
    updateKind = updateException(k.c, regs, PKS_KEY, PKEY_READ_WRITE).kind;
    return true;
  });
  k.nmiHandlers.push((nrt) => {
    levels = levelsNow(k);
    // What the unwinder finds from the stack alone, without the compiler's frame layouts.
    const call = nrt.innermost;
    if (call) unwind = unwindFromCall(k, call);
    stackDiagram = stackDiagramNow(k, unwind);
  });
  k.injector.irq(LOCAL_TIMER_VECTOR, { atFunction: 'sys_pks_demo', when: 'boundary' });
  k.injector.nmi({ atFunction: 'exc_page_fault', when: 'boundary' });

  const userTask = k.startUser(USER_PROGRAM, 'pks-demo');
  let oops: string | null = null;
  try {
    runUntilSyscallDone(k, options.budget ?? 50_000);
  } catch (e) {
    if (!(e instanceof KernelOops)) throw e;
    oops = e.message;
  }

  const finished = k.log.finished;
  const entries: ScenarioEntry[] = finished.map((r) => ({
    kind: r.kind, cFunction: r.cFunction, vector: r.vector, regs: r.regs,
    pkrsAtEntry: r.pkrsAtEntry, pkrsAtHandler: r.pkrsAtHandler, pkrsOnReturn: r.pkrsOnReturn,
    pkrsExpected: expectedOnReturn(r),
  }));
  return {
    design: design.name,
    pkrsSlot: design.slots.pkrs?.ref ?? null,
    pkrsReach: design.pkrsReach,
    levels,
    pkFault: finished.some((e) => e.kind === 'page-fault'),
    updateException: updateKind,
    timerRead,
    entries,
    invariants: {
      'user-registers-restored': userRegisters(k, oops),
      'pkrs-restored': pkrsRestored({ design, entries, levels, update: updateKind, pkey: PKS_KEY, oops }),
      'handlers-default-pkrs': defaultPkrs({ design, entries, levels, update: updateKind, pkey: PKS_KEY, oops }),
      'unwinder-finds-pt-regs': unwinderFindsAll(design, levels, unwind),
      'entry-state-balanced': balanced(k, oops),
      'stacks-in-bounds': stacksInBounds(design, levels, userTask.stackTop),
    },
    injections: k.injector.fired,
    unwind,
    stackDiagram,
    instructions: cpu.instructions,
    oops,
  };
}

function runUntilSyscallDone(k: Kernel, budget: number): void {
  const end = k.platform.cpu.instructions + budget;
  while (k.platform.cpu.instructions < end) {
    k.run(200);
    if (k.log.finished.some((e) => e.kind === 'syscall') && k.platform.cpu.cpl === 3) return;
  }
}

function userRegisters(k: Kernel, oops: string | null): InvariantResult {
  if (oops) return { ok: false, detail: `oops: ${oops}` };
  const cpu = k.platform.cpu;
  const bad: string[] = [];
  for (const [name, r, v] of USER_REGS) {
    if (cpu.lo[r] !== v || cpu.hi[r] !== 0) bad.push(`${name}=0x${cpu.reg64(r).toString(16)} (want 0x${v.toString(16)})`);
  }
  if (cpu.reg64(RSP) !== USER_STACK_TOP) bad.push(`rsp=0x${cpu.reg64(RSP).toString(16)}`);
  if (cpu.cs !== USER_CS || cpu.cpl !== 3) bad.push(`cs=0x${cpu.cs.toString(16)}`);
  if (cpu.lo[0] !== 0 || cpu.hi[0] !== 0) bad.push(`rax=0x${cpu.reg64(0).toString(16)} (the syscall returns 0)`);
  return bad.length === 0
    ? { ok: true, detail: `back in user mode after the syscall; ${USER_REGS.length} callee-visible registers, rsp, cs intact, rax = 0` }
    : { ok: false, detail: bad.join(', ') };
}

function balanced(k: Kernel, oops: string | null): InvariantResult {
  const v = k.violations();
  const ct = k.entryCpu.ct.state();
  const ok = !oops && v.length === 0 && ct === 'user' && k.log.active.length === 0;
  return {
    ok,
    detail: ok
      ? 'checkEntryCpu empty, context tracking back in USER, no entry left open'
      : [oops ? `oops: ${oops}` : '', ...v.map((x) => `${x.code}: ${x.message}`), `ct=${ct}`, `open entries=${k.log.active.length}`]
        .filter(Boolean).join('; '),
  };
}
