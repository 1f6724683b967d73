/**
 * Builds bpf/*.c with bpf/build.sh (clang -target bpf -O2) into a temporary
 * directory, once per test process. Without clang this throws, so the ELF
 * tests fail with the reason instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let outDir: string | null = null;

export function bpfObject(name: string): Uint8Array {
  if (outDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'kentry-bpf-'));
    const r = spawnSync('bash', [join(ROOT, 'bpf/build.sh'), dir], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(
        `building the BPF test objects failed (exit ${r.status}): ${r.stderr.trim() || r.stdout.trim()}\n` +
          'The ELF loader tests need clang with the BPF target (Debian package: clang).',
      );
    }
    outDir = dir;
  }
  return new Uint8Array(readFileSync(join(outDir, `${name}.o`)));
}
