/**
 * Golden output of `kentry demo` per design (issue M3 item 10): the stack,
 * the nested levels and the invariants, byte for byte. A change to the entry
 * path that moves a frame or flips an invariant shows up here; if it is
 * intended, accept it with `KENTRY_ACCEPT=1 npx vitest run tests/golden`
 * (v86's tests/expect workflow) and review the diff in git.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatScenario, runDemo } from '../../cli/demo.js';
import { BUILTIN_DESIGNS } from '../../src/design/registry.js';

const ACCEPT = process.env['KENTRY_ACCEPT'] === '1';

describe.each(BUILTIN_DESIGNS.map((d) => [d.name, d] as const))('golden demo, design %s', (name, design) => {
  it('matches tests/golden/demo-<design>.txt', () => {
    const run = runDemo([design])[0];
    if (!run) throw new Error('runDemo returned nothing');
    const text = formatScenario(design, run.result) + '\n';
    const file = fileURLToPath(new URL(`./demo-${name}.txt`, import.meta.url));
    if (ACCEPT || !existsSync(file)) {
      if (!ACCEPT) throw new Error(`no golden file ${file}: run with KENTRY_ACCEPT=1 to create it`);
      writeFileSync(file, text);
    }
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});
