/**
 * The x86-64 signal ABI: what the kernel writes on the user stack when it
 * delivers a signal, and what rt_sigaction and sigaltstack take.
 *
 *   handler RSP -> +0    pretcode (sa_restorer)      struct rt_sigframe
 *                  +8    uc: struct ucontext
 *                  +48     uc_mcontext: struct sigcontext (regs, fpstate ptr)
 *                  +304    uc_sigmask
 *                  +312  info: siginfo_t (128 bytes)
 *                  ...   XSAVE area, 64-byte aligned, above the frame
 *
 * @kernel arch/x86/include/asm/sigframe.h struct rt_sigframe
 * @kernel arch/x86/include/uapi/asm/sigcontext.h struct sigcontext (64-bit)
 * @kernel include/uapi/asm-generic/ucontext.h struct ucontext
 * @kernel include/uapi/asm-generic/siginfo.h siginfo_t, union __sifields
 * @kernel include/uapi/asm-generic/signal.h stack_t
 * @kernel include/linux/signal_types.h struct sigaction (with __ARCH_HAS_SA_RESTORER)
 */
import {
  __u16, __u32, __u64, anonymous, array, char, clock_t, int, long, member, pid_t, pointer,
  short, size_t, struct, uid_t, union, unsignedInt, unsignedLong, ulongs, u64,
} from '../ctype.js';

/**
 * The kernel's sigset_t on x86-64: `struct { unsigned long sig[1]; }`,
 * one 64-bit word (_NSIG 64). Declared as that word so it reads as a value.
 */
export const sigset_t = { ...u64, name: 'sigset_t' } as const;

/** The register part of a signal frame (256 bytes). */
export const sigcontext = struct('sigcontext', [
  ...ulongs('r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'),
  ...ulongs('di', 'si', 'bp', 'bx', 'dx', 'ax', 'cx', 'sp', 'ip', 'flags'),
  member('cs', __u16),
  member('gs', __u16),
  member('fs', __u16),
  // UC_SIGCONTEXT_SS tells whether this slot holds SS; old user space calls it __pad0.
  anonymous(union(null, [member('ss', __u16), member('__pad0', __u16)])),
  member('err', __u64),
  member('trapno', __u64),
  member('oldmask', __u64),
  member('cr2', __u64),
  member('fpstate', pointer('struct _fpstate __user *')),
  member('reserved1', array(__u64, 8)),
]);

export const stack_t = struct('stack_t', [
  member('ss_sp', pointer('void __user *')),
  member('ss_flags', int),
  member('ss_size', size_t),
]);

/** The kernel's ucontext (not glibc's ucontext_t, which is larger). */
export const ucontext = struct('ucontext', [
  member('uc_flags', unsignedLong),
  member('uc_link', pointer('struct ucontext *')),
  member('uc_stack', stack_t),
  member('uc_mcontext', sigcontext),
  member('uc_sigmask', sigset_t),
]);

/** What rt_sigaction(2) copies in and out on x86-64. */
export const sigaction = struct('sigaction', [
  member('sa_handler', pointer('__sighandler_t')),
  member('sa_flags', unsignedLong),
  member('sa_restorer', pointer('__sigrestore_t')),
  member('sa_mask', sigset_t),
]);

const sigval = union('sigval', [
  member('sival_int', int),
  member('sival_ptr', pointer('void __user *')),
]);

/** __ADDR_BND_PKEY_PAD: max(__alignof__(void *), sizeof(short)) = 8 on x86-64. */
const ADDR_BND_PKEY_PAD = 8;

const sifields = union('__sifields', [
  member('_kill', struct(null, [member('_pid', pid_t), member('_uid', uid_t)])),
  member('_timer', struct(null, [
    member('_tid', int), member('_overrun', int), member('_sigval', sigval), member('_sys_private', int),
  ])),
  member('_rt', struct(null, [member('_pid', pid_t), member('_uid', uid_t), member('_sigval', sigval)])),
  member('_sigchld', struct(null, [
    member('_pid', pid_t), member('_uid', uid_t), member('_status', int),
    member('_utime', clock_t), member('_stime', clock_t),
  ])),
  // SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP (x86 has no __ARCH_SI_TRAPNO).
  member('_sigfault', struct(null, [
    member('_addr', pointer('void __user *')),
    anonymous(union(null, [
      member('_addr_lsb', short),
      member('_addr_bnd', struct(null, [
        member('_dummy_bnd', array(char, ADDR_BND_PKEY_PAD)),
        member('_lower', pointer('void __user *')),
        member('_upper', pointer('void __user *')),
      ])),
      member('_addr_pkey', struct(null, [
        member('_dummy_pkey', array(char, ADDR_BND_PKEY_PAD)),
        member('_pkey', __u32),
      ])),
      member('_perf', struct(null, [member('_data', unsignedLong), member('_type', __u32), member('_flags', __u32)])),
    ])),
  ])),
  member('_sigpoll', struct(null, [member('_band', long), member('_fd', int)])),
  member('_sigsys', struct(null, [
    member('_call_addr', pointer('void __user *')), member('_syscall', int), member('_arch', unsignedInt),
  ])),
]);

/** SI_MAX_SIZE: siginfo is always 128 bytes. */
const SI_MAX_SIZE = 128;

export const siginfo = struct('siginfo', [
  anonymous(union(null, [
    anonymous(struct(null, [
      member('si_signo', int),
      member('si_errno', int),
      member('si_code', int),
      member('_sifields', sifields),
    ])),
    member('_si_pad', array(int, SI_MAX_SIZE / 4)),
  ])),
], {
  // The accessor macros of include/uapi/asm-generic/siginfo.h.
  aliases: {
    si_pid: '_sifields._kill._pid',
    si_uid: '_sifields._kill._uid',
    si_tid: '_sifields._timer._tid',
    si_overrun: '_sifields._timer._overrun',
    si_status: '_sifields._sigchld._status',
    si_utime: '_sifields._sigchld._utime',
    si_stime: '_sifields._sigchld._stime',
    si_value: '_sifields._rt._sigval',
    si_int: '_sifields._rt._sigval.sival_int',
    si_ptr: '_sifields._rt._sigval.sival_ptr',
    si_addr: '_sifields._sigfault._addr',
    si_addr_lsb: '_sifields._sigfault._addr_lsb',
    si_lower: '_sifields._sigfault._addr_bnd._lower',
    si_upper: '_sifields._sigfault._addr_bnd._upper',
    si_pkey: '_sifields._sigfault._addr_pkey._pkey',
    si_perf_data: '_sifields._sigfault._perf._data',
    si_perf_type: '_sifields._sigfault._perf._type',
    si_perf_flags: '_sifields._sigfault._perf._flags',
    si_band: '_sifields._sigpoll._band',
    si_fd: '_sifields._sigpoll._fd',
    si_call_addr: '_sifields._sigsys._call_addr',
    si_syscall: '_sifields._sigsys._syscall',
    si_arch: '_sifields._sigsys._arch',
  },
});

/** The frame the kernel pushes for an SA_SIGINFO handler (440 bytes). */
export const rtSigframe = struct('rt_sigframe', [
  member('pretcode', pointer('char __user *')),
  member('uc', ucontext),
  member('info', siginfo),
]);
