/** STYLE.md §2.1 layer rules and the absence of import cycles, on the real tree. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, layerViolations, readTree, type SourceFile } from './import-graph.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tree = readTree(ROOT, ['src', 'cli', 'bench', 'selftests']);

describe('layer rules on the source tree', () => {
  it('finds the source files', () => {
    expect(tree.some((f) => f.path === 'src/abi/layout.ts')).toBe(true);
    expect(tree.some((f) => f.path === 'cli/main.ts')).toBe(true);
  });
  it('no layer imports what it may not; only cli/ touches Node', () => {
    expect(layerViolations(tree)).toEqual([]);
  });
  it('has no import cycles', () => {
    expect(importCycles(tree)).toEqual([]);
  });
});

describe('the checker itself catches violations', () => {
  const f = (path: string, text: string): SourceFile => ({ path, text });
  it('cpu importing abi or kernel', () => {
    const v = layerViolations([
      f('src/cpu/mmu.ts', "import { x } from '../abi/layout.js';\nimport type { K } from '../kernel/generic/a.js';"),
    ]);
    expect(v).toHaveLength(2);
    expect(v[0]).toMatch(/layer 'cpu' may not import 'abi'/);
    expect(v[1]).toMatch(/layer 'cpu' may not import 'kernel\/generic'/);
  });
  it('generic kernel importing arch', () => {
    expect(layerViolations([f('src/kernel/generic/entry.ts', "export { a } from '../arch/x86/hooks.js';")])[0])
      .toMatch(/'kernel\/generic' may not import 'kernel\/arch'/);
  });
  it('Node built-ins, npm packages and Node globals outside cli/', () => {
    const v = layerViolations([
      f('src/lib/a.ts', "import { readFileSync } from 'node:fs';"),
      f('src/lib/b.ts', "import fs from 'fs';"),
      f('src/abi/c.ts', "import { Command } from 'commander';"),
      f('src/design/d.ts', 'const x = process.env.HOME;'),
      f('cli/e.ts', "import { readFileSync } from 'node:fs';"),
    ]);
    expect(v).toHaveLength(4);
  });
  it('a cycle of three files', () => {
    const cycles = importCycles([
      f('src/lib/a.ts', "import { b } from './b.js';"),
      f('src/lib/b.ts', "import { c } from './c.js';"),
      f('src/lib/c.ts', "import { a } from './a.js';"),
      f('src/lib/d.ts', "import { a } from './a.js';"),
    ]);
    expect(cycles).toEqual([['src/lib/a.ts', 'src/lib/b.ts', 'src/lib/c.ts']]);
  });
});
