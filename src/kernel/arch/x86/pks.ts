/**
 * Protection Keys for Supervisor pages, as the V9 series has them
 * (reference §3): constants, per-CPU/per-thread PKRS, the pks_set_*() API,
 * design-aware save/restore on entry and exit, and the fault callbacks.
 * This barrel is the surface the entry code imports.
 *
 * @see V9 cover letter, Message-ID 20220310172019.850939-1-ira.weiny@intel.com
 */
export * from './pks-keys.js';
export * from './pks-core.js';
export * from './pks-regs.js';
export * from './pks-fault.js';
