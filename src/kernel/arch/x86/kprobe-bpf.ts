/**
 * A BPF program attached to a kprobe: the pre-handler the trace_kprobe
 * dispatcher installs (kprobe_dispatcher → kprobe_perf_func →
 * trace_call_bpf → bpf_prog_run_array with ctx = regs). The context is the
 * struct pt_regs the #BP entry built, in the running design's layout: its
 * bytes read with supervisor rights, its guest address as the ctx pointer
 * (so bpf_probe_read_kernel on ctx-relative pointers reads the same bytes).
 * @kernel kernel/trace/trace_kprobe.c kprobe_perf_func
 * @kernel kernel/trace/bpf_trace.c trace_call_bpf
 */
import { runProgram, type BpfProgram, type RunResult } from '../../../bpf/index.js';
import { PageFault } from '../../../cpu/faults.js';
import { MODE_SUPERVISOR } from '../../../cpu/mmu.js';
import type { Kprobe, KprobeHost, KprobePreHandler } from './kprobes.js';
import type { PtRegs } from './regs.js';

/** One run of the attached program. */
export interface KprobeBpfRun {
  readonly probe: Kprobe;
  /** The pt_regs address the program got as ctx. */
  readonly ctxAddress: number;
  /** The ctx bytes it read (the design's sizeof(struct pt_regs)). */
  readonly ctx: Uint8Array;
  readonly result: RunResult;
}

export interface KprobeBpfOptions {
  /** Called after each run (tests read the maps here). */
  readonly onRun?: (run: KprobeBpfRun) => void;
  /** bpf_ktime_get_ns (default: retired instructions). */
  readonly ktimeGetNs?: () => bigint;
  /** bpf_trace_printk's trace_pipe. */
  readonly tracePrintk?: (line: string) => void;
}

/** copy_from_kernel_nofault: supervisor reads, null when any byte faults. */
function readKernel(host: KprobeHost, address: bigint, size: number): Uint8Array | null {
  const mmu = host.platform.mmu;
  const base = Number(BigInt.asIntN(64, address));
  const out = new Uint8Array(size);
  try {
    for (let i = 0; i < size; i++) out[i] = mmu.read8(base + i, MODE_SUPERVISOR);
  } catch (e) {
    if (e instanceof PageFault) return null;
    throw e;
  }
  return out;
}

/**
 * The pre-handler running `prog` on each hit. As kprobe_perf_func does, it
 * asks to skip the single-step only when the program moved regs->ip
 * (bpf_override_return; the model's kprobe programs cannot write ctx).
 */
export function bpfKprobeHandler(host: KprobeHost, prog: BpfProgram, opts: KprobeBpfOptions = {}): KprobePreHandler {
  const rt = host.platform.native;
  const size = host.c.design.ptRegs.size;
  return (probe: Kprobe, regs: PtRegs): boolean => {
    const origIp = regs.get('ip');
    const ctx = new Uint8Array(size);
    for (let i = 0; i < size; i++) ctx[i] = rt.read8(regs.address + i);
    const ctxAddress = BigInt.asUintN(64, BigInt(regs.address));
    const result = runProgram(prog, {
      ctx,
      ctxAddress,
      env: {
        readKernel: (address, n) => readKernel(host, address, n),
        ktimeGetNs: opts.ktimeGetNs ?? (() => BigInt(host.platform.cpu.instructions)),
        currentPidTgid: () => {
          const t = host.c.currentTask();
          return (BigInt(t.pid) << 32n) | BigInt(t.pid);
        },
        ...(opts.tracePrintk ? { tracePrintk: opts.tracePrintk } : {}),
      },
    });
    opts.onRun?.({ probe, ctxAddress: regs.address, ctx, result });
    return regs.get('ip') !== origIp;
  };
}
