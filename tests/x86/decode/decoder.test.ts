/**
 * Hand-picked decoder cases: the encoding corners of SDM Vol. 2 ch. 2 that
 * random bytes hit rarely or that the interpreter depends on exactly. Every
 * case that decodes is also checked against iced-x86 (iced-compare.ts).
 */
import { Decoder, DecoderOptions } from 'iced-x86';
import { describe, expect, it } from 'vitest';
import { decodeInsn } from '../../../src/cpu/decode/decoder.js';
import {
  BASE_RIP,
  type DecodedInsn,
  HIGH_BYTE_REG,
  HIGH_BYTE_RM,
  MAP_0F,
  NO_REG,
  newDecodedInsn,
  OP_TOO_LONG,
  OP_TRUNCATED,
  OP_UD,
  PFX_LOCK,
  PFX_REP,
  PFX_REPNE,
  SEG_DS,
  SEG_FS,
  SEG_GS,
  SEG_SS,
} from '../../../src/cpu/decode/insn.js';
import { DISPATCH, DISPATCH_LISTS, DISPATCH_UD, findOp, OPTABLE, opByName, MODES_64 } from '../../../src/cpu/optable.js';
import { describeIced, describeKentry } from './iced-compare.js';

const ADDR = 0x40_1000;

function bytesOf(hex: string): Uint8Array {
  const h = hex.replace(/\s+/g, '');
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** Decodes `hex` (padded with 0x90 to 16 bytes unless `exact`), checking iced agrees when it decodes. */
function dec(hex: string, exact = false): DecodedInsn {
  const b = bytesOf(hex);
  const w = exact ? b : new Uint8Array(Math.max(16, b.length)).fill(0x90);
  if (!exact) w.set(b);
  const insn = decodeInsn(newDecodedInsn(), w, 0, w.length, ADDR);
  if (insn.op >= 0) {
    const d = new Decoder(64, w, DecoderOptions.None);
    d.ip = BigInt(ADDR);
    const i = d.decode();
    expect(i.isInvalid, `iced rejects ${hex}`).toBe(false);
    expect(i.length).toBe(insn.length);
    const k = describeKentry(insn);
    expect(describeIced(i, k)).toEqual(k);
    i.free();
    d.free();
  }
  return insn;
}

const rowName = (insn: DecodedInsn): string => OPTABLE[insn.op]?.name ?? `op ${insn.op}`;

describe('prefixes', () => {
  it('REX before a legacy prefix is ignored', () => {
    const a = dec('48 66 01 c0');
    expect([rowName(a), a.opSize, a.rex, a.length]).toEqual(['add_Ev_Gv', 2, 0, 4]);
    const b = dec('48 f0 01 00');
    expect([b.opSize, b.prefixes & PFX_LOCK]).toEqual([4, PFX_LOCK]);
  });
  it('the last REX counts', () => {
    const a = dec('41 48 01 c0');
    expect([a.opSize, a.rm, a.rex]).toEqual([8, 0, 0x48]);
  });
  it('66 + REX.W: REX.W wins', () => {
    expect(dec('66 48 01 c0').opSize).toBe(8);
    expect(dec('48 66 01 c0').opSize).toBe(2);
  });
  it('the last of F2/F3 is the mandatory prefix and the REP kind', () => {
    expect(dec('f2 f3 0f 10 00').mnemonic).toBe('movss');
    expect(dec('f3 f2 0f 10 00').mnemonic).toBe('movsd');
    expect(dec('66 f3 0f 10 00').mnemonic).toBe('movss');
    expect(dec('f3 f2 a4').prefixes & (PFX_REP | PFX_REPNE)).toBe(PFX_REPNE);
    expect(dec('f2 f3 48 a5').mnemonic).toBe('movsq');
  });
  it('segment overrides: FS/GS count, the last wins, CS/DS/ES/SS are ignored', () => {
    expect(dec('64 8b 00').segment).toBe(SEG_FS);
    expect(dec('64 65 8b 00').segment).toBe(SEG_GS);
    expect(dec('65 64 8b 00').segment).toBe(SEG_FS);
    expect(dec('64 3e 8b 00').segment).toBe(SEG_FS);
    expect(dec('2e 8b 00').segment).toBe(SEG_DS);
    expect(dec('26 8b 04 24').segment).toBe(SEG_SS); // default for an RSP base
    expect(dec('65 a4').segment).toBe(SEG_GS); // string source
  });
  it('LOCK only on lockable forms with a memory destination', () => {
    expect(dec('f0 01 00').op).toBe(opByName('add_Ev_Gv'));
    expect(dec('f0 01 c0').op).toBe(OP_UD);
    expect(dec('f0 8b 00').op).toBe(OP_UD);
    expect(dec('f0 39 00').op).toBe(OP_UD); // cmp
    expect(dec('f0 90').op).toBe(OP_UD);
    expect(dec('f0 87 00').op).toBe(opByName('xchg_Ev_Gv'));
    expect(dec('f0 0f c7 08').mnemonic).toBe('cmpxchg8b');
    expect(dec('f0 48 0f c7 08').mnemonic).toBe('cmpxchg16b');
    expect(dec('f0 0f ba 20 01').op).toBe(OP_UD); // bt is not lockable
    expect(dec('f0 0f ba 28 01').mnemonic).toBe('bts');
    expect(dec('f0 0f 20 c0').op).toBe(OP_UD); // AMD's LOCK MOV CR0 = CR8 is not modelled (iced agrees)
  });
});

describe('ModRM and SIB', () => {
  it('SIB with no base (mod = 0, base = 5): disp32 only', () => {
    const a = dec('8b 04 25 78 56 34 12');
    expect([a.base, a.index, a.disp, a.length]).toEqual([NO_REG, NO_REG, 0x12345678, 7]);
    const b = dec('41 8b 04 25 78 56 34 12'); // REX.B does not turn it into R13
    expect([b.base, b.index]).toEqual([NO_REG, NO_REG]);
    const c = dec('8b 04 8d 00 00 00 80');
    expect([c.base, c.index, c.scale, c.disp, c.dispHi]).toEqual([NO_REG, 1, 4, -0x80000000, -1]);
  });
  it('SIB index 4 is "no index", but REX.X makes it R12', () => {
    const a = dec('8b 04 20');
    expect([a.base, a.index]).toEqual([0, NO_REG]);
    const b = dec('42 8b 04 20');
    expect([b.base, b.index, b.scale]).toEqual([0, 12, 1]);
  });
  it('RSP and R12 as base need a SIB', () => {
    const a = dec('8b 44 24 08');
    expect([a.base, a.index, a.disp, a.length]).toEqual([4, NO_REG, 8, 4]);
    const b = dec('41 8b 04 24');
    expect([b.base, b.index, b.length]).toEqual([12, NO_REG, 4]);
  });
  it('RBP and R13 as base with mod = 0 mean RIP-relative; with a disp8 they are bases', () => {
    const a = dec('8b 05 10 00 00 00');
    expect([a.base, a.disp, a.length]).toEqual([BASE_RIP, 0x10, 6]);
    expect(dec('41 8b 05 10 00 00 00').base).toBe(BASE_RIP);
    const b = dec('41 8b 45 00');
    expect([b.base, b.disp, b.length]).toEqual([13, 0, 4]);
    expect(dec('8b 45 f8').disp).toBe(-8);
  });
  it('67: 32-bit addressing, RIP-relative becomes EIP-relative', () => {
    const a = dec('67 8b 04 25 f0 ff ff ff');
    expect([a.addrSize, a.base, a.disp]).toEqual([4, NO_REG, -16]);
    const b = dec('67 8b 05 f0 ff ff ff');
    expect([b.addrSize, b.base]).toEqual([4, BASE_RIP]);
    expect(dec('67 8b 40 ff').addrSize).toBe(4);
    expect(dec('67 ac').addrSize).toBe(4); // lodsb from [esi]
  });
  it('high-byte registers only without REX', () => {
    const a = dec('88 e0'); // mov al, ah
    expect([a.reg, a.rm, a.highByte]).toEqual([4, 0, HIGH_BYTE_REG]);
    expect(dec('40 88 e0').highByte).toBe(0); // mov al, spl
    expect(dec('0f b6 c4').highByte).toBe(HIGH_BYTE_RM); // movzx eax, ah
    expect(dec('40 0f b6 c4').highByte).toBe(0); // movzx eax, spl
    expect(dec('b4 12').highByte).toBe(HIGH_BYTE_RM); // mov ah, 0x12
    const b = dec('41 b4 12'); // mov r12b, 0x12
    expect([b.rm, b.highByte]).toEqual([12, 0]);
    expect(dec('0f b7 c4').highByte).toBe(0); // movzx eax, sp: not a byte operand
  });
  it('MOV to/from CRn ignores mod and takes CR0/2/3/4/8 only', () => {
    const a = dec('0f 20 00');
    expect([rowName(a), a.mod, a.rm, a.reg, a.length]).toEqual(['mov_Rq_Cq', 3, 0, 0, 3]);
    expect(dec('44 0f 22 c0').reg).toBe(8);
    expect(dec('0f 20 c8').op).toBe(OP_UD);
    expect(dec('0f 22 e8').op).toBe(OP_UD);
  });
  it('MOV Sreg: ES..GS, no MOV to CS, REX.R ignored', () => {
    expect(dec('8e d8').reg).toBe(3);
    expect(dec('44 8e d8').reg).toBe(3);
    expect(dec('8e c8').op).toBe(OP_UD);
    expect(dec('8c f8').op).toBe(OP_UD);
    expect(dec('8c c8').op).toBe(opByName('mov_Ewv_Sw'));
  });
});

describe('immediates and displacements', () => {
  it('moffs: 64-bit absolute address, 32-bit with 67', () => {
    const a = dec('48 a1 88 77 66 55 44 33 22 11');
    expect([a.opSize, a.length, a.disp, a.dispHi, a.base, a.index]).toEqual([8, 10, 0x55667788, 0x11223344, NO_REG, NO_REG]);
    const b = dec('67 a0 f0 ff ff ff');
    expect([b.addrSize, b.length, b.disp, b.dispHi]).toEqual([4, 6, -16, 0]);
    expect(dec('66 a3 00 00 00 00 00 00 00 80').dispHi).toBe(-0x80000000);
  });
  it('push imm8/imm32 sign-extend to the operand size', () => {
    const a = dec('6a ff');
    expect([a.opSize, a.immLo, a.immHi]).toEqual([8, 0xffffffff, 0xffffffff]);
    const b = dec('66 6a ff');
    expect([b.opSize, b.immLo, b.immHi, b.length]).toEqual([2, 0xffff, 0, 3]);
    const c = dec('68 00 00 00 80');
    expect([c.immLo, c.immHi]).toEqual([0x80000000, 0xffffffff]);
    expect(dec('66 68 34 12').length).toBe(4);
  });
  it('mov r64, imm64 vs C7 imm32 sign-extended', () => {
    const a = dec('48 b8 88 77 66 55 44 33 22 11');
    expect([rowName(a), a.length, a.immLo, a.immHi]).toEqual(['mov_Zv_Iv', 10, 0x55667788, 0x11223344]);
    const b = dec('48 c7 c0 ff ff ff ff');
    expect([rowName(b), b.length, b.immLo, b.immHi]).toEqual(['mov_Ev_Iz', 7, 0xffffffff, 0xffffffff]);
    const c = dec('b8 ff ff ff ff');
    expect([c.opSize, c.immLo, c.immHi]).toEqual([4, 0xffffffff, 0]);
    expect(dec('66 b8 34 12').length).toBe(4);
    expect(dec('49 bf 00 00 00 00 00 00 00 80').rm).toBe(15);
  });
  it('83 /0 ib: sign-extended and masked to the operand size', () => {
    expect(dec('66 83 c0 ff').immLo).toBe(0xffff);
    expect(dec('83 c0 ff').immHi).toBe(0);
    expect(dec('48 83 c0 80').immHi).toBe(0xffffffff);
  });
  it('branches: rel8/rel32 sign-extended; 66 ignored on near branches', () => {
    const a = dec('74 fe');
    expect([a.mnemonic, a.immLo, a.immHi]).toEqual(['je', 0xfffffffe, 0xffffffff]);
    const b = dec('66 e9 00 00 00 00');
    expect([b.length, b.opSize]).toEqual([6, 8]);
    expect(dec('0f 8f 10 00 00 00').mnemonic).toBe('jg');
    expect(dec('ff e0').mnemonic).toBe('jmp');
    expect(dec('66 ff d0').opSize).toBe(8);
  });
  it('enter: imm16 and imm8', () => {
    const a = dec('c8 10 00 02');
    expect([a.immLo, a.imm2, a.opSize, a.length]).toEqual([0x10, 2, 8, 4]);
  });
});

describe('instruction length', () => {
  const PFX8 = '66 66 66 66 66 66 66 66';
  it('exactly 15 bytes decodes', () => {
    const a = dec(`${PFX8} 8b 84 24 78 56 34 12`, true);
    expect([a.op, a.length, a.opSize]).toEqual([opByName('mov_Gv_Ev'), 15, 2]);
  });
  it('16 bytes is OP_TOO_LONG (#GP), and the decoder stops at 15', () => {
    const a = dec(`66 ${PFX8} 8b 84 24 78 56 34 12 90 90`, true);
    expect([a.op, a.length]).toEqual([OP_TOO_LONG, 15]);
    const b = dec('66 '.repeat(15) + '90', true);
    expect([b.op, b.length]).toEqual([OP_TOO_LONG, 15]);
  });
  it('a short window is OP_TRUNCATED at the first missing byte', () => {
    const w = bytesOf('48 b8 88 77 66 55 44 33 22 11');
    const insn = newDecodedInsn();
    for (let n = 0; n < w.length; n++) {
      decodeInsn(insn, w, 0, n);
      expect([insn.op, insn.length]).toEqual([OP_TRUNCATED, n]);
    }
    decodeInsn(insn, w, 0, w.length);
    expect(insn.length).toBe(10);
    // A 16-byte instruction in a 10-byte window: truncated first, too long once the bytes are there.
    decodeInsn(insn, bytesOf(`66 ${PFX8} 8b 84 24 78`), 0, 13);
    expect(insn.op).toBe(OP_TRUNCATED);
  });
  it('decodes at an offset into the window and copies its bytes', () => {
    const w = bytesOf('cc cc 01 d8 cc');
    const insn = decodeInsn(newDecodedInsn(), w, 2, 5, 0x1234);
    expect([insn.mnemonic, insn.length, Array.from(insn.bytes), insn.address]).toEqual(['add', 2, [0x01, 0xd8], 0x1234]);
    w[2] = 0;
    expect(insn.bytes[0]).toBe(0x01);
  });
});

describe('opcode corners', () => {
  it('90: NOP, PAUSE, XCHG r8', () => {
    expect(dec('90').mnemonic).toBe('nop');
    expect(dec('48 90').mnemonic).toBe('nop');
    expect(dec('66 90').mnemonic).toBe('nop');
    expect(dec('f3 90').mnemonic).toBe('pause');
    expect(dec('f3 41 90').mnemonic).toBe('pause');
    const x = dec('41 90');
    expect([x.mnemonic, x.rm, x.opSize]).toEqual(['xchg', 8, 4]);
    expect(dec('49 97').rm).toBe(15);
  });
  it('opcodes invalid in 64-bit mode are #UD with the bytes looked at', () => {
    for (const b of [0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0x62, 0x82, 0x9a, 0xc4, 0xc5, 0xce, 0xd4, 0xd5, 0xd6, 0xea]) {
      const insn = dec(`66 ${b.toString(16).padStart(2, '0')} 00 00 00 00 00 00`);
      expect([insn.op, insn.length, insn.bytes[1]]).toEqual([OP_UD, 2, b]);
    }
  });
  it('group aliases iced decodes: F6/F7 /1 TEST, C0-D3 /6 SAL', () => {
    expect(dec('f6 c8 01').op).toBe(opByName('test_Eb_Ib_F6r1'));
    expect(dec('f7 c8 01 00 00 00').op).toBe(opByName('test_Ev_Iz_F7r1'));
    expect(dec('d1 f0').mnemonic).toBe('sal');
  });
  it('mandatory prefixes select the instruction', () => {
    expect(dec('0f b8 c0').op).toBe(OP_UD);
    expect(dec('f3 0f b8 c0').mnemonic).toBe('popcnt');
    expect(dec('f3 0f bc c0').mnemonic).toBe('tzcnt');
    expect(dec('f2 0f bc c0').mnemonic).toBe('bsf');
    expect(dec('66 f3 0f bd c0').opSize).toBe(2);
    expect(dec('0f 6f c0').op).toBe(OP_UD); // MMX movq: not modelled
    expect(dec('66 0f 6f c0').mnemonic).toBe('movdqa');
    expect(dec('f3 0f 6f c0').mnemonic).toBe('movdqu');
    expect(dec('66 0f 6e c0').mnemonic).toBe('movd');
    expect(dec('66 48 0f 6e c0').mnemonic).toBe('movq');
    expect(dec('f3 0f 1e fa').mnemonic).toBe('endbr64');
    expect(dec('f3 0f ae c0').mnemonic).toBe('rdfsbase');
    expect(dec('f3 48 0f ae d8').opSize).toBe(8);
    expect(dec('0f ae c0').op).toBe(OP_UD);
    expect(dec('0f ae e8').mnemonic).toBe('lfence');
    expect(dec('48 0f ae 00').mnemonic).toBe('fxsave64');
    expect(dec('66 0f 73 f8 04').mnemonic).toBe('pslldq');
    expect(dec('66 0f 73 38 04').op).toBe(OP_UD); // memory form does not exist
  });
  it('0F 38 / 0F 3A maps', () => {
    const a = dec('66 0f 38 00 c1');
    expect([a.mnemonic, a.opcode, a.length]).toEqual(['pshufb', (2 << 8) | 0, 5]);
    expect(dec('0f 38 00 c1').op).toBe(OP_UD); // the MMX form
    expect(dec('66 0f 3a 0f c1 08').immLo).toBe(8);
    expect(dec('66 0f 38 01 c1').op).toBe(OP_UD); // phaddw: not modelled
  });
  it('0F 01 system encodings', () => {
    for (const [hex, m] of [['0f 01 f8', 'swapgs'], ['0f 01 f9', 'rdtscp'], ['0f 01 d0', 'xgetbv'], ['0f 01 ca', 'clac'],
      ['0f 01 cb', 'stac'], ['0f 01 ee', 'rdpkru'], ['0f 01 ef', 'wrpkru'], ['0f 01 38', 'invlpg'], ['0f 05', 'syscall']] as const) {
      const insn = dec(hex);
      expect(insn.mnemonic).toBe(m);
      expect(insn.opcode >> 8).toBe(MAP_0F);
    }
    expect(dec('0f 01 f8').hasModrm).toBe(true);
    expect(dec('0f 01 f8').length).toBe(3);
    expect(dec('0f 01 f8'.replace('f8', 'fa')).op).toBe(OP_UD); // monitorx... not modelled
    expect(dec('0f 01 f8').op).toBe(opByName('swapgs'));
    expect(dec('f3 0f 01 ee').op).toBe(OP_UD); // F3 0F 01 EE is not RDPKRU
  });
  it('size-named mnemonics', () => {
    expect([dec('98').mnemonic, dec('66 98').mnemonic, dec('48 98').mnemonic]).toEqual(['cwde', 'cbw', 'cdqe']);
    expect([dec('99').mnemonic, dec('48 99').mnemonic]).toEqual(['cdq', 'cqo']);
    expect([dec('cf').mnemonic, dec('48 cf').mnemonic]).toEqual(['iretd', 'iretq']);
    expect([dec('0f 07').mnemonic, dec('48 0f 07').mnemonic]).toEqual(['sysret', 'sysretq']);
    expect([dec('9c').mnemonic, dec('66 9c').mnemonic]).toEqual(['pushfq', 'pushf']);
  });
  it('x87 control and FWAIT', () => {
    expect(dec('9b db e3').length).toBe(1); // FWAIT, then FNINIT
    expect(dec('db e3').mnemonic).toBe('fninit');
    expect(dec('df e0').mnemonic).toBe('fnstsw');
    expect(dec('d9 38').mnemonic).toBe('fnstcw');
    expect(dec('d9 c0').mnemonic).toBe('fld'); // fld st(0)
    expect(dec('d9 f0').op).toBe(OP_UD); // f2xm1: x87 transcendentals are not modelled
  });
  it('far CALL/JMP through memory are not modelled', () => {
    expect(dec('ff 18').op).toBe(OP_UD);
    expect(dec('ff 28').op).toBe(OP_UD);
  });
});

describe('the opcode table', () => {
  it('has unique names and lookups by name', () => {
    expect(new Set(OPTABLE.map((r) => r.name)).size).toBe(OPTABLE.length);
    expect(OPTABLE[opByName('add_Ev_Gv')]?.opcode).toBe(0x01);
    expect(findOp('no_such_row')).toBe(-1);
    expect(() => opByName('no_such_row')).toThrow(/no row named/);
  });
  it('every hole of the dispatch arrays is #UD and every row is reachable', () => {
    const reached = new Set<number>();
    for (const d of DISPATCH) {
      if (d >= 0) reached.add(d);
      else if (d !== DISPATCH_UD) for (const r of DISPATCH_LISTS[-2 - d] ?? []) reached.add(r);
    }
    expect(reached.size).toBe(OPTABLE.filter((r) => (r.modes & MODES_64) !== 0).length);
    expect(DISPATCH[0x82]).toBe(DISPATCH_UD);
    expect(DISPATCH[0x0f]).toBe(DISPATCH_UD); // the escape byte is never an opcode
  });
  it('a record is reused without leftovers', () => {
    const insn = newDecodedInsn();
    const w = bytesOf('64 8b 84 24 78 56 34 12 90 90 90 90 90 90 90 90');
    decodeInsn(insn, w);
    expect([insn.segment, insn.base, insn.disp]).toEqual([SEG_FS, 4, 0x12345678]);
    decodeInsn(insn, bytesOf('01 d8 90 90 90 90 90 90 90 90 90 90 90 90 90 90'));
    expect([insn.segment, insn.base, insn.index, insn.disp, insn.dispHi, insn.immLo, insn.highByte]).toEqual([SEG_DS, NO_REG, NO_REG, 0, 0, 0, 0]);
  });
});
