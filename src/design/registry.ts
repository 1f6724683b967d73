/**
 * The built-in designs, built once, and lookups with errors that name the
 * valid choices (the CLI prints them as its one error line).
 */
import type { RecordLayout } from '../abi/layout.js';
import { UsageError } from '../lib/errors.js';
import { BUILTIN_DESIGN_SPECS } from './builtin.js';
import { buildDesign, type Design } from './build.js';

export const BUILTIN_DESIGNS: readonly Design[] = BUILTIN_DESIGN_SPECS.map(buildDesign);

export const DEFAULT_DESIGN = 'upstream';

export function builtinDesign(name: string): Design {
  const d = BUILTIN_DESIGNS.find((x) => x.name === name);
  if (!d) {
    throw new UsageError(`unknown design '${name}' (valid: ${BUILTIN_DESIGNS.map((x) => x.name).join(', ')})`);
  }
  return d;
}

/** A struct of a design; the error says which designs define it, if any. */
export function designStruct(design: Design, name: string): RecordLayout {
  const s = design.structs.get(name);
  if (s) return s;
  const elsewhere = BUILTIN_DESIGNS.filter((d) => d.structs.has(name)).map((d) => d.name);
  const valid = [...design.structs.keys()].join(', ');
  if (elsewhere.length > 0) {
    throw new UsageError(
      `struct '${name}' does not exist in design '${design.name}' (it belongs to: ${elsewhere.join(', ')}; ` +
        `use --design ${elsewhere[0]}); structs of ${design.name}: ${valid}`,
    );
  }
  throw new UsageError(`unknown struct '${name}' (valid for design ${design.name}: ${valid})`);
}
