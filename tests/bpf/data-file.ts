/**
 * Reads ubpf-style .data test files (STYLE.md §2.6): sections introduced by
 * `-- name` lines. Sections used here:
 *   asm            the program (src/bpf/asm.ts syntax)
 *   ctx            context bytes in hex (default: 168 zero bytes)
 *   result         expected r0 (hex or decimal)
 *   error          expected verifier error message (exact, with "at PC n")
 *   runtime-error  expected interpreter error (the program is not verified)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface DataCase {
  readonly name: string;
  readonly sections: ReadonlyMap<string, string>;
}

export function parseDataFile(name: string, text: string): DataCase {
  const sections = new Map<string, string>();
  let current: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^-- ([\w-]+)\s*$/.exec(line);
    if (m) {
      current = m[1]!;
      sections.set(current, '');
    } else if (current !== null) {
      sections.set(current, sections.get(current)! + line + '\n');
    }
  }
  return { name, sections };
}

export function readDataDir(dir: string): DataCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => parseDataFile(f, readFileSync(join(dir, f), 'utf8')));
}

export function hexBytes(text: string): Uint8Array {
  const parts = text.split(/\s+/).filter((s) => s.length > 0);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}
