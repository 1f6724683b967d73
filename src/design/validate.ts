/**
 * Checks that untrusted JSON has the shape of a DesignSpec. Every error names
 * the JSON path of the offending value, so a user can fix a file from the
 * one line the CLI prints. Meaning (slots resolve, pt_regs comes last, ...)
 * is checked when the design is built (build.ts), with the same error type.
 */
import { UsageError } from '../lib/errors.js';
import type { DesignSpec, FieldSpec } from './spec.js';
import { SCALAR_TYPE_NAMES, PT_REGS_TYPE } from './types.js';

/** A design that is malformed or meaningless; `path` is a JSON path. */
export class DesignSpecError extends UsageError {
  override readonly name = 'DesignSpecError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`design spec: ${path}: ${problem}`);
  }
}

type Json = unknown;

const NAME_RE = /^[a-z][a-z0-9_-]{0,39}$/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function fail(path: string, problem: string): never {
  throw new DesignSpecError(path, problem);
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `"${v}"` : typeof v === 'object' ? 'an object' : String(v);
}

function object(v: Json, path: string, allowed: readonly string[]): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, got ${describe(v)}`);
  const o = v as Record<string, Json>;
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(`${path}.${k}`, `unknown key (allowed: ${allowed.join(', ')})`);
  }
  return o;
}

function string(v: Json, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${describe(v)}`);
  return v;
}

function ident(v: Json, path: string): string {
  const s = string(v, path);
  if (!IDENT_RE.test(s)) fail(path, `"${s}" is not a C identifier`);
  return s;
}

function array(v: Json, path: string): readonly Json[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${describe(v)}`);
  return v;
}

function positiveInt(v: Json, path: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    fail(path, `expected an integer from 1 to ${max}, got ${describe(v)}`);
  }
  return v;
}

function alignment(v: Json, path: string): number {
  const n = positiveInt(v, path, 4096);
  if ((n & (n - 1)) !== 0) fail(path, `alignment must be a power of two, got ${n}`);
  return n;
}

function field(v: Json, path: string): FieldSpec {
  const o = object(v, path, ['name', 'type', 'count', 'aligned', 'kind', 'tag', 'fields']);
  const aligned = o['aligned'] === undefined ? {} : { aligned: alignment(o['aligned'], `${path}.aligned`) };
  if (o['fields'] !== undefined) {
    if (o['type'] !== undefined || o['count'] !== undefined) {
      fail(path, 'a member has either "type" (scalar) or "fields" (struct/union), not both');
    }
    const kind = o['kind'] ?? 'struct';
    if (kind !== 'struct' && kind !== 'union') fail(`${path}.kind`, `expected "struct" or "union", got ${describe(kind)}`);
    const fields = fieldList(o['fields'], `${path}.fields`);
    return {
      ...(o['name'] === undefined ? {} : { name: ident(o['name'], `${path}.name`) }),
      kind,
      ...(o['tag'] === undefined ? {} : { tag: ident(o['tag'], `${path}.tag`) }),
      fields,
      ...aligned,
    };
  }
  if (o['kind'] !== undefined || o['tag'] !== undefined) fail(path, '"kind" and "tag" need "fields"');
  if (o['type'] === undefined) fail(path, 'a member needs "type" or "fields"');
  const type = string(o['type'], `${path}.type`);
  if (type !== PT_REGS_TYPE && !SCALAR_TYPE_NAMES.includes(type)) {
    fail(`${path}.type`, `unknown type "${type}" (valid: ${[...SCALAR_TYPE_NAMES, PT_REGS_TYPE].join(', ')})`);
  }
  if (o['name'] === undefined) fail(path, 'a scalar member needs a "name"');
  return {
    name: ident(o['name'], `${path}.name`),
    type,
    ...(o['count'] === undefined ? {} : { count: positiveInt(o['count'], `${path}.count`, 4096) }),
    ...aligned,
  };
}

function fieldList(v: Json, path: string): FieldSpec[] {
  return array(v, path).map((f, i) => field(f, `${path}[${i}]`));
}

function slot(v: Json, path: string): string {
  const s = string(v, path);
  if (!/^[a-z_]+(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(s)) {
    fail(path, `"${s}" is not a slot reference like "extension.arch.pks"`);
  }
  return s;
}

/** Validates the shape of `json` and returns it typed as a DesignSpec. */
export function parseDesignSpec(json: Json): DesignSpec {
  const o = object(json, '$', [
    'name', 'title', 'summary', 'sources', 'ptRegsLeading', 'extension', 'irqentryState', 'slots',
  ]);
  const name = string(o['name'], '$.name');
  if (!NAME_RE.test(name)) fail('$.name', `"${name}" must be lower-case letters, digits, '-' or '_', starting with a letter`);
  const sources = o['sources'] === undefined ? [] : array(o['sources'], '$.sources').map((s, i) => string(s, `$.sources[${i}]`));

  let extension: DesignSpec['extension'] = null;
  if (o['extension'] !== undefined && o['extension'] !== null) {
    const e = object(o['extension'], '$.extension', ['tag', 'fields']);
    extension = { tag: ident(e['tag'], '$.extension.tag'), fields: fieldList(e['fields'], '$.extension.fields') };
  }

  let irqentryState: DesignSpec['irqentryState'] = null;
  if (o['irqentryState'] !== undefined && o['irqentryState'] !== null) {
    const s = object(o['irqentryState'], '$.irqentryState', ['fields', 'passing']);
    const passing = s['passing'] ?? 'value';
    if (passing !== 'value' && passing !== 'reference') {
      fail('$.irqentryState.passing', `expected "value" or "reference", got ${describe(passing)}`);
    }
    irqentryState = { fields: fieldList(s['fields'], '$.irqentryState.fields'), passing };
  }

  const slots = object(o['slots'], '$.slots', ['pkrs', 'exitRcu', 'lockdep']);
  return {
    name,
    title: o['title'] === undefined ? name : string(o['title'], '$.title'),
    summary: o['summary'] === undefined ? '' : string(o['summary'], '$.summary'),
    sources,
    ptRegsLeading: o['ptRegsLeading'] === undefined ? [] : fieldList(o['ptRegsLeading'], '$.ptRegsLeading'),
    extension,
    irqentryState,
    slots: {
      pkrs: slots['pkrs'] === undefined || slots['pkrs'] === null ? null : slot(slots['pkrs'], '$.slots.pkrs'),
      exitRcu: slot(slots['exitRcu'], '$.slots.exitRcu'),
      lockdep: slot(slots['lockdep'], '$.slots.lockdep'),
    },
  };
}
