/**
 * Oracle 2: the corpus assembled by kentry, decoded with iced-x86. Each
 * source line must decode as exactly one valid instruction of exactly the
 * bytes kentry emitted for it, with the mnemonic the source names (after
 * AT&T aliases), and iced's GNU-syntax rendering of it must assemble back
 * to the same bytes (so operands, sizes and addressing agree too).
 */
import { Code, Decoder, DecoderOptions, Formatter, FormatterSyntax, Mnemonic } from 'iced-x86';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { PREAMBLE, corpus } from './corpus.js';

const ORIGIN = 0xffffffff81000000n;

const CONDITION_ALIASES: readonly (readonly string[])[] = [
  ['o'], ['no'], ['b', 'c', 'nae'], ['ae', 'nb', 'nc'], ['e', 'z'], ['ne', 'nz'], ['be', 'na'], ['a', 'nbe'],
  ['s'], ['ns'], ['p', 'pe'], ['np', 'po'], ['l', 'nge'], ['ge', 'nl'], ['le', 'ng'], ['g', 'nle'],
];

/** AT&T names whose iced-x86 (Intel) mnemonic is spelled differently. */
const ALIASES: Readonly<Record<string, string>> = {
  sal: 'shl', cbtw: 'cbw', cwtl: 'cwde', cltq: 'cdqe', cwtd: 'cwd', cltd: 'cdq', cqto: 'cqo',
  movabs: 'mov', movslq: 'movsxd', movsl: 'movsd', cmpsl: 'cmpsd', scasl: 'scasd', lodsl: 'lodsd',
  stosl: 'stosd', outsl: 'outsd', iretl: 'iretd', sysretl: 'sysretd', lret: 'retf', lretl: 'retf', lretq: 'retf',
  pushf: 'pushfq', popf: 'popfq', pushfw: 'pushf', popfw: 'popf', leaveq: 'leave', retq: 'ret',
  nopl: 'nop', nopw: 'nop', nopq: 'nop', int: 'int3', movd: 'movq',
};

/** The iced mnemonic names a source mnemonic may decode as. */
function expectedMnemonics(word: string): string[] {
  const out = [word, word.slice(0, -1)];
  for (const w of [word, word.slice(0, -1)]) {
    const alias = ALIASES[w];
    if (alias) out.push(alias);
  }
  // A string instruction without suffix takes its size from an operand (stos %al,(%rdi) is stosb).
  if (/^(movs|cmps|scas|lods|stos|ins|outs)$/.test(word)) out.push(...['b', 'w', 'd', 'q'].map((s) => word + s));
  if (/^mov[zs](b[wlq]|w[lq]|x)$/.test(word)) out.push(word.startsWith('movz') ? 'movzx' : 'movsx');
  for (const prefix of ['j', 'set', 'cmov']) {
    if (!word.startsWith(prefix)) continue;
    const rest = word.slice(prefix.length).replace(/[wlq]$/, (s) => (prefix === 'cmov' ? '' : s));
    for (const names of CONDITION_ALIASES) if (names.includes(rest) || names.includes(word.slice(prefix.length))) out.push(prefix + names[0]);
  }
  return out;
}

const lines = corpus();

describe('assembler output decoded by iced-x86', () => {
  const result = assemble([...PREAMBLE, ...lines].join('\n'), { origin: ORIGIN });
  const listing = result.lines.slice(PREAMBLE.length);

  it('the listing has one statement per corpus line, each an instruction', () => {
    expect(listing.length).toBe(lines.length);
    expect(listing.every((l) => l.kind === 'instruction' && l.size > 0)).toBe(true);
  });

  it('decodes to exactly one instruction per source line, with the same mnemonic, and round-trips through iced GNU syntax', () => {
    const formatter = new Formatter(FormatterSyntax.Gas);
    formatter.ripRelativeAddresses = true;
    formatter.gasShowMnemonicSizeSuffix = true;
    const bad: string[] = [];
    let decoded = 0;
    listing.forEach((l, i) => {
      const bytes = result.bytes.subarray(l.offset, l.offset + l.size);
      const ip = ORIGIN + BigInt(l.offset);
      const decoder = new Decoder(64, bytes, DecoderOptions.None);
      decoder.ip = ip;
      const insns = [];
      while (decoder.canDecode) insns.push(decoder.decode());
      decoder.free();
      const src = lines[i]!;
      const ins = insns[0]!;
      const text = formatter.format(ins);
      if (insns.length !== 1 || ins.code === Code.INVALID || ins.length !== bytes.length) {
        bad.push(`${src}: ${insns.length} instruction(s), first '${text}' of ${ins.length} bytes (${bytes.length} emitted)`);
      } else {
        decoded++;
        const word = src.split(/\s+/).find((w) => !/^(lock|rep|repe|repz|repne|repnz)$/.test(w))!;
        const mnemonic = (Mnemonic[ins.mnemonic] ?? '').toLowerCase();
        // 90 and 66 90 are nop to iced; GNU as emits them for these xchg forms.
        const special = (src === 'xchg %rax, %rax' || src === 'xchg %ax, %ax') && mnemonic === 'nop';
        if (!special && !expectedMnemonics(word).includes(mnemonic)) bad.push(`${src}: decodes as '${mnemonic}' (${text})`);
        let again: string;
        try {
          const r = assemble([...PREAMBLE, text].join('\n'), { origin: ip });
          again = Buffer.from(r.bytes).toString('hex');
        } catch (e) {
          again = (e as Error).message;
        }
        // iced does not print a %cs/%ds/%es/%ss override (it has no effect in 64-bit mode), so that byte cannot round-trip.
        const nullSegment = /%[cdes]s:/.test(src);
        if (!nullSegment && again !== Buffer.from(bytes).toString('hex')) bad.push(`${src}: iced says '${text}', which assembles to ${again}, not ${Buffer.from(bytes).toString('hex')}`);
      }
      for (const x of insns) x.free();
    });
    formatter.free();
    expect(bad.length, `${bad.length} problems:\n` + bad.slice(0, 60).join('\n')).toBe(0);
    expect(decoded).toBe(lines.length);
  });
});
