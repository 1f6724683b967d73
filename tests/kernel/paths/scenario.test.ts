/**
 * The built-in PKS scenario per design (syscall → key 1 RW → timer IRQ →
 * PK #PF → callback → NMI): the levels at the deepest point, how each
 * saved PKRS is found, and the invariants — plus a deliberately broken
 * restore hook, to show the PKRS check is alive.
 */
import { describe, expect, it } from 'vitest';
import { builtinDesign } from '../../../src/design/registry.js';
import { PKS_INIT_VALUE } from '../../../src/kernel/arch/x86/pks.js';
import type { PtRegs } from '../../../src/kernel/arch/x86/regs.js';
import { runPksScenario, stacksInBounds, unwinderFindsAll } from '../../../src/kernel/scenario/index.js';

const KEY1_OPEN = PKS_INIT_VALUE & ~(1 << 2);

const EXPECT = {
  'state-ref': /^C-frame offset -\d+ \(compiler-chosen\)$/,
  extended: /^container_of$/,
  aux: /^container_of$/,
  'pks-in-pt_regs': /^pt_regs member$/,
} as const;

describe.each(Object.entries(EXPECT))('PKS scenario, design %s', (name, via) => {
  const r = runPksScenario(builtinDesign(name));

  it('reaches four levels: syscall, IRQ, #PF, NMI, with the saved PKRS of each nested one found', () => {
    expect(r.oops).toBeNull();
    expect(r.pkFault).toBe(true);
    expect(r.timerRead).toBe(0x5ec2e7n);
    expect(r.levels.map((l) => l.kind)).toEqual(['syscall', 'irq', 'page-fault', 'nmi']);
    expect(r.levels.map((l) => l.vector)).toEqual([null, 0xec, 14, 2]);
    expect(r.levels[0]?.foundVia).toBe('not saved');
    for (const l of r.levels.slice(1)) {
      expect(l.foundVia).toMatch(via);
      expect(l.reachableFromPtRegs).toBe(name !== 'state-ref');
      // V9 pks_save_pt_regs saves current->thread.pkrs: the syscall's key-1-open value, at every level.
      expect(l.savedPkrs).toBe(KEY1_OPEN);
      expect(l.extension === null).toBe(name === 'state-ref' || name === 'pks-in-pt_regs');
    }
    expect(r.updateException).toBe(name === 'state-ref' ? 'not-reachable' : 'updated');
  });

  it('keeps the invariants that apply', () => {
    expect(r.invariants['user-registers-restored'].ok).toBe(true);
    expect(r.invariants['handlers-default-pkrs'].ok).toBe(true);
    expect(r.invariants['entry-state-balanced'].ok).toBe(true);
    // state-ref: pks_update_exception could not reach the copy, yet the #PF exit restores the
    // (thread.pkrs-derived) key-1-open value into the IRQ handler that was running with the default.
    expect(r.invariants['pkrs-restored'].ok, r.invariants['pkrs-restored'].detail).toBe(name !== 'state-ref');
  });
});

describe('PKS scenario, design upstream', () => {
  const r = runPksScenario(builtinDesign('upstream'));
  it('shows the hazard: the IRQ handler inherits key 1, no #PF, invariant 3 false', () => {
    expect(r.oops).toBeNull();
    expect(r.pkFault).toBe(false);
    expect(r.timerRead).toBe(0x5ec2e7n);
    expect(r.levels.map((l) => l.kind)).toEqual(['syscall', 'irq', 'nmi']);
    expect(r.levels.every((l) => l.foundVia === 'not saved')).toBe(true);
    expect(r.invariants['handlers-default-pkrs'].ok).toBe(false);
    expect(r.invariants['handlers-default-pkrs'].detail).toContain('irq handler started with 0x55555550');
    expect(r.invariants['entry-state-balanced'].ok).toBe(true);
    expect(r.invariants['user-registers-restored'].ok).toBe(true);
  });
});

describe('a broken variant', () => {
  it('an arch restore hook that skips the PKRS restore fails invariant 2', () => {
    const r = runPksScenario(builtinDesign('aux'), { archHooks: { archRestoreAuxPtRegs: () => undefined } });
    expect(r.invariants['pkrs-restored'].ok).toBe(false);
    expect(r.invariants['entry-state-balanced'].ok).toBe(true);
  });

  it('an exit hook that clobbers a user register fails invariant 1', () => {
    const r = runPksScenario(builtinDesign('aux'), {
      archHooks: { archExitToUserModePrepare: (regs) => (regs as PtRegs).set('r12', 0) },
    });
    expect(r.invariants['user-registers-restored'].ok).toBe(false);
    expect(r.invariants['user-registers-restored'].detail).toContain('r12=0x0');
  });

  it('a save hook that does not load PKS_INIT_VALUE fails invariant 3 (the upstream hazard, made by hand)', () => {
    const r = runPksScenario(builtinDesign('extended'), { archHooks: { archSaveAuxPtRegs: () => undefined } });
    expect(r.invariants['handlers-default-pkrs'].ok).toBe(false);
    expect(r.invariants['handlers-default-pkrs'].detail).toContain('handler started with 0x55555550');
  });

  it('a save hook that scribbles over exit_rcu (an extension layout overlapping the generic state) fails invariant 5', () => {
    const r = runPksScenario(builtinDesign('extended'), {
      archHooks: { archSaveAuxPtRegs: (_regs, store) => store.setExitRcu(true) },
    });
    expect(r.invariants['entry-state-balanced'].ok).toBe(false);
  });

  it('a lost frame pointer fails invariant 4; a frame outside its stack fails invariant 7', () => {
    const design = builtinDesign('aux');
    const r = runPksScenario(design);
    expect(unwinderFindsAll(design, r.levels, r.unwind).ok).toBe(true);
    // The same unwind with the #PF level's pt_regs frame missing (as when a saved RBP is corrupt).
    const lossy = { ...r.unwind!, frames: r.unwind!.frames.filter((f) => !(f.kind === 'pt_regs' && f.entry.kind === 'exception')) };
    expect(unwinderFindsAll(design, r.levels, lossy).ok).toBe(false);
    // The task stack placed one page higher than the frames really are.
    const top = r.levels[0]!.ptRegs + design.ptRegs.size;
    expect(stacksInBounds(design, r.levels, top + 8).ok).toBe(true);
    expect(stacksInBounds(design, r.levels, top - 0x1000).ok).toBe(false);
  });

  it('another compiler seed moves the state-ref copy, not the extension one', () => {
    const offsets = [1, 2, 3, 4, 5].map((seed) => runPksScenario(builtinDesign('state-ref'), { compilerSeed: seed }).levels[1]?.foundVia);
    expect(new Set(offsets).size).toBeGreaterThan(1);
  });
});
