/**
 * THE table of RFLAGS bits the Intel SDM leaves undefined, per instruction,
 * used to mask the host-vs-model comparison (and nothing else is masked).
 * Each entry quotes the instruction's "Flags Affected" section of the SDM
 * (Vol. 2A/2B, Order No. 325383) and says when the bits are undefined. The
 * host is an AMD EPYC: `amd` records what it was seen to do with the
 * undefined bits (200 random cases per form) and where AMD documents more
 * than the SDM. No difference between AMD and the SDM on a *defined* flag
 * showed up in the tested instructions (every defined flag is compared).
 *
 * Instructions not listed (ADD ADC SUB SBB CMP NEG INC DEC, CMPXCHG, XADD,
 * CMPXCHG8B/16B, POPCNT, SAHF, POPF, CLC ...) have no undefined flags.
 */
import { FLAG, type NativeCase } from '../host/native.js';

const { CF, PF, AF, ZF, SF, OF } = FLAG;
const ALL6 = CF | PF | AF | ZF | SF | OF;

/** What decides whether an entry's flags are undefined in a given case. */
export interface UndefinedContext {
  /** Operand size in bits. */
  readonly bits: number;
  /** The masked count (count & 0x1f, or & 0x3f for 64-bit) of a shift/rotate/double shift. */
  readonly count?: number;
}

export interface UndefinedFlagsEntry {
  readonly mnemonics: readonly string[];
  /** The SDM's "Flags Affected" wording (abridged to the undefined part). */
  readonly sdm: string;
  /** The undefined bits in this context (0n: none). */
  readonly undefined: (ctx: UndefinedContext) => bigint;
  /** Where AMD documents a defined behaviour differently, or notes on what the host does. */
  readonly amd?: string;
}

const SHIFT_SDM =
  'SAL/SAR/SHL/SHR: "The CF flag contains the value of the last bit shifted out of the destination operand; ' +
  'it is undefined for SHL and SHR instructions where the count is greater than or equal to the size (in bits) ' +
  'of the destination operand. The OF flag is affected only for 1-bit shifts; otherwise, it is undefined. ' +
  'If the count is 0, the flags are not affected. For a non-zero count, the AF flag is undefined."';

/** Observed on the AMD host for SAL/SAR/SHL/SHR and SHLD/SHRD. */
const SHIFT_AMD = 'Observed on the host: AF = 1 after every nonzero shift (the model clears it); OF for counts > 1 follows the 1-bit formula, as the model.';

/** SHL/SAL/SHR: AF for any shift, OF beyond 1 bit, CF when the count reaches the size (8/16-bit only). */
const shlShrEntry: UndefinedFlagsEntry = {
  mnemonics: ['shl', 'sal', 'shr'],
  sdm: SHIFT_SDM,
  amd: SHIFT_AMD,
  undefined: ({ bits, count = 0 }) => {
    if (count === 0) return 0n;
    return AF | (count !== 1 ? OF : 0n) | (count >= bits ? CF : 0n);
  },
};

/** SAR: CF stays defined (the last bit shifted out is the sign) for any count. */
const sarEntry: UndefinedFlagsEntry = {
  mnemonics: ['sar'],
  sdm: SHIFT_SDM,
  amd: SHIFT_AMD,
  undefined: ({ count = 0 }) => (count === 0 ? 0n : AF | (count !== 1 ? OF : 0n)),
};

export const UNDEFINED_FLAGS: readonly UndefinedFlagsEntry[] = [
  {
    mnemonics: ['and', 'or', 'xor', 'test'],
    sdm: 'AND/OR/XOR/TEST: "The OF and CF flags are cleared; the SF, ZF, and PF flags are set according to the result. The state of the AF flag is undefined."',
    undefined: () => AF,
    amd: 'Observed on the host: AF = 0, as the model.',
  },
  shlShrEntry,
  sarEntry,
  {
    mnemonics: ['rol', 'ror', 'rcl', 'rcr'],
    sdm:
      'RCL/RCR/ROL/ROR: "If the masked count is 0, the flags are not affected. If the masked count is 1, then the OF flag ' +
      'is affected, otherwise (masked count is greater than 1) the OF flag is undefined. The CF flag is affected when ' +
      'the masked count is non-zero. The SF, ZF, AF, and PF flags are always unaffected."',
    undefined: ({ count = 0 }) => (count > 1 ? OF : 0n),
    amd: 'Observed on the host: OF for counts > 1 follows the 1-bit formula, as the model.',
  },
  {
    mnemonics: ['shld', 'shrd'],
    sdm:
      'SHLD/SHRD: "For a 1-bit shift, the OF flag is set if a sign change occurred; otherwise, it is cleared. For shifts ' +
      'greater than 1 bit, the OF flag is undefined. If a shift occurs, the AF flag is undefined. If the count operand ' +
      'is 0, the flags are not affected. If the count is greater than the operand size, the flags are undefined." ' +
      '(and the result: "If the count is greater than the operand size, the result is undefined")',
    undefined: ({ bits, count = 0 }) => {
      if (count === 0) return 0n;
      if (count > bits) return ALL6;
      return count === 1 ? AF : AF | OF;
    },
    amd: 'Observed: AF = 1 after a shift (model 0). The undefined 16-bit result for counts 17..31 is compared unmasked: AMD (and P6-and-later Intel) shift dest:src:src (SHRD: src:src:dest); the model does the same.',
  },
  {
    mnemonics: ['mul'],
    sdm: 'MUL: "The OF and CF flags are set to 0 if the upper half of the result is 0; otherwise, they are set to 1. The SF, ZF, AF, and PF flags are undefined."',
    undefined: () => SF | ZF | AF | PF,
    amd: 'Observed on the host: SF ZF AF PF are not those of the low half (the model derives them from it); they differ in about half the cases.',
  },
  {
    mnemonics: ['imul'],
    sdm:
      'IMUL: "For the one operand form of the instruction, the CF and OF flags are set when significant bits are carried ' +
      'into the upper half of the result and cleared when the result fits exactly in the lower half of the result. For ' +
      'the two- and three-operand forms of the instruction, the CF and OF flags are set when the result must be truncated ' +
      'to fit in the destination operand size and cleared when the result fits exactly in the destination operand size. ' +
      'The SF, ZF, AF, and PF flags are undefined."',
    undefined: () => SF | ZF | AF | PF,
    amd: 'As MUL: the host\'s SF ZF AF PF are not derived from the low half.',
  },
  {
    mnemonics: ['div', 'idiv'],
    sdm: 'DIV/IDIV: "The CF, OF, SF, ZF, AF, and PF flags are undefined."',
    undefined: () => ALL6,
    amd: 'Observed on the host: AF = 1, the others vary; the model leaves all six unchanged.',
  },
  {
    mnemonics: ['bt', 'bts', 'btr', 'btc'],
    sdm: 'BT/BTS/BTR/BTC: "The CF flag contains the value of the selected bit [before it is changed]. The ZF flag is unaffected. The OF, SF, AF, and PF flags are undefined."',
    undefined: () => OF | SF | AF | PF,
    amd: 'Observed on the host: OF SF AF PF unchanged, as the model.',
  },
  {
    mnemonics: ['bsf', 'bsr'],
    sdm: 'BSF/BSR: "The ZF flag is set to 1 if the source operand is 0; otherwise, the ZF flag is cleared. The CF, OF, SF, AF, and PF flags are undefined."',
    undefined: () => CF | OF | SF | AF | PF,
    amd: 'AMD APM also documents the destination as unchanged for a zero source (the SDM: "the content of the destination operand is undefined"); compared unmasked. Observed: the undefined flags unchanged, as the model.',
  },
  {
    mnemonics: ['tzcnt'],
    sdm: 'TZCNT: "ZF is set to 1 in case of zero output (least significant bit of the source is set), and to 0 otherwise, CF is set to 1 if the input was zero and cleared otherwise. OF, SF, PF and AF flags are undefined."',
    undefined: () => OF | SF | PF | AF,
    amd: 'Observed on the host: SF AF PF change (the model leaves them); OF agrees.',
  },
  {
    mnemonics: ['lzcnt'],
    sdm: 'LZCNT: "ZF flag is set to 1 in case of zero output (most significant bit of the source is set), and to 0 otherwise, CF flag is set to 1 if input was zero and cleared otherwise. OF, SF, PF and AF flags are undefined."',
    undefined: () => OF | SF | PF | AF,
    amd: 'As TZCNT.',
  },
];

const BY_MNEMONIC = new Map<string, UndefinedFlagsEntry>();
for (const e of UNDEFINED_FLAGS) for (const m of e.mnemonics) BY_MNEMONIC.set(m, e);

/** The undefined RFLAGS bits of `mnemonic` in `ctx` (0n for instructions without an entry). */
export function undefinedFlags(mnemonic: string, ctx: UndefinedContext): bigint {
  return BY_MNEMONIC.get(mnemonic)?.undefined(ctx) ?? 0n;
}

/** A form's `undef` for an instruction whose undefined flags do not depend on the case. */
export function undefFor(mnemonic: string, bits: number): (c: NativeCase) => bigint {
  const m = undefinedFlags(mnemonic, { bits });
  return () => m;
}
