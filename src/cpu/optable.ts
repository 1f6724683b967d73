/**
 * The declarative opcode table (STYLE.md §2.3; v86 `gen/x86_table.js`, EVM
 * `opcodes/codes.ts`): one readonly array of plain records, one per
 * instruction form kentry models. The decoder matches bytes against it; the
 * interpreter holds a handler array indexed by row (`DecodedInsn.op`), so
 * **rows are only ever appended** — never reorder or delete.
 *
 * At module init the table is checked (unique names, known operand tokens,
 * consistent ModRM use per opcode) and turned into a dense dispatch array per
 * opcode map, with an explicit #UD entry in every hole (EVM's INVALID fill).
 *
 * Row fields (see `OpRow`):
 *
 *   name      unique, `mnemonic_operands` ("add_Ev_Gv"); look up with `opByName`
 *   mnemonic  iced-x86 / Intel spelling; `sizeMnemonics` for the forms whose
 *             name changes with the operand size (cbw/cwde/cdqe, movsw/movsd/movsq)
 *   map       MAP_PRIMARY, MAP_0F, MAP_0F38, MAP_0F3A
 *   opcode    the opcode byte; +r forms (operand Zb/Zv) cover opcode..opcode+7
 *   pfx       mandatory prefix: 'none' | '66' | 'F2' | 'F3' (SSE-style: the
 *             last F2/F3, else 66, else none, must equal it), or 'any' for
 *             legacy forms where 66/F2/F3 are modifiers, not opcode bits
 *   digits    ModRM.reg values (the /digit) allowed, as a bit mask; 0xff = any
 *   modrm     'none' (no ModRM byte), 'any', 'reg' (mod = 3 only), 'mem'
 *             (mod != 3 only), 'forceReg' (mod is ignored and rm names a
 *             register: MOV to/from CRn, SDM Vol. 2B "MOV—Move to/from Control Registers")
 *   rmByte    the exact ModRM byte for 0F 01 F8-style encodings, else -1
 *   rex       'any' | 'W0' | 'W1' (REX.W selects another row) | 'B0' (REX.B clear: 90 is NOP)
 *   form      operands in Intel order, comma-separated tokens (below)
 *   size      operand-size rule (below)
 *   imm       immediate kind, derived from the form (below)
 *   lock      LOCK allowed (then only with a memory operand; elsewhere #UD)
 *
 * Operand tokens (SDM Vol. 2 Appendix A.2 notation where one exists):
 *
 *   Eb Ev Ew Ed Ey Ez  ModRM r/m: byte, opSize, word, dword, 32/64 by REX.W,
 *                      word if opSize is 2 else dword (MOVSXD's source)
 *   Ewv                r/m: register of opSize, or a word in memory (MOV Sreg)
 *   Gb Gv Gw Gd Gy     ModRM.reg general register, same sizes
 *   M Mb Mw Md Mq Mdq  memory only: unsized (LEA, INVLPG, FXSAVE...), 1, 2, 4, 8, 16 bytes
 *   Mt                 memory only, 10 bytes (x87 m80fp)
 *   ST0 STi            x87 ST(0); ST(i) with i = ModRM.rm (mod = 3; REX.B ignored)
 *   Ry                 ModRM.rm general register (mod = 3), 32/64 by REX.W
 *   Rq                 ModRM.rm general register, 64-bit (MOV CRn)
 *   Cq                 control register ModRM.reg (with REX.R): CR0 CR2 CR3 CR4 CR8, else #UD
 *   Sw                 segment register ModRM.reg (0 ES .. 5 GS; 6, 7 #UD; REX.R ignored, `reg` = `regOp`)
 *   Vx                 XMM register ModRM.reg (with REX.R)
 *   Wx Wd Wq           XMM register ModRM.rm, or memory of 16, 4, 8 bytes
 *   Ux                 XMM register ModRM.rm (mod = 3)
 *   Zb Zv              general register in the opcode's low 3 bits (+REX.B), in `rm`
 *   AL AX rAX CL 1     fixed: AL, AX, accumulator of opSize, CL, the constant 1
 *   FS GS              the segment register
 *   Ob Ov              moffs: a byte / opSize at an absolute address (addrSize bytes after the opcode)
 *   Xb Xv Yb Yv        string operands DS:rSI (segment may be overridden) and ES:rDI
 *   Ib                 imm8, zero-extended
 *   Ibs                imm8, sign-extended to opSize
 *   Iw                 imm16
 *   Iz                 imm16 if opSize is 2, else imm32 (sign-extended to 64 when opSize is 8)
 *   Iv                 imm16 / imm32 / imm64 by opSize (MOV r, imm: "movabs")
 *   Jb Jz              rel8 / rel32, sign-extended to 64 bits (target = next RIP + rel)
 *
 * Operand-size rules (`size`, giving DecodedInsn.opSize in bytes):
 *
 *   b w d q x   fixed 1, 2, 4, 8, 16
 *   v           8 with REX.W, else 2 with 66, else 4 (REX.W beats 66)
 *   d64         8 with REX.W, else 2 with 66, else 8 (push/pop and friends)
 *   f64         8 always (near branches: Intel ignores 66 in 64-bit mode, as iced does)
 *   y           8 with REX.W, else 4 (66 ignored)
 *
 * Not modelled (decode to #UD although valid in 64-bit mode): far CALL/JMP
 * through memory (FF /3, FF /5), all VEX/EVEX (C4/C5/62), MMX forms of the
 * SSE integer ops, x87 transcendentals/FPREM/FSCALE/FXTRACT/BCD/FNSAVE/FRSTOR, IN/OUT/INS/OUTS,
 * XLAT, LOOP/JCXZ, reserved-NOP hints other than 0F 1F /0 and 0F 18 /0-/3,
 * and every instruction not listed below.
 */
import { assert } from '../lib/errors.js';
import { MAP_0F, MAP_0F38, MAP_0F3A, MAP_PRIMARY } from './decode/insn.js';

export type MandatoryPrefix = 'any' | 'none' | '66' | 'F2' | 'F3';
export type ModrmRule = 'none' | 'any' | 'reg' | 'mem' | 'forceReg';
export type RexRule = 'any' | 'W0' | 'W1' | 'B0';
export type SizeRule = 'b' | 'w' | 'd' | 'q' | 'x' | 'v' | 'd64' | 'f64' | 'y';
export type ImmKind = 'none' | 'Ib' | 'Ibs' | 'Iw' | 'Iz' | 'Iv' | 'Jb' | 'Jz' | 'IwIb' | 'moffs';

export const OPERANDS = [
  'Eb', 'Ev', 'Ew', 'Ed', 'Ey', 'Ez', 'Ewv',
  'Gb', 'Gv', 'Gw', 'Gd', 'Gy',
  'M', 'Mb', 'Mw', 'Md', 'Mq', 'Mdq',
  'Ry', 'Rq', 'Cq', 'Sw',
  'Vx', 'Wx', 'Wd', 'Wq', 'Ux',
  'Zb', 'Zv', 'AL', 'AX', 'rAX', 'CL', '1', 'FS', 'GS',
  'Ob', 'Ov', 'Xb', 'Xv', 'Yb', 'Yv',
  'Ib', 'Ibs', 'Iw', 'Iz', 'Iv', 'Jb', 'Jz',
  'Mt', 'ST0', 'STi',
] as const;
export type Operand = (typeof OPERANDS)[number];

export interface OpRow {
  readonly name: string;
  readonly mnemonic: string;
  /** Mnemonics for opSize 2, 4, 8 when the name depends on it, else null. */
  readonly sizeMnemonics: readonly [string, string, string] | null;
  readonly map: number;
  readonly opcode: number;
  /** Operand Zb/Zv: the row covers opcode..opcode+7. */
  readonly plusR: boolean;
  readonly pfx: MandatoryPrefix;
  readonly digits: number;
  readonly modrm: ModrmRule;
  readonly rmByte: number;
  readonly rex: RexRule;
  readonly form: string;
  readonly operands: readonly Operand[];
  readonly size: SizeRule;
  readonly imm: ImmKind;
  readonly lock: boolean;
  /** Where the row decodes: MODES_64 and/or MODES_COMPAT bits (see `compatRow`). */
  readonly modes: number;
}

/** What a table line says; everything else takes the defaults of `row()`. */
interface RowSpec {
  readonly name?: string;
  readonly mnemonic: string;
  readonly sizeMnemonics?: readonly [string, string, string];
  readonly map?: number;
  readonly opcode: number;
  readonly pfx?: MandatoryPrefix;
  /** One /digit. */
  readonly digit?: number;
  /** Several /digits, as a mask. */
  readonly digits?: number;
  readonly modrm?: ModrmRule;
  readonly rmByte?: number;
  readonly rex?: RexRule;
  readonly form?: string;
  readonly size?: SizeRule;
  readonly lock?: boolean;
  /** 'compat' for forms that exist only outside 64-bit mode (INC/DEC 40-4F). */
  readonly modes?: 'compat';
}

const MODRM_OPERANDS: ReadonlySet<string> = new Set([
  'Eb', 'Ev', 'Ew', 'Ed', 'Ey', 'Ez', 'Ewv', 'Gb', 'Gv', 'Gw', 'Gd', 'Gy',
  'M', 'Mb', 'Mw', 'Md', 'Mq', 'Mdq', 'Ry', 'Rq', 'Cq', 'Sw', 'Vx', 'Wx', 'Wd', 'Wq', 'Ux', 'Mt', 'STi',
]);
const MEM_ONLY: ReadonlySet<string> = new Set(['M', 'Mb', 'Mw', 'Md', 'Mq', 'Mdq', 'Mt']);
const REG_ONLY: ReadonlySet<string> = new Set(['Ry', 'Ux', 'STi']);
const IMM_OF: Readonly<Record<string, ImmKind>> = {
  Ib: 'Ib', Ibs: 'Ibs', Iw: 'Iw', Iz: 'Iz', Iv: 'Iv', Jb: 'Jb', Jz: 'Jz', Ob: 'moffs', Ov: 'moffs',
};
const OPERAND_SET: ReadonlySet<string> = new Set(OPERANDS);

function row(s: RowSpec): OpRow {
  const form = s.form ?? '';
  const operands = form === '' ? [] : form.split(',');
  for (const o of operands) assert(OPERAND_SET.has(o), `optable: unknown operand ${o} in ${s.mnemonic} ${form}`);
  const ops = operands as Operand[];
  const imms = ops.map((o) => IMM_OF[o]).filter((k): k is ImmKind => k !== undefined);
  let imm: ImmKind = 'none';
  if (imms.length === 1) imm = imms[0] ?? 'none';
  else if (imms.length === 2 && imms[0] === 'Iw' && imms[1] === 'Ib') imm = 'IwIb';
  else assert(imms.length === 0, `optable: immediates ${imms.join(',')} in ${s.mnemonic}`);
  const needsModrm = ops.some((o) => MODRM_OPERANDS.has(o)) || s.digit !== undefined || s.digits !== undefined
    || s.rmByte !== undefined || s.modrm !== undefined;
  let modrm: ModrmRule = s.modrm ?? (needsModrm ? 'any' : 'none');
  if (s.modrm === undefined && needsModrm) {
    if (ops.some((o) => MEM_ONLY.has(o))) modrm = 'mem';
    else if (ops.some((o) => REG_ONLY.has(o)) || s.rmByte !== undefined) modrm = 'reg';
  }
  const digits = s.digit !== undefined ? 1 << s.digit : s.digits ?? (s.rmByte !== undefined ? 1 << ((s.rmByte >> 3) & 7) : 0xff);
  const name = s.name ?? (ops.length ? `${s.mnemonic}_${ops.join('_')}` : s.mnemonic);
  return {
    name,
    mnemonic: s.mnemonic,
    sizeMnemonics: s.sizeMnemonics ?? null,
    map: s.map ?? MAP_PRIMARY,
    opcode: s.opcode,
    plusR: ops.includes('Zb') || ops.includes('Zv'),
    pfx: s.pfx ?? 'any',
    digits,
    modrm,
    rmByte: s.rmByte ?? -1,
    rex: s.rex ?? 'any',
    form,
    operands: ops,
    size: s.size ?? (ops.some((o) => o === 'Eb' || o === 'Gb' || o === 'Zb' || o === 'Ob' || o === 'Xb' || o === 'Yb' || o === 'AL') ? 'b' : 'v'),
    imm,
    lock: s.lock ?? false,
    modes: s.modes === 'compat' ? MODES_COMPAT : MODES_64,
  };
}

const P = MAP_PRIMARY;
const T = MAP_0F; // "two-byte" map
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
const SHIFT = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'] as const;
const X87_ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'] as const;
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;

/** Rows in handler order; append only. */
const SPECS: readonly RowSpec[] = [
  // --- ALU, 00-3F: op = opcode >> 3 (ModRM.reg in the 80/81/83 groups), SDM Vol. 2 "ADD" etc.
  ...ALU.flatMap((m, i): RowSpec[] => [
    { mnemonic: m, opcode: i * 8 + 0, form: 'Eb,Gb', lock: m !== 'cmp' },
    { mnemonic: m, opcode: i * 8 + 1, form: 'Ev,Gv', lock: m !== 'cmp' },
    { mnemonic: m, opcode: i * 8 + 2, form: 'Gb,Eb' },
    { mnemonic: m, opcode: i * 8 + 3, form: 'Gv,Ev' },
    { mnemonic: m, opcode: i * 8 + 4, form: 'AL,Ib' },
    { mnemonic: m, opcode: i * 8 + 5, form: 'rAX,Iz' },
    { mnemonic: m, opcode: 0x80, digit: i, form: 'Eb,Ib', lock: m !== 'cmp' },
    { mnemonic: m, opcode: 0x81, digit: i, form: 'Ev,Iz', lock: m !== 'cmp' },
    { mnemonic: m, opcode: 0x83, digit: i, form: 'Ev,Ibs', lock: m !== 'cmp' },
  ]),
  // --- stack
  { mnemonic: 'push', opcode: 0x50, form: 'Zv', size: 'd64' },
  { mnemonic: 'pop', opcode: 0x58, form: 'Zv', size: 'd64' },
  { mnemonic: 'push', opcode: 0x68, form: 'Iz', size: 'd64' },
  { mnemonic: 'push', opcode: 0x6a, form: 'Ibs', size: 'd64' },
  { mnemonic: 'push', opcode: 0xff, digit: 6, form: 'Ev', size: 'd64' },
  { mnemonic: 'pop', opcode: 0x8f, digit: 0, form: 'Ev', size: 'd64' },
  { mnemonic: 'push', map: T, opcode: 0xa0, form: 'FS', size: 'd64' },
  { mnemonic: 'pop', map: T, opcode: 0xa1, form: 'FS', size: 'd64' },
  { mnemonic: 'push', map: T, opcode: 0xa8, form: 'GS', size: 'd64' },
  { mnemonic: 'pop', map: T, opcode: 0xa9, form: 'GS', size: 'd64' },
  { mnemonic: 'pushf', sizeMnemonics: ['pushf', 'pushfq', 'pushfq'], opcode: 0x9c, size: 'd64' },
  { mnemonic: 'popf', sizeMnemonics: ['popf', 'popfq', 'popfq'], opcode: 0x9d, size: 'd64' },
  { mnemonic: 'enter', opcode: 0xc8, form: 'Iw,Ib', size: 'd64' },
  { mnemonic: 'leave', opcode: 0xc9, size: 'd64' },
  // --- moves
  { mnemonic: 'mov', opcode: 0x88, form: 'Eb,Gb' },
  { mnemonic: 'mov', opcode: 0x89, form: 'Ev,Gv' },
  { mnemonic: 'mov', opcode: 0x8a, form: 'Gb,Eb' },
  { mnemonic: 'mov', opcode: 0x8b, form: 'Gv,Ev' },
  { mnemonic: 'mov', opcode: 0x8c, digits: 0b0011_1111, form: 'Ewv,Sw' },
  { mnemonic: 'mov', opcode: 0x8e, digits: 0b0011_1101, form: 'Sw,Ewv' }, // no MOV CS
  { mnemonic: 'mov', opcode: 0xa0, form: 'AL,Ob' },
  { mnemonic: 'mov', opcode: 0xa1, form: 'rAX,Ov' },
  { mnemonic: 'mov', opcode: 0xa2, form: 'Ob,AL' },
  { mnemonic: 'mov', opcode: 0xa3, form: 'Ov,rAX' },
  { mnemonic: 'mov', opcode: 0xb0, form: 'Zb,Ib' },
  { mnemonic: 'mov', opcode: 0xb8, form: 'Zv,Iv' },
  { mnemonic: 'mov', opcode: 0xc6, digit: 0, form: 'Eb,Ib' },
  { mnemonic: 'mov', opcode: 0xc7, digit: 0, form: 'Ev,Iz' },
  { mnemonic: 'mov', map: T, opcode: 0x20, modrm: 'forceReg', form: 'Rq,Cq', size: 'q' },
  { mnemonic: 'mov', map: T, opcode: 0x22, modrm: 'forceReg', form: 'Cq,Rq', size: 'q' },
  { mnemonic: 'movzx', map: T, opcode: 0xb6, form: 'Gv,Eb', size: 'v' },
  { mnemonic: 'movzx', map: T, opcode: 0xb7, form: 'Gv,Ew' },
  { mnemonic: 'movsx', map: T, opcode: 0xbe, form: 'Gv,Eb', size: 'v' },
  { mnemonic: 'movsx', map: T, opcode: 0xbf, form: 'Gv,Ew' },
  { mnemonic: 'movsxd', opcode: 0x63, form: 'Gv,Ez' },
  { mnemonic: 'lea', opcode: 0x8d, form: 'Gv,M' },
  { mnemonic: 'xchg', opcode: 0x86, form: 'Eb,Gb', lock: true },
  { mnemonic: 'xchg', opcode: 0x87, form: 'Ev,Gv', lock: true },
  { mnemonic: 'pause', opcode: 0x90, pfx: 'F3' },
  { mnemonic: 'nop', opcode: 0x90, rex: 'B0' },
  { mnemonic: 'xchg', opcode: 0x90, form: 'Zv,rAX' },
  { mnemonic: 'cmpxchg', map: T, opcode: 0xb0, form: 'Eb,Gb', lock: true },
  { mnemonic: 'cmpxchg', map: T, opcode: 0xb1, form: 'Ev,Gv', lock: true },
  { mnemonic: 'cmpxchg8b', map: T, opcode: 0xc7, digit: 1, rex: 'W0', form: 'Mq', size: 'd', lock: true },
  { mnemonic: 'cmpxchg16b', map: T, opcode: 0xc7, digit: 1, rex: 'W1', form: 'Mdq', size: 'q', lock: true },
  { mnemonic: 'xadd', map: T, opcode: 0xc0, form: 'Eb,Gb', lock: true },
  { mnemonic: 'xadd', map: T, opcode: 0xc1, form: 'Ev,Gv', lock: true },
  { mnemonic: 'bswap', map: T, opcode: 0xc8, form: 'Zv' },
  { mnemonic: 'cbw', sizeMnemonics: ['cbw', 'cwde', 'cdqe'], opcode: 0x98 },
  { mnemonic: 'cwd', sizeMnemonics: ['cwd', 'cdq', 'cqo'], opcode: 0x99 },
  // --- test, unary group 3, inc/dec
  { mnemonic: 'test', opcode: 0x84, form: 'Eb,Gb' },
  { mnemonic: 'test', opcode: 0x85, form: 'Ev,Gv' },
  { mnemonic: 'test', opcode: 0xa8, form: 'AL,Ib' },
  { mnemonic: 'test', opcode: 0xa9, form: 'rAX,Iz' },
  { mnemonic: 'test', opcode: 0xf6, digit: 0, form: 'Eb,Ib' },
  { mnemonic: 'test', opcode: 0xf7, digit: 0, form: 'Ev,Iz' },
  // F6/F7 /1: undocumented alias of /0, decoded by iced (Test_rm8_imm8_F6r1)
  { name: 'test_Eb_Ib_F6r1', mnemonic: 'test', opcode: 0xf6, digit: 1, form: 'Eb,Ib' },
  { name: 'test_Ev_Iz_F7r1', mnemonic: 'test', opcode: 0xf7, digit: 1, form: 'Ev,Iz' },
  ...(['not', 'neg', 'mul', 'imul', 'div', 'idiv'] as const).flatMap((m, i): RowSpec[] => [
    { mnemonic: m, opcode: 0xf6, digit: i + 2, form: 'Eb', lock: i < 2 },
    { mnemonic: m, opcode: 0xf7, digit: i + 2, form: 'Ev', lock: i < 2 },
  ]),
  { mnemonic: 'inc', opcode: 0xfe, digit: 0, form: 'Eb', lock: true },
  { mnemonic: 'dec', opcode: 0xfe, digit: 1, form: 'Eb', lock: true },
  { mnemonic: 'inc', opcode: 0xff, digit: 0, form: 'Ev', lock: true },
  { mnemonic: 'dec', opcode: 0xff, digit: 1, form: 'Ev', lock: true },
  { mnemonic: 'imul', map: T, opcode: 0xaf, form: 'Gv,Ev' },
  { mnemonic: 'imul', opcode: 0x69, form: 'Gv,Ev,Iz' },
  { mnemonic: 'imul', opcode: 0x6b, form: 'Gv,Ev,Ibs' },
  // --- shifts and rotates (group 2; /6 is SAL, an alias of SHL decoded by iced)
  ...SHIFT.flatMap((m, i): RowSpec[] => [
    { mnemonic: m, opcode: 0xc0, digit: i, form: 'Eb,Ib' },
    { mnemonic: m, opcode: 0xc1, digit: i, form: 'Ev,Ib' },
    { mnemonic: m, opcode: 0xd0, digit: i, form: 'Eb,1' },
    { mnemonic: m, opcode: 0xd1, digit: i, form: 'Ev,1' },
    { mnemonic: m, opcode: 0xd2, digit: i, form: 'Eb,CL' },
    { mnemonic: m, opcode: 0xd3, digit: i, form: 'Ev,CL' },
  ]),
  { mnemonic: 'shld', map: T, opcode: 0xa4, form: 'Ev,Gv,Ib' },
  { mnemonic: 'shld', map: T, opcode: 0xa5, form: 'Ev,Gv,CL' },
  { mnemonic: 'shrd', map: T, opcode: 0xac, form: 'Ev,Gv,Ib' },
  { mnemonic: 'shrd', map: T, opcode: 0xad, form: 'Ev,Gv,CL' },
  // --- bit operations
  { mnemonic: 'bt', map: T, opcode: 0xa3, form: 'Ev,Gv' },
  { mnemonic: 'bts', map: T, opcode: 0xab, form: 'Ev,Gv', lock: true },
  { mnemonic: 'btr', map: T, opcode: 0xb3, form: 'Ev,Gv', lock: true },
  { mnemonic: 'btc', map: T, opcode: 0xbb, form: 'Ev,Gv', lock: true },
  { mnemonic: 'bt', map: T, opcode: 0xba, digit: 4, form: 'Ev,Ib' },
  { mnemonic: 'bts', map: T, opcode: 0xba, digit: 5, form: 'Ev,Ib', lock: true },
  { mnemonic: 'btr', map: T, opcode: 0xba, digit: 6, form: 'Ev,Ib', lock: true },
  { mnemonic: 'btc', map: T, opcode: 0xba, digit: 7, form: 'Ev,Ib', lock: true },
  { mnemonic: 'tzcnt', map: T, opcode: 0xbc, pfx: 'F3', form: 'Gv,Ev' },
  { mnemonic: 'bsf', map: T, opcode: 0xbc, form: 'Gv,Ev' },
  { mnemonic: 'lzcnt', map: T, opcode: 0xbd, pfx: 'F3', form: 'Gv,Ev' },
  { mnemonic: 'bsr', map: T, opcode: 0xbd, form: 'Gv,Ev' },
  { mnemonic: 'popcnt', map: T, opcode: 0xb8, pfx: 'F3', form: 'Gv,Ev' },
  // --- condition codes: jcc, setcc, cmovcc (cc = opcode & 15)
  ...CC.map((c, i): RowSpec => ({ mnemonic: `j${c}`, opcode: 0x70 + i, form: 'Jb', size: 'f64' })),
  ...CC.map((c, i): RowSpec => ({ mnemonic: `j${c}`, map: T, opcode: 0x80 + i, form: 'Jz', size: 'f64' })),
  ...CC.map((c, i): RowSpec => ({ mnemonic: `set${c}`, map: T, opcode: 0x90 + i, form: 'Eb' })),
  ...CC.map((c, i): RowSpec => ({ mnemonic: `cmov${c}`, map: T, opcode: 0x40 + i, form: 'Gv,Ev' })),
  // --- control transfer
  { mnemonic: 'jmp', opcode: 0xe9, form: 'Jz', size: 'f64' },
  { mnemonic: 'jmp', opcode: 0xeb, form: 'Jb', size: 'f64' },
  { mnemonic: 'loopne', opcode: 0xe0, form: 'Jb', size: 'f64' },
  { mnemonic: 'loope', opcode: 0xe1, form: 'Jb', size: 'f64' },
  { mnemonic: 'loop', opcode: 0xe2, form: 'Jb', size: 'f64' },
  { mnemonic: 'jrcxz', opcode: 0xe3, form: 'Jb', size: 'f64' },
  { mnemonic: 'jmp', opcode: 0xff, digit: 4, form: 'Ev', size: 'f64' },
  { mnemonic: 'call', opcode: 0xe8, form: 'Jz', size: 'f64' },
  { mnemonic: 'call', opcode: 0xff, digit: 2, form: 'Ev', size: 'f64' },
  { mnemonic: 'ret', opcode: 0xc3, size: 'f64' },
  { mnemonic: 'ret', opcode: 0xc2, form: 'Iw', size: 'f64' },
  { mnemonic: 'iret', sizeMnemonics: ['iret', 'iretd', 'iretq'], opcode: 0xcf },
  { mnemonic: 'int3', opcode: 0xcc },
  { mnemonic: 'int', opcode: 0xcd, form: 'Ib' },
  { mnemonic: 'syscall', map: T, opcode: 0x05 },
  { mnemonic: 'sysret', sizeMnemonics: ['sysret', 'sysret', 'sysretq'], map: T, opcode: 0x07, size: 'y' },
  // --- string operations (REP/REPNE in `prefixes`)
  { mnemonic: 'movsb', opcode: 0xa4, form: 'Yb,Xb' },
  { mnemonic: 'movs', sizeMnemonics: ['movsw', 'movsd', 'movsq'], opcode: 0xa5, form: 'Yv,Xv' },
  { mnemonic: 'cmpsb', opcode: 0xa6, form: 'Xb,Yb' },
  { mnemonic: 'cmps', sizeMnemonics: ['cmpsw', 'cmpsd', 'cmpsq'], opcode: 0xa7, form: 'Xv,Yv' },
  { mnemonic: 'stosb', opcode: 0xaa, form: 'Yb,AL' },
  { mnemonic: 'stos', sizeMnemonics: ['stosw', 'stosd', 'stosq'], opcode: 0xab, form: 'Yv,rAX' },
  { mnemonic: 'lodsb', opcode: 0xac, form: 'AL,Xb' },
  { mnemonic: 'lods', sizeMnemonics: ['lodsw', 'lodsd', 'lodsq'], opcode: 0xad, form: 'rAX,Xv' },
  { mnemonic: 'scasb', opcode: 0xae, form: 'AL,Yb' },
  { mnemonic: 'scas', sizeMnemonics: ['scasw', 'scasd', 'scasq'], opcode: 0xaf, form: 'rAX,Yv' },
  // --- flags
  { mnemonic: 'cmc', opcode: 0xf5 },
  { mnemonic: 'clc', opcode: 0xf8 },
  { mnemonic: 'stc', opcode: 0xf9 },
  { mnemonic: 'cli', opcode: 0xfa },
  { mnemonic: 'sti', opcode: 0xfb },
  { mnemonic: 'cld', opcode: 0xfc },
  { mnemonic: 'std', opcode: 0xfd },
  { mnemonic: 'sahf', opcode: 0x9e },
  { mnemonic: 'lahf', opcode: 0x9f },
  // --- hints and no-ops
  { mnemonic: 'nop', map: T, opcode: 0x1f, digit: 0, form: 'Ev' },
  { mnemonic: 'prefetchnta', map: T, opcode: 0x18, digit: 0, form: 'Mb' },
  { mnemonic: 'prefetcht0', map: T, opcode: 0x18, digit: 1, form: 'Mb' },
  { mnemonic: 'prefetcht1', map: T, opcode: 0x18, digit: 2, form: 'Mb' },
  { mnemonic: 'prefetcht2', map: T, opcode: 0x18, digit: 3, form: 'Mb' },
  { mnemonic: 'endbr64', map: T, opcode: 0x1e, pfx: 'F3', rmByte: 0xfa },
  // --- system
  { mnemonic: 'hlt', opcode: 0xf4 },
  { mnemonic: 'ud2', map: T, opcode: 0x0b },
  { mnemonic: 'cpuid', map: T, opcode: 0xa2 },
  { mnemonic: 'rdtsc', map: T, opcode: 0x31 },
  { mnemonic: 'rdtscp', map: T, opcode: 0x01, rmByte: 0xf9 },
  { mnemonic: 'wrmsr', map: T, opcode: 0x30 },
  { mnemonic: 'rdmsr', map: T, opcode: 0x32 },
  { mnemonic: 'invlpg', map: T, opcode: 0x01, digit: 7, form: 'M' },
  { mnemonic: 'swapgs', map: T, opcode: 0x01, rmByte: 0xf8 },
  { mnemonic: 'xgetbv', map: T, opcode: 0x01, pfx: 'none', rmByte: 0xd0 },
  { mnemonic: 'clac', map: T, opcode: 0x01, pfx: 'none', rmByte: 0xca },
  { mnemonic: 'stac', map: T, opcode: 0x01, pfx: 'none', rmByte: 0xcb },
  { mnemonic: 'rdpkru', map: T, opcode: 0x01, pfx: 'none', rmByte: 0xee },
  { mnemonic: 'wrpkru', map: T, opcode: 0x01, pfx: 'none', rmByte: 0xef },
  { mnemonic: 'rdfsbase', map: T, opcode: 0xae, pfx: 'F3', digit: 0, form: 'Ry', size: 'y' },
  { mnemonic: 'rdgsbase', map: T, opcode: 0xae, pfx: 'F3', digit: 1, form: 'Ry', size: 'y' },
  { mnemonic: 'wrfsbase', map: T, opcode: 0xae, pfx: 'F3', digit: 2, form: 'Ry', size: 'y' },
  { mnemonic: 'wrgsbase', map: T, opcode: 0xae, pfx: 'F3', digit: 3, form: 'Ry', size: 'y' },
  { mnemonic: 'fxsave', map: T, opcode: 0xae, pfx: 'none', digit: 0, rex: 'W0', form: 'M', size: 'd' },
  { mnemonic: 'fxsave64', map: T, opcode: 0xae, pfx: 'none', digit: 0, rex: 'W1', form: 'M', size: 'q' },
  { mnemonic: 'fxrstor', map: T, opcode: 0xae, pfx: 'none', digit: 1, rex: 'W0', form: 'M', size: 'd' },
  { mnemonic: 'fxrstor64', map: T, opcode: 0xae, pfx: 'none', digit: 1, rex: 'W1', form: 'M', size: 'q' },
  { mnemonic: 'ldmxcsr', map: T, opcode: 0xae, pfx: 'none', digit: 2, form: 'Md', size: 'd' },
  { mnemonic: 'stmxcsr', map: T, opcode: 0xae, pfx: 'none', digit: 3, form: 'Md', size: 'd' },
  { mnemonic: 'xsave', map: T, opcode: 0xae, pfx: 'none', digit: 4, rex: 'W0', form: 'M', size: 'd' },
  { mnemonic: 'xsave64', map: T, opcode: 0xae, pfx: 'none', digit: 4, rex: 'W1', form: 'M', size: 'q' },
  { mnemonic: 'xrstor', map: T, opcode: 0xae, pfx: 'none', digit: 5, rex: 'W0', form: 'M', size: 'd' },
  { mnemonic: 'xrstor64', map: T, opcode: 0xae, pfx: 'none', digit: 5, rex: 'W1', form: 'M', size: 'q' },
  { mnemonic: 'lfence', map: T, opcode: 0xae, pfx: 'none', digit: 5, modrm: 'reg' },
  { mnemonic: 'mfence', map: T, opcode: 0xae, pfx: 'none', digit: 6, modrm: 'reg' },
  { mnemonic: 'sfence', map: T, opcode: 0xae, pfx: 'none', digit: 7, modrm: 'reg' },
  // --- x87 control
  { mnemonic: 'wait', opcode: 0x9b },
  { mnemonic: 'fninit', opcode: 0xdb, rmByte: 0xe3 },
  { mnemonic: 'fnstcw', opcode: 0xd9, digit: 7, form: 'Mw', size: 'w' },
  { mnemonic: 'fldcw', opcode: 0xd9, digit: 5, form: 'Mw', size: 'w' },
  { mnemonic: 'fnstsw', opcode: 0xdd, digit: 7, form: 'Mw', size: 'w' },
  { mnemonic: 'fnstsw', opcode: 0xdf, rmByte: 0xe0, form: 'AX', size: 'w' },
  // --- x87 register stack and arithmetic (SDM Vol. 2 Tables A-7..A-22: memory forms by
  // ModRM.reg; register forms by reg and rm = i). Arithmetic by digit: D8 m32fp / ST(0),ST(i),
  // DC m64fp / ST(i),ST(0), DA m32int, DE m16int / ST(i),ST(0) + pop.
  ...X87_ARITH.flatMap((m, d): RowSpec[] => [
    { mnemonic: m, opcode: 0xd8, digit: d, form: 'Md', size: 'd' },
    { mnemonic: m, opcode: 0xdc, digit: d, form: 'Mq', size: 'q' },
    { mnemonic: `fi${m.slice(1)}`, opcode: 0xda, digit: d, form: 'Md', size: 'd' },
    { mnemonic: `fi${m.slice(1)}`, opcode: 0xde, digit: d, form: 'Mw', size: 'w' },
    { mnemonic: m, opcode: 0xd8, digit: d, form: 'ST0,STi' },
  ]),
  ...(['fadd', 'fmul', '', '', 'fsubr', 'fsub', 'fdivr', 'fdiv'] as const).flatMap((m, d): RowSpec[] => m === '' ? [] : [
    { mnemonic: m, opcode: 0xdc, digit: d, form: 'STi,ST0' },
    { mnemonic: `${m}p`, opcode: 0xde, digit: d, form: 'STi,ST0' },
  ]),
  { mnemonic: 'fcompp', opcode: 0xde, rmByte: 0xd9 },
  { mnemonic: 'fld', opcode: 0xd9, digit: 0, form: 'Md', size: 'd' },
  { mnemonic: 'fld', opcode: 0xdd, digit: 0, form: 'Mq', size: 'q' },
  { mnemonic: 'fld', opcode: 0xdb, digit: 5, form: 'Mt', size: 'q' },
  { mnemonic: 'fld', opcode: 0xd9, digit: 0, form: 'STi' },
  { mnemonic: 'fst', opcode: 0xd9, digit: 2, form: 'Md', size: 'd' },
  { mnemonic: 'fst', opcode: 0xdd, digit: 2, form: 'Mq', size: 'q' },
  { mnemonic: 'fst', opcode: 0xdd, digit: 2, form: 'STi' },
  { mnemonic: 'fstp', opcode: 0xd9, digit: 3, form: 'Md', size: 'd' },
  { mnemonic: 'fstp', opcode: 0xdd, digit: 3, form: 'Mq', size: 'q' },
  { mnemonic: 'fstp', opcode: 0xdb, digit: 7, form: 'Mt', size: 'q' },
  { mnemonic: 'fstp', opcode: 0xdd, digit: 3, form: 'STi' },
  { mnemonic: 'fild', opcode: 0xdf, digit: 0, form: 'Mw', size: 'w' },
  { mnemonic: 'fild', opcode: 0xdb, digit: 0, form: 'Md', size: 'd' },
  { mnemonic: 'fild', opcode: 0xdf, digit: 5, form: 'Mq', size: 'q' },
  { mnemonic: 'fist', opcode: 0xdf, digit: 2, form: 'Mw', size: 'w' },
  { mnemonic: 'fist', opcode: 0xdb, digit: 2, form: 'Md', size: 'd' },
  { mnemonic: 'fistp', opcode: 0xdf, digit: 3, form: 'Mw', size: 'w' },
  { mnemonic: 'fistp', opcode: 0xdb, digit: 3, form: 'Md', size: 'd' },
  { mnemonic: 'fistp', opcode: 0xdf, digit: 7, form: 'Mq', size: 'q' },
  { mnemonic: 'fisttp', opcode: 0xdf, digit: 1, form: 'Mw', size: 'w' },
  { mnemonic: 'fisttp', opcode: 0xdb, digit: 1, form: 'Md', size: 'd' },
  { mnemonic: 'fisttp', opcode: 0xdd, digit: 1, form: 'Mq', size: 'q' },
  { mnemonic: 'fxch', opcode: 0xd9, digit: 1, form: 'ST0,STi' },
  { mnemonic: 'ffree', opcode: 0xdd, digit: 0, form: 'STi' },
  { mnemonic: 'fucom', opcode: 0xdd, digit: 4, form: 'ST0,STi' },
  { mnemonic: 'fucomp', opcode: 0xdd, digit: 5, form: 'ST0,STi' },
  { mnemonic: 'fucompp', opcode: 0xda, rmByte: 0xe9 },
  { mnemonic: 'fucomi', opcode: 0xdb, digit: 5, form: 'ST0,STi' },
  { mnemonic: 'fcomi', opcode: 0xdb, digit: 6, form: 'ST0,STi' },
  { mnemonic: 'fucomip', opcode: 0xdf, digit: 5, form: 'ST0,STi' },
  { mnemonic: 'fcomip', opcode: 0xdf, digit: 6, form: 'ST0,STi' },
  ...(['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'] as const).flatMap((m, d): RowSpec[] => [
    { mnemonic: m, opcode: 0xda, digit: d, form: 'ST0,STi' },
    { mnemonic: `fcmovn${m.slice(5)}`, opcode: 0xdb, digit: d, form: 'ST0,STi' },
  ]),
  ...([
    ['fnop', 0xd0], ['fchs', 0xe0], ['fabs', 0xe1], ['ftst', 0xe4], ['fxam', 0xe5], ['fld1', 0xe8], ['fldl2t', 0xe9],
    ['fldl2e', 0xea], ['fldpi', 0xeb], ['fldlg2', 0xec], ['fldln2', 0xed], ['fldz', 0xee], ['fdecstp', 0xf6],
    ['fincstp', 0xf7], ['fsqrt', 0xfa], ['frndint', 0xfc],
  ] as const).map(([m, rmByte]): RowSpec => ({ mnemonic: m, opcode: 0xd9, rmByte })),
  { mnemonic: 'fnclex', opcode: 0xdb, rmByte: 0xe2 },
  { mnemonic: 'fnstenv', opcode: 0xd9, digit: 6, form: 'M' },
  { mnemonic: 'fldenv', opcode: 0xd9, digit: 4, form: 'M' },
  // --- SSE/SSE2 moves
  { mnemonic: 'movd', map: T, opcode: 0x6e, pfx: '66', rex: 'W0', form: 'Vx,Ed', size: 'd' },
  { mnemonic: 'movq', map: T, opcode: 0x6e, pfx: '66', rex: 'W1', form: 'Vx,Ey', size: 'q', name: 'movq_Vx_Eq' },
  { mnemonic: 'movd', map: T, opcode: 0x7e, pfx: '66', rex: 'W0', form: 'Ed,Vx', size: 'd' },
  { mnemonic: 'movq', map: T, opcode: 0x7e, pfx: '66', rex: 'W1', form: 'Ey,Vx', size: 'q', name: 'movq_Eq_Vx' },
  { mnemonic: 'movq', map: T, opcode: 0x7e, pfx: 'F3', form: 'Vx,Wq', size: 'q' },
  { mnemonic: 'movq', map: T, opcode: 0xd6, pfx: '66', form: 'Wq,Vx', size: 'q' },
  { mnemonic: 'movdqa', map: T, opcode: 0x6f, pfx: '66', form: 'Vx,Wx', size: 'x' },
  { mnemonic: 'movdqa', map: T, opcode: 0x7f, pfx: '66', form: 'Wx,Vx', size: 'x' },
  { mnemonic: 'movdqu', map: T, opcode: 0x6f, pfx: 'F3', form: 'Vx,Wx', size: 'x' },
  { mnemonic: 'movdqu', map: T, opcode: 0x7f, pfx: 'F3', form: 'Wx,Vx', size: 'x' },
  { mnemonic: 'movaps', map: T, opcode: 0x28, pfx: 'none', form: 'Vx,Wx', size: 'x' },
  { mnemonic: 'movaps', map: T, opcode: 0x29, pfx: 'none', form: 'Wx,Vx', size: 'x' },
  { mnemonic: 'movups', map: T, opcode: 0x10, pfx: 'none', form: 'Vx,Wx', size: 'x' },
  { mnemonic: 'movups', map: T, opcode: 0x11, pfx: 'none', form: 'Wx,Vx', size: 'x' },
  // The double-precision spellings move the same 128 bits (compilers emit them for double vectors).
  { mnemonic: 'movapd', map: T, opcode: 0x28, pfx: '66', form: 'Vx,Wx', size: 'x' },
  { mnemonic: 'movapd', map: T, opcode: 0x29, pfx: '66', form: 'Wx,Vx', size: 'x' },
  { mnemonic: 'movupd', map: T, opcode: 0x10, pfx: '66', form: 'Vx,Wx', size: 'x' },
  { mnemonic: 'movupd', map: T, opcode: 0x11, pfx: '66', form: 'Wx,Vx', size: 'x' },
  { mnemonic: 'movss', map: T, opcode: 0x10, pfx: 'F3', form: 'Vx,Wd', size: 'd' },
  { mnemonic: 'movss', map: T, opcode: 0x11, pfx: 'F3', form: 'Wd,Vx', size: 'd' },
  { mnemonic: 'movsd', map: T, opcode: 0x10, pfx: 'F2', form: 'Vx,Wq', size: 'q' },
  { mnemonic: 'movsd', map: T, opcode: 0x11, pfx: 'F2', form: 'Wq,Vx', size: 'q' },
  { mnemonic: 'movlps', map: T, opcode: 0x12, pfx: 'none', form: 'Vx,Mq', size: 'q' },
  { mnemonic: 'movhlps', map: T, opcode: 0x12, pfx: 'none', form: 'Vx,Ux', size: 'q' },
  { mnemonic: 'movlps', map: T, opcode: 0x13, pfx: 'none', form: 'Mq,Vx', size: 'q' },
  { mnemonic: 'movhps', map: T, opcode: 0x16, pfx: 'none', form: 'Vx,Mq', size: 'q' },
  { mnemonic: 'movlhps', map: T, opcode: 0x16, pfx: 'none', form: 'Vx,Ux', size: 'q' },
  { mnemonic: 'movhps', map: T, opcode: 0x17, pfx: 'none', form: 'Mq,Vx', size: 'q' },
  { mnemonic: 'movlpd', map: T, opcode: 0x12, pfx: '66', form: 'Vx,Mq', size: 'q' },
  { mnemonic: 'movlpd', map: T, opcode: 0x13, pfx: '66', form: 'Mq,Vx', size: 'q' },
  { mnemonic: 'movhpd', map: T, opcode: 0x16, pfx: '66', form: 'Vx,Mq', size: 'q' },
  { mnemonic: 'movhpd', map: T, opcode: 0x17, pfx: '66', form: 'Mq,Vx', size: 'q' },
  { mnemonic: 'pmovmskb', map: T, opcode: 0xd7, pfx: '66', form: 'Gy,Ux', size: 'y' },
  { mnemonic: 'movmskps', map: T, opcode: 0x50, pfx: 'none', form: 'Gy,Ux', size: 'y' },
  { mnemonic: 'movmskpd', map: T, opcode: 0x50, pfx: '66', form: 'Gy,Ux', size: 'y' },
  // --- SSE2 integer (66 0F xx, W/Vx,Wx), op name = mnemonic
  ...([
    ['pxor', 0xef], ['por', 0xeb], ['pand', 0xdb], ['pandn', 0xdf],
    ['pcmpeqb', 0x74], ['pcmpeqw', 0x75], ['pcmpeqd', 0x76],
    ['pcmpgtb', 0x64], ['pcmpgtw', 0x65], ['pcmpgtd', 0x66],
    ['pminub', 0xda], ['pmaxub', 0xde],
    ['paddb', 0xfc], ['paddw', 0xfd], ['paddd', 0xfe], ['paddq', 0xd4],
    ['psubb', 0xf8], ['psubw', 0xf9], ['psubd', 0xfa], ['psubq', 0xfb],
    ['punpcklbw', 0x60], ['punpcklwd', 0x61], ['punpckldq', 0x62], ['punpcklqdq', 0x6c],
    ['punpckhbw', 0x68], ['punpckhwd', 0x69], ['punpckhdq', 0x6a], ['punpckhqdq', 0x6d],
    ['psrlw', 0xd1], ['psrld', 0xd2], ['psrlq', 0xd3], ['psraw', 0xe1], ['psrad', 0xe2],
    ['psllw', 0xf1], ['pslld', 0xf2], ['psllq', 0xf3],
  ] as const).map(([m, opcode]): RowSpec => ({ mnemonic: m, map: T, opcode, pfx: '66', form: 'Vx,Wx', size: 'x' })),
  { mnemonic: 'pshufd', map: T, opcode: 0x70, pfx: '66', form: 'Vx,Wx,Ib', size: 'x' },
  { mnemonic: 'pshuflw', map: T, opcode: 0x70, pfx: 'F2', form: 'Vx,Wx,Ib', size: 'x' },
  { mnemonic: 'pshufhw', map: T, opcode: 0x70, pfx: 'F3', form: 'Vx,Wx,Ib', size: 'x' },
  ...([
    [0x71, 2, 'psrlw'], [0x71, 4, 'psraw'], [0x71, 6, 'psllw'],
    [0x72, 2, 'psrld'], [0x72, 4, 'psrad'], [0x72, 6, 'pslld'],
    [0x73, 2, 'psrlq'], [0x73, 3, 'psrldq'], [0x73, 6, 'psllq'], [0x73, 7, 'pslldq'],
  ] as const).map(([opcode, digit, m]): RowSpec => ({ mnemonic: m, map: T, opcode, pfx: '66', digit, form: 'Ux,Ib', size: 'x' })),
  // --- SSE/SSE2 floating point
  { mnemonic: 'cvtsi2ss', map: T, opcode: 0x2a, pfx: 'F3', form: 'Vx,Ey', size: 'y' },
  { mnemonic: 'cvtsi2sd', map: T, opcode: 0x2a, pfx: 'F2', form: 'Vx,Ey', size: 'y' },
  { mnemonic: 'cvttss2si', map: T, opcode: 0x2c, pfx: 'F3', form: 'Gy,Wd', size: 'y' },
  { mnemonic: 'cvttsd2si', map: T, opcode: 0x2c, pfx: 'F2', form: 'Gy,Wq', size: 'y' },
  { mnemonic: 'cvtss2sd', map: T, opcode: 0x5a, pfx: 'F3', form: 'Vx,Wd', size: 'd' },
  { mnemonic: 'cvtsd2ss', map: T, opcode: 0x5a, pfx: 'F2', form: 'Vx,Wq', size: 'q' },
  ...([
    ['add', 0x58], ['mul', 0x59], ['sub', 0x5c], ['min', 0x5d], ['div', 0x5e], ['max', 0x5f], ['sqrt', 0x51],
  ] as const).flatMap(([m, opcode]): RowSpec[] => [
    { mnemonic: `${m}ss`, map: T, opcode, pfx: 'F3', form: 'Vx,Wd', size: 'd' },
    { mnemonic: `${m}sd`, map: T, opcode, pfx: 'F2', form: 'Vx,Wq', size: 'q' },
  ]),
  { mnemonic: 'ucomiss', map: T, opcode: 0x2e, pfx: 'none', form: 'Vx,Wd', size: 'd' },
  { mnemonic: 'ucomisd', map: T, opcode: 0x2e, pfx: '66', form: 'Vx,Wq', size: 'q' },
  { mnemonic: 'comiss', map: T, opcode: 0x2f, pfx: 'none', form: 'Vx,Wd', size: 'd' },
  { mnemonic: 'comisd', map: T, opcode: 0x2f, pfx: '66', form: 'Vx,Wq', size: 'q' },
  ...([
    ['and', 0x54], ['andn', 0x55], ['or', 0x56], ['xor', 0x57], ['unpckl', 0x14], ['unpckh', 0x15],
  ] as const).flatMap(([m, opcode]): RowSpec[] => [
    { mnemonic: `${m}ps`, map: T, opcode, pfx: 'none', form: 'Vx,Wx', size: 'x' },
    { mnemonic: `${m}pd`, map: T, opcode, pfx: '66', form: 'Vx,Wx', size: 'x' },
  ]),
  { mnemonic: 'shufps', map: T, opcode: 0xc6, pfx: 'none', form: 'Vx,Wx,Ib', size: 'x' },
  { mnemonic: 'shufpd', map: T, opcode: 0xc6, pfx: '66', form: 'Vx,Wx,Ib', size: 'x' },
  // --- SSSE3 (the 0F 38 / 0F 3A maps)
  { mnemonic: 'pshufb', map: MAP_0F38, opcode: 0x00, pfx: '66', form: 'Vx,Wx', size: 'x' },
  { mnemonic: 'palignr', map: MAP_0F3A, opcode: 0x0f, pfx: '66', form: 'Vx,Wx,Ib', size: 'x' },
  // --- descriptor checks and the LDT (SDM Vol. 2A "LAR", "LSL", "LLDT"; Vol. 2B "VERR/VERW").
  // The selector operand is r/m16: iced names a register at the operand size (r32/m16, r64/m16 forms), memory is a word.
  { mnemonic: 'lar', map: T, opcode: 0x02, form: 'Gv,Ewv' },
  { mnemonic: 'lsl', map: T, opcode: 0x03, form: 'Gv,Ewv' },
  { mnemonic: 'lldt', map: T, opcode: 0x00, digit: 2, form: 'Ewv' },
  { mnemonic: 'verr', map: T, opcode: 0x00, digit: 4, form: 'Ewv' },
  { mnemonic: 'verw', map: T, opcode: 0x00, digit: 5, form: 'Ewv' },
  // --- compatibility mode only: 40-4F are INC/DEC r16/r32 there, REX prefixes in 64-bit mode
  { name: 'inc_Zv_compat', mnemonic: 'inc', opcode: 0x40, form: 'Zv', modes: 'compat' },
  { name: 'dec_Zv_compat', mnemonic: 'dec', opcode: 0x48, form: 'Zv', modes: 'compat' },
];

/** `OpRow.modes` bits: the row decodes in 64-bit mode / in compatibility mode (32- and 16-bit code). */
export const MODES_64 = 1;
export const MODES_COMPAT = 2;

/**
 * Mnemonics whose rows also decode in compatibility mode, with semantics
 * checked there (SDM Vol. 1 §3.6, Vol. 3A §5.2.1: default operand and
 * address size 32 or 16 by CS.D, 66/67 toggle them, no REX, segment bases
 * and limits apply). Everything else is #UD in compatibility mode — kentry
 * never runs an instruction there with 64-bit semantics. Branch and stack
 * rows get compatibility handlers (ops/compat.ts).
 */
const COMPAT_MNEMONICS: ReadonlySet<string> = new Set([
  ...ALU, ...SHIFT, 'mov', 'movzx', 'movsx', 'lea', 'xchg', 'nop', 'cbw', 'cwd',
  'test', 'not', 'neg', 'mul', 'imul', 'div', 'idiv', 'inc', 'dec',
  'bt', 'bts', 'btr', 'btc', 'bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt', 'pause',
  ...CC.map((c) => `j${c}`), ...CC.map((c) => `set${c}`), ...CC.map((c) => `cmov${c}`),
  'jmp', 'call', 'ret', 'push', 'pop',
  'cmc', 'clc', 'stc', 'cli', 'sti', 'cld', 'std', 'sahf', 'lahf',
  'hlt', 'ud2', 'int3', 'int', 'cpuid', 'rdtsc',
  'lar', 'lsl', 'lldt', 'verr', 'verw',
]);
/** Forms of those mnemonics that stay 64-bit only: MOV CRn, PUSH/POP FS/GS. */
const NOT_COMPAT_FORMS: ReadonlySet<string> = new Set(['mov_Rq_Cq', 'mov_Cq_Rq', 'push_FS', 'pop_FS', 'push_GS', 'pop_GS']);

function compatRow(r: OpRow): OpRow {
  if (r.modes !== MODES_64 || !COMPAT_MNEMONICS.has(r.mnemonic) || NOT_COMPAT_FORMS.has(r.name)) return r;
  return { ...r, modes: MODES_64 | MODES_COMPAT };
}

/** The opcode table; `DecodedInsn.op` indexes it. */
export const OPTABLE: readonly OpRow[] = SPECS.map(row).map(compatRow);

const BY_NAME: ReadonlyMap<string, number> = new Map(OPTABLE.map((r, i) => [r.name, i]));

/** Row index of the row called `name` (e.g. "add_Ev_Gv"); throws for an unknown name. */
export function opByName(name: string): number {
  const i = BY_NAME.get(name);
  assert(i !== undefined, `optable: no row named ${name}`);
  return i;
}

/** Row index by name, or -1. */
export function findOp(name: string): number {
  return BY_NAME.get(name) ?? -1;
}

/** Dispatch entry for an opcode slot with no row: #UD. */
export const DISPATCH_UD = -1;

/** One opcode map set's dispatch: dense entries per (map << 8 | opcode), ModRM flags, candidate lists. */
export interface DispatchTables {
  /**
   * 1024 slots:
   *   >= 0        the only row for this slot, and it has no condition beyond the opcode
   *   DISPATCH_UD no row: #UD
   *   <= -2       -2 - k is an index into `lists` (rows to try in table order)
   */
  readonly dispatch: Int16Array;
  /** 1 where the slot's rows have a ModRM byte. */
  readonly hasModrm: Uint8Array;
  /**
   * Candidate rows for slots that need ModRM / prefixes / REX to choose; the
   * decoder takes the first that matches. Rows with a mandatory prefix come
   * first, then rows with a REX condition, then the rest, each in table order
   * (so F3 90 is PAUSE before 90 is NOP before 90+r is XCHG).
   */
  readonly lists: readonly (readonly number[])[];
}

/** 64-bit mode. */
const TABLES_64 = buildDispatch(MODES_64);
/** Compatibility mode (the rows with MODES_COMPAT). */
export const DISPATCH_COMPAT: DispatchTables = buildDispatch(MODES_COMPAT);

/** Dense dispatch over (map << 8 | opcode) in 64-bit mode (see `DispatchTables.dispatch`). */
export const DISPATCH: Int16Array = TABLES_64.dispatch;
/** 1 where the slot's rows have a ModRM byte (64-bit mode). */
export const SLOT_HAS_MODRM: Uint8Array = TABLES_64.hasModrm;
/** Candidate rows of the conditional slots (64-bit mode). */
export const DISPATCH_LISTS: readonly (readonly number[])[] = TABLES_64.lists;

function isUnconditional(r: OpRow): boolean {
  return r.pfx === 'any' && r.digits === 0xff && r.rmByte < 0 && r.rex === 'any' && (r.modrm === 'none' || r.modrm === 'any');
}

function buildDispatch(mode: number): DispatchTables {
  const dispatch = new Int16Array(4 * 256).fill(DISPATCH_UD);
  const hasModrm = new Uint8Array(4 * 256);
  const slots: number[][] = Array.from({ length: 4 * 256 }, () => []);
  OPTABLE.forEach((r, i) => {
    assert(BY_NAME.get(r.name) === i, `optable: duplicate row name ${r.name}`);
    if ((r.modes & mode) === 0) return;
    for (let k = 0; k < (r.plusR ? 8 : 1); k++) slots[(r.map << 8) | (r.opcode + k)]?.push(i);
  });
  const lists: number[][] = [];
  slots.forEach((rows, slot) => {
    if (rows.length === 0) return;
    const withModrm = rows.map((i) => OPTABLE[i]?.modrm !== 'none');
    assert(withModrm.every((m) => m === withModrm[0]), `optable: slot ${slot.toString(16)} mixes ModRM and no-ModRM rows`);
    hasModrm[slot] = withModrm[0] ? 1 : 0;
    const only = rows.length === 1 ? OPTABLE[rows[0] ?? -1] : undefined;
    const rank = (i: number): number => {
      const r = OPTABLE[i];
      return r === undefined ? 9 : (r.pfx === 'any' ? 2 : 0) + (r.rex === 'any' ? 1 : 0);
    };
    rows.sort((a, b) => rank(a) - rank(b) || a - b);
    if (only && isUnconditional(only)) {
      dispatch[slot] = rows[0] ?? DISPATCH_UD;
    } else {
      dispatch[slot] = -2 - lists.length;
      lists.push(rows);
    }
  });
  return { dispatch, hasModrm, lists };
}
