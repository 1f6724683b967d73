/**
 * The unwinder (oops/stack-trace output): from inside a system call's C
 * code, unwindKernelStack walks to the user-mode pt_regs and reads its
 * members by name through the design's layout. What a report of the
 * interrupted context shows — entry kind, ip, cs/ss, CPL, sp, bp, flags,
 * orig_ax — is compared with upstream's; frame addresses, stub offsets and
 * the saved-PKRS finding are each design's own business and left out.
 */
import { RBP } from '../../cpu/core.js';
import type { Design } from '../../design/build.js';
import { formatEntry, unwindKernelStack, type Unwind } from '../arch/x86/unwind.js';
import { bootKernel } from '../boot.js';

const NR_getpid = 39;
// bp below 2^53: PtRegsUnwindFrame.bp is a JS number, so a larger user value would come back rounded.
const USER = `
  movabs $0x00007b9b0000b9b0, %rbp
  mov $${NR_getpid}, %eax
  syscall
after:
  jmp after
`;

/** The interrupted context of each pt_regs frame as the unwinder reported it, field → text. */
export type UnwoundRegs = readonly Readonly<Record<string, string>>[];

function hex(v: number | bigint): string {
  return `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
}

function reported(u: Unwind): UnwoundRegs {
  const frames: Readonly<Record<string, string>>[] = u.frames.flatMap((f) => f.kind !== 'pt_regs' ? [] : [{
    entry: formatEntry(f.entry), ip: f.ipSymbol, cs: hex(f.cs), ss: hex(f.ss), cpl: String(f.cpl),
    sp: hex(f.sp), bp: hex(f.bp), flags: hex(f.flags), orig_ax: hex(f.origAx),
  }]);
  return u.stopped ? [...frames, { stopped: u.stopped }] : frames;
}

export function runUnwindWorkload(design: Design): UnwoundRegs | null {
  const k = bootKernel(design);
  let seen: Unwind | null = null;
  k.syscalls.set(NR_getpid, () => {
    const p = k.platform;
    // Inside do_syscall_64's body: RBP is its frame.
    seen = unwindKernelStack(k, { rbp: p.cpu.reg64(RBP), rip: p.native.get('do_syscall_64').address });
    return 0;
  });
  k.startUser(USER, 'unwind');
  k.run(500);
  return seen ? reported(seen) : null;
}
