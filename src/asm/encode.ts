/**
 * The byte-level encoder: legacy prefixes, REX, opcode, ModRM, SIB,
 * displacement and immediates (Intel SDM Vol. 2A §2.1-2.2).
 *
 * Prefix order follows GNU as, so output compares byte for byte:
 *   segment, 0x67, 0x66, F2/F3 (rep or mandatory), F0 (lock), REX, opcode.
 *
 * Displacement size follows GNU as: a displacement whose value is known when
 * the statement is read (numbers and symbols already set to constants) gets
 * no displacement if 0, disp8 if it fits, else disp32; anything involving a
 * label, `.` or a not-yet-defined symbol gets disp32 and is filled in after
 * layout, like a relocation resolved by the assembler.
 */
import { fail } from './errors.js';
import type { Expr } from './expr.js';
import type { MemOperand } from './operands.js';
import { type Reg, SEGMENT_PREFIX } from './registers.js';

/** A field filled in after layout, when every symbol has its address. */
export interface Fixup {
  /** Byte offset of the field inside the instruction or data item. */
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly expr: Expr;
  /** Subtract the address just past the instruction (RIP-relative, rel32 branches). */
  readonly pcrel: boolean;
  /** Only values that fit as a sign-extended field are valid (disp32, imm8s, imm32s). */
  readonly signedOnly: boolean;
  /** For messages: 'immediate', 'displacement', 'value'. */
  readonly what: string;
}

export interface Encoded {
  readonly bytes: number[];
  readonly fixups: Fixup[];
}

/** An immediate operand to append: its expression and value if known now. */
export interface Imm {
  readonly expr: Expr;
  readonly value: bigint | undefined;
  readonly size: 1 | 2 | 4 | 8;
  readonly signedOnly: boolean;
}

export interface EncodeSpec {
  /** User prefixes (rep/lock), in the order written. */
  readonly prefixes?: readonly number[];
  /** Operand size in bytes: 2 adds 0x66, 8 adds REX.W (unless `noRexW`). */
  readonly size?: number;
  readonly noRexW?: boolean;
  /** 0x66, 0xF2 or 0xF3 that is part of the opcode (SSE, popcnt, ...). */
  readonly mandatory?: number;
  readonly opcode: readonly number[];
  /** ModRM.reg: a register or an opcode extension digit. */
  readonly reg?: Reg | number;
  /** ModRM.rm operand. */
  readonly rm?: Reg | MemOperand;
  /** Register encoded in the low three bits of the last opcode byte. */
  readonly plusReg?: Reg;
  readonly imms?: readonly Imm[];
  /** Displacement value known now (constant) or undefined (label-based). */
  readonly constOf: (e: Expr) => bigint | undefined;
}

/** Checks that `v` fits a field; see `Fixup.signedOnly`. */
export function fitsField(v: bigint, size: number, signedOnly: boolean): boolean {
  const bits = BigInt(size * 8);
  const lo = -(1n << (bits - 1n));
  const hiS = (1n << (bits - 1n)) - 1n;
  const hiU = (1n << bits) - 1n;
  const ok = (x: bigint): boolean => x >= lo && x <= (signedOnly ? hiS : hiU);
  return ok(v) || ok(BigInt.asIntN(64, v));
}

/** Appends `v` little-endian in `size` bytes. */
export function pushLE(out: number[], v: bigint, size: number): void {
  let u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) {
    out.push(Number(u & 0xffn));
    u >>= 8n;
  }
}

function fieldName(what: string, size: number): string {
  return `${what} ${size === 1 ? 'imm8' : `${size * 8}-bit`}`;
}

export function checkField(v: bigint, size: number, signedOnly: boolean, what: string): void {
  if (!fitsField(v, size, signedOnly)) fail(`${what} 0x${BigInt.asUintN(64, v).toString(16)} out of range for ${fieldName(what, size).split(' ')[1]} field`);
}

interface MemParts {
  mod: number;
  rm: number;
  sib: number | null;
  dispSize: 0 | 1 | 4;
  disp: Expr | null;
  dispValue: bigint | undefined;
  pcrel: boolean;
  rexX: number;
  rexB: number;
  addr32: boolean;
}

function memParts(m: MemOperand, constOf: (e: Expr) => bigint | undefined): MemParts {
  const dv = m.disp ? constOf(m.disp) : 0n;
  const addr32 = (m.base?.cls === 'gpr' && m.base.size === 4) || (m.index !== null && m.index.size === 4);
  const p: MemParts = { mod: 0, rm: 0, sib: null, dispSize: 0, disp: m.disp, dispValue: dv, pcrel: false, rexX: 0, rexB: 0, addr32 };
  if (m.base?.cls === 'rip') {
    p.rm = 5;
    p.dispSize = 4;
    // `sym(%rip)` means "sym, addressed relative to RIP"; a plain number is the raw displacement.
    p.pcrel = dv === undefined;
    if (dv === undefined && m.disp === null) p.dispValue = 0n;
    return p;
  }
  const sizeFor = (v: bigint | undefined): 0 | 1 | 4 => (v === undefined ? 4 : v === 0n ? 0 : v >= -128n && v <= 127n ? 1 : 4);
  if (!m.base) {
    // Absolute (no base): SIB with base=101 and mod=00 means disp32 without RIP.
    p.rm = 4;
    p.sib = ((m.index ? Math.log2(m.scale) : 0) << 6) | ((m.index ? m.index.num & 7 : 4) << 3) | 5;
    p.rexX = m.index && m.index.num >= 8 ? 1 : 0;
    p.dispSize = 4;
    if (p.dispValue === undefined && m.disp === null) p.dispValue = 0n;
    return p;
  }
  p.rexB = m.base.num >= 8 ? 1 : 0;
  let ds = sizeFor(dv);
  if (m.disp === null) ds = 0;
  if (ds === 0 && (m.base.num & 7) === 5) ds = 1; // rbp/r13 need a displacement
  p.dispSize = ds;
  p.mod = ds === 0 ? 0 : ds === 1 ? 1 : 2;
  if (m.index || (m.base.num & 7) === 4) {
    p.rm = 4;
    p.sib = ((m.index ? Math.log2(m.scale) : 0) << 6) | ((m.index ? m.index.num & 7 : 4) << 3) | (m.base.num & 7);
    p.rexX = m.index && m.index.num >= 8 ? 1 : 0;
  } else {
    p.rm = m.base.num & 7;
  }
  return p;
}

/** Builds one instruction. */
export function encode(spec: EncodeSpec): Encoded {
  const bytes: number[] = [];
  const fixups: Fixup[] = [];
  const regs: Reg[] = [];
  const rexW = spec.size === 8 && !spec.noRexW ? 1 : 0;
  let rexR = 0;
  let rexB = 0;
  let rexX = 0;
  let mem: MemParts | null = null;
  let memOp: MemOperand | null = null;
  let regField = 0;
  if (typeof spec.reg === 'number') regField = spec.reg;
  else if (spec.reg) {
    regs.push(spec.reg);
    regField = spec.reg.num & 7;
    rexR = spec.reg.num >= 8 ? 1 : 0;
  }
  if (spec.rm && 'kind' in spec.rm) {
    memOp = spec.rm;
    mem = memParts(spec.rm, spec.constOf);
    rexX = mem.rexX;
    rexB = mem.rexB;
  } else if (spec.rm) {
    regs.push(spec.rm);
    rexB = spec.rm.num >= 8 ? 1 : 0;
  }
  if (spec.plusReg) {
    regs.push(spec.plusReg);
    rexB = spec.plusReg.num >= 8 ? 1 : 0;
  }
  const needRex = rexW | rexR | rexX | rexB || regs.some((r) => r.cls === 'gpr' && r.needsRex);
  if (needRex) {
    const h = regs.find((r) => r.high8);
    if (h) fail(`can't encode register '%${h.name}' in an instruction requiring REX prefix`);
  }
  // Prefixes, in GNU as order.
  if (memOp?.seg) bytes.push(SEGMENT_PREFIX[memOp.seg.num]!);
  if (mem?.addr32) bytes.push(0x67);
  if (spec.size === 2 || spec.mandatory === 0x66) bytes.push(0x66);
  const user = spec.prefixes ?? [];
  for (const p of user) if (p === 0xf2 || p === 0xf3) bytes.push(p);
  if (spec.mandatory === 0xf2 || spec.mandatory === 0xf3) bytes.push(spec.mandatory);
  for (const p of user) if (p !== 0xf2 && p !== 0xf3) bytes.push(p);
  if (needRex) bytes.push(0x40 | (rexW << 3) | (rexR << 2) | (rexX << 1) | rexB);
  const op = [...spec.opcode];
  if (spec.plusReg) op[op.length - 1] = op[op.length - 1]! | (spec.plusReg.num & 7);
  bytes.push(...op);
  if (spec.rm) {
    if (mem) {
      bytes.push((mem.mod << 6) | (regField << 3) | mem.rm);
      if (mem.sib !== null) bytes.push(mem.sib);
      if (mem.dispSize > 0) {
        if (mem.dispValue !== undefined) {
          checkField(mem.dispValue, mem.dispSize, mem.dispSize === 1 || !mem.addr32, 'displacement');
          pushLE(bytes, mem.dispValue, mem.dispSize);
        } else {
          fixups.push({ offset: bytes.length, size: 4, expr: mem.disp!, pcrel: mem.pcrel, signedOnly: !mem.addr32, what: 'displacement' });
          pushLE(bytes, 0n, 4);
        }
      }
    } else {
      const r = spec.rm as Reg;
      bytes.push(0xc0 | (regField << 3) | (r.num & 7));
    }
  }
  for (const imm of spec.imms ?? []) {
    if (imm.value !== undefined) {
      checkField(imm.value, imm.size, imm.signedOnly, 'immediate');
      pushLE(bytes, imm.value, imm.size);
    } else {
      fixups.push({ offset: bytes.length, size: imm.size, expr: imm.expr, pcrel: false, signedOnly: imm.signedOnly, what: 'immediate' });
      pushLE(bytes, 0n, imm.size);
    }
  }
  return { bytes, fixups };
}
