/**
 * The FPU regsets of a stopped tracee: read from Task.fpu (its saved XSAVE
 * image), not the live CPU; written into it with the kernel's checks
 * (xfpregs_set, xstateregs_set / copy_uabi_to_xstate /
 * validate_user_xstate_header). The running task's path (core dumps,
 * signals) still reads the CPU. Offsets are the SDM's FXSAVE/XSAVE layout
 * (reference §4.9: PKRU at 2688).
 */
import { describe, expect, it } from 'vitest';
import { EFAULT, EINVAL } from '../../../src/abi/errno.js';
import { PTRACE_GETFPREGS, PTRACE_GETREGSET, PTRACE_SETFPREGS, PTRACE_SETREGSET } from '../../../src/abi/ptrace.js';
import { NT_X86_XSTATE } from '../../../src/abi/structs/elfcore.js';
import { xsaveSize } from '../../../src/cpu/cpuid.js';
import { fpuSave } from '../../../src/kernel/arch/x86/fpu-switch.js';
import { xfpregsGet, xstateregsGet } from '../../../src/kernel/arch/x86/regset-fpu.js';
import { regsetTarget } from '../../../src/kernel/arch/x86/regset-thread.js';
import { TRACER_BASE, stopped, type Stopped } from './harness.js';

const BUF = TRACER_BASE + 0x2000;
const IOV = TRACER_BASE + 0x100;
const MXCSR = 24;
const MXCSR_MASK = 28;
const XMM0 = 160;
const XSTATE_BV = 512;
const PKRU = 2688;

const u32 = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** A stopped tracee whose saved image has XMM0 = 0x11.., MXCSR 0x1f80, PKRU 0x55555554, while the live CPU has other values. */
function withSavedImage(design = 'upstream'): Stopped {
  const s = stopped(design);
  const cpu = s.k.platform.cpu;
  cpu.xmm.fill(0x1111_1111, 0, 4);
  cpu.mxcsr = 0x1f80;
  cpu.mmu.setPkru(0x5555_5554);
  s.task.fpu = fpuSave(cpu); // what the switch away from the tracee saved
  cpu.xmm.fill(0x2222_2222, 0, 4);
  cpu.mxcsr = 0x1fa0;
  cpu.mmu.setPkru(0x0000_000c);
  return s;
}

function getregset(s: Stopped, type: number, len: number): { ret: bigint; len: bigint; bytes: Uint8Array } {
  s.tracer.putU64(IOV, BigInt(BUF));
  s.tracer.putU64(IOV + 8, BigInt(len));
  const ret = s.ptrace(PTRACE_GETREGSET, type, IOV)!;
  const got = s.tracer.u64(IOV + 8);
  return { ret, len: got, bytes: s.tracer.bytes(BUF, Number(got)) };
}

function setregset(s: Stopped, type: number, bytes: Uint8Array, len = bytes.length): bigint {
  s.tracer.put(BUF, bytes);
  s.tracer.putU64(IOV, BigInt(BUF));
  s.tracer.putU64(IOV + 8, BigInt(len));
  return s.ptrace(PTRACE_SETREGSET, type, IOV)!;
}

describe('reading a stopped tracee\'s FPU state', () => {
  it('GETFPREGS reads the saved image; the running-task path (core dumps) still reads the CPU', () => {
    const s = withSavedImage();
    expect(s.ptrace(PTRACE_GETFPREGS, 0, BUF)).toBe(0n);
    const fx = s.tracer.bytes(BUF, 512);
    expect(u32(fx, XMM0)).toBe(0x1111_1111);
    expect(u32(fx, MXCSR)).toBe(0x1f80);
    const live = xfpregsGet(regsetTarget(s.k.platform, s.task, true));
    expect(u32(live, XMM0)).toBe(0x2222_2222);
    expect(u32(live, MXCSR)).toBe(0x1fa0);
  });

  it('NT_X86_XSTATE: the image\'s header and its PKRU (thread.pkru), iov_len clamped to the XSAVE size', () => {
    const s = withSavedImage();
    const size = xsaveSize(s.k.platform.cpu.xcr0);
    const r = getregset(s, NT_X86_XSTATE, 8192);
    expect(r.ret).toBe(0n);
    expect(r.len).toBe(BigInt(size));
    expect(u32(r.bytes, XSTATE_BV)).toBe(0x203);
    expect(u32(r.bytes, 464)).toBe(s.k.platform.cpu.xcr0); // xstate_fx_sw_bytes[USER_XSTATE_XCR0_WORD]
    expect(u32(r.bytes, PKRU)).toBe(0x5555_5554);
    expect(u32(xstateregsGet(regsetTarget(s.k.platform, s.task, true)), PKRU)).toBe(0x0000_000c);
  });
});

describe('PTRACE_SETFPREGS (xfpregs_set)', () => {
  it('refuses an MXCSR bit outside mxcsr_feature_mask with -EINVAL, changing nothing', () => {
    const s = withSavedImage();
    const before = s.task.fpu!.slice();
    const fx = new Uint8Array(512);
    new DataView(fx.buffer).setUint32(MXCSR, 0x1_1f80, true);
    s.tracer.put(BUF, fx);
    expect(s.ptrace(PTRACE_SETFPREGS, 0, BUF)).toBe(BigInt(-EINVAL));
    expect(s.task.fpu).toEqual(before);
  });

  it('writes all 512 bytes into the image (not the CPU) and marks FP and SSE in use', () => {
    const s = withSavedImage();
    const img = s.task.fpu!;
    new DataView(img.buffer).setUint32(XSTATE_BV, 0x200, true); // FP and SSE in their init state
    const fx = new Uint8Array(512);
    const dv = new DataView(fx.buffer);
    dv.setUint16(0, 0x27f, true);
    dv.setUint32(MXCSR, 0x1f00, true);
    dv.setUint32(MXCSR_MASK, 0, true); // copied as given
    dv.setUint32(XMM0, 0x3333_3333, true);
    s.tracer.put(BUF, fx);
    expect(s.ptrace(PTRACE_SETFPREGS, 0, BUF)).toBe(0n);
    expect(u32(img, XSTATE_BV)).toBe(0x203);
    expect(u32(img, XMM0)).toBe(0x3333_3333);
    expect(u32(img, MXCSR_MASK)).toBe(0);
    expect(s.k.platform.cpu.xmm[0]).toBe(0x2222_2222);
    expect(s.ptrace(PTRACE_GETFPREGS, 0, BUF + 0x1000)).toBe(0n);
    expect(s.tracer.bytes(BUF + 0x1000, 416)).toEqual(fx.subarray(0, 416));
  });

  it('with no saved image the registers are the CPU\'s: they are loaded (fpu_force_restore)', () => {
    const s = stopped('upstream');
    expect(s.task.fpu).toBeNull();
    const fx = xfpregsGet(regsetTarget(s.k.platform, s.task, false));
    new DataView(fx.buffer).setUint32(XMM0 + 16, 0x4444_4444, true);
    s.tracer.put(BUF, fx);
    expect(s.ptrace(PTRACE_SETFPREGS, 0, BUF)).toBe(0n);
    expect(s.k.platform.cpu.xmm[4]).toBe(0x4444_4444);
  });

  it('SETREGSET NT_PRFPREG must be the whole 512 bytes (-EINVAL), and a bigger iov_len is clamped to it', () => {
    const s = withSavedImage();
    const fx = xfpregsGet(regsetTarget(s.k.platform, s.task, false));
    expect(setregset(s, 2, fx, 256)).toBe(BigInt(-EINVAL));
    expect(setregset(s, 2, fx, 1024)).toBe(0n);
    expect(s.tracer.u64(IOV + 8)).toBe(512n);
  });
});

describe('PTRACE_SETREGSET NT_X86_XSTATE (xstateregs_set)', () => {
  const valid = (s: Stopped): Uint8Array => getregset(s, NT_X86_XSTATE, 8192).bytes.slice();

  it('anything but the whole buffer is -EFAULT (sic), as is an unreadable one', () => {
    const s = withSavedImage();
    const b = valid(s);
    expect(setregset(s, NT_X86_XSTATE, b, 576)).toBe(BigInt(-EFAULT));
    s.tracer.putU64(IOV, 0x10n);
    s.tracer.putU64(IOV + 8, BigInt(b.length));
    expect(s.ptrace(PTRACE_SETREGSET, NT_X86_XSTATE, IOV)).toBe(BigInt(-EFAULT));
  });

  it('validate_user_xstate_header: a feature outside XCR0, a non-zero xcomp_bv or reserved byte is -EINVAL; so is a bad MXCSR', () => {
    const s = withSavedImage();
    const before = s.task.fpu!.slice();
    const cases: [string, (dv: DataView) => void][] = [
      ['AVX not enabled', (dv) => dv.setUint32(XSTATE_BV, 0x207, true)],
      ['bit 63', (dv) => dv.setUint32(XSTATE_BV + 4, 0x8000_0000, true)],
      ['xcomp_bv', (dv) => dv.setUint32(XSTATE_BV + 8, 1, true)],
      ['reserved', (dv) => dv.setUint8(XSTATE_BV + 63, 1)],
      ['MXCSR', (dv) => dv.setUint32(MXCSR, 0x1_0000, true)],
    ];
    for (const [what, edit] of cases) {
      const b = valid(s);
      edit(new DataView(b.buffer));
      expect(setregset(s, NT_X86_XSTATE, b), what).toBe(BigInt(-EINVAL));
    }
    expect(s.task.fpu).toEqual(before);
  });

  it('copies only the features in the header; without PKRU, thread.pkru becomes 0; without FP, MXCSR still comes', () => {
    const s = withSavedImage();
    const b = valid(s);
    const dv = new DataView(b.buffer);
    dv.setUint32(XSTATE_BV, 0x2, true); // SSE only
    dv.setUint32(XMM0, 0x5555_5555, true);
    dv.setUint32(MXCSR, 0x1f81, true);
    dv.setUint16(0, 0x7f, true); // FCW: FP is not in the header, so not copied
    expect(setregset(s, NT_X86_XSTATE, b)).toBe(0n);
    const img = s.task.fpu!;
    expect(u32(img, XSTATE_BV)).toBe(0x2);
    expect(u32(img, XMM0)).toBe(0x5555_5555);
    expect(u32(img, MXCSR)).toBe(0x1f81);
    expect(u32(img, PKRU)).toBe(0);
    const r = getregset(s, NT_X86_XSTATE, 8192);
    expect(u32(r.bytes, XSTATE_BV)).toBe(0x2);
    expect(new DataView(r.bytes.buffer).getUint16(0, true)).toBe(0x37f); // x87 from init_fpstate (FNINIT)
    expect(u32(r.bytes, MXCSR)).toBe(0x1f81);
    expect(u32(r.bytes, PKRU)).toBe(0); // not in the header: the gap is zeroed
  });

  it('with PKRU in the header the buffer\'s PKRU becomes the thread\'s', () => {
    const s = withSavedImage('pks-in-pt_regs');
    const b = valid(s);
    new DataView(b.buffer).setUint32(PKRU, 0x5555_5550, true);
    expect(setregset(s, NT_X86_XSTATE, b)).toBe(0n);
    expect(u32(getregset(s, NT_X86_XSTATE, 8192).bytes, PKRU)).toBe(0x5555_5550);
    expect(s.k.platform.cpu.mmu.pkru).toBe(0x0000_000c); // the live register is not the tracee's
  });
});
