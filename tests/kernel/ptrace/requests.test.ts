/**
 * The rest of the data requests against kernel/ptrace.c's rules:
 * PEEK/POKE of tracee memory, GETREGSET/SETREGSET's iovec handling
 * (ptrace_regset), GETSIGINFO/SETSIGINFO, GETSIGMASK/SETSIGMASK, and
 * PTRACE_ARCH_PRCTL (do_arch_prctl_64); null for requests that are not
 * data requests.
 */
import { describe, expect, it } from 'vitest';
import { E2BIG, EFAULT, EINVAL, EIO, ENODEV, ENXIO, EOPNOTSUPP, EPERM } from '../../../src/abi/errno.js';
import { layoutOf, offsetOf } from '../../../src/abi/layout.js';
import * as P from '../../../src/abi/ptrace.js';
import { NT_386_IOPERM, NT_PRFPREG, NT_PRSTATUS, NT_X86_SHSTK } from '../../../src/abi/structs/elfcore.js';
import { userRegsStruct } from '../../../src/abi/structs/user-regs.js';
import { TASK_SIZE_MAX, USER32_CS, USER_STACK_TOP, USER_TEXT } from '../../../src/kernel/arch/x86/memory-map.js';
import { NotModelledError } from '../../../src/lib/errors.js';
import { TRACER_BASE, stopped, type Stopped } from './harness.js';

const OUT = TRACER_BASE + 0x100;
const IOV = TRACER_BASE + 0x200;
const BUF = TRACER_BASE + 0x1000;
const UREGS = layoutOf(userRegsStruct);

function iov(s: Stopped, base: number, len: bigint): void {
  s.tracer.putU64(IOV, BigInt(base));
  s.tracer.putU64(IOV + 8, len);
}

describe('PEEKTEXT/PEEKDATA, POKETEXT/POKEDATA', () => {
  it('read the word at addr into *data (the tracee\'s `jmp .` is EB FE); write `data` as a word', () => {
    const s = stopped('upstream');
    expect(s.ptrace(P.PTRACE_PEEKTEXT, USER_TEXT, OUT)).toBe(0n);
    expect(s.tracer.u64(OUT) & 0xffffn).toBe(0xfeebn);
    // (FOLL_FORCE writes to read-only text are the tracee's writeMemory's business; the stack is writable anyway.)
    const slot = USER_STACK_TOP - 0x100;
    expect(s.ptrace(P.PTRACE_POKEDATA, slot, 0x1122_3344_5566_7788n)).toBe(0n);
    expect(s.ptrace(P.PTRACE_PEEKDATA, slot, OUT)).toBe(0n);
    expect(s.tracer.u64(OUT)).toBe(0x1122_3344_5566_7788n);
  });

  it('-EIO when the tracee\'s word cannot be read or written whole; -EFAULT when *data cannot be', () => {
    const s = stopped('upstream');
    expect(s.ptrace(P.PTRACE_PEEKDATA, 0x10, OUT)).toBe(BigInt(-EIO));
    expect(s.ptrace(P.PTRACE_PEEKDATA, -8n, OUT)).toBe(BigInt(-EIO));
    expect(s.ptrace(P.PTRACE_POKETEXT, 0x10, 0n)).toBe(BigInt(-EIO));
    expect(s.ptrace(P.PTRACE_PEEKTEXT, USER_TEXT, 0)).toBe(BigInt(-EFAULT));
  });
});

describe('PTRACE_GETREGSET / PTRACE_SETREGSET (ptrace_regset)', () => {
  it('NT_PRSTATUS with a short iov_len: that many bytes, iov_len unchanged; a long one is clamped to 216', () => {
    const s = stopped('upstream');
    s.tracer.putU64(BUF + 16, 0x9999n);
    iov(s, BUF, 16n);
    expect(s.ptrace(P.PTRACE_GETREGSET, NT_PRSTATUS, IOV)).toBe(0n);
    expect(s.tracer.u64(IOV + 8)).toBe(16n);
    expect(s.tracer.u64(BUF)).toBe(s.regs.get('r15'));
    expect(s.tracer.u64(BUF + 16)).toBe(0x9999n);
    iov(s, BUF, 4096n);
    expect(s.ptrace(P.PTRACE_GETREGSET, NT_PRSTATUS, IOV)).toBe(0n);
    expect(s.tracer.u64(IOV + 8)).toBe(BigInt(UREGS.size));
    // The note type is an unsigned int: addr's upper half does not matter.
    expect(s.ptrace(P.PTRACE_GETREGSET, (1n << 32n) | BigInt(NT_PRSTATUS), IOV)).toBe(0n);
  });

  it('-EINVAL for an unknown note type or an iov_len that is not whole words; iov_len 0 moves nothing', () => {
    const s = stopped('upstream');
    iov(s, BUF, 216n);
    expect(s.ptrace(P.PTRACE_GETREGSET, 0x999, IOV)).toBe(BigInt(-EINVAL));
    iov(s, BUF, 12n);
    expect(s.ptrace(P.PTRACE_GETREGSET, NT_PRSTATUS, IOV)).toBe(BigInt(-EINVAL));
    expect(s.ptrace(P.PTRACE_SETREGSET, NT_PRFPREG, IOV)).toBe(BigInt(-EINVAL));
    iov(s, BUF, 0n);
    expect(s.ptrace(P.PTRACE_GETREGSET, NT_PRSTATUS, IOV)).toBe(0n);
    expect(s.tracer.u64(IOV + 8)).toBe(0n);
  });

  it('-EFAULT for an unreadable iovec or base; SETREGSET NT_PRSTATUS of 8 bytes sets r15 only', () => {
    const s = stopped('upstream');
    expect(s.ptrace(P.PTRACE_GETREGSET, NT_PRSTATUS, 0x10)).toBe(BigInt(-EFAULT));
    iov(s, 0x10, 216n);
    expect(s.ptrace(P.PTRACE_GETREGSET, NT_PRSTATUS, IOV)).toBe(BigInt(-EFAULT));
    s.tracer.putU64(BUF, 0xabcn);
    iov(s, BUF, 8n);
    const r14 = s.regs.get('r14');
    expect(s.ptrace(P.PTRACE_SETREGSET, NT_PRSTATUS, IOV)).toBe(0n);
    expect(s.regs.get('r15')).toBe(0xabcn);
    expect(s.regs.get('r14')).toBe(r14);
  });

  it('NT_386_IOPERM: -ENXIO to read (no ioperm bitmap), -EOPNOTSUPP to write; NT_X86_SHSTK: -ENODEV', () => {
    const s = stopped('upstream');
    iov(s, BUF, 8192n);
    expect(s.ptrace(P.PTRACE_GETREGSET, NT_386_IOPERM, IOV)).toBe(BigInt(-ENXIO));
    expect(s.tracer.u64(IOV + 8)).toBe(8192n); // not written back on failure
    expect(s.ptrace(P.PTRACE_SETREGSET, NT_386_IOPERM, IOV)).toBe(BigInt(-EOPNOTSUPP));
    iov(s, BUF, 8n);
    expect(s.ptrace(P.PTRACE_GETREGSET, NT_X86_SHSTK, IOV)).toBe(BigInt(-ENODEV));
    expect(s.ptrace(P.PTRACE_SETREGSET, NT_X86_SHSTK, IOV)).toBe(BigInt(-ENODEV));
  });

  it('a task whose saved CS is not __USER_CS would get the 32-bit view: not modelled, said so', () => {
    const s = stopped('upstream');
    s.regs.set('cs', BigInt(USER32_CS));
    iov(s, BUF, 216n);
    expect(() => s.ptrace(P.PTRACE_GETREGSET, NT_PRSTATUS, IOV)).toThrow(NotModelledError);
    expect(s.ptrace(P.PTRACE_GETREGS, 0, BUF)).toBe(0n); // arch_ptrace always uses user_x86_64_view
  });
});

describe('PTRACE_GETSIGINFO / PTRACE_SETSIGINFO', () => {
  const SI = 128;
  const info = (signo: number, code: number, tail = 0): Uint8Array => {
    const b = new Uint8Array(SI);
    const dv = new DataView(b.buffer);
    dv.setInt32(0, signo, true);
    dv.setInt32(8, code, true);
    dv.setUint32(16, 0xdead_beef, true);
    if (tail) b[100] = tail;
    return b;
  };

  it('-EINVAL outside a signal stop', () => {
    const s = stopped('upstream');
    expect(s.ptrace(P.PTRACE_GETSIGINFO, 0, BUF)).toBe(BigInt(-EINVAL));
    s.tracer.put(BUF, info(19, 0));
    expect(s.ptrace(P.PTRACE_SETSIGINFO, 0, BUF)).toBe(BigInt(-EINVAL));
  });

  it('copies the kernel_siginfo (48 bytes) and zeroes the expansion; -EFAULT for a bad pointer', () => {
    const s = stopped('upstream');
    s.tracee.siginfo = info(19, 0, 0x77);
    expect(s.ptrace(P.PTRACE_GETSIGINFO, 0, BUF)).toBe(0n);
    expect(s.tracer.bytes(BUF, SI)).toEqual(info(19, 0));
    expect(s.ptrace(P.PTRACE_GETSIGINFO, 0, 0x10)).toBe(BigInt(-EFAULT));
  });

  it('SETSIGINFO: a known layout takes any expansion bytes (ignored); an unknown one must have a zero expansion (-E2BIG)', () => {
    const s = stopped('upstream');
    s.tracee.siginfo = info(19, 0);
    s.tracer.put(BUF, info(11, 1, 0x55)); // SIGSEGV SEGV_MAPERR: known
    expect(s.ptrace(P.PTRACE_SETSIGINFO, 0, BUF)).toBe(0n);
    expect(s.tracee.siginfo).toEqual(info(11, 1));
    s.tracer.put(BUF, info(11, 42, 0x55)); // si_code past NSIGSEGV: unknown layout
    expect(s.ptrace(P.PTRACE_SETSIGINFO, 0, BUF)).toBe(BigInt(-E2BIG));
    s.tracer.put(BUF, info(11, 42));
    expect(s.ptrace(P.PTRACE_SETSIGINFO, 0, BUF)).toBe(0n);
    expect(s.ptrace(P.PTRACE_SETSIGINFO, 0, 0x10)).toBe(BigInt(-EFAULT));
  });
});

describe('PTRACE_GETSIGMASK / PTRACE_SETSIGMASK', () => {
  it('addr must be sizeof(sigset_t); SIGKILL and SIGSTOP cannot be blocked; saved_sigmask wins while set, and a set clears it', () => {
    const s = stopped('upstream');
    const sig = s.task.signals;
    sig.blocked = 1n << 9n;
    expect(s.ptrace(P.PTRACE_GETSIGMASK, 4, OUT)).toBe(BigInt(-EINVAL));
    expect(s.ptrace(P.PTRACE_GETSIGMASK, 8, OUT)).toBe(0n);
    expect(s.tracer.u64(OUT)).toBe(1n << 9n);
    sig.savedMask = 1n << 1n;
    expect(s.ptrace(P.PTRACE_GETSIGMASK, 8, OUT)).toBe(0n);
    expect(s.tracer.u64(OUT)).toBe(2n);
    s.tracer.putU64(OUT, -1n);
    expect(s.ptrace(P.PTRACE_SETSIGMASK, 8, OUT)).toBe(0n);
    expect(sig.blocked).toBe(BigInt.asUintN(64, ~((1n << 8n) | (1n << 18n))));
    expect(sig.savedMask).toBeNull();
    expect(s.ptrace(P.PTRACE_SETSIGMASK, 8, 0x10)).toBe(BigInt(-EFAULT));
  });
});

describe('PTRACE_ARCH_PRCTL (do_arch_prctl_64, arguments swapped)', () => {
  it('ARCH_SET_FS/GS store the base and zero the selector; GET reads it back through *addr', () => {
    const s = stopped('upstream');
    expect(s.ptrace(P.PTRACE_POKEUSR, offsetOf(UREGS, 'fs'), 0x2bn)).toBe(0n);
    expect(s.ptrace(P.PTRACE_ARCH_PRCTL, 0x7fff_1000n, P.ARCH_SET_FS)).toBe(0n);
    expect(s.ptrace(P.PTRACE_ARCH_PRCTL, OUT, P.ARCH_GET_FS)).toBe(0n);
    expect(s.tracer.u64(OUT)).toBe(0x7fff_1000n);
    expect(s.ptrace(P.PTRACE_PEEKUSR, offsetOf(UREGS, 'fs'), OUT)).toBe(0n);
    expect(s.tracer.u64(OUT)).toBe(0n);
    expect(s.ptrace(P.PTRACE_ARCH_PRCTL, 0x6000n, P.ARCH_SET_GS)).toBe(0n);
    expect(s.ptrace(P.PTRACE_PEEKUSR, offsetOf(UREGS, 'gs_base'), OUT)).toBe(0n);
    expect(s.tracer.u64(OUT)).toBe(0x6000n);
  });

  it('-EPERM for a base at or above TASK_SIZE_MAX, -EFAULT for a bad *addr, -EINVAL for other codes', () => {
    const s = stopped('upstream');
    expect(s.ptrace(P.PTRACE_ARCH_PRCTL, BigInt(TASK_SIZE_MAX), P.ARCH_SET_FS)).toBe(BigInt(-EPERM));
    expect(s.ptrace(P.PTRACE_ARCH_PRCTL, 0x10, P.ARCH_GET_GS)).toBe(BigInt(-EFAULT));
    expect(s.ptrace(P.PTRACE_ARCH_PRCTL, 0, 0x1005)).toBe(BigInt(-EINVAL));
  });
});

describe('what is not a data request', () => {
  it('is left to the caller (null)', () => {
    const s = stopped('upstream');
    for (const r of [P.PTRACE_TRACEME, P.PTRACE_CONT, P.PTRACE_KILL, P.PTRACE_SINGLESTEP, P.PTRACE_SYSCALL, P.PTRACE_DETACH,
      P.PTRACE_SETOPTIONS, P.PTRACE_GETEVENTMSG, P.PTRACE_PEEKSIGINFO, P.PTRACE_INTERRUPT]) {
      expect(s.ptrace(r, 0, 0), String(r)).toBeNull();
    }
  });
});
