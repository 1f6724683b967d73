/**
 * The interpreter: runs a loaded program over a context, the 512-byte stack
 * and map values. It trusts nothing the verifier proved except the opcode
 * set: every memory access is bounds-checked and every failure names the PC
 * (ubpf's ubpf_exec; the kernel's ___bpf_prog_run in kernel/bpf/core.c).
 */
import { aluOp, sext } from './alu.js';
import { BpfRuntimeError } from './errors.js';
import { helperById, type BpfHelperEnv } from './helpers.js';
import { jumpTaken } from './jmp.js';
import { RunMemory, STACK_BASE, stackTop, type Region } from './memory.js';
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_END, BPF_EXIT, BPF_FETCH, BPF_JA,
  BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_OR, BPF_ST, BPF_STX, BPF_X, BPF_XCHG, BPF_XOR,
  MAX_BPF_STACK, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc, sizeBytes,
} from './opcodes.js';
import { imm64Value, type BpfProgram } from './program.js';

/** Where the context lives when the caller does not say: a pt_regs near the top of a task stack. */
export const DEFAULT_CTX_ADDRESS = 0xffffc90000013f58n;
/** The kernel's BPF_COMPLEXITY_LIMIT_INSNS, reused as a step budget for unverified programs. */
export const DEFAULT_MAX_STEPS = 1_000_000;

export interface RunOptions {
  /** The bytes of the context (struct pt_regs for kprobes); the program may not write them. */
  readonly ctx: Uint8Array;
  /** The context's address, which r1 holds at entry (default DEFAULT_CTX_ADDRESS). */
  readonly ctxAddress?: bigint;
  readonly env?: BpfHelperEnv;
  readonly maxSteps?: number;
}

export interface RunResult {
  /** r0 at BPF_EXIT. */
  readonly r0: bigint;
  readonly steps: number;
  /** The stack as the program left it (for tests). */
  readonly stack: Uint8Array;
}

function readLE(bytes: Uint8Array, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

function writeLE(bytes: Uint8Array, offset: number, size: number, value: bigint): void {
  for (let i = 0; i < size; i++) bytes[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

export function runProgram(prog: BpfProgram, opts: RunOptions): RunResult {
  const ctx: Region = {
    kind: 'ctx', name: 'ctx', base: opts.ctxAddress ?? DEFAULT_CTX_ADDRESS, bytes: opts.ctx, writable: false,
  };
  const stack: Region = { kind: 'stack', name: 'stack', base: STACK_BASE, bytes: new Uint8Array(MAX_BPF_STACK), writable: true };
  const mem = new RunMemory(ctx, stack, prog.maps.space);
  const env = opts.env ?? {};
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  const reg = new Array<bigint>(11).fill(0n);
  reg[1] = ctx.base;
  reg[10] = stackTop(stack);
  const insns = prog.insns;

  const access = (pc: number, address: bigint, size: number, write: boolean): [Uint8Array, number] => {
    const r = mem.resolve(address, size);
    if (!r || r.region.kind === 'map') {
      throw new BpfRuntimeError(`invalid memory access addr=0x${address.toString(16)} size=${size}`, pc);
    }
    if (write && !r.region.writable) {
      throw new BpfRuntimeError(`write to read-only ${r.region.name} addr=0x${address.toString(16)} size=${size}`, pc);
    }
    return [r.region.bytes, r.offset];
  };

  let pc = 0;
  for (let steps = 1; ; steps++) {
    if (steps > maxSteps) throw new BpfRuntimeError(`step budget of ${maxSteps} instructions spent`, pc);
    const i = insns[pc];
    if (!i) throw new BpfRuntimeError('execution ran off the end of the program', pc);
    const cls = bpfClass(i.opcode);
    const op = bpfOp(i.opcode);
    const srcVal = (): bigint => (bpfSrc(i.opcode) === BPF_X ? reg[i.src]! : sext(BigInt(i.imm), 32));
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64: {
        const is64 = cls === BPF_ALU64;
        const src = op === BPF_END ? BigInt(i.imm) : srcVal();
        reg[i.dst] = aluOp(op, is64, reg[i.dst]!, src, i.off, bpfSrc(i.opcode));
        pc++;
        break;
      }
      case BPF_JMP:
      case BPF_JMP32: {
        if (op === BPF_EXIT) return { r0: reg[0]!, steps, stack: stack.bytes };
        if (op === BPF_JA) {
          pc += 1 + (cls === BPF_JMP32 ? i.imm : i.off); // JMP32|JA (gotol) takes imm
          break;
        }
        if (op === BPF_CALL) {
          const h = helperById(i.imm);
          if (!h || i.src !== 0) throw new BpfRuntimeError(`call to unknown function ${i.imm}`, pc);
          try {
            reg[0] = h.call({
              args: [reg[1]!, reg[2]!, reg[3]!, reg[4]!, reg[5]!],
              memory: mem,
              mapAt: (handle) => prog.maps.byHandle(handle),
              env,
            });
          } catch (e) {
            if (e instanceof RangeError) throw new BpfRuntimeError(`${h.name}: ${e.message}`, pc);
            throw e;
          }
          pc++;
          break;
        }
        pc += jumpTaken(op, cls === BPF_JMP32, reg[i.dst]!, srcVal()) ? 1 + i.off : 1;
        break;
      }
      case BPF_LD: {
        const v = prog.imm64.get(pc);
        if (!v) throw new BpfRuntimeError(`unsupported ld opcode 0x${i.opcode.toString(16)}`, pc);
        reg[i.dst] = imm64Value(v);
        pc += 2;
        break;
      }
      case BPF_LDX: {
        const size = sizeBytes(bpfSize(i.opcode));
        const [bytes, at] = access(pc, reg[i.src]! + BigInt(i.off), size, false);
        const v = readLE(bytes, at, size);
        reg[i.dst] = bpfMode(i.opcode) === BPF_MEMSX ? sext(v, size * 8) : v;
        pc++;
        break;
      }
      case BPF_ST:
      case BPF_STX: {
        const size = sizeBytes(bpfSize(i.opcode));
        const [bytes, at] = access(pc, reg[i.dst]! + BigInt(i.off), size, true);
        if (bpfMode(i.opcode) === BPF_MEM) {
          writeLE(bytes, at, size, cls === BPF_ST ? sext(BigInt(i.imm), 32) : reg[i.src]!);
        } else if (bpfMode(i.opcode) === BPF_ATOMIC) {
          if (!atomic(i.imm, size, bytes, at, i.src, reg)) {
            throw new BpfRuntimeError(`unknown atomic operation 0x${i.imm.toString(16)}`, pc);
          }
        } else {
          throw new BpfRuntimeError(`unsupported store opcode 0x${i.opcode.toString(16)}`, pc);
        }
        pc++;
        break;
      }
      default:
        throw new BpfRuntimeError(`unknown opcode 0x${i.opcode.toString(16)}`, pc);
    }
  }
}

/**
 * BPF_ATOMIC (RFC 9669 §5.3): ADD/OR/AND/XOR, with BPF_FETCH the old value
 * goes to src; XCHG; CMPXCHG compares with r0 and always loads the old value
 * into r0. 32-bit forms zero-extend what they load.
 */
function atomic(imm: number, size: number, bytes: Uint8Array, at: number, src: number, reg: bigint[]): boolean {
  const mask = size === 8 ? (1n << 64n) - 1n : 0xffffffffn;
  const old = readLE(bytes, at, size);
  const s = reg[src]! & mask;
  if (imm === BPF_CMPXCHG) {
    if (old === (reg[0]! & mask)) writeLE(bytes, at, size, s);
    reg[0] = old;
    return true;
  }
  if (imm === BPF_XCHG) {
    writeLE(bytes, at, size, s);
    reg[src] = old;
    return true;
  }
  const op = imm & ~BPF_FETCH;
  const val = op === BPF_ADD ? (old + s) & mask : op === BPF_OR ? old | s : op === BPF_AND ? old & s : op === BPF_XOR ? old ^ s : null;
  if (val === null) return false;
  writeLE(bytes, at, size, val);
  if (imm & BPF_FETCH) reg[src] = old;
  return true;
}
