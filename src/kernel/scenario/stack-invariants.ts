/**
 * The stack invariants of the demo scenario (DESIGN.md §4, 4 and 7),
 * judged at the deepest point from what the scenario recorded there: the
 * entries running (levels), the frame-pointer unwind from inside exc_nmi,
 * and the stack regions of the memory map.
 */
import type { Design } from '../../design/build.js';
import { IST_STACKS, THREAD_SIZE, istStackBottom, istStackTop } from '../arch/x86/memory-map.js';
import type { Unwind } from '../arch/x86/unwind.js';
import type { ScenarioLevel } from './levels.js';
import type { InvariantResult } from './pkrs-invariants.js';

const hex = (a: number): string => '0x' + BigInt.asUintN(64, BigInt(a)).toString(16);

/**
 * 4: the unwinder, from the stack alone, finds every pt_regs that is on the
 * stack, innermost first (the same addresses as the running entries, in
 * reverse), and for extension designs reaches each nested entry's saved
 * PKRS through container_of.
 */
export function unwinderFindsAll(design: Design, levels: readonly ScenarioLevel[], unwind: Unwind | null): InvariantResult {
  if (!unwind || levels.length === 0) return { ok: false, detail: 'no unwind was taken at the deepest point' };
  const found = unwind.frames.flatMap((f) => (f.kind === 'pt_regs' ? [f] : []));
  const want = [...levels].reverse().map((l) => l.ptRegs);
  const got = found.map((f) => f.regs);
  if (got.length !== want.length || got.some((a, i) => a !== want[i])) {
    return {
      ok: false,
      detail: `pt_regs found ${got.map(hex).join(' ') || 'none'}, on the stack ${want.map(hex).join(' ')}` +
        (unwind.stopped ? ` (${unwind.stopped})` : ''),
    };
  }
  if (design.extension) {
    const missed = found.filter((f) => f.entry.kind !== 'syscall' && !(f.pkrs.found && f.pkrs.via === 'extension'));
    if (design.slots.pkrs?.root === 'extension' && missed.length > 0) {
      return { ok: false, detail: `extension not reached via container_of for pt_regs ${missed.map((f) => hex(f.regs)).join(' ')}` };
    }
  }
  return { ok: true, detail: `${found.length} pt_regs frames found innermost first${design.extension ? ', each extension via container_of' : ''}` };
}

/** The stack region a level's pt_regs must lie in: the NMI's IST stack for the NMI, the task stack otherwise. */
function regionOf(level: ScenarioLevel, taskStackTop: number): { name: string; bottom: number; top: number } {
  if (level.kind === 'nmi') {
    const i = IST_STACKS.findIndex((s) => s.name === 'NMI');
    return { name: 'the NMI IST stack', bottom: istStackBottom(i), top: istStackTop(i) };
  }
  return { name: 'the task stack', bottom: taskStackTop - THREAD_SIZE, top: taskStackTop };
}

/**
 * 7: every level's pt_regs (and its extension) lies inside its stack
 * region, the NMI on its IST stack, the others on the task stack — no
 * frame overflowed into a guard page or another stack.
 */
export function stacksInBounds(design: Design, levels: readonly ScenarioLevel[], taskStackTop: number): InvariantResult {
  const bad: string[] = [];
  for (const l of levels) {
    const r = regionOf(l, taskStackTop);
    const low = l.extension ?? l.ptRegs;
    const high = l.ptRegs + design.ptRegs.size;
    if (low < r.bottom || high > r.top) bad.push(`${l.kind} frame ${hex(low)}..${hex(high)} outside ${r.name} ${hex(r.bottom)}..${hex(r.top)}`);
  }
  return bad.length === 0
    ? { ok: true, detail: `${levels.length} frames inside their stacks (NMI on its IST stack)` }
    : { ok: false, detail: bad.join('; ') };
}
