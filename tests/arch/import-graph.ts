/**
 * Reads the import graph of the source tree and checks it against the layer
 * rules of STYLE.md §2.1. Kept apart from the test so the checker itself can
 * be tested on synthetic graphs (a checker that cannot fail proves nothing).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize, relative } from 'node:path';

export interface SourceFile {
  /** Path relative to the repository root, '/'-separated. */
  readonly path: string;
  readonly text: string;
}

export interface ImportEdge {
  readonly from: string;
  readonly specifier: string;
  /** Resolved repository path for relative imports, else null. */
  readonly to: string | null;
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(file: SourceFile): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const m of file.text.matchAll(IMPORT_RE)) {
    const specifier = m[1] ?? m[2] ?? m[3];
    if (!specifier) continue;
    const to = specifier.startsWith('.')
      ? normalize(join(dirname(file.path), specifier)).replace(/\\/g, '/').replace(/\.js$/, '.ts')
      : null;
    edges.push({ from: file.path, specifier, to });
  }
  return edges;
}

/** The layer a file belongs to: `lib`, `cpu`, `kernel/generic`, `cli`, ... */
export function layerOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] !== 'src') return parts[0] ?? '';
  if (parts[1] === 'kernel' && (parts[2] === 'generic' || parts[2] === 'arch')) return `kernel/${parts[2]}`;
  if (parts.length === 2) return `src/${parts[1]}`; // src/index.ts: the public barrel
  return parts[1] ?? '';
}

/**
 * Which layers each layer may import (itself included). Lowest first:
 * lib < trace, abi, elf, asm < cpu, design, bpf < kernel/generic < kernel/arch < kernel < src/index.ts < cli, web.
 * `cpu` knows nothing about Linux: not abi, not design, not kernel.
 */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  lib: ['lib'],
  trace: ['lib', 'trace'],
  abi: ['lib', 'abi'],
  elf: ['lib', 'elf'],
  /** The AT&T assembler: pure ISA encoding knowledge, used by tests and the kernel's stub builder. */
  asm: ['lib', 'asm'],
  cpu: ['lib', 'trace', 'cpu'],
  design: ['lib', 'abi', 'design'],
  /** eBPF: the ISA, verifier, maps and loaders; pt_regs layouts come from abi. */
  bpf: ['lib', 'abi', 'elf', 'bpf'],
  'kernel/generic': ['lib', 'trace', 'abi', 'elf', 'cpu', 'design', 'kernel/generic'],
  'kernel/arch': ['lib', 'trace', 'abi', 'elf', 'asm', 'cpu', 'design', 'bpf', 'kernel/generic', 'kernel/arch'],
  kernel: ['lib', 'trace', 'abi', 'elf', 'asm', 'cpu', 'design', 'bpf', 'kernel/generic', 'kernel/arch', 'kernel'],
};

/** Layers that may use Node built-ins and npm packages. */
const HOST_LAYERS = new Set(['cli', 'bench', 'selftests', 'tests', 'tools']);

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Node globals that would tie the core to Node (the core must also run in a browser). */
const NODE_GLOBALS_RE = /\b(?:process\.|Buffer\.|require\(|__dirname|__filename)/;

export function layerViolations(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const layer = layerOf(f.path);
    if (HOST_LAYERS.has(layer)) continue;
    // Comments and quoted strings (import paths such as './process.js') are not code that touches a global.
    const code = f.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').replace(/'[^'\n]*'|"[^"\n]*"/g, "''");
    if (NODE_GLOBALS_RE.test(code)) out.push(`${f.path}: uses a Node global (only cli/ may)`);
    for (const e of importsOf(f)) {
      if (e.to === null) {
        const what = NODE_BUILTINS.has(e.specifier) || NODE_BUILTINS.has(e.specifier.split('/')[0] ?? '') ? 'Node built-in' : 'package';
        out.push(`${f.path}: imports ${what} '${e.specifier}' (the core imports nothing outside src/)`);
        continue;
      }
      const target = layerOf(e.to);
      if (layer === 'src/index') continue;
      const allowed = ALLOWED[layer];
      if (!allowed) out.push(`${f.path}: layer '${layer}' has no rule in ALLOWED`);
      else if (!allowed.includes(target)) out.push(`${f.path}: layer '${layer}' may not import '${target}' (${e.specifier})`);
    }
  }
  return out;
}

/** Every import cycle (as a list of files), found with Tarjan's SCC algorithm. */
export function importCycles(files: readonly SourceFile[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const f of files) graph.set(f.path, importsOf(f).flatMap((e) => (e.to && e.to !== f.path ? [e.to] : [])));
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) cycles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Every .ts file under the given roots (tests excluded: they may cross layers). */
export function readTree(root: string, dirs: readonly string[]): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts') && !n.endsWith('.test.ts') && !n.endsWith('.d.ts')) {
        out.push({ path: relative(root, p).replace(/\\/g, '/'), text: readFileSync(p, 'utf8') });
      }
    }
  };
  for (const d of dirs) walk(join(root, d));
  return out;
}
