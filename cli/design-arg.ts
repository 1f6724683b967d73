/**
 * `--design NAME` or `--design FILE.json`: a built-in design by name, or a
 * user's DesignSpec from a JSON file (validated; errors name the file and
 * the JSON path).
 */
import { readFileSync } from 'node:fs';
import { buildDesign, type Design } from '../src/design/build.js';
import { builtinDesign } from '../src/design/registry.js';
import { parseDesignSpec } from '../src/design/validate.js';
import { UsageError } from '../src/lib/errors.js';

function looksLikePath(arg: string): boolean {
  return arg.endsWith('.json') || arg.includes('/');
}

export function loadDesign(arg: string): Design {
  if (!looksLikePath(arg)) return builtinDesign(arg);
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read design file '${arg}': ${code === 'ENOENT' ? 'no such file' : code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text, newlines included: keep the error to one line.
    throw new UsageError(`design file '${arg}' is not valid JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
  try {
    return buildDesign(parseDesignSpec(json));
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${arg}: ${e.message}`);
    throw e;
  }
}
