/**
 * The built-in designs against the layouts issue M1 and reference §2.1/§3.3–3.4
 * state (numbers transcribed from there), and the JSON form's validation.
 */
import { describe, expect, it } from 'vitest';
import { containerOf, offsetOf } from '../../src/abi/layout.js';
import { buildDesign } from '../../src/design/build.js';
import { BUILTIN_DESIGNS, builtinDesign, designStruct } from '../../src/design/registry.js';
import { DesignSpecError, parseDesignSpec } from '../../src/design/validate.js';

describe('built-in designs', () => {
  it('are the five of DESIGN.md §2, in order', () => {
    expect(BUILTIN_DESIGNS.map((d) => d.name)).toEqual(['upstream', 'state-ref', 'extended', 'aux', 'pks-in-pt_regs']);
  });

  it('upstream: irqentry_state_t is one byte (union of bools), no PKRS slot', () => {
    const d = builtinDesign('upstream');
    expect(d.irqentryState?.size).toBe(1);
    expect(offsetOf(d.irqentryState!, 'exit_rcu')).toBe(0);
    expect(offsetOf(d.irqentryState!, 'lockdep')).toBe(0);
    expect(d.slots.pkrs).toBeNull();
    expect(d.extension).toBeNull();
    expect(d.ptRegs.size).toBe(168);
  });

  it('state-ref: irqentry_state_t { u32 pkrs; u32 thread_pkrs; union { exit_rcu, lockdep } } passed by reference', () => {
    const d = builtinDesign('state-ref');
    const s = d.irqentryState!;
    expect([offsetOf(s, 'pkrs'), offsetOf(s, 'thread_pkrs'), offsetOf(s, 'exit_rcu'), offsetOf(s, 'lockdep')]).toEqual([0, 4, 8, 8]);
    expect(s.size).toBe(12);
    expect(d.spec.irqentryState?.passing).toBe('reference');
    expect(d.pkrsReach).toBe('only through a pointer passed down');
  });

  it('extended: pt_regs at offset 16 of a 184-byte extended_pt_regs', () => {
    const d = builtinDesign('extended');
    const x = designStruct(d, 'extended_pt_regs');
    expect(x.size).toBe(184);
    expect(offsetOf(x, 'regs')).toBe(16);
    expect(offsetOf(x, 'generic.exit_rcu')).toBe(0);
    expect(offsetOf(x, 'generic.lockdep')).toBe(1);
    expect(offsetOf(x, 'arch.pks')).toBe(8);
    expect(offsetOf(x, 'regs.r15')).toBe(16);
    expect(offsetOf(x, 'regs.ss')).toBe(16 + 160);
    expect(d.extension?.belowPtRegs).toBe(16);
    expect(d.irqentryState).toBeNull();
    expect(d.slots.exitRcu.root).toBe('extension');
    // container_of(regs) from a pt_regs pointer lands 16 bytes lower.
    expect(containerOf(x, 'regs', 0xffffc90000003f58n)).toBe(0xffffc90000003f48n);
  });

  it('aux: pt_regs at offset 8 of a 176-byte pt_regs_extended (PTREGS_AUX_SIZE 8)', () => {
    const d = builtinDesign('aux');
    const x = designStruct(d, 'pt_regs_extended');
    expect(x.size).toBe(176);
    expect(offsetOf(x, 'aux.pkrs')).toBe(0);
    expect(offsetOf(x, 'pt_regs')).toBe(8);
    expect(designStruct(d, 'pt_regs_auxiliary').size).toBe(4);
    expect(d.extension?.belowPtRegs).toBe(8);
    expect(d.irqentryState?.size).toBe(1);
  });

  it('pks-in-pt_regs: pt_regs grows to 176 bytes with r15 at 8', () => {
    const d = builtinDesign('pks-in-pt_regs');
    expect(d.ptRegs.size).toBe(176);
    expect(offsetOf(d.ptRegs, 'pkrs')).toBe(0);
    expect(offsetOf(d.ptRegs, 'r15')).toBe(8);
    expect(offsetOf(d.ptRegs, 'di')).toBe(120);
    // user_regs_struct is uapi and does not move: the mismatch the audit reports.
    expect(offsetOf(designStruct(d, 'user_regs_struct'), 'di')).toBe(112);
  });

  it('every built-in spec survives a JSON round trip through the validator', () => {
    for (const d of BUILTIN_DESIGNS) {
      const again = buildDesign(parseDesignSpec(JSON.parse(JSON.stringify(d.spec))));
      expect(again.ptRegs.size).toBe(d.ptRegs.size);
      expect(again.extension?.layout.flat).toEqual(d.extension?.layout.flat);
      expect(again.irqentryState?.flat).toEqual(d.irqentryState?.flat);
      expect(again.slots).toEqual(d.slots);
    }
  });

  it('a design-specific struct asked of another design names where it lives', () => {
    expect(() => designStruct(builtinDesign('upstream'), 'extended_pt_regs')).toThrow(/belongs to: extended/);
    expect(() => designStruct(builtinDesign('upstream'), 'nosuch')).toThrow(/unknown struct 'nosuch'/);
    expect(() => builtinDesign('nosuch')).toThrow(/valid: upstream, state-ref, extended, aux, pks-in-pt_regs/);
  });
});

describe('design spec validation', () => {
  const good = {
    name: 'mine',
    extension: {
      tag: 'my_ext',
      fields: [
        { name: 'pkrs', type: 'u32' },
        { name: 'regs', type: 'struct pt_regs' },
      ],
    },
    irqentryState: { fields: [{ kind: 'union', fields: [{ name: 'exit_rcu', type: 'bool' }, { name: 'lockdep', type: 'bool' }] }] },
    slots: { pkrs: 'extension.pkrs', exitRcu: 'irqentry_state.exit_rcu', lockdep: 'irqentry_state.lockdep' },
  };
  const tweak = (f: (s: Record<string, unknown>) => void): unknown => {
    const s = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
    f(s);
    return s;
  };
  const ext = (s: Record<string, unknown>) => s['extension'] as { fields: Record<string, unknown>[] };

  it('accepts a well-formed user design', () => {
    const d = buildDesign(parseDesignSpec(good));
    expect(d.extension?.belowPtRegs).toBe(8);
    expect(d.slots.pkrs?.offset).toBe(0);
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['not an object', [], '$', /expected an object/],
    ['an unknown key', tweak((s) => (s['colour'] = 1)), '$.colour', /unknown key/],
    ['a bad name', tweak((s) => (s['name'] = 'My Design')), '$.name', /lower-case/],
    ['an unknown type', tweak((s) => (ext(s).fields[0]!['type'] = 'u128')), '$.extension.fields[0].type', /unknown type "u128"/],
    ['pt_regs not last', tweak((s) => ext(s).fields.reverse()), '$.extension.fields', /must end with exactly one member of type "struct pt_regs"/],
    ['no pt_regs in the extension', tweak((s) => ext(s).fields.pop()), '$.extension.fields', /must end with/],
    ['a duplicate member', tweak((s) => (ext(s).fields[0]!['name'] = 'regs')), '$.extension.fields[1].name', /duplicate member "regs"/],
    ['a duplicate through an anonymous union', tweak((s) => ext(s).fields.unshift({ kind: 'union', fields: [{ name: 'regs', type: 'u8' }] })), '$.extension.fields[2].name', /duplicate member "regs"/],
    ['a slot in a missing root', tweak((s) => (s['extension'] = null)), '$.slots.pkrs', /has no extension/],
    ['a slot naming no member', tweak((s) => ((s['slots'] as Record<string, unknown>)['pkrs'] = 'extension.pks')), '$.slots.pkrs', /no member "pks"/],
    ['a PKRS slot too small', tweak((s) => (ext(s).fields[0]!['type'] = 'u8')), '$.slots.pkrs', /32-bit register/],
    ['over-aligned extension', tweak((s) => (ext(s).fields[0]!['aligned'] = 16)), '$.extension', /only 8-byte aligned/],
    ['a non-power-of-two alignment', tweak((s) => (ext(s).fields[0]!['aligned'] = 12)), '$.extension.fields[0].aligned', /power of two/],
    ['pt_regs in irqentry_state_t', tweak((s) => ((s['irqentryState'] as { fields: unknown[] }).fields.push({ name: 'r', type: 'struct pt_regs' }))), '$.irqentryState.fields[1].type', /only appear in "extension"/],
    ['a 4-byte pt_regs member', tweak((s) => (s['ptRegsLeading'] = [{ name: 'pkrs', type: 'u32' }])), '$.ptRegsLeading[0]', /8-byte scalars/],
    ['a tag that clashes with the ABI', tweak((s) => ((s['extension'] as Record<string, unknown>)['tag'] = 'siginfo')), '$.extension.tag', /already taken/],
    ['a bad passing mode', tweak((s) => ((s['irqentryState'] as Record<string, unknown>)['passing'] = 'pointer')), '$.irqentryState.passing', /"value" or "reference"/],
  ];
  it.each(bad)('rejects %s with its JSON path', (_what, json, path, message) => {
    let err: unknown;
    try {
      buildDesign(parseDesignSpec(json));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DesignSpecError);
    expect((err as DesignSpecError).path).toBe(path);
    expect((err as DesignSpecError).message).toMatch(message);
    expect((err as DesignSpecError).message).not.toContain('\n');
  });
});
