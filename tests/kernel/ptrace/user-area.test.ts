/**
 * PTRACE_PEEKUSR / PTRACE_POKEUSR against arch_ptrace's rules: offsets
 * 8-aligned and below sizeof(struct user) (else -EIO), registers through
 * getreg/putreg, u_debugreg[] through ptrace_{get,set}_debugreg, other
 * members reading 0 and refusing writes, the word stored at `data`.
 */
import { describe, expect, it } from 'vitest';
import { EFAULT, EINVAL, EIO } from '../../../src/abi/errno.js';
import { layoutOf, offsetOf } from '../../../src/abi/layout.js';
import { PTRACE_PEEKUSR, PTRACE_POKEUSR } from '../../../src/abi/ptrace.js';
import { userStruct } from '../../../src/abi/structs/user.js';
import { TASK_SIZE_MAX } from '../../../src/kernel/arch/x86/memory-map.js';
import { DR6_RESERVED } from '../../../src/kernel/arch/x86/ptrace-debugreg.js';
import { TRACER_BASE, stopped } from './harness.js';

const USER = layoutOf(userStruct);
const reg = (name: string): number => offsetOf(USER, `regs.${name}`);
const dr = (n: number): number => offsetOf(USER, 'u_debugreg') + 8 * n;
const OUT = TRACER_BASE + 0x100;

describe('PTRACE_PEEKUSR', () => {
  it('puts the register at `data` and returns 0', () => {
    const s = stopped('upstream');
    expect(s.ptrace(PTRACE_PEEKUSR, reg('ax'), OUT)).toBe(0n);
    expect(s.tracer.u64(OUT)).toBe(s.regs.get('ax'));
    expect(s.ptrace(PTRACE_PEEKUSR, reg('flags'), OUT)).toBe(0n);
    expect(s.tracer.u64(OUT)).toBe(0x246n);
  });

  it('-EIO for a misaligned offset or one at/after sizeof(struct user); -EFAULT when `data` is not writable', () => {
    const s = stopped('upstream');
    expect(s.ptrace(PTRACE_PEEKUSR, reg('ax') + 4, OUT)).toBe(BigInt(-EIO));
    expect(s.ptrace(PTRACE_PEEKUSR, USER.size, OUT)).toBe(BigInt(-EIO));
    expect(s.ptrace(PTRACE_PEEKUSR, -8n, OUT)).toBe(BigInt(-EIO));
    expect(s.ptrace(PTRACE_PEEKUSR, USER.size - 8, OUT)).toBe(0n); // fault_address: inside struct user
    expect(s.ptrace(PTRACE_PEEKUSR, reg('ax'), 0)).toBe(BigInt(-EFAULT));
  });

  it('members other than the registers and u_debugreg read 0', () => {
    const s = stopped('upstream');
    for (const m of ['u_fpvalid', 'i387', 'u_tsize', 'start_stack', 'magic', 'u_comm', 'error_code', 'fault_address']) {
      s.tracer.putU64(OUT, 0xaaaan);
      expect(s.ptrace(PTRACE_PEEKUSR, offsetOf(USER, m), OUT), m).toBe(0n);
      expect(s.tracer.u64(OUT), m).toBe(0n);
    }
  });
});

describe('PTRACE_POKEUSR', () => {
  it('goes through putreg: §5.2 checks, every other word unchecked', () => {
    const s = stopped('upstream');
    expect(s.ptrace(PTRACE_POKEUSR, reg('ax'), 0x1234n)).toBe(0n);
    expect(s.regs.get('ax')).toBe(0x1234n);
    expect(s.ptrace(PTRACE_POKEUSR, reg('cs'), 0x10n)).toBe(BigInt(-EIO));
    expect(s.ptrace(PTRACE_POKEUSR, reg('fs_base'), BigInt(TASK_SIZE_MAX))).toBe(BigInt(-EIO));
    expect(s.ptrace(PTRACE_POKEUSR, reg('flags'), 0n)).toBe(0n);
    expect(s.regs.get('flags')).toBe(0x246n & ~0x54dd5n);
  });

  it('-EIO outside the registers and u_debugreg, misaligned or past the end', () => {
    const s = stopped('upstream');
    for (const off of [offsetOf(USER, 'u_fpvalid'), offsetOf(USER, 'magic'), offsetOf(USER, 'error_code'), USER.size, reg('ax') + 1]) {
      expect(s.ptrace(PTRACE_POKEUSR, off, 0n), String(off)).toBe(BigInt(-EIO));
    }
  });
});

describe('u_debugreg (ptrace_get_debugreg / ptrace_set_debugreg)', () => {
  const peek = (s: ReturnType<typeof stopped>, n: number): bigint => {
    expect(s.ptrace(PTRACE_PEEKUSR, dr(n), OUT)).toBe(0n);
    return s.tracer.u64(OUT);
  };

  it('a fresh thread: DR0-5 and DR7 read 0, DR6 reads DR6_RESERVED (0xffff0ff0)', () => {
    const s = stopped('upstream');
    for (const n of [0, 1, 2, 3, 4, 5, 7]) expect(peek(s, n), `DR${n}`).toBe(0n);
    expect(peek(s, 6)).toBe(0xffff0ff0n);
    expect(DR6_RESERVED).toBe(0xffff0ff0n);
  });

  it('DR4 and DR5 refuse writes; DR6 reads back what was written (polarity flipped twice)', () => {
    const s = stopped('upstream');
    expect(s.ptrace(PTRACE_POKEUSR, dr(4), 0n)).toBe(BigInt(-EIO));
    expect(s.ptrace(PTRACE_POKEUSR, dr(5), 0n)).toBe(BigInt(-EIO));
    expect(s.ptrace(PTRACE_POKEUSR, dr(6), 0x4000n)).toBe(0n);
    expect(peek(s, 6)).toBe(0x4000n);
  });

  it('DR0-3 take user addresses (a disabled 1-byte write breakpoint), refuse kernel ones with -EINVAL', () => {
    const s = stopped('upstream');
    expect(s.ptrace(PTRACE_POKEUSR, dr(0), 0x40_1001n)).toBe(0n);
    expect(peek(s, 0)).toBe(0x40_1001n);
    expect(s.ptrace(PTRACE_POKEUSR, dr(1), BigInt(TASK_SIZE_MAX) - 1n)).toBe(0n);
    expect(s.ptrace(PTRACE_POKEUSR, dr(2), BigInt(TASK_SIZE_MAX))).toBe(BigInt(-EINVAL));
    expect(s.ptrace(PTRACE_POKEUSR, dr(2), 0xffff_ffff_8100_0000n)).toBe(BigInt(-EINVAL));
    expect(peek(s, 2)).toBe(0n);
    expect(peek(s, 7)).toBe(0n); // still disabled
  });

  it('DR7: a valid enable is kept as written; RW=10, execute with LEN!=0, and misalignment are refused and undone', () => {
    const s = stopped('upstream');
    expect(s.ptrace(PTRACE_POKEUSR, dr(0), 0x60_0000n)).toBe(0n);
    // L0, RW0 = 01 (write), LEN0 = 11 (4 bytes), plus GE: 0x000d0201.
    const dr7 = (0b1101n << 16n) | 0x200n | 0x1n;
    expect(s.ptrace(PTRACE_POKEUSR, dr(7), dr7)).toBe(0n);
    expect(peek(s, 7)).toBe(dr7);
    // RW0 = 10: I/O breakpoints are not for user space.
    expect(s.ptrace(PTRACE_POKEUSR, dr(7), (0b0010n << 16n) | 1n)).toBe(BigInt(-EINVAL));
    // Execute (RW 00) with LEN 01.
    expect(s.ptrace(PTRACE_POKEUSR, dr(7), (0b0100n << 16n) | 1n)).toBe(BigInt(-EINVAL));
    expect(peek(s, 7)).toBe(dr7); // ptrace_dr7 unchanged after a refused write
    // DR1 at an odd address, enabled as an 8-byte watch (LEN 10): misaligned.
    expect(s.ptrace(PTRACE_POKEUSR, dr(1), 0x60_0004n)).toBe(0n);
    expect(s.ptrace(PTRACE_POKEUSR, dr(7), dr7 | (0b1001n << 20n) | 0x4n)).toBe(BigInt(-EINVAL));
    // Moving an enabled 4-byte watch to a misaligned address is refused; the old address stays.
    expect(s.ptrace(PTRACE_POKEUSR, dr(0), 0x60_0002n)).toBe(BigInt(-EINVAL));
    expect(peek(s, 0)).toBe(0x60_0000n);
    // Reserved bits (GD, 32..63) are masked for validation but kept in what reads back.
    const withReserved = dr7 | (1n << 13n) | (1n << 40n);
    expect(s.ptrace(PTRACE_POKEUSR, dr(7), withReserved)).toBe(0n);
    expect(peek(s, 7)).toBe(withReserved);
  });

  it('the debug registers are per task', () => {
    const a = stopped('upstream');
    const b = stopped('upstream');
    expect(a.ptrace(PTRACE_POKEUSR, dr(3), 0x1000n)).toBe(0n);
    expect(b.ptrace(PTRACE_PEEKUSR, dr(3), OUT)).toBe(0n);
    expect(b.tracer.u64(OUT)).toBe(0n);
  });
});
