/**
 * The layout engine's rules (alignment, padding, unions, anonymous members,
 * arrays, packed, aligned(N)) against gcc: the designs' structs and a few
 * hundred random declarations are written out as C and laid out by gcc.
 */
import { describe, expect, it } from 'vitest';
import {
  anonymous, array, bool, member, struct, u16, u32, u64, u8, union, int, short, long, char,
  type CType, type Member, type RecordType,
} from '../../src/abi/ctype.js';
import { layoutOf } from '../../src/abi/layout.js';
import { BUILTIN_DESIGNS } from '../../src/design/registry.js';
import { typedefC } from './c-decl.js';
import { keyValues, runC, SKIP_HOST_ORACLE } from './cc.js';
import { mulberry32 } from '../../src/lib/prng.js';

const rng = mulberry32;

function randomRecord(r: () => number, depth: number, counter: { n: number }): RecordType {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n = 1 + Math.floor(r() * 5);
  const members: Member[] = [];
  for (let i = 0; i < n; i++) {
    // Member names are unique across the whole run, so anonymous members never clash.
    const roll = r();
    let type: CType;
    if (depth < 2 && roll < 0.2) type = randomRecord(r, depth + 1, counter);
    else if (roll < 0.3) type = array(pick([u8, u16, u32, u64, char]), 1 + Math.floor(r() * 5));
    else type = pick([u8, u16, u32, u64, bool, int, short, long, char]);
    if (type.kind !== 'scalar' && type.kind !== 'array' && depth < 2 && r() < 0.25) {
      members.push(anonymous(type));
      continue;
    }
    const aligned = r() < 0.1 ? { aligned: pick([1, 2, 4, 8, 16]) } : {};
    members.push(member(`m${counter.n++}`, type, aligned));
  }
  const opts = { ...(r() < 0.15 ? { packed: true } : {}), ...(r() < 0.1 ? { aligned: pick([2, 4, 8, 16, 32]) } : {}) };
  const make = r() < 0.25 ? union : struct;
  return make(`r${counter.n++}`, members, opts);
}

function compareWithGcc(records: readonly RecordType[]): number {
  const decls = records.map((rec, i) => typedefC(rec, `T${i}`)).join('\n');
  const prints = records.flatMap((rec, i) => {
    const l = layoutOf(rec);
    return [
      `printf("T${i}:size %zu\\n", sizeof(T${i}));`,
      `printf("T${i}:align %zu\\n", _Alignof(T${i}));`,
      ...l.flat.map((f) => `printf("T${i}:${f.path} %zu\\n", offsetof(T${i}, ${f.path}));`),
    ];
  });
  const got = keyValues(runC(`#include <stddef.h>\n#include <stdio.h>\n${decls}\nint main(void){\n${prints.join('\n')}\nreturn 0;}\n`));
  let checked = 0;
  records.forEach((rec, i) => {
    const l = layoutOf(rec);
    expect(Number(got.get(`T${i}:size`)), `sizeof ${l.name}: ${typedefC(rec, 'T')}`).toBe(l.size);
    expect(Number(got.get(`T${i}:align`)), `_Alignof ${l.name}`).toBe(l.align);
    for (const f of l.flat) {
      expect(Number(got.get(`T${i}:${f.path}`)), `offsetof(${l.name}, ${f.path})`).toBe(f.offset);
      checked++;
    }
  });
  return checked;
}

describe.skipIf(SKIP_HOST_ORACLE)('layout engine vs gcc', () => {
  it('lays out every struct of every built-in design as gcc does', () => {
    const all = BUILTIN_DESIGNS.flatMap((d) => [...d.structs.values()].map((l) => l.type));
    expect(compareWithGcc(all)).toBeGreaterThan(500);
  });

  it('lays out 300 random declarations (unions, anonymous members, arrays, packed, aligned) as gcc does', () => {
    const r = rng(20201211);
    const counter = { n: 0 };
    const records = Array.from({ length: 300 }, () => randomRecord(r, 0, counter));
    expect(records.some((x) => x.packed)).toBe(true);
    expect(compareWithGcc(records)).toBeGreaterThan(1000);
  });
});
