/**
 * Oracle 1: the instruction corpus assembled by kentry and by GNU as must be
 * byte-identical, line by line (each line in its own section of one `as`
 * run) and as a whole (`as` + `objcopy -O binary -j .text`).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { PREAMBLE, corpus } from './corpus.js';
import { HAVE_GAS, gasPerLine, gasText, hexOf } from './gas.js';

const lines = corpus();

/** kentry's bytes for each corpus line, each assembled alone after the preamble; an error becomes its message. */
function kentryPerLine(): string[] {
  return lines.map((l) => {
    try {
      return hexOf(assemble([...PREAMBLE, l].join('\n')).bytes);
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  });
}

if (!HAVE_GAS) {
  console.warn('tests/asm: GNU as not found; skipping the byte comparison with as');
}

describe.skipIf(!HAVE_GAS)('assembler vs GNU as', () => {
  it(`corpus has several hundred lines (${lines.length})`, () => {
    expect(lines.length).toBeGreaterThan(800);
  });

  it('every corpus line encodes exactly as GNU as encodes it', () => {
    const ours = kentryPerLine();
    const theirs = gasPerLine(lines, PREAMBLE);
    const bad: string[] = [];
    lines.forEach((l, i) => {
      const a = ours[i]!;
      const b = hexOf(theirs[i]!);
      if (a !== b) bad.push(`${l}\n    kentry: ${a}\n    as:     ${b}`);
    });
    expect(bad.length, `${bad.length} mismatches:\n` + bad.slice(0, 40).join('\n')).toBe(0);
  });

  it('the whole corpus as one .text section is byte-identical', () => {
    const src = [...PREAMBLE, ...lines].join('\n');
    const ours = assemble(src);
    const theirs = gasText(src);
    const diff = ours.bytes.findIndex((b, i) => b !== theirs[i]);
    const where = ours.lines.find((l) => diff >= l.offset && diff < l.offset + l.size);
    expect(diff, diff < 0 ? '' : `first difference at offset ${diff}, line ${where?.line}: ${where?.text}`).toBe(-1);
    expect(ours.bytes.length).toBe(theirs.length);
  });
});
