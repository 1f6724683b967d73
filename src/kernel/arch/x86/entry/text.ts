/** Small helpers for building the AT&T text: labels at column 0, instructions indented. */

/** A code line: a label (`name:`), a directive or a comment stays at column 0. */
export function fmt(lines: readonly string[]): string[] {
  return lines.map((l) => (/^([A-Za-z_.][\w.]*:|\d+:|\.|\/\*|$)/.test(l) ? l : `        ${l}`));
}

/** A global code symbol, 16-byte aligned as SYM_CODE_START does (ALIGN). */
export function globalLabel(name: string): string[] {
  return ['', `.globl ${name}`, '.p2align 4, 0xcc', `${name}:`];
}
