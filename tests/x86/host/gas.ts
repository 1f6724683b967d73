/**
 * Instruction bytes from GNU as, for tests: many snippets assembled in one
 * `as --64` run, each in its own section (so alignment directives behave as
 * at the page-aligned CODE_BASE), then read straight out of the object
 * file's section table. Results are cached in memory and on disk (keyed by
 * the batch's text), so a re-run costs nothing.
 *
 * Snippets are AT&T syntax (`.intel_syntax noprefix` inside one snippet is
 * allowed; the next snippet starts in AT&T again). All snippets share one
 * symbol namespace: use numeric local labels (`1:` … `jne 1f`) or unique
 * names. A snippet that needs a relocation (a branch to an absolute address,
 * an external symbol) is refused: the bytes would depend on the link.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class GasError extends Error {
  readonly code = 'gas';
}

const memo = new Map<string, Uint8Array>();

function sectionName(i: number): string {
  return `.text.k${i}`;
}

function buildSource(snippets: readonly string[]): { text: string; firstLine: number[] } {
  const lines: string[] = [];
  const firstLine: number[] = [];
  snippets.forEach((s, i) => {
    lines.push(`.section ${sectionName(i)},"ax",@progbits`, '.att_syntax prefix');
    firstLine.push(lines.length + 1);
    lines.push(...s.split('\n'));
  });
  return { text: lines.join('\n') + '\n', firstLine };
}

interface Section {
  readonly name: string;
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

function elfSections(obj: Buffer): Section[] {
  if (obj.readUInt32BE(0) !== 0x7f454c46 || obj[4] !== 2) throw new GasError('as did not produce an ELF64 object');
  const shoff = Number(obj.readBigUInt64LE(0x28));
  const shentsize = obj.readUInt16LE(0x3a);
  const shnum = obj.readUInt16LE(0x3c);
  const shstrndx = obj.readUInt16LE(0x3e);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    raw.push({
      nameOff: obj.readUInt32LE(h),
      type: obj.readUInt32LE(h + 4),
      offset: Number(obj.readBigUInt64LE(h + 0x18)),
      size: Number(obj.readBigUInt64LE(h + 0x20)),
    });
  }
  const strtab = raw[shstrndx];
  if (strtab === undefined) throw new GasError('no section name table');
  return raw.map((s) => {
    const start = strtab.offset + s.nameOff;
    const name = obj.toString('latin1', start, obj.indexOf(0, start));
    return { name, type: s.type, offset: s.offset, size: s.size };
  });
}

const SHT_RELA = 4;
const SHT_NOBITS = 8;

function assembleUncached(snippets: readonly string[]): Uint8Array[] {
  const { text, firstLine } = buildSource(snippets);
  const dir = mkdtempSync(join(tmpdir(), 'kentry-gas-'));
  try {
    const src = join(dir, 'snippets.s');
    const obj = join(dir, 'snippets.o');
    writeFileSync(src, text);
    const run = spawnSync('as', ['--64', '-o', obj, src], { encoding: 'utf8' });
    if (run.error) throw new GasError(`cannot run GNU as: ${run.error.message}`);
    if (run.status !== 0) {
      const msgs = (run.stderr ?? '').split('\n').filter((l) => l.length > 0).slice(0, 8).map((l) => {
        const m = /:(\d+): (.*)$/.exec(l);
        if (!m) return l;
        const line = Number(m[1]);
        let idx = 0;
        while (idx + 1 < firstLine.length && (firstLine[idx + 1] ?? Infinity) <= line) idx++;
        return `snippet ${idx} (${JSON.stringify(snippets[idx])}): ${m[2]}`;
      });
      throw new GasError(`as failed:\n${msgs.join('\n')}`);
    }
    const buf = readFileSync(obj);
    const sections = new Map(elfSections(buf).map((s) => [s.name, s]));
    return snippets.map((s, i) => {
      const name = sectionName(i);
      if (sections.get(`.rela${name}`) !== undefined) {
        throw new GasError(`snippet ${i} (${JSON.stringify(s)}) needs a relocation (absolute branch target or external symbol)`);
      }
      const sec = sections.get(name);
      if (sec === undefined) throw new GasError(`snippet ${i}: section ${name} missing from the object`);
      if (sec.type === SHT_NOBITS || sec.type === SHT_RELA) throw new GasError(`snippet ${i}: unexpected section type`);
      return new Uint8Array(buf.subarray(sec.offset, sec.offset + sec.size));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cacheDir(): string {
  const dir = join(tmpdir(), 'kentry-gas-cache');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function serialize(parts: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(4 + 4 * parts.length);
  header.writeUInt32LE(parts.length, 0);
  parts.forEach((p, i) => header.writeUInt32LE(p.length, 4 + 4 * i));
  return Buffer.concat([header, ...parts]);
}

function deserialize(buf: Buffer): Uint8Array[] {
  const n = buf.readUInt32LE(0);
  let o = 4 + 4 * n;
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const len = buf.readUInt32LE(4 + 4 * i);
    out.push(new Uint8Array(buf.subarray(o, o + len)));
    o += len;
  }
  return out;
}

/** Assembles each AT&T snippet on its own (one `as` run for all of them) and returns its bytes. */
export function assemble(snippets: readonly string[]): Uint8Array[] {
  const missing = [...new Set(snippets.filter((s) => !memo.has(s)))];
  if (missing.length > 0) {
    const key = createHash('sha256').update(spawnSync('as', ['--version'], { encoding: 'utf8' }).stdout ?? '').update(JSON.stringify(missing)).digest('hex').slice(0, 24);
    const file = join(cacheDir(), `${key}.bin`);
    let parts: Uint8Array[] | undefined;
    if (existsSync(file)) {
      const cached = deserialize(readFileSync(file));
      if (cached.length === missing.length) parts = cached;
    }
    if (parts === undefined) {
      parts = assembleUncached(missing);
      const tmp = `${file}.${process.pid}`;
      writeFileSync(tmp, serialize(parts));
      renameSync(tmp, file);
    }
    missing.forEach((s, i) => memo.set(s, parts[i] ?? new Uint8Array()));
  }
  return snippets.map((s) => memo.get(s) ?? new Uint8Array());
}

/** Assembles one snippet (prefer `assemble` for many). */
export function asm(snippet: string): Uint8Array {
  const [bytes] = assemble([snippet]);
  return bytes ?? new Uint8Array();
}
