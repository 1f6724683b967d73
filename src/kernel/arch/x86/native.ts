/**
 * Kernel "C" functions written in TypeScript that run on the guest stack
 * (DESIGN.md §3). Each owns a 16-byte slot of kernel text in the CPU's
 * host-call range. When an entry stub `call`s one, the CPU stops with a
 * `hostcall` exit at its address and `dispatch` runs it the way compiled C
 * would run: `push %rbp; mov %rsp,%rbp; sub $locals,%rsp`, the body, then
 * `leave; ret` — so the unwinder and the visualizer see real frames (return
 * address, saved RBP, locals such as irqentry_state_t) on the real stack.
 *
 * A native body touches guest memory only through this runtime, with
 * supervisor rights and the current PKRS. When an access faults, the fault
 * is delivered as a real nested exception whose return address is the
 * function's "resume point" (its slot + 8, standing for the faulting
 * instruction): the CPU runs the exception stubs and handlers re-entrantly
 * until their IRETQ comes back to that point with the same RSP, and then
 * the access is retried — as hardware would re-execute the instruction.
 * Interrupts reach native code the same way, at `boundary()` calls (the
 * instruction boundaries a native body chooses to expose).
 *
 * A body that might sleep is a generator (generic/sleep.ts). When it yields
 * — schedule() decided to switch — the call is suspended: its frame stays on
 * its guest stack, the resume point is pushed as a `call` would, and the
 * kernel's `onSuspend` starts the switch in guest code (__switch_to_asm).
 * When a later switch `ret`s to that resume point on that stack, the body
 * continues where it yielded. Only an outermost call can be suspended (no
 * other native frame, no nested run on the host stack): the generator holds
 * the TypeScript side of exactly one call chain.
 */
import { RAX, RBP, RSP, linearOf } from '../../../cpu/core.js';
import type { Cpu } from '../../../cpu/exec.js';
import type { CpuExit } from '../../../cpu/exits.js';
import { CpuFault } from '../../../cpu/faults.js';
import { AC } from '../../../cpu/flags.js';
import { InternalError, KentryError } from '../../../lib/errors.js';
import {
  ARG_REGS, CallRecord, isSleeping, toBig,
  type NativeCall, type NativeFunctionInfo, type NativeResult, type SleepingBody,
} from './native-call.js';

export type { NativeCall, NativeResult, SleepingBody } from './native-call.js';

export type NativeBody = (rt: NativeRuntime, call: NativeCall) => NativeResult | SleepingBody;

export interface NativeFunction extends NativeFunctionInfo {
  readonly body: NativeBody;
}

const TWO_32 = 4294967296;
/** Bytes of kernel text each native function owns (entry at +0, resume point at +8). */
export const NATIVE_SLOT = 16;
const RESUME_OFFSET = 8;
/** Instructions nested work may take before the model calls it a hang (an oops, never a host hang). */
const NESTED_BUDGET = 50_000_000;
/** A native access that faults this often in a row is a kernel bug (an oops), not a retry. */
const MAX_RETRIES = 4;


/** A call switched away from, waiting for a `ret` to its resume point on its stack. */
interface SuspendedCall {
  readonly call: NativeCall;
  readonly body: SleepingBody;
}

/** A kernel bug surfaced by the model (an access that keeps faulting, a stray return). */
export class KernelOops extends KentryError {
  readonly code = 'kernel-oops' as const;
  constructor(message: string) {
    super(message);
    this.name = 'KernelOops';
  }
}

/** Thrown through a user-access section when its fixup ran (never escapes userAccess). */
class UaccessFixup extends Error {}

/** Handles a CPU exit that is not a native call (a halt, a triple fault); returns false to stop. */
export type ExitHandler = (exit: CpuExit) => boolean;

export class NativeRuntime {
  private readonly byAddress = new Map<number, NativeFunction>();
  /** The same functions by slot index (address - textBase) / NATIVE_SLOT: the hostcall path's lookup. */
  private readonly bySlot: (NativeFunction | undefined)[] = [];
  private readonly byName = new Map<string, NativeFunction>();
  private nextAddress: number;
  /** The innermost running native call (its resume point is where nested work returns). */
  private readonly active: NativeCall[] = [];
  /** Nested runs (faults, boundaries) on the host stack now. */
  private nestedDepth = 0;
  /** Suspended calls by the RSP their resume `ret` lands with. */
  private readonly suspended = new Map<number, SuspendedCall>();

  /**
   * Starts the context switch a suspended body asked for (its yield value):
   * the resume point is already pushed; set up the guest call. Set by the
   * kernel; without a scheduler no body yields.
   */
  onSuspend: (request: unknown) => void = () => {
    throw new InternalError('a native body yielded but the kernel has no scheduler');
  };

  constructor(
    readonly cpu: Cpu,
    readonly textBase: number,
    readonly textSize: number,
  ) {
    this.nextAddress = textBase;
    cpu.hostcallStart = textBase;
    cpu.hostcallEnd = textBase + textSize;
  }

  /** Declares a native function; `locals` bytes are reserved below its saved RBP. */
  define(name: string, body: NativeBody, locals = 0): NativeFunction {
    if (this.byName.has(name)) throw new InternalError(`native function ${name} defined twice`);
    if (this.nextAddress + NATIVE_SLOT > this.textBase + this.textSize) throw new InternalError('native text full');
    const fn: NativeFunction = { name, address: this.nextAddress, locals: Math.ceil(locals / 8) * 8, body };
    this.nextAddress += NATIVE_SLOT;
    this.byAddress.set(fn.address, fn);
    this.bySlot[(fn.address - this.textBase) / NATIVE_SLOT] = fn;
    this.byName.set(name, fn);
    return fn;
  }

  /** The innermost running native call (for an unwinder started from inside it), if any. */
  get innermost(): NativeCall | undefined {
    return this.active[this.active.length - 1];
  }

  /** Whether the running call may be switched away from: it is the only native call and no nested run is on the host stack. */
  canSuspend(): boolean {
    return this.active.length === 1 && this.nestedDepth === 0;
  }

  /** Calls switched away from, waiting to be resumed (one per sleeping task). */
  get suspendedCount(): number {
    return this.suspended.size;
  }

  get(name: string): NativeFunction {
    const fn = this.byName.get(name);
    if (!fn) throw new InternalError(`no native function ${name}`);
    return fn;
  }

  /** `name+0xoff` for an address in native text, or null. */
  symbolize(address: number): string | null {
    if (address < this.textBase || address >= this.nextAddress) return null;
    const base = address - ((address - this.textBase) % NATIVE_SLOT);
    const fn = this.byAddress.get(base);
    return fn ? `${fn.name}+0x${(address - base).toString(16)}` : null;
  }

  /** True when `address` is a native function's entry (the CPU's hostcall exit is a call). */
  isEntry(address: number): boolean {
    return this.byAddress.has(address);
  }

  /**
   * The CPU stopped at `address` (a native entry): the stub's `call` already
   * pushed the return address. Builds the frame, runs the body with the
   * argument registers, returns through `leave; ret` with RAX set.
   */
  dispatch(address: number): void {
    const off = address - this.textBase;
    const fn = off % NATIVE_SLOT === 0 ? this.bySlot[off / NATIVE_SLOT] : undefined;
    if (!fn) {
      this.resume(address);
      return;
    }
    const call = this.prologue(fn);
    this.active.push(call);
    let result: NativeResult | SleepingBody;
    try {
      result = fn.body(this, call);
    } catch (e) {
      this.active.pop();
      throw e;
    }
    if (isSleeping(result)) {
      this.drive(call, result);
      return;
    }
    this.active.pop();
    this.finish(call, result);
  }

  /** Runs a sleeping body until it returns (then `leave; ret`) or yields (then suspends it). */
  private drive(call: NativeCall, body: SleepingBody): void {
    let step: IteratorResult<unknown, NativeResult>;
    try {
      step = body.next();
    } finally {
      this.active.pop();
    }
    if (step.done) {
      this.finish(call, step.value);
      return;
    }
    if (this.active.length !== 0 || this.nestedDepth !== 0) {
      throw new InternalError(`${call.fn.name} tried to sleep inside nested kernel work`);
    }
    // As `call __switch_to_asm` from this frame: the resume point is the return address.
    this.push64(call.fn.address + RESUME_OFFSET);
    this.suspended.set(this.cpu.reg64(RSP) + 8, { call, body });
    this.onSuspend(step.value);
  }

  /** A `ret` reached a native resume point outside nested work: a suspended call is switched back in. */
  private resume(address: number): void {
    const key = this.cpu.reg64(RSP);
    const s = this.suspended.get(key);
    if (!s || s.call.fn.address + RESUME_OFFSET !== address) {
      throw new KernelOops(`control reached native text at 0x${(address >>> 0).toString(16)} outside a function entry`);
    }
    this.suspended.delete(key);
    this.active.push(s.call);
    this.drive(s.call, s.body);
  }

  /** `leave; ret` of an outermost call, with RAX set. */
  private finish(call: NativeCall, result: NativeResult): void {
    this.epilogue(call);
    this.setRax(result);
    const ret = this.pop64(); // ret
    this.cpu.rip = ret;
    this.cpu.nextRip = ret;
  }

  /**
   * A native body calls another native function with a real frame: the
   * return address (the caller's resume point) is pushed, as `call` would.
   */
  call(fn: NativeFunction, ...args: (number | bigint)[]): bigint {
    const cpu = this.cpu;
    const saved = args.map((_a, i) => [cpu.lo[ARG_REGS[i]!]!, cpu.hi[ARG_REGS[i]!]!] as const);
    args.forEach((a, i) => this.setReg(ARG_REGS[i]!, a));
    const caller = this.active[this.active.length - 1];
    this.push64(caller ? caller.fn.address + RESUME_OFFSET : fn.address);
    const result = this.enter(fn);
    this.pop64(); // the return address: control is back in the caller's TypeScript
    saved.forEach(([lo, hi], i) => {
      cpu.lo[ARG_REGS[i]!] = lo;
      cpu.hi[ARG_REGS[i]!] = hi;
    });
    return toBig(result);
  }

  /** Prologue, body, epilogue of one call; RSP/RBP end as they were before the prologue. A sleeping body runs to its end here. */
  private enter(fn: NativeFunction): NativeResult {
    const call = this.prologue(fn);
    this.active.push(call);
    let result: NativeResult | SleepingBody;
    try {
      result = fn.body(this, call);
      if (isSleeping(result)) {
        const step = result.next();
        if (!step.done) throw new InternalError(`${fn.name} tried to sleep inside another native call`);
        result = step.value;
      }
    } finally {
      this.active.pop();
    }
    this.epilogue(call);
    return result;
  }

  /** `push %rbp; mov %rsp,%rbp; sub $locals,%rsp`, and the call's view of its arguments. */
  private prologue(fn: NativeFunction): NativeCall {
    const cpu = this.cpu;
    this.push64(cpu.reg64(RBP));
    const frame = cpu.reg64(RSP);
    cpu.lo[RBP] = cpu.lo[RSP]!;
    cpu.hi[RBP] = cpu.hi[RSP]!;
    cpu.setRspNumber(frame - fn.locals);
    return new CallRecord(fn, frame, cpu.lo, cpu.hi);
  }

  /** `leave`: RSP = RBP (the frame); pop RBP. */
  private epilogue(call: NativeCall): void {
    const cpu = this.cpu;
    cpu.setRspNumber(call.frame);
    const savedRbp = this.pop64();
    const hi = Math.floor(savedRbp / TWO_32);
    cpu.lo[RBP] = (savedRbp - hi * TWO_32) | 0;
    cpu.hi[RBP] = hi | 0;
  }

  // ---------------------------------------------------------------------
  // Guest memory from native code (supervisor, current PKRS)

  /**
   * Runs `access` (an MMU access in the CPU's current data mode); if it
   * faults, delivers the fault as a nested exception at the innermost native
   * call's resume point, runs the kernel until the handler's IRETQ returns
   * there, and retries.
   */
  access<T>(access: () => T): T {
    // A long copy may fault once per page, each fault resolved (copy-on-write): only the same fault
    // again and again, with nothing fixed between, is a kernel bug.
    let lastFault = '';
    for (let attempt = 0; ; attempt++) {
      try {
        return access();
      } catch (e) {
        if (!(e instanceof CpuFault)) throw e;
        const where = `${e.vector}:${this.cpu.cr2}`;
        if (where !== lastFault) attempt = 0;
        lastFault = where;
        if (attempt >= MAX_RETRIES) throw new KernelOops(`native access keeps faulting: ${e.message}`);
        this.nested((resume) => this.cpu.raiseAt(e, resume));
        if (this.fixup?.faulted) throw new UaccessFixup();
      }
    }
  }

  /** Set while a user-access section runs: its faults have an exception-table fixup. */
  private fixup: { faulted: boolean } | null = null;

  /**
   * search_exception_tables(regs->ip) + fixup_exception for the model: true
   * when the faulting kernel access is inside a user-access section, which
   * the #PF handler then leaves through its fixup (the access ends with
   * -EFAULT) instead of an oops.
   * @kernel arch/x86/mm/extable.c fixup_exception
   */
  takeFixup(): boolean {
    if (!this.fixup) return false;
    this.fixup.faulted = true;
    return true;
  }

  /**
   * user_access_begin() … user_access_end(): STAC (RFLAGS.AC, so SMAP lets
   * supervisor accesses reach user pages), `body`, CLAC. A fault in `body`
   * is delivered as a real #PF; its handler finds the fixup (`takeFixup`)
   * and returns, and the section ends with null (-EFAULT) instead of a
   * retry.
   * @kernel arch/x86/include/asm/uaccess.h user_access_begin, __get_user_asm (_ASM_EXTABLE_UA)
   */
  userAccess<T>(body: () => T): T | null {
    const cpu = this.cpu;
    const outer = this.fixup;
    const hadAc = (cpu.flags.raw & AC) !== 0;
    this.fixup = { faulted: false };
    cpu.flags.raw |= AC; // stac
    cpu.updateDataMode();
    try {
      return body();
    } catch (e) {
      if (e instanceof UaccessFixup) return null;
      throw e;
    } finally {
      this.fixup = outer;
      if (!hadAc) cpu.flags.raw &= ~AC; // clac
      cpu.updateDataMode();
    }
  }

  read64(address: number): bigint {
    const cpu = this.cpu;
    let lo: number;
    try {
      lo = cpu.read64(address); // the common case: no fault, no closure
    } catch {
      lo = this.access(() => cpu.read64(address));
    }
    return (BigInt(cpu.readHi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  /** Bits 63:32 of the last `read64Lo`. */
  readHi = 0;

  /** Reads 64 bits without a BigInt: returns bits 31:0 (an int32 pattern), leaves bits 63:32 in `readHi`. */
  read64Lo(address: number): number {
    const cpu = this.cpu;
    let lo: number;
    try {
      lo = cpu.read64(address);
    } catch {
      lo = this.access(() => cpu.read64(address));
    }
    this.readHi = cpu.readHi;
    return lo;
  }

  write64(address: number, value: bigint | number): void {
    let lo: number;
    let hi: number;
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      hi = Math.floor(value / TWO_32);
      lo = (value - hi * TWO_32) | 0;
      hi |= 0;
    } else {
      const v = BigInt.asUintN(64, BigInt(value));
      lo = Number(v & 0xffff_ffffn) | 0;
      hi = Number(v >> 32n) | 0;
    }
    try {
      this.cpu.write64(address, lo, hi);
    } catch {
      this.access(() => this.cpu.write64(address, lo, hi));
    }
  }

  read32(address: number): number {
    try {
      return this.cpu.read(address, 4) >>> 0; // the common case: no fault, no closure
    } catch {
      return this.access(() => this.cpu.read(address, 4) >>> 0);
    }
  }

  write32(address: number, value: number): void {
    this.access(() => this.cpu.write(address, 4, value | 0));
  }

  read8(address: number): number {
    return this.access(() => this.cpu.read(address, 1));
  }

  write8(address: number, value: number): void {
    this.access(() => this.cpu.write(address, 1, value & 0xff));
  }

  /**
   * An instruction boundary inside native code: a pending NMI, or an
   * interrupt that RFLAGS.IF allows, is delivered here and handled to
   * completion before the body continues. Returns whether one was.
   */
  boundary(): boolean {
    let delivered = false;
    this.nested((resume) => {
      const r = this.cpu.boundaryAt(resume);
      delivered = r.delivered;
      return r.delivered ? r.exit : 'nothing';
    });
    return delivered;
  }

  /** Instructions nested work may run before it counts as a hang (an oops, never a host hang). */
  nestedBudget = NESTED_BUDGET;

  /**
   * Instruction-count events (the injector): nested runs stop where one is
   * due and let it fire, so an injection lands at its exact boundary even
   * inside an exception taken by native code.
   */
  clock: { fireDue(): void; nextStop(): number } | null = null;

  /** How the kernel's top-level loop handles exits other than native calls (set by the kernel). */
  onOtherExit: ExitHandler = (exit) => {
    throw new KernelOops(`unexpected CPU exit ${exit.kind} while running native code`);
  };

  /**
   * Starts nested work at the innermost call's resume point (`start` puts
   * the CPU into it and may return an immediate exit, or 'nothing' when
   * there is no work), then runs until control is back at that point with
   * the same RSP.
   */
  private nested(start: (resume: number) => CpuExit | null | 'nothing'): void {
    const call = this.active[this.active.length - 1];
    if (!call) throw new InternalError('nested kernel work outside a native call');
    const cpu = this.cpu;
    const resume = call.fn.address + RESUME_OFFSET;
    const rsp = cpu.reg64(RSP);
    const first = start(resume);
    if (first === 'nothing') return;
    this.nestedDepth++;
    try {
      this.runNested(call, resume, rsp, first);
    } finally {
      this.nestedDepth--;
    }
  }

  private runNested(call: NativeCall, resume: number, rsp: number, first: CpuExit | null): void {
    const cpu = this.cpu;
    let exit: CpuExit | null = first;
    const limit = cpu.instructions + this.nestedBudget;
    for (;;) {
      if (cpu.instructions > limit) {
        throw new KernelOops(`nested work for ${call.fn.name} ran ${this.nestedBudget} instructions without returning`);
      }
      if (exit === null) {
        // Stop exactly where a scheduled injection is due, as the kernel's top-level loop does.
        this.clock?.fireDue();
        const due = this.clock ? this.clock.nextStop() - cpu.instructions : 1_000_000;
        exit = cpu.run(Math.max(1, Math.min(1_000_000, due)));
      }
      if (exit.kind === 'hostcall') {
        if (exit.address === resume && cpu.reg64(RSP) === rsp) return;
        this.dispatch(exit.address);
      } else if (exit.kind !== 'budget' && !this.onOtherExit(exit)) {
        throw new KernelOops(`CPU stopped (${exit.kind}) before returning to ${call.fn.name}`);
      }
      exit = null;
    }
  }

  // ---------------------------------------------------------------------

  private setReg(r: number, v: number | bigint): void {
    const b = BigInt.asUintN(64, BigInt(v));
    this.cpu.lo[r] = Number(b & 0xffff_ffffn) | 0;
    this.cpu.hi[r] = Number(b >> 32n) | 0;
  }

  private setRax(result: NativeResult): void {
    if (result === undefined) return;
    const cpu = this.cpu;
    if (typeof result === 'boolean') {
      cpu.lo[RAX] = result ? 1 : 0;
      cpu.hi[RAX] = 0;
    } else if (typeof result === 'number' && Number.isSafeInteger(result)) {
      // Sign-extended 64-bit value of a safe integer, without a BigInt.
      const hi = Math.floor(result / TWO_32);
      cpu.lo[RAX] = (result - hi * TWO_32) | 0;
      cpu.hi[RAX] = hi | 0;
    } else {
      this.setReg(RAX, result);
    }
  }

  private push64(value: number): void {
    const sp = this.cpu.reg64(RSP) - 8;
    this.write64(sp, value);
    this.cpu.setRspNumber(sp);
  }

  private pop64(): number {
    const cpu = this.cpu;
    const sp = cpu.reg64(RSP);
    let lo: number;
    try {
      lo = cpu.read64(sp);
    } catch {
      lo = this.access(() => cpu.read64(sp));
    }
    const v = linearOf(cpu.readHi, lo);
    cpu.setRspNumber(sp + 8);
    return v;
  }
}

