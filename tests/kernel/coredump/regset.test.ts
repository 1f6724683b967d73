/**
 * The general-register regset against reference §5: getreg by
 * user_regs_struct offset reads pt_regs at the same offset (pt_regs_access),
 * putreg's rules of §5.2 (FLAG_MASK, segment checks, fs_base/gs_base bounds,
 * -EIO), and what the offset indexing reads when a design moves pt_regs.
 */
import { describe, expect, it } from 'vitest';
import { EIO } from '../../../src/abi/errno.js';
import { builtinDesign } from '../../../src/design/registry.js';
import { bootKernel } from '../../../src/kernel/boot.js';
import { TASK_SIZE_MAX } from '../../../src/kernel/arch/x86/memory-map.js';
import { field } from '../../../src/abi/view.js';
import { linearStore } from '../../../src/cpu/linear-store.js';
import { MODE_SUPERVISOR } from '../../../src/cpu/mmu.js';
import { readLE, writeLE } from '../../../src/lib/bytes.js';
import { FLAG_MASK, genregsGet, genregsSet, getreg, putreg } from '../../../src/kernel/arch/x86/regset.js';
import { regsetTarget, taskPtRegs } from '../../../src/kernel/arch/x86/regset-thread.js';
import { USER_REGS_NAMES } from './core-file.js';

const PT_REGS_ORDER = USER_REGS_NAMES.slice(0, 21);
const off = (name: string): number => USER_REGS_NAMES.indexOf(name as (typeof USER_REGS_NAMES)[number]) * 8;

/** A stopped user task (not current) whose pt_regs hold 0x1000 + 8 * index for each member, named as the entry code writes them. */
function stopped(design: string) {
  const k = bootKernel(builtinDesign(design));
  const task = k.startUser('spin: jmp spin', 'tracee');
  const t = regsetTarget(k.platform, task, false);
  // The entry code's view: members by name at the design's layout (as PtRegs, but usable outside a native call).
  const mem = linearStore(k.platform.cpu.mmu, MODE_SUPERVISOR);
  const at = (name: string): number => taskPtRegs(t) + field(k.design.ptRegs, name).offset;
  const regs = {
    get: (name: string): bigint => readLE(mem.readBytes(at(name), 8), false),
    set: (name: string, v: bigint): void => mem.writeBytes(at(name), writeLE(v, 8)),
  };
  PT_REGS_ORDER.forEach((name, i) => regs.set(name, 0x1000n + 8n * BigInt(i)));
  regs.set('cs', 0x33n);
  regs.set('ss', 0x2bn);
  regs.set('flags', 0x246n);
  if (design === 'pks-in-pt_regs') regs.set('pkrs', 0x5555_5554n);
  return { k, task, t, regs };
}

describe('getreg / genregs_get', () => {
  it('reads pt_regs by offset, the selectors and bases from the thread', () => {
    const { t } = stopped('upstream');
    const words = genregsGet(t);
    const dv = new DataView(words.buffer);
    expect(words.length).toBe(216);
    PT_REGS_ORDER.forEach((name, i) => {
      const want = name === 'cs' ? 0x33n : name === 'ss' ? 0x2bn : name === 'flags' ? 0x246n : 0x1000n + 8n * BigInt(i);
      expect(dv.getBigUint64(i * 8, true), name).toBe(want);
    });
    for (const name of ['fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs']) expect(getreg(t, off(name)), name).toBe(0n);
  });

  it('under pks-in-pt_regs the offset-indexed words are one member off; flags (a named read) is not', () => {
    const { t } = stopped('pks-in-pt_regs');
    expect(getreg(t, off('r15'))).toBe(0x5555_5554n); // pt_regs word 0 is pkrs now
    expect(getreg(t, off('r14'))).toBe(0x1000n); // r15's value
    expect(getreg(t, off('ip'))).toBe(0x1000n + 8n * 15n); // orig_ax's
    expect(getreg(t, off('cs'))).toBe((0x1000n + 8n * 16n) & 0xffffn); // ip's, as u16
    expect(getreg(t, off('flags'))).toBe(0x246n); // get_flags: task_pt_regs(task)->flags
    expect(getreg(t, off('sp'))).toBe(0x246n); // flags' slot
    expect(getreg(t, off('ss'))).toBe((0x1000n + 8n * 19n) & 0xffffn); // sp's, as u16
  });
});

describe('putreg (reference §5.2)', () => {
  it('masks flags with FLAG_MASK 0x54DD5: IF, IOPL, VM, ID stay', () => {
    const { t, regs } = stopped('upstream');
    expect(FLAG_MASK).toBe(0x54dd5n);
    expect(putreg(t, off('flags'), 0xffff_ffffn)).toBe(0);
    expect(regs.get('flags')).toBe((0x246n & ~0x54dd5n) | 0x54dd5n);
    expect(putreg(t, off('flags'), 0n)).toBe(0);
    expect(regs.get('flags')).toBe(0x246n & ~0x54dd5n);
  });

  it('refuses selectors whose RPL is not 3, a null CS or SS, and any selector of the running task: -EIO', () => {
    const { k, task, t, regs } = stopped('upstream');
    expect(putreg(t, off('cs'), 0x10n)).toBe(-EIO);
    expect(putreg(t, off('cs'), 0n)).toBe(-EIO);
    expect(putreg(t, off('ss'), 0n)).toBe(-EIO);
    expect(putreg(t, off('ds'), 0x18n)).toBe(-EIO);
    expect(putreg(t, off('cs'), 0x23n)).toBe(0);
    expect(regs.get('cs')).toBe(0x23n);
    expect(putreg(t, off('fs'), 0x2bn)).toBe(0);
    expect(getreg(t, off('fs'))).toBe(0x2bn);
    expect(putreg(t, off('ds'), 0n)).toBe(0);
    expect(putreg(regsetTarget(k.platform, task, true), off('gs'), 0n)).toBe(-EIO);
  });

  it('refuses fs_base/gs_base at or above TASK_SIZE_MAX; stores lower ones in the thread', () => {
    const { t } = stopped('upstream');
    expect(putreg(t, off('fs_base'), BigInt(TASK_SIZE_MAX))).toBe(-EIO);
    expect(putreg(t, off('gs_base'), 0xffff_8000_0000_0000n)).toBe(-EIO);
    expect(putreg(t, off('fs_base'), 0x7fff_0000_1000n)).toBe(0);
    expect(getreg(t, off('fs_base'))).toBe(0x7fff_0000_1000n);
  });

  it('stores every other word unchecked at the same pt_regs offset; genregs_set stops at the first error', () => {
    const { t, regs } = stopped('upstream');
    expect(putreg(t, off('ip'), 0xdead_beef_0000_0000n)).toBe(0); // non-canonical: SYSRET/IRET deal with it later
    expect(regs.get('ip')).toBe(0xdead_beef_0000_0000n);
    const all = genregsGet(t);
    const dv = new DataView(all.buffer);
    dv.setBigUint64(off('ax'), 0x4242n, true);
    dv.setBigUint64(off('cs'), 0x10n, true); // RPL 0: -EIO after ax (offset 80) was written
    dv.setBigUint64(off('sp'), 0x9999n, true);
    expect(genregsSet(t, all)).toBe(-EIO);
    expect(regs.get('ax')).toBe(0x4242n);
    expect(regs.get('sp')).not.toBe(0x9999n);
  });

  it('under pks-in-pt_regs a write to "r15" lands in pkrs', () => {
    const { t, regs } = stopped('pks-in-pt_regs');
    expect(putreg(t, off('r15'), 0n)).toBe(0);
    expect(regs.get('pkrs')).toBe(0n);
    expect(regs.get('r15')).toBe(0x1000n);
  });
});
