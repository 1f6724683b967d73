/**
 * The run loop: fetch through the MMU, decode once (a cache of decoded
 * instructions per physical code frame, indexed by the offset in the frame;
 * a write to a frame with cached decodes — self-modifying code, a reloaded
 * program — drops them, see PhysMemory.codeFrames), dispatch, retire;
 * deliver faults,
 * single-step traps, NMIs and interrupts at instruction boundaries; stop
 * with a `CpuExit` (STYLE.md §2.2 — the CPU never calls the kernel).
 */
import { BLOCK_END, BLOCK_UNSAFE, MAX_BLOCK_INSNS, compileBlock, type Block, type BlockRole } from './blocks.js';
import { CpuCore, VEC_DB, VEC_GP, VEC_NMI } from './core.js';
import { OP_TOO_LONG, SEG_CS, type DecodedInsn } from './decode/insn.js';
import { assert } from '../lib/errors.js';
import {
  EVENT_EXTERNAL, EVENT_FAULT, EVENT_NMI, EVENT_SOFTWARE, EVENT_TRAP, TripleFault, deliverEvent,
} from './deliver.js';
import type { CpuExit } from './exits.js';
import type { TraceSink } from '../trace/events.js';
import { CpuFault, PageFault, SoftwareInterrupt } from './faults.js';
import { IF, RF, TF } from './flags.js';
import { MODE_SUPERVISOR, MODE_USER, type Mmu } from './mmu.js';

/** An instruction's semantics. Throws CpuFault for exceptions; writes `nextRip` to branch. */
export type Handler = (cpu: Cpu, insn: DecodedInsn) => void;

/**
 * Decodes one instruction from `bytes[offset .. end)`. Returns null when the
 * instruction needs bytes beyond `end` (the loop then fetches the next page
 * and retries); an undecodable or unsupported instruction is a record with
 * `op` = OP_UD (#UD); one longer than 15 bytes is OP_TOO_LONG (#GP(0),
 * SDM Vol. 2 §2.3.11).
 */
export type DecodeFn = (bytes: Uint8Array, offset: number, end: number, address: number) => DecodedInsn | null;

/**
 * Decodes one instruction of compatibility-mode code (`bits` 32 or 16, from
 * CS.D); `address` is its offset in CS (EIP). As DecodeFn otherwise.
 */
export type CompatDecodeFn = (bytes: Uint8Array, offset: number, end: number, address: number, bits: 16 | 32) => DecodedInsn | null;

/** Picks the handler for a decoded (valid) instruction: its row's, or a specialised one (ops/fast.ts). */
export type SelectFn = (insn: DecodedInsn) => Handler;

/** Whether a handler may run inside a compiled block (blocks.ts), and whether it ends one. */
export type BlockRoleFn = (handler: Handler) => BlockRole;

/** Runs of an instruction by the interpreter before a block is compiled from it. */
const BLOCK_THRESHOLD = 16;

/**
 * Physical frames whose decodes are kept at once; when a new frame would
 * exceed it the whole cache is dropped (a program's hot code fits easily,
 * and memory stays bounded at about 64 KiB per frame).
 */
const MAX_DECODED_FRAMES = 128;
const PAGE = 4096;
/** The longest instruction (SDM Vol. 2 §2.3.11). */
const MAX_INSN = 15;

/** Reasons the loop stops from inside a handler. */
const STOP_NONE = 0;
const STOP_HALT = 1;

export class Cpu extends CpuCore {
  /** Retired instructions; also drives the virtual TSC. */
  instructions = 0;
  /** Host-call range [start, end): reaching it exits with `hostcall` (kernel "C" functions). */
  hostcallStart = 0;
  hostcallEnd = 0;
  // The rare conditions below are accessors: setting one recomputes `attention`,
  // the single field the fast path reads to know the next boundary needs `step`.
  private attention = 0;
  private stopValue = STOP_NONE;
  private pendingInterruptValue = -1;
  private pendingNmiValue = false;
  private interruptShadowValue = false;
  private sinkValue: TraceSink | null = null;

  private updateAttention(): void {
    this.attention =
      this.stopValue !== STOP_NONE || this.pendingNmiValue || this.pendingInterruptValue >= 0 ||
      this.interruptShadowValue || this.sinkValue !== null || this.codeBits !== 64 ? 1 : 0;
  }

  /** Compatibility-mode code always takes `step` (no decode cache, no blocks): see `fetchCompat`. */
  protected override codeModeChanged(): void {
    this.updateAttention();
  }

  /** Set by HLT: the loop exits with `halt` after the instruction. */
  get stop(): number { return this.stopValue; }
  set stop(v: number) { this.stopValue = v; this.updateAttention(); }
  /** An external interrupt waiting for IF = 1 (vector), or -1. */
  get pendingInterrupt(): number { return this.pendingInterruptValue; }
  set pendingInterrupt(v: number) { this.pendingInterruptValue = v; this.updateAttention(); }
  /** An NMI waiting (delivered unless blocked by a previous NMI). */
  get pendingNmi(): boolean { return this.pendingNmiValue; }
  set pendingNmi(v: boolean) { this.pendingNmiValue = v; this.updateAttention(); }
  /** STI / MOV SS shadow: no interrupts before the next instruction completes (SDM Vol. 3A §6.8.3). */
  get interruptShadow(): boolean { return this.interruptShadowValue; }
  set interruptShadow(v: boolean) { this.interruptShadowValue = v; this.updateAttention(); }
  /** Where trace events go; null (the default) makes tracing free: the fast path never looks further. */
  get sink(): TraceSink | null { return this.sinkValue; }
  set sink(v: TraceSink | null) { this.sinkValue = v; this.updateAttention(); }
  /**
   * Set by SYSCALL and SYSRET: the single-step trap after them follows the TF they
   * leave, not the TF they began with (see ops/system.ts `stepOnResultingTf`).
   * `step` resets it before each instruction, so a value left by the fast path is inert.
   */
  stepOnResult = false;
  /**
   * A single-step trap owed at the next instruction boundary: set by a SYSCALL or SYSRET
   * that left TF = 1 (TF = 1 sends the next boundary through `step`, which delivers it
   * before any NMI or interrupt: SDM Vol. 3A §6.9 Table 6-2, priority 4 before 5 and 6).
   */
  stepTrapDue = false;
  /**
   * Set by an IRET that loaded RF = 1: RF survives the end of that IRET and is cleared
   * only after the next instruction (SDM Vol. 3A §18.3.1.1). `step` resets it before
   * each instruction.
   */
  keepRf = false;

  /** Decoded instructions per physical code frame (frame address -> page of decodes by offset). */
  private readonly decoded = new Map<number, DecodedFrame>();
  /** The handler of the instruction `fetch` returned last. */
  private handler: Handler = invalidInstruction;
  /**
   * Set (non-zero) when something a block's instruction did must end the
   * block at once: a store dropped cached decodes. The run loop clears it
   * before each block.
   */
  blockBreak = 0;
  /**
   * Interpreted runs of an instruction before a block is compiled from it
   * (1..255). Tests set 1 to run every instruction they can inside blocks.
   */
  blockThreshold = BLOCK_THRESHOLD;
  /** Window for instructions that cross a page boundary. */
  private readonly window = new Uint8Array(MAX_INSN * 2);

  constructor(
    mmu: Mmu,
    private readonly decode: DecodeFn,
    private readonly select: SelectFn,
    private readonly blockRole: BlockRoleFn = () => BLOCK_UNSAFE,
    private readonly decodeCompat: CompatDecodeFn | null = null,
    private readonly selectCompat: SelectFn | null = null,
  ) {
    super(mmu);
    // Self-modifying (or reloaded) code: a write to a frame with cached decodes drops them.
    mmu.phys.onCodeWrite = (frame) => this.dropDecodes(frame);
  }

  /** Forgets every cached decode from the physical frame at `frame`. */
  private dropDecodes(frame: number): void {
    this.decoded.delete(frame);
    // The current code page may be that frame (code that writes its own page): look it up afresh.
    if (frame === this.codePhys) this.codePage = NaN;
    this.blockBreak = 1;
  }

  /** HLT: stop the loop after this instruction (only at CPL 0; the handler checks). */
  halt(): void {
    this.stop = STOP_HALT;
  }

  /** Requests an NMI at the next instruction boundary. */
  injectNmi(): void {
    this.pendingNmi = true;
  }

  /** Requests a maskable external interrupt (delivered when IF = 1). */
  injectInterrupt(vector: number): void {
    this.pendingInterrupt = vector;
  }

  /**
   * Runs until an exit or until `budget` instructions have retired. Faults
   * raised by instructions are delivered through the IDT and execution
   * continues in the handler, as on hardware.
   */
  run(budget: number): CpuExit {
    const end = this.instructions + budget;
    const tlb = this.mmu.tlb;
    while (this.instructions < end) {
      // Anything rare — a HLT to report, a pending NMI or interrupt, an STI/MOV SS
      // shadow, TF or RF set — takes the careful path, one instruction at a time.
      if (this.attention !== 0 || (this.flags.raw & (TF | RF)) !== 0) {
        const exit = this.step();
        if (exit) return exit;
        continue;
      }
      const rip = this.rip;
      const off = rip & 0xfff;
      try {
        if (rip - off !== this.codePage || tlb.epoch !== this.codeEpoch || this.cpl !== this.codeCpl) {
          if (rip >= this.hostcallStart && rip < this.hostcallEnd) return { kind: 'hostcall', address: rip };
          this.enterCodePage(rip);
        } else if (this.codeHasHostcalls && rip >= this.hostcallStart && rip < this.hostcallEnd) {
          return { kind: 'hostcall', address: rip };
        }
        const block = this.codeBlocks[off];
        if (block !== undefined) {
          if (block !== null && block.address === rip && this.instructions + block.count <= end) {
            this.blockBreak = 0;
            block.run(this, end);
            continue;
          }
        } else if ((this.codeHeat[off] = this.codeHeat[off]! + 1) >= this.blockThreshold && !this.codeHasHostcalls) {
          this.codeBlocks[off] = this.formBlock(rip, off);
          continue;
        }
        let insn = this.codeInsns[off];
        let handler: Handler;
        if (insn !== undefined && insn.address === rip) {
          handler = this.codeHandlers[off]!;
        } else {
          insn = this.decodeAt(rip, off);
          handler = this.handler;
        }
        this.nextRip = rip + insn.length;
        handler(this, insn);
      } catch (e) {
        // RIP is the instruction that faulted (a block sets it before each of its instructions).
        const exit = this.onFault(e, this.rip);
        if (exit) return exit;
        continue;
      }
      this.rip = this.nextRip;
      this.instructions++;
    }
    return { kind: 'budget' };
  }

  /**
   * One instruction boundary with every check: report a HLT, deliver a
   * pending NMI or interrupt, run one instruction, then end the STI shadow,
   * clear RF and take a single-step trap.
   */
  private step(): CpuExit | null {
    if (this.stop !== STOP_NONE) {
      this.stop = STOP_NONE;
      return { kind: 'halt' };
    }
    if (this.stepTrapDue) {
      // A SYSCALL/SYSRET run by the fast path left TF = 1: its trap, before anything else.
      this.stepTrapDue = false;
      return this.deliver(VEC_DB, EVENT_TRAP, 0, this.rip);
    }
    if (this.pendingNmi || this.pendingInterrupt >= 0) {
      const exit = this.deliverPending();
      if (exit) return exit;
    }
    const rip = this.rip;
    if (rip >= this.hostcallStart && rip < this.hostcallEnd) return { kind: 'hostcall', address: rip };
    const tfBefore = (this.flags.raw & TF) !== 0;
    const shadow = this.interruptShadow;
    this.stepOnResult = false;
    this.keepRf = false;
    const cpl = this.cpl;
    let insn: DecodedInsn;
    try {
      if (this.codeBits === 64) {
        insn = this.fetch(rip);
        this.nextRip = rip + insn.length;
      } else {
        insn = this.fetchCompat(rip);
        this.nextRip = (rip + insn.length) % TWO_32; // EIP wraps at 32 bits
      }
      this.handler(this, insn);
    } catch (e) {
      return this.onFault(e, rip);
    }
    if (this.sink?.instructions) {
      this.sink.emit({ kind: 'insn', layer: 'cpu', rip, cpl, mnemonic: insn.mnemonic, bytes: insn.bytes });
    }
    this.rip = this.nextRip;
    this.instructions++;
    // The shadow covers exactly the one instruction after STI (an STI inside it starts no new one).
    if (shadow) this.interruptShadow = false;
    // RF is cleared after any instruction completes, except an IRET that loaded it (SDM Vol. 3A §18.3.1.1).
    if ((this.flags.raw & RF) !== 0 && !this.keepRf) this.flags.raw &= ~RF;
    // Single-step: a trap after an instruction that began with TF = 1 (SDM Vol. 3A §18.3.1.4);
    // after SYSCALL/SYSRET, one that left TF = 1 instead.
    if (this.stepOnResult ? this.stepTrapDue : tfBefore) {
      this.stepTrapDue = false;
      return this.deliver(VEC_DB, EVENT_TRAP, 0, this.rip);
    }
    return null;
  }

  // The current code page, translated once and reused until the page, the
  // TLB epoch (any invalidation or rights change) or the CPL changes.
  private codePage = NaN;
  private codeEpoch = -1;
  private codeCpl = -1;
  private codeFrame: Uint8Array = new Uint8Array(0);
  private codePhys = NaN;
  /** The page overlaps the host-call range: every RIP in it is checked against it. */
  private codeHasHostcalls = false;
  /** Decodes of the current code frame by offset (and their handlers). */
  private codeInsns: (DecodedInsn | undefined)[] = [];
  private codeHandlers: (Handler | undefined)[] = [];
  /** Compiled blocks of the current code frame by offset of their first instruction (null: none can start there). */
  private codeBlocks: (Block<Cpu> | null | undefined)[] = [];
  /** Interpreted runs per offset of the current code frame, towards BLOCK_THRESHOLD. */
  private codeHeat: Uint8Array = new Uint8Array(0);

  /** Translates `rip`'s page for fetching (may #PF) and makes its decodes current. */
  private enterCodePage(rip: number): void {
    const off = rip & 0xfff;
    const page = rip - off;
    this.codeFrame = this.mmu.fetchFrame(rip, this.cpl === 3 ? MODE_USER : MODE_SUPERVISOR);
    const phys = this.mmu.fetchPhys - off;
    this.codePhys = phys;
    this.codePage = page;
    this.codeEpoch = this.mmu.tlb.epoch;
    this.codeCpl = this.cpl;
    this.codeHasHostcalls = page < this.hostcallEnd && page + PAGE > this.hostcallStart;
    let d = this.decoded.get(phys);
    if (d === undefined) {
      if (this.decoded.size >= MAX_DECODED_FRAMES) this.decoded.clear();
      d = {
        insns: new Array<DecodedInsn | undefined>(PAGE),
        handlers: new Array<Handler | undefined>(PAGE),
        blocks: new Array<Block<Cpu> | null | undefined>(PAGE),
        heat: new Uint8Array(PAGE),
      };
      this.decoded.set(phys, d);
    }
    this.codeInsns = d.insns;
    this.codeHandlers = d.handlers;
    this.codeBlocks = d.blocks;
    this.codeHeat = d.heat;
  }

  /** The decoded instruction at `rip`, from the cache when its bytes are unchanged; its handler in `handler`. */
  private fetch(rip: number): DecodedInsn {
    const off = rip & 0xfff;
    if (rip - off !== this.codePage || this.mmu.tlb.epoch !== this.codeEpoch || this.cpl !== this.codeCpl) {
      this.enterCodePage(rip);
    }
    const cached = this.codeInsns[off];
    // No byte comparison: writes to frames with cached decodes drop them (PhysMemory.codeFrames).
    if (cached !== undefined && cached.address === rip) {
      this.handler = this.codeHandlers[off]!;
      return cached;
    }
    return this.decodeAt(rip, off);
  }

  /**
   * Compatibility mode: the instruction at CS:EIP (`eip` = RIP, an offset
   * in CS), its handler in `handler`. The whole instruction must lie within
   * the CS limit (#GP(0), SDM Vol. 3A §5.3); its linear address is CS.base
   * + EIP modulo 2^32. Decoded afresh each time: compatibility-mode code is
   * rare (signal trampolines, selftests), and not caching keeps the 64-bit
   * decode cache and blocks free of any mode test.
   */
  private fetchCompat(eip: number): DecodedInsn {
    const limit = this.segLimit[SEG_CS]!;
    if (eip > limit || this.decodeCompat === null || this.selectCompat === null) {
      if (eip > limit) this.fault(VEC_GP, 0);
      this.undefinedOpcode();
    }
    const bits = this.codeBits === 16 ? 16 : 32;
    const la = (this.segBase[SEG_CS]! + eip) % TWO_32;
    const mode = this.cpl === 3 ? MODE_USER : MODE_SUPERVISOR;
    const off = la % PAGE;
    const frame = this.mmu.fetchFrame(la, mode);
    let insn = this.decodeCompat(frame, off, PAGE, eip, bits);
    if (insn === null) {
      const w = this.window;
      const first = PAGE - off;
      w.set(frame.subarray(off, PAGE), 0);
      w.set(this.mmu.fetchFrame((la + first) % TWO_32, mode).subarray(0, MAX_INSN), first);
      insn = this.decodeCompat(w, 0, first + MAX_INSN, eip, bits);
      assert(insn !== null, 'a 15-byte window cannot be too short');
    }
    if (eip + insn.length - 1 > limit) this.fault(VEC_GP, 0);
    this.handler = insn.op < 0 ? invalidInstruction : this.selectCompat(insn);
    return insn;
  }

  /** Decodes the instruction at `rip` (offset `off` in the current code page) and caches it when it fits the page. */
  private decodeAt(rip: number, off: number): DecodedInsn {
    const frame = this.codeFrame;
    const insn = this.decode(frame, off, PAGE, rip) ?? this.decodeAcrossPages(frame, off, rip);
    this.handler = this.remember(insn, off);
    return insn;
  }

  /** Picks `insn`'s handler and caches both at `off` of the current code page when the instruction fits in it. */
  private remember(insn: DecodedInsn, off: number): Handler {
    const handler = insn.op < 0 ? invalidInstruction : this.select(insn);
    if (off + insn.length <= PAGE) {
      if (!this.mmu.phys.codeFrames.has(this.codePhys)) this.mmu.markCode(this.codePhys);
      this.codeInsns[off] = insn;
      this.codeHandlers[off] = handler;
    }
    return handler;
  }

  /**
   * The block starting at `rip` (offset `off` of the current code page):
   * block-safe instructions decoded ahead from the cache, up to an
   * unconditional transfer, an unsafe or undecodable instruction, the end
   * of the page or MAX_BLOCK_INSNS; null when fewer than two qualify.
   * Decoding ahead has no effect but filling the cache.
   */
  private formBlock(rip: number, off: number): Block<Cpu> | null {
    const insns: DecodedInsn[] = [];
    const handlers: Handler[] = [];
    const page = rip - off;
    let o = off;
    while (insns.length < MAX_BLOCK_INSNS && o < PAGE) {
      let insn = this.codeInsns[o];
      let handler: Handler;
      if (insn !== undefined && insn.address === page + o) {
        handler = this.codeHandlers[o]!;
      } else {
        const d = this.decode(this.codeFrame, o, PAGE, page + o);
        if (d === null) break; // continues on the next page
        insn = d;
        handler = this.remember(insn, o);
      }
      if (insn.op < 0) break;
      const role = this.blockRole(handler);
      if (role === BLOCK_UNSAFE) break;
      insns.push(insn);
      handlers.push(handler);
      o += insn.length;
      if (role === BLOCK_END) break;
    }
    return insns.length < 2 ? null : compileBlock<Cpu>(insns, handlers);
  }

  /** Decodes an instruction that continues on the next page (fetching it may #PF there). */
  private decodeAcrossPages(frame: Uint8Array, off: number, rip: number): DecodedInsn {
    const w = this.window;
    const first = PAGE - off;
    w.set(frame.subarray(off, PAGE), 0);
    const next = this.mmu.fetchFrame(rip + first, this.cpl === 3 ? MODE_USER : MODE_SUPERVISOR);
    w.set(next.subarray(0, MAX_INSN), first);
    const insn = this.decode(w, 0, first + MAX_INSN, rip);
    assert(insn !== null, 'a 15-byte window cannot be too short');
    return insn;
  }

  /** Turns an exception thrown by an instruction into IDT delivery, or an exit. */
  private onFault(e: unknown, rip: number): CpuExit | null {
    if (!(e instanceof CpuFault)) throw e;
    if (e instanceof SoftwareInterrupt) return this.deliver(e.vector, EVENT_SOFTWARE, 0, this.nextRip);
    if (e instanceof PageFault) this.cr2 = e.address;
    // A fault restores the instruction's start: nothing it did is kept (handlers write state last).
    this.rip = rip;
    return this.deliver(e.vector, EVENT_FAULT, e.errorCode, rip);
  }

  private deliver(vector: number, kind: number, errorCode: number, returnRip: number): CpuExit | null {
    if (this.sink) {
      this.sink.emit({
        kind: 'delivery', layer: 'cpu', vector, cause: CAUSES[kind] ?? 'fault', errorCode, returnRip, fromCpl: this.cpl,
      });
    }
    try {
      deliverEvent(this, vector, kind, errorCode, returnRip);
      // Delivering an event ends an STI shadow (SDM Vol. 3A §6.8.3: the shadow covers one instruction boundary).
      this.interruptShadow = false;
      return null;
    } catch (e) {
      if (e instanceof TripleFault) return { kind: 'triple-fault', vector: e.vector, errorCode: e.errorCode };
      throw e;
    }
  }

  /** NMI first, then a maskable interrupt if IF = 1 and no STI/MOV SS shadow. */
  /**
   * Delivers an exception raised by something other than an instruction —
   * the kernel model's "C" code, whose memory access faulted at `returnRip`
   * (an address in the host-call range standing for the faulting
   * instruction). PageFault sets CR2 as for an instruction.
   */
  raiseAt(fault: CpuFault, returnRip: number): CpuExit | null {
    this.rip = returnRip;
    if (fault instanceof PageFault) this.cr2 = fault.address;
    return this.deliver(fault.vector, EVENT_FAULT, fault.errorCode, returnRip);
  }

  /**
   * An instruction boundary outside the run loop (in the kernel model's "C"
   * code at `returnRip`): delivers a pending NMI or a pending interrupt that
   * IF allows, as the loop does. Returns whether something was delivered.
   */
  boundaryAt(returnRip: number): { delivered: boolean; exit: CpuExit | null } {
    if (!(this.pendingNmi && !this.nmiBlocked) && !(this.pendingInterrupt >= 0 && (this.flags.raw & IF) !== 0)) {
      return { delivered: false, exit: null };
    }
    this.rip = returnRip;
    return { delivered: true, exit: this.deliverPending() };
  }

  private deliverPending(): CpuExit | null {
    if (this.pendingNmi && !this.nmiBlocked && !this.interruptShadow) {
      this.pendingNmi = false;
      return this.deliver(VEC_NMI, EVENT_NMI, 0, this.rip);
    }
    if (this.pendingInterrupt >= 0 && (this.flags.raw & IF) !== 0 && !this.interruptShadow) {
      const v = this.pendingInterrupt;
      this.pendingInterrupt = -1;
      return this.deliver(v, EVENT_EXTERNAL, 0, this.rip);
    }
    return null;
  }
}

/** The decodes of one physical code frame, by offset in it. */
interface DecodedFrame {
  readonly insns: (DecodedInsn | undefined)[];
  readonly handlers: (Handler | undefined)[];
  readonly blocks: (Block<Cpu> | null | undefined)[];
  readonly heat: Uint8Array;
}

const TWO_32 = 4294967296;

const CAUSES = ['fault', 'trap', 'software', 'external', 'nmi'] as const;

/** #GP(0) for an instruction longer than 15 bytes, #UD for everything the decoder rejects. */
function invalidInstruction(cpu: Cpu, insn: DecodedInsn): void {
  if (insn.op === OP_TOO_LONG) cpu.fault(VEC_GP, 0);
  cpu.undefinedOpcode();
}


