/**
 * src/bpf is a library of its own: it imports src/lib and src/abi only,
 * never Node built-ins or src/kernel, and has no import cycles. (The layer rule of
 * tests/arch ALLOWED also lets bpf import elf; this library does not need it.)
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importsOf, layerOf, readTree } from '../arch/import-graph.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tree = readTree(ROOT, ['src/bpf']);

describe('src/bpf layering', () => {
  it('finds its files', () => {
    expect(tree.some((f) => f.path === 'src/bpf/interp.ts')).toBe(true);
  });
  it('imports only lib, abi and itself, and nothing outside src/', () => {
    const bad = tree.flatMap((f) =>
      importsOf(f)
        .filter((e) => e.to === null || !['lib', 'abi', 'bpf'].includes(layerOf(e.to)))
        .map((e) => `${f.path} -> ${e.specifier}`),
    );
    expect(bad).toEqual([]);
  });
  it('uses no Node globals', () => {
    const bad = tree.filter((f) => /\b(?:process\.|Buffer\.|require\(|__dirname)/.test(f.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
    expect(bad.map((f) => f.path)).toEqual([]);
  });
  it('has no import cycles', () => {
    expect(importCycles(tree)).toEqual([]);
  });
});
