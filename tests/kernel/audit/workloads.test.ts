/**
 * The audit's workloads produce the values its comparisons are about, so a
 * "same" row compares real data, not two empty buffers: the signal frame
 * holds the registers the program loaded, sigreturn brings back the
 * handler's uc_mcontext edit, the core's NT_PRSTATUS holds the registers
 * at the fault, perf samples the loop's registers, both BPF programs read
 * the syscall's arguments. And runAudit's verdicts per design.
 */
import { describe, expect, it } from 'vitest';
import { field } from '../../../src/abi/view.js';
import { builtinDesign } from '../../../src/design/registry.js';
import { FRAME } from '../../../src/kernel/arch/x86/signal-frame.js';
import { runAudit } from '../../../src/kernel/audit/audit.js';
import { runBpfWorkload } from '../../../src/kernel/audit/bpf.js';
import { runPerfWorkload } from '../../../src/kernel/audit/perf.js';
import { EDITED_RBX, LOADED, STORED, USER_REGS_NAMES, runProcessWorkload } from '../../../src/kernel/audit/signal-core.js';
import { TEXT_VADDR } from '../../../src/kernel/audit/tiny-elf.js';
import { runUnwindWorkload } from '../../../src/kernel/audit/unwind.js';
import { CHILD_LOADED, POKE_R12, SET_RBX, runPtraceWorkload } from '../../../src/kernel/audit/ptrace.js';

const upstream = builtinDesign('upstream');

function u64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

describe('the process workload (tiny ELF: sigaction, kill, handler, sigreturn, SIGSEGV core)', () => {
  const run = runProcessWorkload(upstream);

  it('ends in a core-dumping SIGSEGV', () => {
    expect(run.ending).toBe('killed by signal 11, core dumped');
  });

  it('the frame holds the loaded registers in uc_mcontext, by name', () => {
    expect(run.frame.length).toBe(FRAME.size);
    for (const [reg, v] of Object.entries(LOADED)) {
      const name = reg.replace(/^r(?=[a-z])/, '');
      expect(u64(run.frame, field(FRAME, `uc.uc_mcontext.${name}`).offset), reg).toBe(v);
    }
    expect(run.fpstate.length).toBeGreaterThan(512);
  });

  it('sigreturn brings back the handler\'s edit of uc_mcontext.bx and every loaded register', () => {
    const after = Object.fromEntries(STORED.map((r, i) => [r, run.afterSigreturn[i]]));
    expect(after['rbx']).toBe(EDITED_RBX);
    for (const [reg, v] of Object.entries(LOADED)) if (reg !== 'rbx') expect(after[reg], reg).toBe(v);
    expect(after['rax']).toBe(0n); // kill()'s result
  });

  it('NT_PRSTATUS holds the registers at the fault (after sigreturn), ip in the program text', () => {
    const pr = Object.fromEntries(USER_REGS_NAMES.map((n, i) => [n, run.prReg[i]]));
    expect(pr['bx']).toBe(EDITED_RBX);
    expect(pr['r15']).toBe(LOADED.r15);
    expect(pr['orig_ax']).toBe(0xffff_ffff_ffff_ffffn);
    expect(pr['ip']! > BigInt(TEXT_VADDR) && pr['ip']! < BigInt(TEXT_VADDR + 0x1000)).toBe(true);
    expect(pr['cs']).toBe(0x33n);
    expect(pr['ss']).toBe(0x2bn);
  });
});

describe('the perf and BPF workloads', () => {
  it('perf samples the loop\'s registers, one distinct sample under upstream', () => {
    const r = runPerfWorkload(upstream, 'upstream');
    expect(r.samples).toBeGreaterThan(20);
    expect(r.distinct).toHaveLength(1);
    expect(r.distinct[0]!['R15']).toBe(0x5eed_0000_0f0f_0f0fn);
    expect(r.distinct[0]!['CS']).toBe(0x33n);
    expect(r.warnings).toEqual([]);
  });

  it('both BPF programs read di si dx cx r8 at the kprobe under upstream (cx: the user RIP after SYSCALL)', () => {
    const r = runBpfWorkload(upstream);
    expect(r.hits).toBe(2);
    expect(r.params.fixed).toEqual(r.params.relocated);
    expect(r.params.fixed!.slice(0, 3)).toEqual([0x1111_0001n, 0x2222_0002n, 0x3333_0003n]);
    expect(r.params.fixed![4]).toBe(0x5555_0005n);
  });
});

describe('the unwinder workload', () => {
  it('reports the syscall\'s user-mode pt_regs: getpid, CPL 3, the loaded bp, orig_ax 39', () => {
    const r = runUnwindWorkload(upstream);
    expect(r).toHaveLength(1);
    expect(r![0]).toMatchObject({ entry: 'syscall getpid (39)', cpl: '3', cs: '0x33', ss: '0x2b', bp: '0x7b9b0000b9b0', orig_ax: '0x27' });
    expect(r![0]!['ip']).toMatch(/^user 0x[0-9a-f]+$/);
  });
});

describe('the ptrace workload (a tracer and its SIGSTOPped child)', () => {
  const word = (regs: readonly bigint[], name: string): bigint => regs[USER_REGS_NAMES.indexOf(name)]!;
  /** user_regs_struct's names for the registers the child loaded (rbx → bx, rbp → bp). */
  const uname = (r: string): string => (r === 'rbx' ? 'bx' : r === 'rbp' ? 'bp' : r);

  it('upstream: the stop is WIFSTOPPED(SIGSTOP), GETREGS shows the child\'s registers in the kill call, both edits arrive', () => {
    const r = runPtraceWorkload(upstream);
    expect(r.finished).toBe(true);
    expect(r.stopStatus).toBe(0x137f); // (SIGSTOP << 8) | 0x7f
    expect(r.rc).toEqual({ getregs: 0n, peekuser: 0n, setregs: 0n, pokeuser: 0n });
    for (const [reg, v] of Object.entries(CHILD_LOADED)) expect(word(r.regs, uname(reg)), reg).toBe(v);
    expect(word(r.regs, 'orig_ax')).toBe(62n); // kill
    expect(word(r.regs, 'cs')).toBe(0x33n);
    expect(r.peekIp).toBe(word(r.regs, 'ip'));
    expect(word(r.regsAfter, 'bx')).toBe(SET_RBX);
    expect(word(r.regsAfter, 'r12')).toBe(POKE_R12);
    expect(r.exitStatus).toBe(3 << 8); // exit code 3: both edits reached the child
  });
});

describe('runAudit', () => {
  it.each(['upstream', 'state-ref', 'extended', 'aux'])('%s: nothing differs', (name) => {
    const r = runAudit(builtinDesign(name));
    expect(r.differs).toBe(false);
    expect(r.rows.filter((x) => x.status !== 'same').map((x) => x.id)).toEqual([]);
  });

  it('pks-in-pt_regs: the offset-based consumers differ, the named-field and relocated ones do not', () => {
    const r = runAudit(builtinDesign('pks-in-pt_regs'));
    expect(r.differs).toBe(true);
    expect(r.rows.filter((x) => x.status === 'differs').map((x) => x.id)).toEqual(['regset-core', 'ptrace', 'perf-fixed', 'bpf-fixed']);
    const regset = r.rows.find((x) => x.id === 'regset-core')!;
    expect(regset.differences[0]).toBe(`r15 reads pkrs 0x55555554 (upstream 0x${LOADED.r15.toString(16)})`);
  });
});
