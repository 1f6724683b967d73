/**
 * The demo's labelled stack diagram (DESIGN.md §6: "stack diagram at the
 * deepest point"): every kernel entry running now, outermost first, as the
 * 8-byte words actually in guest memory — hardware frame, orig_ax, pt_regs,
 * the extension below it, the C handler's frame with its irqentry_state_t —
 * grouped by the stack they live on (the task stack; the NMI's IST stack).
 * Bytes no entry accounts for are shown too: the CPU's 16-byte alignment
 * before it pushes a frame, or "unlabelled".
 *
 * Built while the NMI handler runs (the deepest point), from the entry log
 * (where each pt_regs and irqentry_state_t is) and the frame-pointer unwind
 * (any native frame nested inside a handler); the words are read through
 * the MMU with supervisor rights.
 */
import type { EntryKind } from '../arch/x86/kernel-c.js';
import { IST_STACKS, THREAD_SIZE, istStackBottom, istStackTop } from '../arch/x86/memory-map.js';
import type { Unwind } from '../arch/x86/unwind.js';
import type { Kernel } from '../boot.js';
import {
  cFrameWords, extensionWords, ptRegsWords, supervisorReader, type LabelContext, type StackWord,
} from './stack-words.js';

export type { StackPart, StackWord } from './stack-words.js';

export interface StackDiagramLevel {
  /** 1 = outermost, as in the levels table. */
  readonly level: number;
  readonly kind: EntryKind;
  readonly cFunction: string;
  readonly vector: number | null;
  readonly ptRegs: number;
  /** Highest address first; bytes between this level and the one above it come first. */
  readonly words: readonly StackWord[];
}

export interface DiagramStack {
  /** `task stack (pid 1, pks-demo)`, `NMI IST stack`. */
  readonly name: string;
  /** Lowest address of the stack's region. */
  readonly bottom: number;
  /** One past its highest byte (where the first push lands below). */
  readonly top: number;
  /** Outermost first, i.e. highest addresses first. */
  readonly levels: readonly StackDiagramLevel[];
}

export interface StackDiagram {
  /** In the order the levels reach them (the task stack first). */
  readonly stacks: readonly DiagramStack[];
}

interface Bounds {
  readonly name: string;
  readonly bottom: number;
  readonly top: number;
}

function boundsOf(k: Kernel, a: number): Bounds | null {
  const top = k.current.stackTop;
  if (a >= top - THREAD_SIZE && a < top) return { name: `task stack (pid ${k.current.pid}, ${k.current.name})`, bottom: top - THREAD_SIZE, top };
  for (const s of IST_STACKS) {
    const bottom = istStackBottom(s.istIndex);
    const t = istStackTop(s.istIndex);
    if (a >= bottom && a < t) return { name: `${s.name} IST stack`, bottom, top: t };
  }
  return null;
}

const byAddressDown = (a: StackWord, b: StackWord): number => b.address - a.address;

/**
 * The words between `from` (exclusive, higher) and `to` (inclusive, lower):
 * the CPU's alignment where they lie between the interrupted RSP and its
 * 16-byte-aligned value on the same stack (SDM Vol. 3A §6.14.2), otherwise
 * unlabelled.
 */
function gapWords(ctx: LabelContext, from: number, to: number, interruptedSp: number | null): StackWord[] {
  const out: StackWord[] = [];
  for (let a = from - 8; a >= to; a -= 8) {
    const aligned = interruptedSp !== null && a < interruptedSp && a >= interruptedSp - (interruptedSp & 15);
    out.push(aligned
      ? { address: a, value: ctx.read(a), part: 'alignment', label: 'alignment', note: 'the CPU aligned rsp down to 16 before pushing ss' }
      : { address: a, value: ctx.read(a), part: 'unlabelled', label: 'unlabelled', note: '' });
  }
  return out;
}

/** The diagram of every running entry, read now. See the module comment. */
export function stackDiagramNow(k: Kernel, unwind: Unwind | null): StackDiagram {
  const p = k.platform;
  const below = k.design.extension?.belowPtRegs ?? 0;
  const records = k.log.active;
  // The stub's `call` runs with %rsp = regs - PTREGS_AUX_SIZE; the call and the prologue push 16 bytes.
  const handlerFrame = (regs: number): number => regs - below - 16;
  const frames = new Map(records.map((r) => [handlerFrame(r.regs), r.cFunction]));
  const nested = (unwind?.frames ?? []).flatMap((f) => (f.kind === 'native' && !frames.has(f.frame) ? [f] : []));
  for (const n of nested) frames.set(n.frame, n.function);
  const ctx: LabelContext = { design: k.design, platform: p, read: supervisorReader(p), frames };

  const levels = records.map((r, i) => ({
    record: r,
    bounds: boundsOf(k, r.regs),
    words: [
      ...ptRegsWords(ctx, r),
      ...extensionWords(ctx, r),
      ...cFrameWords(ctx, r.cFunction, handlerFrame(r.regs), r.stateLocal, "the stub's"),
    ],
    level: i + 1,
  }));
  // A native frame nested inside a handler belongs to the nearest handler frame above it on the same stack.
  for (const n of nested) {
    const owner = levels
      .filter((l) => handlerFrame(l.record.regs) > n.frame && l.bounds?.top === boundsOf(k, n.frame)?.top)
      .sort((a, b) => handlerFrame(a.record.regs) - handlerFrame(b.record.regs))[0];
    owner?.words.push(...cFrameWords(ctx, n.function, n.frame, null, "its caller's"));
  }

  const stacks: { bounds: Bounds; levels: StackDiagramLevel[] }[] = [];
  for (const l of levels) {
    if (!l.bounds) continue;
    let s = stacks.find((x) => x.bounds.top === l.bounds?.top);
    if (!s) stacks.push((s = { bounds: l.bounds, levels: [] }));
    const words = [...l.words].sort(byAddressDown);
    const prev = s.levels[s.levels.length - 1];
    const above = prev ? Math.min(...prev.words.map((w) => w.address)) : s.bounds.top;
    const top = (words[0]?.address ?? above - 8) + 8;
    const spWord = words.find((w) => w.label === 'sp');
    const sp = spWord?.value == null ? null : Number(BigInt.asIntN(64, spWord.value));
    s.levels.push({
      level: l.level, kind: l.record.kind, cFunction: l.record.cFunction, vector: l.record.vector, ptRegs: l.record.regs,
      words: [...gapWords(ctx, above, top, sp !== null && boundsOf(k, sp)?.top === s.bounds.top ? sp : null), ...words],
    });
  }
  return { stacks: stacks.map((s) => ({ ...s.bounds, levels: markInterruptedRsp(s.levels, stacks.flatMap((x) => x.levels)) })) };
}

/**
 * Notes, on the word an inner entry's saved RSP points at, which entry
 * interrupted the code there — the link from a frame to the level below it.
 */
function markInterruptedRsp(levels: readonly StackDiagramLevel[], all: readonly StackDiagramLevel[]): StackDiagramLevel[] {
  const marks = new Map<number, string[]>();
  for (const l of all) {
    const sp = l.words.find((w) => w.part === 'hardware frame' && w.label === 'sp')?.value;
    const cs = l.words.find((w) => w.part === 'hardware frame' && w.label === 'cs')?.value;
    if (sp == null || cs == null || (cs & 3n) !== 0n) continue;
    const a = Number(BigInt.asIntN(64, sp));
    marks.set(a, [...(marks.get(a) ?? []), `<- rsp when level ${l.level} (${l.kind}) arrived`]);
  }
  return levels.map((l) => ({
    ...l,
    words: l.words.map((w) => {
      const m = marks.get(w.address);
      return m ? { ...w, note: [w.note, ...m].filter(Boolean).join('; ') } : w;
    }),
  }));
}
