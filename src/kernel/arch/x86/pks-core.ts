/**
 * PKS core of the V9 series (reference §3.2): the per-CPU PKRS cache, the
 * per-thread value, context switch and the pks_set_*() API.
 *
 * The kernel's globals (`current`, `this_cpu(pkrs_cache)`, the callback
 * table, init_mm) are fields of one `PksKernel` passed first to every
 * function, so several machines can coexist. Preemption is not modelled:
 * every function here runs as if under preempt_disable().
 *
 * @see V9 cover letter, Message-ID 20220310172019.850939-1-ira.weiny@intel.com;
 *      "x86/pkeys: Preserve the PKS MSR on context switch" (V9 series)
 */
import { CR4_PKS } from '../../../cpu/arch.js';
import type { CpuCore } from '../../../cpu/core.js';
import type { Mmu } from '../../../cpu/mmu.js';
import { MSR_IA32_PKRS, writeMsr } from '../../../cpu/msr.js';
import type { PhysMemory } from '../../../cpu/phys-memory.js';
import type { Design } from '../../../design/build.js';
import { InternalError } from '../../../lib/errors.js';
import type { ByteStore } from '../../../lib/bytes.js';
import {
  PKEY_DISABLE_ACCESS, PKEY_READ_WRITE, PKS_INIT_VALUE, PKS_NUM_KEYS, pkeyUpdatePkval, pksKeyValid, type PkeyProt,
} from './pks-keys.js';

/** The two privileged operations PKS needs from the CPU. */
export interface PksHardware {
  /** WRMSR: (index, bits 31:0, bits 63:32). */
  wrmsr(index: number, lo: number, hi: number): void;
  /** `cr4_set_bits()`. */
  cr4SetBits(mask: number): void;
}

/** The PKS part of `struct thread_struct` (V9: `u32 pkrs`). */
export interface PksThread {
  pkrs: number;
}

/** The running CPU's per-CPU PKS data. */
export interface PksPerCpu {
  /** `DEFINE_PER_CPU(u32, pkrs_cache)`: zero until pks_setup(). */
  pkrsCache: number;
  /** WRMSR(IA32_PKRS) executed on this CPU (the cost the cache saves). */
  msrWrites: number;
  readonly hw: PksHardware;
}

/**
 * Fault callback (V9 19/45 `pks_key_callback`): `regs` is the address of
 * the faulting context's struct pt_regs. Returns true when the fault is
 * handled and the access may be retried.
 */
export type PksFaultCallback = (pks: PksKernel, regs: number, address: number, write: boolean) => boolean;

/** init_mm's page tables: walked through physical memory, not through the MMU. */
export interface PksInitMm {
  readonly phys: PhysMemory;
  /** Physical address of the PML4 (`init_mm.pgd`). */
  readonly pgd: number;
}

/** Everything PKS code reads that the kernel keeps in globals. */
export interface PksKernel {
  /** Where this build saves the interrupted PKRS (`design.slots.pkrs`). */
  readonly design: Design;
  /** `cpu_feature_enabled(X86_FEATURE_PKS)`. */
  readonly featurePresent: boolean;
  /** This CPU's per-CPU area. */
  readonly cpu: PksPerCpu;
  /** `current->thread`; the scheduler replaces it on context switch. */
  current: PksThread;
  /** Kernel (supervisor, current-PKRS) view of guest memory: a fault there is real. */
  readonly memory: ByteStore;
  readonly initMm: PksInitMm;
  /** `pks_key_callbacks[PKS_KEY_MAX]`, indexed by key. */
  readonly callbacks: (PksFaultCallback | null)[];
}

export interface PksKernelOptions {
  readonly design: Design;
  readonly hw: PksHardware;
  readonly memory: ByteStore;
  readonly initMm: PksInitMm;
  /** Default true. */
  readonly featurePresent?: boolean;
  /** Default: a new thread (INIT_THREAD). */
  readonly current?: PksThread;
}

/** `INIT_THREAD` / a new task: `.pkrs = PKS_INIT_VALUE`. */
export function pksNewThread(): PksThread {
  return { pkrs: PKS_INIT_VALUE };
}

export function createPksKernel(o: PksKernelOptions): PksKernel {
  return {
    design: o.design,
    featurePresent: o.featurePresent ?? true,
    cpu: { pkrsCache: 0, msrWrites: 0, hw: o.hw },
    current: o.current ?? pksNewThread(),
    memory: o.memory,
    initMm: o.initMm,
    callbacks: new Array<PksFaultCallback | null>(PKS_NUM_KEYS).fill(null),
  };
}

/** PksHardware over a bare MMU (tests): WRMSR(IA32_PKRS) is `setPkrs`. */
export function mmuPksHardware(mmu: Mmu): PksHardware {
  return {
    wrmsr(index, lo, hi) {
      if (index !== MSR_IA32_PKRS || hi !== 0) {
        throw new InternalError(`mmuPksHardware only writes IA32_PKRS with bits 63:32 clear (got 0x${index.toString(16)})`);
      }
      mmu.setPkrs(lo);
    },
    cr4SetBits(mask) {
      mmu.setCr4(mmu.cr4 | mask);
    },
  };
}

/** PksHardware over a CPU core: WRMSR with its #GP rules (cpu/msr.ts). */
export function corePksHardware(core: CpuCore): PksHardware {
  return {
    wrmsr: (index, lo, hi) => writeMsr(core, index, lo, hi),
    cr4SetBits: (mask) => core.mmu.setCr4(core.mmu.cr4 | mask),
  };
}

function wrmsrPkrs(cpu: PksPerCpu, value: number): void {
  cpu.msrWrites++;
  cpu.hw.wrmsr(MSR_IA32_PKRS, value >>> 0, 0);
}

/**
 * `pks_write_pkrs()`: WRMSR only when `value` differs from this CPU's
 * `pkrs_cache`, which is updated first.
 * Context: preemption disabled; PKS enabled.
 */
export function pksWritePkrs(cpu: PksPerCpu, value: number): void {
  const v = value >>> 0;
  if (cpu.pkrsCache === v) return;
  cpu.pkrsCache = v;
  wrmsrPkrs(cpu, v);
}

/**
 * `pks_setup()`: one unconditional WRMSR of PKS_INIT_VALUE (the cache
 * starts at 0 and would skip a zero value), then pks_write_pkrs() to sync
 * the cache — which, the cache being 0, writes the MSR a second time — then
 * CR4.PKS. No-op without the feature.
 */
export function pksSetup(pks: PksKernel): void {
  if (!pks.featurePresent) return;
  wrmsrPkrs(pks.cpu, PKS_INIT_VALUE);
  pksWritePkrs(pks.cpu, PKS_INIT_VALUE); // cache 0 -> PKS_INIT_VALUE: a second WRMSR, as in V9
  pks.cpu.hw.cr4SetBits(CR4_PKS);
}

/**
 * `x86_pkrs_load(next)`: called by `__switch_to()` right after
 * `x86_pkru_load`; loads the incoming thread's value.
 */
export function x86PkrsLoad(pks: PksKernel, next: PksThread): void {
  if (!pks.featurePresent) return;
  pksWritePkrs(pks.cpu, next.pkrs);
}

/**
 * `__pks_update_protection()`: new value from `current->thread.pkrs`,
 * written to the MSR and stored back in the thread. Note (V9 as posted):
 * inside an exception `thread.pkrs` still holds the interrupted value, so
 * the result builds on it, not on PKS_INIT_VALUE.
 */
export function pksUpdateCurrent(pks: PksKernel, pkey: number, prot: PkeyProt): void {
  const v = pkeyUpdatePkval(pks.current.pkrs, pkey, prot);
  pksWritePkrs(pks.cpu, v);
  pks.current.pkrs = v;
}

/**
 * `pks_update_protection(pkey, prot)`: changes the current context only.
 * Returns false (the kernel WARNs) for an invalid key; no-op without PKS.
 */
export function pksUpdateProtection(pks: PksKernel, pkey: number, prot: PkeyProt): boolean {
  if (!pks.featurePresent) return false;
  if (!pksKeyValid(pkey)) return false;
  pksUpdateCurrent(pks, pkey, prot);
  return true;
}

/** `pks_set_readwrite(pkey)`. */
export function pksSetReadwrite(pks: PksKernel, pkey: number): boolean {
  return pksUpdateProtection(pks, pkey, PKEY_READ_WRITE);
}

/** `pks_set_noaccess(pkey)`. */
export function pksSetNoaccess(pks: PksKernel, pkey: number): boolean {
  return pksUpdateProtection(pks, pkey, PKEY_DISABLE_ACCESS);
}
