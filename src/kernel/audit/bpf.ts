/**
 * BPF kprobe programs (issue 6 item 4): both reference programs of
 * src/bpf/programs/kprobe-params.ts on one kprobe at
 * entry_SYSCALL_64_after_hwframe, ctx = the #BP entry's pt_regs. The user
 * program loads known argument registers and makes one system call
 * (getpid), then exit_group. `fixed` reads PT_REGS_PARM1..5 at the
 * offsets compiled against upstream struct pt_regs; `relocated` has them
 * patched at load time from the running kernel's layout (CO-RE).
 */
import {
  PARAMS_MAP_DEF, PARM_FIELDS, UPSTREAM_PARM_OFFSETS, createMapTable, fixedParamsProgram, loadProgram, relocatedParamsProgram,
} from '../../bpf/index.js';
import type { Design } from '../../design/build.js';
import { bpfKprobeHandler } from '../arch/x86/kprobe-bpf.js';
import { registerKprobe } from '../arch/x86/kprobes.js';
import { bootKernel } from '../boot.js';

export { PARM_FIELDS, UPSTREAM_PARM_OFFSETS };

const ARGS = { rdi: 0x1111_0001n, rsi: 0x2222_0002n, rdx: 0x3333_0003n, r10: 0x4444_0004n, r8: 0x5555_0005n, r9: 0x6666_0006n };
const USER = `
${Object.entries(ARGS).map(([r, v]) => `  movabs $0x${v.toString(16)}, %${r}`).join('\n')}
  mov $39, %eax
  syscall
  mov $0, %edi
  mov $231, %eax
  syscall
`;

export type BpfKind = 'fixed' | 'relocated';

export interface BpfRun {
  /** PT_REGS_PARM1..5 as each program stored them at the first hit (the getpid call); null: never hit. */
  readonly params: Readonly<Record<BpfKind, readonly bigint[] | null>>;
  readonly hits: number;
}

function u64(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}

export function runBpfWorkload(design: Design): BpfRun {
  const k = bootKernel(design);
  k.startUser(USER, 'kprobe-user');
  const maps = createMapTable();
  const params: Record<BpfKind, bigint[] | null> = { fixed: null, relocated: null };
  const handlers = (['fixed', 'relocated'] as const).map((kind) => {
    const fd = maps.create(PARAMS_MAP_DEF, `params_${kind}`);
    const src = kind === 'fixed' ? fixedParamsProgram(fd) : relocatedParamsProgram(fd);
    const prog = loadProgram(src.insns, { maps, ctxLayout: design.ptRegs, ctxRelocs: src.relocs, name: kind });
    return bpfKprobeHandler(k, prog, {
      onRun: () => {
        if (params[kind] !== null) return;
        const map = maps.get(fd);
        params[kind] = [0, 1, 2, 3, 4].map((i) => {
          const key = new Uint8Array(4);
          key[0] = i;
          const r = map?.lookup(key);
          return r ? u64(r.bytes) : -1n;
        });
      },
    });
  });
  // Both programs on one probe: the perf event's bpf_prog_array, run in order.
  const probe = registerKprobe(k, 'entry_SYSCALL_64_after_hwframe', (p, regs) => handlers.map((h) => h(p, regs)).some(Boolean));
  k.run(20_000);
  return { params, hits: probe.nhit };
}
