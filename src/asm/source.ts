/**
 * Splits AT&T source text into statements: strips `#` and C-style comments,
 * splits on newlines and on `;` outside string literals, and keeps the
 * 1-based line number of each statement for error messages and listings.
 */
import { AsmError } from './errors.js';

export interface Statement {
  /** 1-based line on which the statement starts. */
  readonly line: number;
  /** Statement text with comments removed, trimmed; never empty. */
  readonly text: string;
}

export function splitStatements(source: string): Statement[] {
  const out: Statement[] = [];
  let line = 1;
  let startLine = 1;
  let cur = '';
  const flush = (): void => {
    const text = cur.trim();
    if (text !== '') out.push({ line: startLine, text });
    cur = '';
    startLine = line;
  };
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === '\n') {
      line++;
      flush();
      i++;
    } else if (c === ';') {
      flush();
      i++;
    } else if (c === '#') {
      while (i < n && source[i] !== '\n') i++;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new AsmError(line, cur.trim(), 'unterminated comment');
      for (let j = i; j < end; j++) if (source[j] === '\n') line++;
      cur += ' ';
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && source[j] !== '"' && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      if (j >= n || source[j] !== '"') throw new AsmError(line, (cur + source.slice(i, j)).trim(), 'unterminated string');
      cur += source.slice(i, j + 1);
      i = j + 1;
    } else if (c === "'") {
      // Character constant: 'c, '\n, optionally closed by a second quote.
      let j = i + 1;
      if (source[j] === '\\') j++;
      j++;
      if (source[j] === "'") j++;
      cur += source.slice(i, j);
      i = j;
    } else {
      cur += c;
      i++;
    }
  }
  flush();
  return out;
}
