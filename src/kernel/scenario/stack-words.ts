/**
 * The labelled 8-byte words of one kernel entry on its stack, read from
 * guest memory (the demo's deepest-point diagram, DESIGN.md §1/§6). Every
 * offset comes from the design's layouts — pt_regs, the extension below
 * it, irqentry_state_t — and from the frame the native "C" runtime builds
 * (return address into the stub, saved RBP, locals), never typed here.
 *
 * Highest address first, as the stack grows down:
 *
 *   ss sp flags cs ip      hardware frame (the CPU; for SYSCALL the stub)
 *   orig_ax                the CPU's error-code slot / syscall nr
 *   di … r15               rest of pt_regs                   <- regs
 *   extension              PTREGS_AUX_SIZE bytes             <- container_of(regs)
 *   return address         into the stub (its `call handler`)
 *   saved rbp                                                <- the handler's rbp
 *   locals                 irqentry_state_t among spill slots
 */
import type { FlatField, RecordLayout } from '../../abi/layout.js';
import { MODE_SUPERVISOR } from '../../cpu/mmu.js';
import type { Design } from '../../design/build.js';
import { EXCEPTIONS } from '../arch/x86/entry/index.js';
import type { EntryRecord } from '../arch/x86/kernel-c.js';
import { KERNEL_CS, KERNEL_DS, USER32_CS, USER_CS, USER_DS } from '../arch/x86/memory-map.js';
import type { Platform } from '../arch/x86/platform.js';
import { symbolizeAddress } from '../arch/x86/unwind.js';

/** What a word of the diagram belongs to. */
export type StackPart =
  | 'hardware frame'
  | 'orig_ax'
  | 'pt_regs'
  | 'extension'
  | 'C frame'
  | 'irqentry_state_t'
  | 'alignment'
  | 'unlabelled';

export interface StackWord {
  readonly address: number;
  /** The 8 bytes at `address` (little-endian), or null when unreadable. */
  readonly value: bigint | null;
  readonly part: StackPart;
  /** The member(s) held: `ip`, `aux.pkrs=0x55555550 pad[4..7]`, `return address`, … */
  readonly label: string;
  /** What the value means or why it is there; '' when nothing to add. */
  readonly note: string;
}

/** Reads 8 bytes as the kernel would (supervisor, current PKRS); null when that faults. */
export type WordReader = (address: number) => bigint | null;

/** Reads through the platform's MMU with supervisor rights, as the unwinder does; no fault is delivered. */
export function supervisorReader(p: Platform): WordReader {
  return (a) => {
    try {
      return p.mmu.read64(a, MODE_SUPERVISOR);
    } catch {
      return null;
    }
  };
}

const SELECTORS: ReadonlyMap<number, string> = new Map([
  [0, 'null selector'], [KERNEL_CS, '__KERNEL_CS'], [KERNEL_DS, '__KERNEL_DS'], [USER32_CS, '__USER32_CS'],
  [USER_DS, '__USER_DS'], [USER_CS, '__USER_CS'],
]);

const hex = (v: bigint | number): string => '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);

/** A field of a record that overlaps one 8-byte word. */
interface WordField {
  readonly path: string;
  /** Byte offset inside the word. */
  readonly at: number;
  readonly size: number;
}

/**
 * `path=value` for each field in the word (a union's members share one
 * value: `exit_rcu/lockdep=0x1`), then the bytes no field covers.
 */
function fieldsLabel(fields: readonly WordField[], value: bigint | null): string {
  if (fields.length === 1 && fields[0]!.size === 8) return fields[0]!.path;
  const groups = new Map<string, { paths: string[]; at: number; size: number }>();
  for (const f of fields) {
    const key = `${f.at}:${f.size}`;
    const g = groups.get(key);
    if (g) g.paths.push(f.path);
    else groups.set(key, { paths: [f.path], at: f.at, size: f.size });
  }
  const covered = new Set<number>();
  const parts = [...groups.values()].map((g) => {
    for (let i = g.at; i < g.at + g.size; i++) covered.add(i);
    const v = value === null ? '?' : hex((value >> BigInt(8 * g.at)) & ((1n << BigInt(8 * g.size)) - 1n));
    return `${g.paths.join('/')}=${v}`;
  });
  const pad: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (covered.has(i)) continue;
    let j = i;
    while (j + 1 < 8 && !covered.has(j + 1)) j++;
    pad.push(i === j ? `pad[${i}]` : `pad[${i}..${j}]`);
    i = j;
  }
  return [...parts, ...pad].join(' ');
}

/** Words of a record placed at `base`, highest first, each labelled with the fields it holds. */
function recordWords(
  base: number, size: number, flat: readonly FlatField[], read: WordReader, part: StackPart,
  prefix: string, note: (word: number, fields: readonly WordField[]) => string,
): StackWord[] {
  const words: StackWord[] = [];
  for (let off = Math.ceil(size / 8) * 8 - 8; off >= 0; off -= 8) {
    const fields = flat
      .filter((f) => f.offset < off + 8 && f.offset + f.size > off)
      .map((f) => ({ path: prefix + f.path, at: f.offset - off, size: f.size }));
    const value = read(base + off);
    words.push({ address: base + off, value, part, label: fields.length ? fieldsLabel(fields, value) : 'padding', note: note(off, fields) });
  }
  return words;
}

/** Where the orig_ax value came from, by entry kind (entry_64.S, reference §1.3). */
function origAxNote(r: EntryRecord, value: bigint | null): string {
  if (r.kind === 'syscall') return `syscall nr ${value === null ? '?' : BigInt.asIntN(64, value)} (pushq %rax)`;
  if (r.kind === 'irq') return 'the stub pushed the vector here, passed it in %rsi, stored -1';
  const x = EXCEPTIONS.find((e) => e.vector === r.vector);
  return x?.errorCode
    ? 'the CPU pushed the error code here; the stub passed it in %rsi, stored -1'
    : '-1 pushed by the stub (no error code, no syscall to restart)';
}

/** Context for labelling: the design, symbols, and which frames belong to which function. */
export interface LabelContext {
  readonly design: Design;
  readonly platform: Platform;
  readonly read: WordReader;
  /** Handler frame (RBP) → function, for saved-rbp and pt_regs->bp notes. */
  readonly frames: ReadonlyMap<number, string>;
}

function frameNote(ctx: LabelContext, v: bigint | null): string {
  if (v === null) return '';
  const fn = ctx.frames.get(Number(BigInt.asIntN(64, v)));
  return fn ? `rbp of ${fn}'s frame` : '';
}

/** pt_regs of one entry, highest member first, the hardware frame and orig_ax told apart. */
export function ptRegsWords(ctx: LabelContext, r: EntryRecord): StackWord[] {
  const { design, platform, read } = ctx;
  const pkrs = design.slots.pkrs?.root === 'pt_regs' ? design.slots.pkrs : null;
  const hw = new Set(['ss', 'sp', 'flags', 'cs', 'ip']);
  return [...design.ptRegs.members].reverse().map((m) => {
    const value = read(r.regs + m.offset);
    const n = value === null ? null : Number(BigInt.asIntN(64, value));
    const part: StackPart = hw.has(m.name) ? 'hardware frame' : m.name === 'orig_ax' ? 'orig_ax' : 'pt_regs';
    const notes: string[] = [];
    if ((m.name === 'ss' || m.name === 'cs') && n !== null) notes.push(SELECTORS.get(n) ?? 'not a known selector');
    if (m.name === 'ss') {
      notes.push(r.kind === 'syscall' ? 'pushed by entry_SYSCALL_64 (SYSCALL pushes no frame)' : 'pushed by the CPU');
    }
    if (m.name === 'cs' && n !== null) notes.push(`CPL ${n & 3}`);
    if (m.name === 'ip' && n !== null) notes.push(`interrupted at ${symbolizeAddress(platform, n)}`);
    if (m.name === 'sp') notes.push('interrupted rsp');
    if (m.name === 'flags' && value !== null) notes.push(`IF=${(value >> 9n) & 1n}`);
    if (m.name === 'orig_ax') notes.push(origAxNote(r, value));
    if (m.name === 'bp') notes.push(frameNote(ctx, value));
    if (pkrs && m.offset === pkrs.offset) {
      notes.push(r.kind === 'syscall' ? 'PKRS slot, never written on the syscall path' : 'saved PKRS of the interrupted context');
    }
    if (m.offset === 0) notes.push('<- struct pt_regs *regs');
    return { address: r.regs + m.offset, value, part, label: m.name, note: notes.filter(Boolean).join('; ') };
  });
}

/** The extension below pt_regs (extended, aux), labelled from its layout; [] for other designs. */
export function extensionWords(ctx: LabelContext, r: EntryRecord): StackWord[] {
  const ext = ctx.design.extension;
  if (!ext) return [];
  const inRegs = (f: FlatField): boolean => f.path === ext.regsMember || f.path.startsWith(ext.regsMember + '.');
  const flat = ext.layout.flat.filter((f) => !inRegs(f));
  const base = r.regs - ext.belowPtRegs;
  const pkrs = ctx.design.slots.pkrs?.root === 'extension' ? ctx.design.slots.pkrs : null;
  return recordWords(base, ext.belowPtRegs, flat, ctx.read, 'extension', '', (off, fields) => {
    const notes: string[] = [];
    if (pkrs && fields.some((f) => f.path === pkrs.path)) {
      notes.push(r.kind === 'syscall' ? 'PKRS slot, never written on the syscall path' : 'saved PKRS of the interrupted context');
    }
    if (off === 0) notes.push(`<- container_of(regs, struct ${ext.layout.name}, ${ext.regsMember}) = regs - ${ext.belowPtRegs}`);
    return notes.join('; ');
  });
}

/**
 * One native C frame: return address, saved RBP, and locals — the
 * irqentry_state_t local (at `stateLocal`) labelled from its layout, the
 * rest spill slots the model's compiler reserves and leaves alone.
 */
export function cFrameWords(
  ctx: LabelContext, fn: string, frame: number, stateLocal: number | null, calledFrom: string,
): StackWord[] {
  const { read, platform, design } = ctx;
  const ret = read(frame + 8);
  const retAt = ret === null ? '?' : symbolizeAddress(platform, Number(BigInt.asIntN(64, ret)));
  const saved = read(frame);
  const words: StackWord[] = [
    { address: frame + 8, value: ret, part: 'C frame', label: 'return address', note: `${retAt} (${calledFrom} call ${fn})` },
    {
      address: frame, value: saved, part: 'C frame', label: 'saved rbp',
      note: [`<- rbp of ${fn}`, saved === 0n ? '0: the stub cleared %rbp (PUSH_AND_CLEAR_REGS)' : frameNote(ctx, saved)]
        .filter(Boolean).join('; '),
    },
  ];
  const locals = platform.native.get(fn).locals;
  const state: RecordLayout | null = design.irqentryState;
  const stateSize = state ? Math.ceil(state.size / 8) * 8 : 0;
  const pkrs = design.slots.pkrs?.root === 'irqentry_state' ? design.slots.pkrs : null;
  for (let a = frame - 8; a >= frame - locals; a -= 8) {
    if (state && stateLocal !== null && a >= stateLocal && a < stateLocal + stateSize) {
      if (a !== stateLocal + stateSize - 8) continue; // the whole local is emitted once, from its top word
      words.push(...recordWords(stateLocal, state.size, state.flat, read, 'irqentry_state_t', '', (off, fields) => {
        const notes: string[] = [];
        if (pkrs && fields.some((f) => f.path === pkrs.path)) notes.push('saved PKRS of the interrupted context');
        if (off === 0) notes.push(`<- &state at rbp-0x${(frame - stateLocal).toString(16)} (the compiler's choice)`);
        return notes.join('; ');
      }));
      continue;
    }
    words.push({ address: a, value: read(a), part: 'C frame', label: 'local: spill slot', note: 'reserved by the compiler, unused by the model' });
  }
  return words;
}
