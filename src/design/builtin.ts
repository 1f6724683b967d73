/**
 * The five built-in designs of DESIGN.md §2, as data. Struct shapes follow
 * the mails and patches cited in each `sources` list (reference §2.1, §3.3–3.4).
 */
import type { DesignSpec, FieldSpec } from './spec.js';

/** include/linux/irq-entry-common.h: `union { bool exit_rcu; bool lockdep; }`. */
const EXIT_RCU_OR_LOCKDEP: FieldSpec = {
  kind: 'union',
  fields: [
    { name: 'exit_rcu', type: 'bool' },
    { name: 'lockdep', type: 'bool' },
  ],
};

const BY_VALUE_STATE = { fields: [EXIT_RCU_OR_LOCKDEP], passing: 'value' } as const;

const BY_VALUE_SLOTS = {
  exitRcu: 'irqentry_state.exit_rcu',
  lockdep: 'irqentry_state.lockdep',
} as const;

export const UPSTREAM: DesignSpec = {
  name: 'upstream',
  title: 'mainline entry code; PKS hardware on, entry code unaware of it',
  summary:
    'No PKRS save/restore: an interrupt handler inherits the interrupted context\'s key rights, ' +
    'and a handler\'s changes leak back into it — the hazard the PKS series fixes.',
  sources: ['kernel/entry/common.c', 'include/linux/irq-entry-common.h'],
  ptRegsLeading: [],
  extension: null,
  irqentryState: BY_VALUE_STATE,
  slots: { pkrs: null, ...BY_VALUE_SLOTS },
};

export const STATE_REF: DesignSpec = {
  name: 'state-ref',
  title: 'PKS V3 (Nov 2020): PKRS in irqentry_state_t, passed by reference',
  summary:
    'irqentry_enter(regs, &state) saves PKRS into the handler\'s C frame; #PF can reach it only if ' +
    'the pointer is passed down, and outer frames only by knowing the compiler\'s frame layout.',
  sources: [
    '20201106232908.364581-6-ira.weiny@intel.com',
    '20201106232908.364581-7-ira.weiny@intel.com',
  ],
  ptRegsLeading: [],
  extension: null,
  irqentryState: {
    fields: [
      { name: 'pkrs', type: 'u32' },
      { name: 'thread_pkrs', type: 'u32' },
      EXIT_RCU_OR_LOCKDEP,
    ],
    passing: 'reference',
  },
  slots: { pkrs: 'irqentry_state.pkrs', ...BY_VALUE_SLOTS },
};

export const EXTENDED: DesignSpec = {
  name: 'extended',
  title: 'extended pt_regs (Lutomirski, 11 Dec 2020): generic and arch state below pt_regs',
  summary:
    'extended_pt_regs = { generic rcu/lockdep flags; arch pks; struct pt_regs regs }; generic entry ' +
    'code takes only pt_regs * and reaches the rest with container_of.',
  sources: ['CALCETrUHwZPic89oExMMe-WyDY8-O3W68NcZvse3=PGW+iW5=w@mail.gmail.com'],
  ptRegsLeading: [],
  extension: {
    tag: 'extended_pt_regs',
    fields: [
      {
        name: 'generic',
        tag: 'generic_extended_pt_regs',
        fields: [
          { name: 'exit_rcu', type: 'bool' },
          { name: 'lockdep', type: 'bool' },
        ],
      },
      { name: 'arch', tag: 'arch_extended_pt_regs', fields: [{ name: 'pks', type: 'unsigned long' }] },
      { name: 'regs', type: 'struct pt_regs' },
    ],
  },
  irqentryState: null,
  slots: {
    pkrs: 'extension.arch.pks',
    exitRcu: 'extension.generic.exit_rcu',
    lockdep: 'extension.generic.lockdep',
  },
};

export const AUX: DesignSpec = {
  name: 'aux',
  title: 'auxiliary pt_regs (Gleixner, 17 Dec 2020; PKS V9, Mar 2022): PKRS only below pt_regs',
  summary:
    'pt_regs_extended = { pt_regs_auxiliary { u32 pkrs }; struct pt_regs pt_regs __aligned(8) }; ' +
    'generic state stays in irqentry_state_t by value; arch hooks save/restore the aux area.',
  sources: [
    '878s9wshsa.fsf@nanos.tec.linutronix.de',
    '20220310172019.850939-24-ira.weiny@intel.com',
    '20220310172019.850939-28-ira.weiny@intel.com',
  ],
  ptRegsLeading: [],
  extension: {
    tag: 'pt_regs_extended',
    fields: [
      { name: 'aux', tag: 'pt_regs_auxiliary', fields: [{ name: 'pkrs', type: 'u32' }] },
      { name: 'pt_regs', type: 'struct pt_regs', aligned: 8 },
    ],
  },
  irqentryState: BY_VALUE_STATE,
  slots: { pkrs: 'extension.aux.pkrs', ...BY_VALUE_SLOTS },
};

export const PKS_IN_PT_REGS: DesignSpec = {
  name: 'pks-in-pt_regs',
  title: 'negative control: PKRS as a new first member of struct pt_regs',
  summary:
    'Direct access everywhere, but every consumer that treats pt_regs offsets as ABI ' +
    '(ptrace getreg/putreg, BPF kprobe programs, perf) sees shifted registers.',
  sources: ['CALCETrVe1i5JdyzD_BcctxQJn+ZE3T38EFPgjxN1F577M36g+w@mail.gmail.com'],
  ptRegsLeading: [{ name: 'pkrs', type: 'u64' }],
  extension: null,
  irqentryState: BY_VALUE_STATE,
  slots: { pkrs: 'pt_regs.pkrs', ...BY_VALUE_SLOTS },
};

export const BUILTIN_DESIGN_SPECS: readonly DesignSpec[] = [UPSTREAM, STATE_REF, EXTENDED, AUX, PKS_IN_PT_REGS];
