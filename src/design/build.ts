/**
 * Turns a DesignSpec into what the rest of kentry uses: the design's struct
 * pt_regs, its extension and irqentry_state_t layouts, the resolved state
 * slots, and how many bytes the entry stubs reserve below pt_regs (the
 * V9 `PTREGS_AUX_SIZE`, derived here as asm-offsets derives it).
 */
import { array, struct, union, type Member, type RecordType } from '../abi/ctype.js';
import { layoutOf, resolvePath, type RecordLayout } from '../abi/layout.js';
import { ABI_STRUCTS, PT_REGS_MEMBERS, ptRegs as upstreamPtRegs } from '../abi/structs/index.js';
import { UsageError } from '../lib/errors.js';
import type { DesignSpec, FieldSpec, SlotRoot } from './spec.js';
import { SLOT_ROOTS } from './spec.js';
import { PT_REGS_TYPE, scalarType } from './types.js';
import { DesignSpecError } from './validate.js';

/** A state slot resolved against the design's layouts. */
export interface StateSlot {
  readonly ref: string;
  readonly root: SlotRoot;
  /** Member path inside the root struct. */
  readonly path: string;
  /** Offset inside the root struct. */
  readonly offset: number;
  readonly size: number;
}

/**
 * How an exception handler deeper on the stack (#PF) or an unwinder reaches
 * the PKRS saved for an interrupted context (DESIGN.md §2 table).
 */
export type PkrsReach =
  | 'not saved'
  | 'direct (a pt_regs member)'
  | 'container_of(regs)'
  | 'only through a pointer passed down';

export interface DesignExtension {
  readonly layout: RecordLayout;
  /** The member holding struct pt_regs (`regs`, `pt_regs`). */
  readonly regsMember: string;
  /** Bytes the entry stubs reserve below pt_regs (`subq $N, %rsp`). */
  readonly belowPtRegs: number;
}

export interface Design {
  readonly spec: DesignSpec;
  readonly name: string;
  readonly ptRegs: RecordLayout;
  readonly extension: DesignExtension | null;
  readonly irqentryState: RecordLayout | null;
  readonly slots: {
    readonly pkrs: StateSlot | null;
    readonly exitRcu: StateSlot;
    readonly lockdep: StateSlot;
  };
  readonly pkrsReach: PkrsReach;
  /** Every named struct of this design, ABI structs included, by name. */
  readonly structs: ReadonlyMap<string, RecordLayout>;
}

export const IRQENTRY_STATE_NAME = 'irqentry_state_t';

/**
 * Below pt_regs the entry stack is only 8-byte aligned: the CPU aligns the
 * hardware frame to 16 and pt_regs is 168 bytes (reference §1.4), so an
 * extension may not ask for more.
 */
const ENTRY_STACK_ALIGN = 8;

/** Names a member makes visible in its record (an anonymous record's members join it). */
function visibleNames(f: FieldSpec): string[] {
  if (f.name !== undefined) return [f.name];
  return 'fields' in f ? f.fields.flatMap(visibleNames) : [];
}

class Compiler {
  readonly tagged = new Map<string, RecordType>();
  ptRegsUses = 0;

  /** `ptRegs`: what `struct pt_regs` means here; null where it is not allowed. */
  constructor(private readonly ptRegs: RecordType | null) {}

  members(fields: readonly FieldSpec[], path: string, ptRegsAllowed = false): Member[] {
    const seen = new Set<string>();
    return fields.map((f, i) => {
      const at = `${path}[${i}]`;
      for (const name of visibleNames(f)) {
        if (seen.has(name)) throw new DesignSpecError(f.name === undefined ? at : `${at}.name`, `duplicate member "${name}"`);
        seen.add(name);
      }
      return this.member(f, at, ptRegsAllowed);
    });
  }

  private member(f: FieldSpec, path: string, ptRegsAllowed: boolean): Member {
    const aligned = f.aligned ?? null;
    if ('fields' in f) {
      const members = this.members(f.fields, `${path}.fields`, ptRegsAllowed);
      const make = f.kind === 'union' ? union : struct;
      const rec = make(f.tag ?? null, members);
      if (f.tag !== undefined) this.register(f.tag, rec, `${path}.tag`);
      return { name: f.name ?? null, type: rec, aligned };
    }
    if (f.type === PT_REGS_TYPE) {
      if (!this.ptRegs || !ptRegsAllowed) throw new DesignSpecError(`${path}.type`, 'struct pt_regs may only appear in "extension"');
      this.ptRegsUses++;
      return { name: f.name, type: this.ptRegs, aligned };
    }
    const scalar = scalarType(f.type);
    if (!scalar) throw new DesignSpecError(`${path}.type`, `unknown type "${f.type}"`);
    return { name: f.name, type: f.count === undefined ? scalar : array(scalar, f.count), aligned };
  }

  register(tag: string, rec: RecordType, path: string): void {
    const clash = this.tagged.has(tag) || ABI_STRUCTS.some((s) => s.name === tag) || tag === IRQENTRY_STATE_NAME;
    if (clash) throw new DesignSpecError(path, `struct tag "${tag}" is already taken`);
    this.tagged.set(tag, rec);
  }
}

function buildPtRegs(spec: DesignSpec): RecordType {
  if (spec.ptRegsLeading.length === 0) return upstreamPtRegs;
  const c = new Compiler(null);
  const leading = c.members(spec.ptRegsLeading, '$.ptRegsLeading');
  leading.forEach((m, i) => {
    // The entry stub pushes these like registers: one 8-byte slot each.
    const t = m.type;
    if (t.kind !== 'scalar' || t.size !== 8) {
      throw new DesignSpecError(`$.ptRegsLeading[${i}]`, 'members added to pt_regs must be 8-byte scalars (the stub pushes them)');
    }
    if (PT_REGS_MEMBERS.some((p) => p.name === m.name)) {
      throw new DesignSpecError(`$.ptRegsLeading[${i}].name`, `"${m.name}" is already a pt_regs member`);
    }
  });
  return struct('pt_regs', [...leading, ...PT_REGS_MEMBERS]);
}

function buildExtension(spec: DesignSpec, ptRegs: RecordType, c: Compiler): DesignExtension | null {
  if (!spec.extension) return null;
  const { tag, fields } = spec.extension;
  const members = c.members(fields, '$.extension.fields', true);
  const last = members[members.length - 1];
  if (c.ptRegsUses !== 1 || !last || last.type !== ptRegs || last.name === null) {
    throw new DesignSpecError(
      '$.extension.fields',
      'must end with exactly one member of type "struct pt_regs" (the extension lies below pt_regs, reached by container_of)',
    );
  }
  const rec = struct(tag, members);
  c.register(tag, rec, '$.extension.tag');
  const layout = layoutOf(rec);
  if (layout.align > ENTRY_STACK_ALIGN) {
    throw new DesignSpecError('$.extension', `needs ${layout.align}-byte alignment; the entry stack below pt_regs is only ${ENTRY_STACK_ALIGN}-byte aligned`);
  }
  const belowPtRegs = resolvePath(layout, last.name).offset;
  return { layout, regsMember: last.name, belowPtRegs };
}

function resolveSlot(
  ref: string,
  jsonPath: string,
  roots: Record<SlotRoot, RecordLayout | null>,
  check: (size: number, typeName: string) => string | null,
): StateSlot {
  const dot = ref.indexOf('.');
  const root = ref.slice(0, dot) as SlotRoot;
  const path = ref.slice(dot + 1);
  if (!SLOT_ROOTS.includes(root)) {
    throw new DesignSpecError(jsonPath, `unknown root "${root}" (valid: ${SLOT_ROOTS.join(', ')})`);
  }
  const layout = roots[root];
  if (!layout) throw new DesignSpecError(jsonPath, `the design has no ${root === 'extension' ? 'extension' : 'irqentryState'}`);
  let f;
  try {
    f = resolvePath(layout, path);
  } catch (e) {
    if (e instanceof UsageError) throw new DesignSpecError(jsonPath, `${layout.name} has no member "${path}"`);
    throw e;
  }
  const typeName = f.type.kind === 'scalar' ? f.type.name : f.type.kind;
  const problem = f.type.kind === 'scalar' ? check(f.size, typeName) : `"${path}" is a ${typeName}, not a scalar`;
  if (problem) throw new DesignSpecError(jsonPath, problem);
  return { ref, root, path, offset: f.offset, size: f.size };
}

const PKRS_REACH: Record<SlotRoot, PkrsReach> = {
  pt_regs: 'direct (a pt_regs member)',
  extension: 'container_of(regs)',
  irqentry_state: 'only through a pointer passed down',
};

/** Builds and checks a design; throws DesignSpecError naming the JSON path. */
export function buildDesign(spec: DesignSpec): Design {
  const ptRegsType = buildPtRegs(spec);
  const ptRegs = layoutOf(ptRegsType);
  const c = new Compiler(ptRegsType);
  const extension = buildExtension(spec, ptRegsType, c);

  let irqentryState: RecordLayout | null = null;
  if (spec.irqentryState) {
    const members = c.members(spec.irqentryState.fields, '$.irqentryState.fields');
    irqentryState = layoutOf(struct(IRQENTRY_STATE_NAME, members));
  }

  const roots: Record<SlotRoot, RecordLayout | null> = {
    pt_regs: ptRegs,
    extension: extension?.layout ?? null,
    irqentry_state: irqentryState,
  };
  const isFlag = (size: number) => (size === 1 ? null : 'exit_rcu/lockdep slots must be 1-byte bools');
  const pkrs =
    spec.slots.pkrs === null
      ? null
      : resolveSlot(spec.slots.pkrs, '$.slots.pkrs', roots, (size) =>
          size === 4 || size === 8 ? null : 'PKRS is a 32-bit register: its slot must be 4 or 8 bytes',
        );
  if (pkrs?.root === 'pt_regs' && PT_REGS_MEMBERS.some((m) => m.name === pkrs.path)) {
    throw new DesignSpecError('$.slots.pkrs', `pt_regs.${pkrs.path} holds a register, not PKRS`);
  }
  if (pkrs?.root === 'extension' && extension && pkrs.offset >= extension.belowPtRegs) {
    throw new DesignSpecError('$.slots.pkrs', 'the PKRS slot must lie in the extension, below pt_regs');
  }
  const exitRcu = resolveSlot(spec.slots.exitRcu, '$.slots.exitRcu', roots, isFlag);
  const lockdep = resolveSlot(spec.slots.lockdep, '$.slots.lockdep', roots, isFlag);

  const structs = new Map<string, RecordLayout>();
  structs.set('pt_regs', ptRegs);
  for (const s of ABI_STRUCTS) if (s.name !== 'pt_regs' && s.name) structs.set(s.name, layoutOf(s));
  if (irqentryState) structs.set(IRQENTRY_STATE_NAME, irqentryState);
  for (const [tag, rec] of c.tagged) structs.set(tag, layoutOf(rec));

  return {
    spec,
    name: spec.name,
    ptRegs,
    extension,
    irqentryState,
    slots: { pkrs, exitRcu, lockdep },
    pkrsReach: pkrs ? PKRS_REACH[pkrs.root] : 'not saved',
    structs,
  };
}
