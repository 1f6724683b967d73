/**
 * A small text assembler for eBPF in iovisor/ubpf's syntax (ubpf's
 * assembler.py and tests/*.data), so tests and reference programs read as
 * instructions rather than numbers. Extensions for the newer encodings are
 * named below. One instruction per line; `#` starts a comment; `name:`
 * defines a label that jump offsets may name instead of `+N`.
 *
 *   add sub mul div sdiv or and lsh rsh mod smod xor mov arsh [32]  dst, src|imm
 *   neg[32] dst     movsx{8,16,32} dst, src (ALU64)   movsx32_{8,16} dst, src (ALU)
 *   le16 le32 le64 be16 be32 be64 (BPF_ALU|BPF_END)   bswap16 bswap32 bswap64 (BPF_ALU64|BPF_END)
 *   ldx{b,h,w,dw} dst, [src+off]        ldxs{b,h,w} dst, [src+off] (BPF_MEMSX)
 *   st{b,h,w,dw} [dst+off], imm         stx{b,h,w,dw} [dst+off], src
 *   lddw dst, imm64 | map:FD | mapval:FD+OFF | mapidx:IDX | mapidxval:IDX+OFF
 *   ja +off|label   ja32 label (BPF_JMP32|BPF_JA, imm offset)
 *   jeq jgt jge jlt jle jset jne jsgt jsge jslt jsle [32]  dst, src|imm, +off|label
 *   call imm   exit
 *   atomic_{add,or,and,xor}{32,64} [dst+off], src   atomic_fetch_{add,or,and,xor}{32,64} ...
 *   xchg{32,64} [dst+off], src   cmpxchg{32,64} [dst+off], src
 *   .insn opcode, dst, src, off, imm      (any encoding, for rejection tests)
 */
import { BpfLoadError } from './errors.js';
import { LD_IMM64, insn, ldImm64, type BpfInsn } from './insn.js';
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_DW, BPF_END,
  BPF_EXIT, BPF_FETCH, BPF_H, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE,
  BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV,
  BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
  BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
} from './opcodes.js';

const ALU: Readonly<Record<string, [number, number]>> = {
  add: [BPF_ADD, 0], sub: [BPF_SUB, 0], mul: [BPF_MUL, 0], div: [BPF_DIV, 0], sdiv: [BPF_DIV, 1], or: [BPF_OR, 0],
  and: [BPF_AND, 0], lsh: [BPF_LSH, 0], rsh: [BPF_RSH, 0], mod: [BPF_MOD, 0], smod: [BPF_MOD, 1], xor: [BPF_XOR, 0],
  mov: [BPF_MOV, 0], arsh: [BPF_ARSH, 0],
};
const JMP: Readonly<Record<string, number>> = {
  jeq: BPF_JEQ, jgt: BPF_JGT, jge: BPF_JGE, jlt: BPF_JLT, jle: BPF_JLE, jset: BPF_JSET, jne: BPF_JNE,
  jsgt: BPF_JSGT, jsge: BPF_JSGE, jslt: BPF_JSLT, jsle: BPF_JSLE,
};
const SIZES: Readonly<Record<string, number>> = { b: BPF_B, h: BPF_H, w: BPF_W, dw: BPF_DW };
const ATOMIC: Readonly<Record<string, number>> = {
  atomic_add: BPF_ADD, atomic_or: BPF_OR, atomic_and: BPF_AND, atomic_xor: BPF_XOR,
  atomic_fetch_add: BPF_ADD | BPF_FETCH, atomic_fetch_or: BPF_OR | BPF_FETCH, atomic_fetch_and: BPF_AND | BPF_FETCH,
  atomic_fetch_xor: BPF_XOR | BPF_FETCH, xchg: BPF_XCHG, cmpxchg: BPF_CMPXCHG,
};

interface Line {
  readonly no: number;
  readonly op: string;
  readonly args: string[];
}

function fail(line: Line | number, msg: string): never {
  throw new BpfLoadError(`asm line ${typeof line === 'number' ? line : line.no}: ${msg}`, null);
}

function num(line: Line, s: string | undefined): bigint {
  if (s === undefined || !/^[-+]?(0x[0-9a-f]+|[0-9]+)$/i.test(s)) fail(line, `expected a number, got '${s ?? ''}'`);
  const neg = s.startsWith('-');
  const v = BigInt(s.replace(/^[-+]/, ''));
  return neg ? -v : v;
}

function reg(line: Line, s: string | undefined): number {
  const m = /^%?r([0-9]|10)$/.exec(s ?? '');
  if (!m) fail(line, `expected a register r0..r10, got '${s ?? ''}'`);
  return Number(m[1]);
}

function isReg(s: string | undefined): boolean {
  return /^%?r([0-9]|10)$/.test(s ?? '');
}

function memOperand(line: Line, s: string | undefined): [number, number] {
  const m = /^\[(%?r[0-9]+)\s*(?:([+-])\s*(0x[0-9a-f]+|[0-9]+))?\]$/i.exec(s ?? '');
  if (!m) fail(line, `expected [rN+off], got '${s ?? ''}'`);
  const off = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === '-' ? -1 : 1);
  return [reg(line, m[1]), off];
}

function i32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** Assembles `source`; throws BpfLoadError naming the line on a syntax error. */
export function assemble(source: string): BpfInsn[] {
  const lines: Line[] = [];
  const labels = new Map<string, number>();
  let pc = 0;
  source.split('\n').forEach((raw, k) => {
    let text = raw.replace(/#.*$/, '').trim();
    const label = /^([A-Za-z_.][\w.]*):\s*(.*)$/.exec(text);
    if (label) {
      labels.set(label[1]!, pc);
      text = label[2]!.trim();
    }
    if (!text) return;
    const sp = text.search(/\s/);
    const op = (sp < 0 ? text : text.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : text.slice(sp).trim();
    const args = rest ? rest.split(/,(?![^[]*\])/).map((a) => a.trim()) : [];
    lines.push({ no: k + 1, op, args });
    pc += op === 'lddw' ? 2 : 1;
  });
  const out: BpfInsn[] = [];
  for (const line of lines) {
    const target = (s: string | undefined): number => {
      if (s !== undefined && labels.has(s)) return labels.get(s)! - out.length - 1;
      return Number(num(line, s));
    };
    out.push(...one(line, target));
  }
  return out;
}

function one(line: Line, target: (s: string | undefined) => number): BpfInsn[] {
  const { op, args } = line;
  const [a0, a1, a2] = args;
  let m: RegExpExecArray | null;
  if (op === 'exit') return [insn(BPF_JMP | BPF_EXIT)];
  if (op === 'call') return [insn(BPF_JMP | BPF_CALL, 0, 0, 0, i32(num(line, a0)))];
  if (op === 'ja') return [insn(BPF_JMP | BPF_JA, 0, 0, target(a0))];
  if (op === 'ja32') return [insn(BPF_JMP32 | BPF_JA, 0, 0, 0, target(a0))];
  if (op === '.insn') {
    const [o, d, s, off, imm] = args.map((x) => Number(num(line, x)));
    return [insn(o ?? 0, d, s, off, imm)];
  }
  if (op === 'lddw') {
    const dst = reg(line, a0);
    const p = /^(map|mapval|mapidx|mapidxval):([0-9]+)(?:\+([0-9]+))?$/.exec(a1 ?? '');
    if (!p) return ldImm64(dst, num(line, a1));
    const src = { map: BPF_PSEUDO_MAP_FD, mapval: BPF_PSEUDO_MAP_VALUE, mapidx: BPF_PSEUDO_MAP_IDX, mapidxval: BPF_PSEUDO_MAP_IDX_VALUE }[
      p[1] as 'map'
    ];
    return [insn(LD_IMM64, dst, src, 0, Number(p[2])), insn(0, 0, 0, 0, Number(p[3] ?? 0))];
  }
  if ((m = /^(neg)(32|64)?$/.exec(op))) {
    return [insn((m[2] === '32' ? BPF_ALU : BPF_ALU64) | BPF_NEG | BPF_K, reg(line, a0))];
  }
  if ((m = /^(le|be|bswap)(16|32|64)$/.exec(op))) {
    const cls = m[1] === 'bswap' ? BPF_ALU64 : BPF_ALU;
    return [insn(cls | BPF_END | (m[1] === 'be' ? BPF_TO_BE : BPF_TO_LE), reg(line, a0), 0, 0, Number(m[2]))];
  }
  if ((m = /^movsx(32_)?(8|16|32)$/.exec(op))) {
    return [insn((m[1] ? BPF_ALU : BPF_ALU64) | BPF_MOV | BPF_X, reg(line, a0), reg(line, a1), Number(m[2]))];
  }
  if ((m = /^([a-z]+?)(32|64)?$/.exec(op)) && ALU[m[1]!]) {
    const [code, off] = ALU[m[1]!]!;
    const cls = m[2] === '32' ? BPF_ALU : BPF_ALU64;
    const dst = reg(line, a0);
    if (isReg(a1)) return [insn(cls | code | BPF_X, dst, reg(line, a1), off)];
    return [insn(cls | code | BPF_K, dst, 0, off, i32(num(line, a1)))];
  }
  if ((m = /^(j[a-z]+?)(32)?$/.exec(op)) && JMP[m[1]!] !== undefined) {
    const cls = m[2] ? BPF_JMP32 : BPF_JMP;
    const code = JMP[m[1]!]!;
    const dst = reg(line, a0);
    if (isReg(a1)) return [insn(cls | code | BPF_X, dst, reg(line, a1), target(a2))];
    return [insn(cls | code | BPF_K, dst, 0, target(a2), i32(num(line, a1)))];
  }
  if ((m = /^ldx(s)?(b|h|w|dw)$/.exec(op))) {
    const [src, off] = memOperand(line, a1);
    return [insn(BPF_LDX | (m[1] ? BPF_MEMSX : BPF_MEM) | SIZES[m[2]!]!, reg(line, a0), src, off)];
  }
  if ((m = /^st(x)?(b|h|w|dw)$/.exec(op))) {
    const [dst, off] = memOperand(line, a0);
    if (m[1]) return [insn(BPF_STX | BPF_MEM | SIZES[m[2]!]!, dst, reg(line, a1), off)];
    return [insn(BPF_ST | BPF_MEM | SIZES[m[2]!]!, dst, 0, off, i32(num(line, a1)))];
  }
  if ((m = /^([a-z_]+?)(32|64)$/.exec(op)) && ATOMIC[m[1]!] !== undefined) {
    const [dst, off] = memOperand(line, a0);
    return [insn(BPF_STX | BPF_ATOMIC | (m[2] === '32' ? BPF_W : BPF_DW), dst, reg(line, a1), off, ATOMIC[m[1]!])];
  }
  return fail(line, `unknown instruction '${op}'`);
}

