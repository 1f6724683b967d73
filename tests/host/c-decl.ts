/**
 * Writes kentry's C type declarations back out as C, so gcc can lay them out
 * and the engine's offsets can be compared with the compiler's.
 */
import type { CType, RecordType, ScalarType } from '../../src/abi/ctype.js';

function scalarC(t: ScalarType): string {
  if (t.name === 'bool') return '_Bool';
  const base = { 1: 'char', 2: 'short', 4: 'int', 8: 'long' }[t.size];
  return `${t.signed ? 'signed' : 'unsigned'} ${base}`;
}

let anon = 0;

/** A C declaration `T name` (arrays and nested records included). */
function declare(type: CType, name: string, out: string[]): string {
  switch (type.kind) {
    case 'scalar':
      return `${scalarC(type)} ${name}`;
    case 'array':
      return declare(type.element, `${name}[${type.count}]`, out);
    case 'struct':
    case 'union':
      return `${recordBody(type, out)} ${name}`;
  }
}

/** `anonymousMember`: a C11 anonymous struct/union, which must not have a tag. */
function recordBody(r: RecordType, out: string[], anonymousMember = false): string {
  const members = r.members.map((m) => {
    const n = m.name ?? '';
    const d = m.name === null ? recordBody(m.type as RecordType, out, true) : declare(m.type, n, out);
    return `  ${d}${m.aligned !== null ? ` __attribute__((aligned(${m.aligned})))` : ''};`;
  });
  const attrs = [r.packed ? 'packed' : '', r.aligned !== null ? `aligned(${r.aligned})` : ''].filter(Boolean);
  // Tags are made unique so declarations never clash with one another.
  const tag = anonymousMember ? '' : `k_${r.name ?? 'anon'}_${anon++} `;
  return `${r.kind} ${attrs.length ? `__attribute__((${attrs.join(', ')})) ` : ''}${tag}{\n${members.join('\n')}\n}`;
}

/** `typedef <record> <typedefName>;` */
export function typedefC(r: RecordType, typedefName: string): string {
  const out: string[] = [];
  const body = recordBody(r, out);
  return `${out.join('\n')}typedef ${body} ${typedefName};\n`;
}
