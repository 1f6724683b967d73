/**
 * Turns a kentry DecodedInsn (with its optable row) and an iced-x86
 * Instruction into the same plain description, so the two decoders can be
 * compared operand by operand: mnemonic, registers with their sizes, memory
 * operand (segment, base, index, scale, displacement or RIP-relative target,
 * size), immediates at their width, branch targets, LOCK/REP, moffs width.
 */
import { Instruction, MemorySize, MemorySizeExt, Mnemonic, OpKind, Register } from 'iced-x86';
import {
  BASE_RIP,
  type DecodedInsn,
  HIGH_BYTE_REG,
  HIGH_BYTE_RM,
  NO_REG,
  PFX_LOCK,
  PFX_REP,
  PFX_REPNE,
  SEG_FS,
  SEG_GS,
} from '../../../src/cpu/decode/insn.js';
import { OPTABLE, type Operand } from '../../../src/cpu/optable.js';

export interface Described {
  mnemonic: string;
  operands: string[];
  prefixes: string;
}

const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const GPR8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8l', 'r9l', 'r10l', 'r11l', 'r12l', 'r13l', 'r14l', 'r15l'];
const HIGH8 = ['ah', 'ch', 'dh', 'bh'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

function gpr(n: number, size: number, high = false): string {
  if (size === 1 && high) return HIGH8[n - 4] ?? `?high${n}`;
  const t = size === 8 ? GPR64 : size === 4 ? GPR32 : size === 2 ? GPR16 : GPR8;
  return t[n] ?? `?r${n}/${size}`;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const MASK64 = (1n << 64n) - 1n;
const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const s64 = (lo: number, hi: number): bigint => BigInt.asIntN(64, u64(lo, hi));

/** Memory operand size in bytes for a token, or null when the token does not fix it. */
function memSize(t: Operand, opSize: number): number | null {
  switch (t) {
    case 'Eb': case 'Mb': case 'Ob': case 'Xb': case 'Yb': return 1;
    case 'Ew': case 'Mw': case 'Ewv': return 2;
    case 'Ed': case 'Md': case 'Wd': return 4;
    case 'Mq': case 'Wq': return 8;
    case 'Mdq': case 'Wx': return 16;
    case 'Mt': return 10;
    case 'Ev': case 'Ey': case 'Ov': case 'Xv': case 'Yv': return opSize;
    case 'Ez': return opSize === 2 ? 2 : 4;
    default: return null;
  }
}

function kMem(insn: DecodedInsn, size: number | null): string {
  const a = insn.addrSize;
  const seg = insn.segment === SEG_FS ? 'fs' : insn.segment === SEG_GS ? 'gs' : 'flat';
  const bits = BigInt(a * 8);
  let base = 'none';
  let disp = s64(insn.disp, insn.dispHi);
  if (insn.base === BASE_RIP) {
    base = a === 8 ? 'rip' : 'eip';
    disp = BigInt(insn.address) + BigInt(insn.length) + disp;
  } else if (insn.base !== NO_REG) {
    base = gpr(insn.base, a);
  }
  const index = insn.index === NO_REG ? 'none' : `${gpr(insn.index, a)}*${insn.scale}`;
  return `mem:${seg}:${base}:${index}:${hex(BigInt.asUintN(Number(bits), disp))}:${size ?? '?'}`;
}

/** kentry's description of a decoded (op >= 0) record. */
export function describeKentry(insn: DecodedInsn): Described {
  const row = OPTABLE[insn.op];
  if (!row) throw new Error(`no row ${insn.op}`);
  const s = insn.opSize;
  const ops = row.operands.map((t): string => {
    switch (t) {
      case 'Gb': return `reg:${gpr(insn.reg, 1, (insn.highByte & HIGH_BYTE_REG) !== 0)}`;
      case 'Gv': case 'Gy': return `reg:${gpr(insn.reg, s)}`;
      case 'Gw': return `reg:${gpr(insn.reg, 2)}`;
      case 'Gd': return `reg:${gpr(insn.reg, 4)}`;
      case 'Eb':
        return insn.mod === 3 ? `reg:${gpr(insn.rm, 1, (insn.highByte & HIGH_BYTE_RM) !== 0)}` : kMem(insn, 1);
      case 'Ev': case 'Ey': case 'Ewv':
        return insn.mod === 3 ? `reg:${gpr(insn.rm, s)}` : kMem(insn, memSize(t, s));
      case 'Ew': return insn.mod === 3 ? `reg:${gpr(insn.rm, 2)}` : kMem(insn, 2);
      case 'Ed': return insn.mod === 3 ? `reg:${gpr(insn.rm, 4)}` : kMem(insn, 4);
      case 'Ez': return insn.mod === 3 ? `reg:${gpr(insn.rm, s === 2 ? 2 : 4)}` : kMem(insn, memSize(t, s));
      case 'M': case 'Mb': case 'Mw': case 'Md': case 'Mq': case 'Mdq': case 'Mt': return kMem(insn, memSize(t, s));
      case 'ST0': return 'reg:st0';
      case 'STi': return `reg:st${insn.rm & 7}`;
      case 'Ry': return `reg:${gpr(insn.rm, s)}`;
      case 'Rq': return `reg:${gpr(insn.rm, 8)}`;
      case 'Cq': return `reg:cr${insn.reg}`;
      case 'Sw': return `reg:${SREG[insn.reg] ?? '?sreg'}`;
      case 'Vx': return `reg:xmm${insn.reg}`;
      case 'Ux': return `reg:xmm${insn.rm}`;
      case 'Wx': case 'Wd': case 'Wq': return insn.mod === 3 ? `reg:xmm${insn.rm}` : kMem(insn, memSize(t, s));
      case 'Zb': return `reg:${gpr(insn.rm, 1, (insn.highByte & HIGH_BYTE_RM) !== 0)}`;
      case 'Zv': return `reg:${gpr(insn.rm, s)}`;
      case 'AL': return 'reg:al';
      case 'AX': return 'reg:ax';
      case 'CL': return 'reg:cl';
      case 'rAX': return `reg:${gpr(0, s)}`;
      case 'FS': return 'reg:fs';
      case 'GS': return 'reg:gs';
      case '1': return 'imm:8:0x1';
      case 'Ob': case 'Ov': return `${kMem(insn, memSize(t, s))}:moffs${insn.addrSize}`;
      case 'Xb': case 'Xv': {
        const seg = insn.segment === SEG_FS ? 'fs' : insn.segment === SEG_GS ? 'gs' : 'flat';
        return `str:${seg}:${insn.addrSize === 8 ? 'rsi' : 'esi'}:${memSize(t, s)}`;
      }
      case 'Yb': case 'Yv': return `str:es:${insn.addrSize === 8 ? 'rdi' : 'edi'}:${memSize(t, s)}`;
      case 'Ib': return `imm:8:${hex(BigInt(row.imm === 'IwIb' ? insn.imm2 : insn.immLo) & 0xffn)}`;
      case 'Iw': return `imm:16:${hex(BigInt(insn.immLo) & 0xffffn)}`;
      case 'Ibs': case 'Iv': return `imm:${s * 8}:${hex(BigInt.asUintN(s * 8, u64(insn.immLo, insn.immHi)))}`;
      case 'Iz': {
        const w = s === 2 ? 16 : s === 4 ? 32 : 64;
        return `imm:${w}:${hex(BigInt.asUintN(w, u64(insn.immLo, insn.immHi)))}`;
      }
      case 'Jb': case 'Jz':
        return `rel:${hex((BigInt(insn.address) + BigInt(insn.length) + s64(insn.immLo, insn.immHi)) & MASK64)}`;
    }
  });
  let prefixes = insn.prefixes & PFX_LOCK ? 'lock' : '';
  if (row.operands.some((t) => t === 'Xb' || t === 'Xv' || t === 'Yb' || t === 'Yv')) {
    prefixes += insn.prefixes & PFX_REP ? ' rep' : insn.prefixes & PFX_REPNE ? ' repne' : '';
  }
  return { mnemonic: insn.mnemonic, operands: ops, prefixes };
}

const IMM_WIDTH: Partial<Record<OpKind, number>> = {
  [OpKind.Immediate8]: 8,
  [OpKind.Immediate8_2nd]: 8,
  [OpKind.Immediate16]: 16,
  [OpKind.Immediate32]: 32,
  [OpKind.Immediate64]: 64,
  [OpKind.Immediate8to16]: 16,
  [OpKind.Immediate8to32]: 32,
  [OpKind.Immediate8to64]: 64,
  [OpKind.Immediate32to64]: 64,
};

function icedReg(r: Register): string {
  return Register[r].toLowerCase();
}

function icedSeg(r: Register): string {
  return r === Register.FS ? 'fs' : r === Register.GS ? 'gs' : 'flat';
}

/** iced's description; memory sizes are '?' where kentry's description leaves them open. */
export function describeIced(i: Instruction, kentry: Described | null): Described {
  const ops: string[] = [];
  const addr32 = i.memoryBase !== Register.None ? /^(e|r\d+d$)/.test(icedReg(i.memoryBase)) || i.memoryBase === Register.EIP : false;
  for (let k = 0; k < i.opCount; k++) {
    const kind = i.opKind(k);
    const want = kentry?.operands[k] ?? '';
    const size = want.endsWith(':?') || /:\?:moffs/.test(want) ? '?' : String(MemorySizeExt.size(i.memorySize));
    switch (kind) {
      case OpKind.Register:
        ops.push(`reg:${icedReg(i.opRegister(k))}`);
        break;
      case OpKind.NearBranch64:
        ops.push(`rel:${hex(i.nearBranch64)}`);
        break;
      case OpKind.Memory: {
        const base = i.memoryBase === Register.None ? 'none' : icedReg(i.memoryBase);
        const isIdx32 = i.memoryIndex !== Register.None && /^(e|r\d+d$)/.test(icedReg(i.memoryIndex));
        // iced gives a 32-bit displacement size only with 67 when there is no base/index register.
        const a32 = addr32 || isIdx32 || (i.memoryBase === Register.None && i.memoryIndex === Register.None && i.memoryDisplSize === 4);
        const disp = BigInt.asUintN(a32 || base === 'eip' ? 32 : 64, i.memoryDisplacementU64);
        const index = i.memoryIndex === Register.None ? 'none' : `${icedReg(i.memoryIndex)}*${i.memoryIndexScale}`;
        let s = `mem:${icedSeg(i.memorySegment)}:${base}:${index}:${hex(disp)}:${size}`;
        if (/:moffs\d$/.test(want)) s += `:moffs${i.memoryDisplSize}`;
        ops.push(s);
        break;
      }
      case OpKind.MemorySegRSI: case OpKind.MemorySegESI:
        ops.push(`str:${icedSeg(i.memorySegment)}:${kind === OpKind.MemorySegRSI ? 'rsi' : 'esi'}:${MemorySizeExt.size(i.memorySize)}`);
        break;
      case OpKind.MemoryESRDI: case OpKind.MemoryESEDI:
        ops.push(`str:es:${kind === OpKind.MemoryESRDI ? 'rdi' : 'edi'}:${MemorySizeExt.size(i.memorySize)}`);
        break;
      default: {
        const w = IMM_WIDTH[kind];
        if (w === undefined) {
          ops.push(`?kind:${OpKind[kind]}`);
        } else {
          ops.push(`imm:${w}:${hex(BigInt.asUintN(w, i.immediate(k)))}`);
        }
      }
    }
  }
  let prefixes = i.hasLockPrefix ? 'lock' : '';
  if (i.isStringInstruction) prefixes += i.hasRepPrefix ? ' rep' : i.hasRepnePrefix ? ' repne' : '';
  return { mnemonic: Mnemonic[i.mnemonic].toLowerCase(), operands: ops, prefixes };
}

/** A coarse bucket for an iced-valid instruction kentry does not model. */
export function unsupportedCategory(i: Instruction): string {
  const enc = i.encoding; // 0 legacy, 1 VEX, 2 EVEX, 3 XOP, ...
  if (enc === 1) return 'vex';
  if (enc === 2) return 'evex';
  if (enc !== 0) return 'other-encoding';
  const regs: string[] = [];
  for (let k = 0; k < i.opCount; k++) if (i.opKind(k) === OpKind.Register) regs.push(icedReg(i.opRegister(k)));
  const ms = MemorySize[i.memorySize] ?? '';
  if (regs.some((r) => /^mm\d/.test(r))) return 'mmx';
  if (regs.some((r) => /^st\d/.test(r)) || /^Fpu|Float80|Bcd/.test(ms) || /^F[a-z]/.test(Mnemonic[i.mnemonic])) return 'x87';
  if (regs.some((r) => /^xmm/.test(r))) return 'sse-other';
  return 'general';
}
