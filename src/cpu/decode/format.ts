/**
 * A decoded instruction as Intel-syntax text, exactly as iced-x86's Intel
 * formatter prints it with default options (`Formatter(FormatterSyntax.Intel)`):
 * lower case, no space after commas, hex numbers as `0FFh` (format-number.ts),
 * RIP-relative operands as the absolute address (`[401006h]`), branch targets
 * absolute (`je short 0000000000401006h`), a memory size (`dword ptr`) only where
 * the other operands do not imply it, and iced's prefix words (`lock`, `rep`,
 * `bnd`, `notrack`, `xrelease`, `hint-taken`, `data16`, `addr32`).
 * tests/cpu/format-iced.test.ts holds it to iced on every optable row.
 *
 * Pure CPU level: it needs only the record and its optable row. For `kentry
 * run --trace insn` and listings; never on the execution path.
 */
import { OPTABLE, type OpRow, type Operand } from '../optable.js';
import {
  BASE_RIP, type DecodedInsn, HIGH_BYTE_REG, HIGH_BYTE_RM, MAP_PRIMARY, NO_REG, PFX_ADDRSIZE, PFX_LOCK, PFX_OPSIZE,
  PFX_REP, PFX_REPNE, SEG_FS, SEG_GS,
} from './insn.js';
import { PK_NONE, PREFIX_KIND } from './prefixes.js';
import { addressU64, formatBranchTarget, formatNumber, u64 } from './format-number.js';
import { memorySizeShown } from './format-size.js';

/** Sign-mask moves whose GPR destination iced's formatter prints at 32 bits. */
const MASK_MOVES = new Set(['pmovmskb', 'movmskps', 'movmskpd']);
/** Branches with only a rel8 form. */
const REL8_ONLY = new Set(['loop', 'loope', 'loopne', 'jrcxz']);
const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const GPR8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const HIGH8 = ['ah', 'ch', 'dh', 'bh'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const MEM_KEYWORD: Readonly<Record<number, string>> = {
  1: 'byte', 2: 'word', 4: 'dword', 6: 'fword', 8: 'qword', 10: 'tbyte', 16: 'xmmword',
};

function gpr(n: number, size: number, high = false): string {
  if (size === 1 && high) return HIGH8[n - 4] ?? '?';
  const t = size === 8 ? GPR64 : size === 4 ? GPR32 : size === 2 ? GPR16 : GPR8;
  return t[n] ?? '?';
}

/** The legacy prefixes iced reads that the record does not keep (hints, NOTRACK). */
interface PrefixBytes {
  /** The last of the ES/CS/SS/DS overrides (26 2E 36 3E), or 0: 2E/3E last are branch hints / NOTRACK. */
  readonly lastCsDs: number;
  /** A 64 or 65 prefix: it makes 2E/3E meaningless, and string destinations print `es:`. */
  readonly fsGs: boolean;
}

function scanPrefixes(bytes: Uint8Array): PrefixBytes {
  let lastCsDs = 0;
  let fsGs = false;
  for (const b of bytes) {
    if ((PREFIX_KIND[b] ?? PK_NONE) === PK_NONE) break;
    if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) lastCsDs = b;
    else if (b === 0x64 || b === 0x65) fsGs = true;
  }
  return { lastCsDs, fsGs };
}

/** Everything the operand formatters need besides the record. */
interface Ctx {
  readonly insn: DecodedInsn;
  readonly row: OpRow;
  readonly pfx: PrefixBytes;
  readonly sized: boolean;
}

function segmentText(insn: DecodedInsn): string {
  return insn.segment === SEG_FS ? 'fs:' : insn.segment === SEG_GS ? 'gs:' : '';
}

/** `[base+index*scale±disp]` (or the absolute address), with segment and size. */
function memory(c: Ctx, size: number): string {
  const { insn } = c;
  const a32 = insn.addrSize === 4;
  const disp = BigInt.asIntN(64, u64(insn.disp, insn.dispHi));
  let inner: string;
  if (insn.base === BASE_RIP) {
    const target = addressU64(insn.address) + BigInt(insn.length) + disp;
    inner = formatNumber(BigInt.asUintN(a32 ? 32 : 64, target));
  } else if (insn.base === NO_REG && insn.index === NO_REG) {
    inner = formatNumber(BigInt.asUintN(a32 ? 32 : 64, disp));
  } else {
    const parts: string[] = [];
    if (insn.base !== NO_REG) parts.push(gpr(insn.base, insn.addrSize));
    // iced writes `*1` when the index stands alone (no base), so it is not read as a base.
    const scale = insn.scale === 1 && insn.base !== NO_REG ? '' : `*${insn.scale}`;
    if (insn.index !== NO_REG) parts.push(gpr(insn.index, insn.addrSize) + scale);
    inner = parts.join('+');
    const d = a32 ? BigInt.asIntN(32, disp) : disp;
    if (d > 0n) inner += '+' + formatNumber(d);
    else if (d < 0n) inner += '-' + formatNumber(-d);
  }
  const ptr = c.sized ? `${MEM_KEYWORD[size] ?? '?'} ptr ` : c.row.operands[0] === 'M' && insn.opSize === 2 && /env$/.test(c.row.mnemonic)
    ? 'fpuenv14 ptr ' // FNSTENV/FLDENV with 66: the 14-byte 16-bit environment, which the mnemonic does not show
    : '';
  // LEA computes an address without accessing memory: iced drops the segment.
  const seg = c.row.mnemonic === 'lea' ? '' : segmentText(insn);
  return `${ptr}${seg}[${inner}]`;
}

/** A moffs operand (A0-A3): the address as 64 or 32 bits. */
function moffs(c: Ctx): string {
  const { insn } = c;
  const v = BigInt.asUintN(insn.addrSize * 8, u64(insn.disp, insn.dispHi));
  return `${segmentText(insn)}[${formatNumber(v)}]`;
}

function imm(v: bigint, bits: number): string {
  return formatNumber(BigInt.asUintN(bits, v));
}

/** One operand token as text, or null when iced leaves it implicit (AL in STOSB ...). */
function operand(c: Ctx, t: Operand, stringOp: boolean): string | null {
  const { insn, row } = c;
  const s = insn.opSize;
  const regRm = insn.mod === 3;
  const immediate = u64(insn.immLo, insn.immHi);
  switch (t) {
    case 'Gb': return gpr(insn.reg, 1, (insn.highByte & HIGH_BYTE_REG) !== 0);
    case 'Gv': return gpr(insn.reg, s);
    // PMOVMSKB's and MOVMSKPS/PD's destination: iced prints r32 even with REX.W (the upper half is zero either way).
    case 'Gy': return gpr(insn.reg, MASK_MOVES.has(row.mnemonic) ? 4 : s);
    case 'Gw': return gpr(insn.reg, 2);
    case 'Gd': return gpr(insn.reg, 4);
    case 'Eb': return regRm ? gpr(insn.rm, 1, (insn.highByte & HIGH_BYTE_RM) !== 0) : memory(c, 1);
    case 'Ev': case 'Ey': return regRm ? gpr(insn.rm, s) : memory(c, s);
    case 'Ew': return regRm ? gpr(insn.rm, 2) : memory(c, 2);
    case 'Ed': return regRm ? gpr(insn.rm, 4) : memory(c, 4);
    case 'Ez': return regRm ? gpr(insn.rm, s === 2 ? 2 : 4) : memory(c, s === 2 ? 2 : 4);
    // A selector register is 16 bits (MOV Sreg,r; LLDT; VERR) except where iced shows the
    // operand size: MOV r,Sreg and LAR/LSL's source.
    case 'Ewv': return regRm ? gpr(insn.rm, row.operands[1] === 'Sw' || row.operands[0] === 'Gv' ? s : 2) : memory(c, 2);
    case 'M': return memory(c, 0);
    case 'Mb': return memory(c, 1);
    case 'Mw': return memory(c, 2);
    case 'Md': return memory(c, 4);
    case 'Mq': return memory(c, 8);
    case 'Mdq': return memory(c, 16);
    case 'Mt': return memory(c, 10);
    case 'Wx': return regRm ? `xmm${insn.rm}` : memory(c, 16);
    case 'Wd': return regRm ? `xmm${insn.rm}` : memory(c, 4);
    case 'Wq': return regRm ? `xmm${insn.rm}` : memory(c, 8);
    case 'Vx': return `xmm${insn.reg}`;
    case 'Ux': return `xmm${insn.rm}`;
    case 'ST0': return 'st';
    case 'STi': return `st(${insn.rm & 7})`;
    case 'Ry': return gpr(insn.rm, s);
    case 'Rq': return gpr(insn.rm, 8);
    case 'Cq': return `cr${insn.reg}`;
    case 'Sw': return SREG[insn.reg] ?? '?';
    case 'Zb': return gpr(insn.rm, 1, (insn.highByte & HIGH_BYTE_RM) !== 0);
    case 'Zv': return gpr(insn.rm, s);
    case 'AL': return stringOp ? null : 'al';
    case 'rAX': return stringOp ? null : gpr(0, s);
    case 'AX': return 'ax';
    case 'CL': return 'cl';
    case 'FS': return 'fs';
    case 'GS': return 'gs';
    case '1': return '1';
    case 'Ob': case 'Ov': return moffs(c);
    case 'Xb': case 'Xv': return `${segmentText(insn)}[${insn.addrSize === 8 ? 'rsi' : 'esi'}]`;
    // ES cannot be overridden; iced names it when another segment prefix is present.
    case 'Yb': case 'Yv': return `${c.pfx.fsGs ? 'es:' : ''}[${insn.addrSize === 8 ? 'rdi' : 'edi'}]`;
    case 'Ib': return imm(BigInt(row.imm === 'IwIb' ? insn.imm2 : insn.immLo), 8);
    case 'Iw': return imm(BigInt(insn.immLo), 16);
    case 'Ibs': case 'Iz': case 'Iv': return imm(immediate, s * 8);
    case 'Jb': case 'Jz': {
      const target = BigInt.asUintN(64, addressU64(insn.address) + BigInt(insn.length) + BigInt.asIntN(64, immediate));
      // iced writes `short` only where a rel32 form exists (JMP, Jcc); LOOPcc and JRCXZ have only rel8.
      return (t === 'Jb' && !REL8_ONLY.has(row.mnemonic) ? 'short ' : '') + formatBranchTarget(target);
    }
  }
}

/** x87 memory forms: iced shows the implicit ST(0) (`fld st,dword ptr [rax]`, `fstp qword ptr [rax],st`). */
const X87_LOADS = new Set([
  'fld', 'fild', 'fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr',
  'fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr',
]);
const X87_STORES = new Set(['fst', 'fstp', 'fist', 'fistp', 'fisttp']);
/** With ST(1) these print bare (`fxch`, `faddp`): the assembler's default operand form. */
const X87_BARE_ST1 = new Set(['fxch', 'fcom', 'fcomp', 'fucom', 'fucomp', 'faddp', 'fmulp', 'fsubp', 'fsubrp', 'fdivp', 'fdivrp']);

function isX87(row: OpRow): boolean {
  return row.map === MAP_PRIMARY && row.opcode >= 0xd8 && row.opcode <= 0xdf;
}

/** The mnemonic iced prints where kentry's row spelling or the operand size changes it. */
function mnemonicOf(insn: DecodedInsn, row: OpRow): string {
  if (row.mnemonic === 'sal') return 'shl'; // SAL is SHL's alias (/6); iced names it shl
  if (row.mnemonic === 'wait') return 'fwait';
  // 90 with 66 or REX.W is not NOP to iced but the XCHG it encodes.
  if (row.name === 'nop' && insn.opSize !== 4) return 'xchg';
  return insn.mnemonic;
}

const NEAR_BRANCH = /^(call|ret|j(?!mp$).*|jmp)$/;

/** iced's prefix words, in its order. */
function prefixWords(insn: DecodedInsn, row: OpRow, pfx: PrefixBytes, stringOp: boolean): string[] {
  const w: string[] = [];
  const p = insn.prefixes;
  const mem = insn.hasModrm && insn.mod !== 3;
  const rep = (p & PFX_REP) !== 0;
  const repne = (p & PFX_REPNE) !== 0;
  const movToMem = row.map === MAP_PRIMARY && [0x88, 0x89, 0xc6, 0xc7].includes(row.opcode) && mem;
  const xchgMem = row.map === MAP_PRIMARY && (row.opcode === 0x86 || row.opcode === 0x87) && mem;
  // HLE hints (SDM Vol. 1 §16.3.1): not for CMPXCHG16B.
  if (((p & PFX_LOCK) !== 0 || xchgMem) && row.mnemonic !== 'cmpxchg16b') {
    if (repne) w.push('xacquire');
    else if (rep) w.push('xrelease');
  } else if (movToMem && rep) {
    w.push('xrelease');
  }
  if ((p & PFX_LOCK) !== 0) w.push('lock');
  if (stringOp) {
    const conditional = insn.mnemonic.startsWith('cmps') || insn.mnemonic.startsWith('scas');
    if (rep) w.push(conditional ? 'repe' : 'rep');
    else if (repne) w.push('repne');
  } else if (rep && row.name === 'ret') {
    w.push('rep'); // F3 C3, AMD's two-byte return
  }
  const jcc = row.mnemonic.startsWith('j') && row.mnemonic !== 'jmp' && row.mnemonic !== 'jrcxz';
  if (jcc && !pfx.fsGs && pfx.lastCsDs === 0x2e) w.push('hint-not-taken');
  if (jcc && !pfx.fsGs && pfx.lastCsDs === 0x3e) w.push('hint-taken');
  const indirect = (row.mnemonic === 'call' || row.mnemonic === 'jmp') && row.operands[0] === 'Ev';
  if (indirect && !pfx.fsGs && pfx.lastCsDs === 0x3e) w.push('notrack');
  const branch = NEAR_BRANCH.test(row.mnemonic) && !(row.mnemonic === 'jmp' && row.operands[0] === 'Jb') && row.mnemonic !== 'jrcxz';
  if (repne && branch) w.push('bnd');
  // An operand size the operands cannot show (PUSH imm, ENTER, LEAVE, PUSH FS with 66).
  if ((p & PFX_OPSIZE) !== 0 && insn.opSize === 2 && row.size === 'd64' && row.sizeMnemonics === null
    && row.operands.every((o) => o === 'Iz' || o === 'Ibs' || o === 'Iw' || o === 'Ib' || o === 'FS' || o === 'GS')) {
    w.push('data16');
  }
  if ((p & PFX_ADDRSIZE) !== 0 && row.imm === 'moffs') w.push('addr32');
  // LOOPcc counts ECX under 67; iced shows it as a prefix word (JECXZ has its own name).
  if ((p & PFX_ADDRSIZE) !== 0 && row.mnemonic.startsWith('loop')) w.push('addr32');
  return w;
}

/** The instruction as iced-x86's Intel formatter prints it; `(bad)` for #UD and cut-off records. */
export function formatInsn(insn: DecodedInsn): string {
  const row = OPTABLE[insn.op];
  if (insn.op < 0 || row === undefined) return '(bad)';
  const pfx = scanPrefixes(insn.bytes);
  const stringOp = row.operands.some((o) => o === 'Xb' || o === 'Xv' || o === 'Yb' || o === 'Yv');
  const c: Ctx = { insn, row, pfx, sized: memorySizeShown(row) };
  const ops: string[] = [];
  for (const t of row.operands) {
    const text = operand(c, t, stringOp);
    if (text !== null) ops.push(text);
  }
  if (row.name === 'nop' && insn.opSize !== 4) ops.push(gpr(0, insn.opSize), gpr(0, insn.opSize));
  // IMUL r, r/m, imm with r/m the same register: iced writes the two-operand form `imul rbx,13h`.
  if (row.mnemonic === 'imul' && ops.length === 3 && insn.mod === 3 && insn.reg === insn.rm) ops.splice(1, 1);
  if (isX87(row)) {
    const memForm = insn.mod !== 3;
    if (!memForm && (insn.rm & 7) === 1 && X87_BARE_ST1.has(row.mnemonic) && row.operands.length === 2) ops.length = 0;
    if (X87_LOADS.has(row.mnemonic) && (memForm || row.operands.length === 1)) ops.unshift('st');
    else if (X87_STORES.has(row.mnemonic)) ops.push('st');
  }
  const words = prefixWords(insn, row, pfx, stringOp);
  words.push(mnemonicOf(insn, row));
  return ops.length ? `${words.join(' ')} ${ops.join(',')}` : words.join(' ');
}
