/*
 * ptrace data requests on a stopped child, and the basic stop/resume ones,
 * printing only facts that do not depend on addresses or timing: return
 * values and errno names, register words the ABI fixes (cs, ss, orig_rax),
 * sizes (iov_len), masks, signal numbers and codes.
 *
 * The child does PTRACE_TRACEME and raise(SIGSTOP); the parent waits for
 * the stop, then exercises PEEK/POKEDATA, PEEK/POKEUSER (registers and
 * debug registers), GETREGS/SETREGS (-EIO: cs RPL, null cs, fs_base at
 * TASK_SIZE_MAX; the flags mask), GETFPREGS/SETFPREGS, GETREGSET/SETREGSET
 * for NT_PRSTATUS, NT_PRFPREG and NT_X86_XSTATE, GETSIGINFO; then
 * PTRACE_SYSCALL to the child's getppid (entry: orig_rax, rax = -ENOSYS;
 * exit: rax), one SINGLESTEP, CONT to its exit, and PTRACE_KILL on a
 * second child. Build: gcc -O2 -static.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef NT_386_IOPERM
#define NT_386_IOPERM 0x201
#endif

static volatile long word = 0x1122334455667788L;
static volatile long counter;

/* The raw system call: its return value as the kernel gave it (negative errno). */
static long sys_ptrace(long req, pid_t pid, unsigned long addr, unsigned long data) {
  return syscall(SYS_ptrace, req, pid, addr, data) < 0 ? -errno : 0;
}

static const char *err(long r) {
  return r == 0 ? "0" : strerrorname_np((int)-r);
}

static void child_body(void) {
  if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(90);
  raise(SIGSTOP);
  syscall(SYS_getppid);
  for (int i = 0; i < 4; i++) counter++;
  _exit(7);
}

static pid_t stopped_child(void) {
  pid_t pid = fork();
  if (pid == 0) child_body();
  int st;
  waitpid(pid, &st, 0);
  printf("child stopped: %d sig %s\n", WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)));
  return pid;
}

#define UOFF(member) offsetof(struct user, member)
#define DR(n) (UOFF(u_debugreg) + 8 * (n))

static unsigned long peekuser(pid_t pid, unsigned long off, long *r) {
  unsigned long v = 0xaaaa;
  *r = sys_ptrace(PTRACE_PEEKUSER, pid, off, (unsigned long)&v);
  return v;
}

static void data_and_user(pid_t pid) {
  unsigned long v = 0;
  long r = sys_ptrace(PTRACE_PEEKDATA, pid, (unsigned long)&word, (unsigned long)&v);
  printf("PEEKDATA raw: %s word %#lx\n", err(r), v);
  errno = 0;
  long w = ptrace(PTRACE_PEEKDATA, pid, &word, 0);
  printf("PEEKDATA glibc: %#lx errno %d\n", w, errno);
  printf("PEEKDATA at 8: %s\n", err(sys_ptrace(PTRACE_PEEKDATA, pid, 8, (unsigned long)&v)));
  printf("POKEDATA: %s\n", err(sys_ptrace(PTRACE_POKEDATA, pid, (unsigned long)&word, 0xdeadbeefUL)));
  sys_ptrace(PTRACE_PEEKDATA, pid, (unsigned long)&word, (unsigned long)&v);
  printf("PEEKDATA after: %#lx\n", v);
  printf("POKEDATA at 8: %s\n", err(sys_ptrace(PTRACE_POKEDATA, pid, 8, 0)));

  printf("PEEKUSER cs %#lx", peekuser(pid, UOFF(regs.cs), &r));
  printf(" ss %#lx", peekuser(pid, UOFF(regs.ss), &r));
  printf(" ds %#lx es %#lx", peekuser(pid, UOFF(regs.ds), &r), peekuser(pid, UOFF(regs.es), &r));
  printf(" fs %#lx gs %#lx\n", peekuser(pid, UOFF(regs.fs), &r), peekuser(pid, UOFF(regs.gs), &r));
  peekuser(pid, UOFF(regs.cs) + 4, &r);
  printf("PEEKUSER misaligned: %s\n", err(r));
  printf("PEEKUSER u_fpvalid %#lx", peekuser(pid, UOFF(u_fpvalid), &r));
  printf(" sizeof(glibc user) %#lx", peekuser(pid, sizeof(struct user), &r));
  printf(" +8 %#lx", peekuser(pid, sizeof(struct user) + 8, &r));
  peekuser(pid, sizeof(struct user) + 16, &r);
  printf(" +16 %s\n", err(r));
  printf("POKEUSER u_fpvalid: %s, error_code: %s\n", err(sys_ptrace(PTRACE_POKEUSER, pid, UOFF(u_fpvalid), 0)),
         err(sys_ptrace(PTRACE_POKEUSER, pid, sizeof(struct user), 0)));

  unsigned long old = peekuser(pid, UOFF(regs.eflags), &r);
  printf("POKEUSER eflags all ones: %s", err(sys_ptrace(PTRACE_POKEUSER, pid, UOFF(regs.eflags), ~0UL)));
  unsigned long now = peekuser(pid, UOFF(regs.eflags), &r);
  printf(" -> changeable bits %#lx, IF/IOPL/VM/ID kept: %s\n", now & 0x54dd5,
         (now & 0x223200) == (old & 0x223200) ? "yes" : "no");
  sys_ptrace(PTRACE_POKEUSER, pid, UOFF(regs.eflags), old);
  printf("POKEUSER cs 0x10: %s, ss 0: %s, fs_base 1<<47: %s\n",
         err(sys_ptrace(PTRACE_POKEUSER, pid, UOFF(regs.cs), 0x10)),
         err(sys_ptrace(PTRACE_POKEUSER, pid, UOFF(regs.ss), 0)),
         err(sys_ptrace(PTRACE_POKEUSER, pid, UOFF(regs.fs_base), 1UL << 47)));

  printf("DR0-7:");
  for (int n = 0; n < 8; n++) printf(" %#lx", peekuser(pid, DR(n), &r));
  printf("\n");
  printf("POKEUSER DR4: %s DR5: %s\n", err(sys_ptrace(PTRACE_POKEUSER, pid, DR(4), 0)),
         err(sys_ptrace(PTRACE_POKEUSER, pid, DR(5), 0)));
  r = sys_ptrace(PTRACE_POKEUSER, pid, DR(0), (unsigned long)&word);
  printf("POKEUSER DR0 = &word: %s, reads back: %s\n", err(r), peekuser(pid, DR(0), &r) == (unsigned long)&word ? "yes" : "no");
  printf("POKEUSER DR1 kernel address: %s\n", err(sys_ptrace(PTRACE_POKEUSER, pid, DR(1), 0xffff800000000000UL)));
  printf("POKEUSER DR7 RW0=10: %s\n", err(sys_ptrace(PTRACE_POKEUSER, pid, DR(7), (0x2UL << 16) | 1)));
  printf("POKEUSER DR7 exec LEN0=01: %s\n", err(sys_ptrace(PTRACE_POKEUSER, pid, DR(7), (0x4UL << 16) | 1)));
  sys_ptrace(PTRACE_POKEUSER, pid, DR(0), (unsigned long)&word + 1);
  printf("POKEUSER DR7 4-byte watch on an odd DR0: %s\n", err(sys_ptrace(PTRACE_POKEUSER, pid, DR(7), (0xdUL << 16) | 1)));
  printf("DR7 after: %#lx\n", peekuser(pid, DR(7), &r));
  printf("POKEUSER DR6 0x4000: %s", err(sys_ptrace(PTRACE_POKEUSER, pid, DR(6), 0x4000)));
  printf(" reads %#lx\n", peekuser(pid, DR(6), &r));
  sys_ptrace(PTRACE_POKEUSER, pid, DR(6), 0xffff0ff0);
}

static void regs(pid_t pid) {
  struct user_regs_struct r, t;
  long ret = sys_ptrace(PTRACE_GETREGS, pid, 0, (unsigned long)&r);
  printf("GETREGS: %s", err(ret));
  printf(" orig_rax %lld rax %lld cs %#llx ss %#llx IF %d\n", (long long)r.orig_rax, (long long)r.rax,
         (unsigned long long)r.cs, (unsigned long long)r.ss, (int)((r.eflags >> 9) & 1));
  printf("GETREGS bad buffer: %s\n", err(sys_ptrace(PTRACE_GETREGS, pid, 0, 16)));
  t = r; t.cs = 0x10;
  printf("SETREGS cs 0x10: %s\n", err(sys_ptrace(PTRACE_SETREGS, pid, 0, (unsigned long)&t)));
  t = r; t.cs = 0;
  printf("SETREGS cs 0: %s\n", err(sys_ptrace(PTRACE_SETREGS, pid, 0, (unsigned long)&t)));
  t = r; t.ss = 0x2a;
  printf("SETREGS ss RPL 2: %s\n", err(sys_ptrace(PTRACE_SETREGS, pid, 0, (unsigned long)&t)));
  t = r; t.fs_base = 1UL << 47;
  printf("SETREGS fs_base 1<<47: %s\n", err(sys_ptrace(PTRACE_SETREGS, pid, 0, (unsigned long)&t)));
  t = r; t.gs_base = 0xffffffffff600000UL;
  printf("SETREGS gs_base kernel: %s\n", err(sys_ptrace(PTRACE_SETREGS, pid, 0, (unsigned long)&t)));
  t = r; t.eflags = 0;
  printf("SETREGS eflags 0: %s", err(sys_ptrace(PTRACE_SETREGS, pid, 0, (unsigned long)&t)));
  sys_ptrace(PTRACE_GETREGS, pid, 0, (unsigned long)&t);
  printf(" -> eflags & 0x54dd5 = %#llx, IF %d\n", (unsigned long long)(t.eflags & 0x54dd5), (int)((t.eflags >> 9) & 1));
  t = r; t.rax = 0x1234;
  printf("SETREGS rax: %s", err(sys_ptrace(PTRACE_SETREGS, pid, 0, (unsigned long)&t)));
  sys_ptrace(PTRACE_GETREGS, pid, 0, (unsigned long)&t);
  printf(" -> %#llx\n", (unsigned long long)t.rax);
  printf("SETREGS restore: %s\n", err(sys_ptrace(PTRACE_SETREGS, pid, 0, (unsigned long)&r)));
}

static void fpregs(pid_t pid) {
  struct user_fpregs_struct f, g;
  long r = sys_ptrace(PTRACE_GETFPREGS, pid, 0, (unsigned long)&f);
  printf("GETFPREGS: %s cwd %#x mxcsr %#x\n", err(r), f.cwd, f.mxcsr);
  g = f; g.mxcsr = 0x10000 | f.mxcsr;
  printf("SETFPREGS mxcsr reserved bit: %s\n", err(sys_ptrace(PTRACE_SETFPREGS, pid, 0, (unsigned long)&g)));
  g = f; g.mxcsr = 0x1fc0; g.xmm_space[0] = 0x5a5a5a5a;
  printf("SETFPREGS mxcsr 0x1fc0: %s", err(sys_ptrace(PTRACE_SETFPREGS, pid, 0, (unsigned long)&g)));
  memset(&g, 0, sizeof g);
  sys_ptrace(PTRACE_GETFPREGS, pid, 0, (unsigned long)&g);
  printf(" -> mxcsr %#x xmm0[0] %#x\n", g.mxcsr, g.xmm_space[0]);
  printf("SETFPREGS restore: %s\n", err(sys_ptrace(PTRACE_SETFPREGS, pid, 0, (unsigned long)&f)));
}

static long regset(long req, pid_t pid, unsigned type, void *buf, size_t len, size_t *out) {
  struct iovec iov = {buf, len};
  long r = sys_ptrace(req, pid, type, (unsigned long)&iov);
  *out = iov.iov_len;
  return r;
}

static void regsets(pid_t pid) {
  static unsigned char buf[65536] __attribute__((aligned(64)));
  size_t len;
  long r = regset(PTRACE_GETREGSET, pid, NT_PRSTATUS, buf, 4096, &len);
  printf("GETREGSET NT_PRSTATUS: %s iov_len %zu\n", err(r), len);
  r = regset(PTRACE_GETREGSET, pid, NT_PRSTATUS, buf, 16, &len);
  printf("GETREGSET NT_PRSTATUS short: %s iov_len %zu\n", err(r), len);
  r = regset(PTRACE_GETREGSET, pid, NT_PRFPREG, buf, 4096, &len);
  printf("GETREGSET NT_PRFPREG: %s iov_len %zu\n", err(r), len);
  r = regset(PTRACE_GETREGSET, pid, NT_X86_XSTATE, buf, sizeof buf, &len);
  unsigned a, b, c, d;
  __cpuid_count(0xd, 0, a, b, c, d);
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  uint64_t sw, xfeatures;
  memcpy(&sw, buf + 464, 8);
  memcpy(&xfeatures, buf + 512, 8);
  printf("GETREGSET NT_X86_XSTATE: %s iov_len is CPUID.0xD.0:EBX %s, sw word is XCR0 %s, header in XCR0 %s\n", err(r),
         len == b ? "yes" : "no", sw == (((uint64_t)hi << 32) | lo) ? "yes" : "no",
         (xfeatures & ~sw) == 0 ? "yes" : "no");
  size_t xsize = len;
  r = regset(PTRACE_GETREGSET, pid, NT_PRSTATUS, buf, 12, &len);
  printf("GETREGSET iov_len 12: %s\n", err(r));
  r = regset(PTRACE_GETREGSET, pid, 0x999, buf, 4096, &len);
  printf("GETREGSET type 0x999: %s\n", err(r));
  r = regset(PTRACE_GETREGSET, pid, NT_386_IOPERM, buf, 8192, &len);
  printf("GETREGSET NT_386_IOPERM: %s iov_len %zu\n", err(r), len);
  r = regset(PTRACE_GETREGSET, pid, NT_PRSTATUS, (void *)16, 216, &len);
  printf("GETREGSET bad base: %s\n", err(r));
  printf("GETREGSET bad iovec: %s\n", err(sys_ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, 16)));

  regset(PTRACE_GETREGSET, pid, NT_PRSTATUS, buf, 216, &len);
  r = regset(PTRACE_SETREGSET, pid, NT_PRSTATUS, buf, 216, &len);
  printf("SETREGSET NT_PRSTATUS: %s iov_len %zu\n", err(r), len);
  regset(PTRACE_GETREGSET, pid, NT_PRFPREG, buf, 512, &len);
  r = regset(PTRACE_SETREGSET, pid, NT_PRFPREG, buf, 256, &len);
  printf("SETREGSET NT_PRFPREG 256: %s\n", err(r));
  r = regset(PTRACE_SETREGSET, pid, NT_PRFPREG, buf, 1024, &len);
  printf("SETREGSET NT_PRFPREG 1024: %s iov_len %zu\n", err(r), len);
  regset(PTRACE_GETREGSET, pid, NT_X86_XSTATE, buf, xsize, &len);
  r = regset(PTRACE_SETREGSET, pid, NT_X86_XSTATE, buf, 576, &len);
  printf("SETREGSET NT_X86_XSTATE 576 bytes: %s\n", err(r));
  buf[520] = 1; /* xcomp_bv */
  r = regset(PTRACE_SETREGSET, pid, NT_X86_XSTATE, buf, xsize, &len);
  printf("SETREGSET NT_X86_XSTATE xcomp_bv 1: %s\n", err(r));
  buf[520] = 0; buf[575] = 1; /* a reserved header byte */
  r = regset(PTRACE_SETREGSET, pid, NT_X86_XSTATE, buf, xsize, &len);
  printf("SETREGSET NT_X86_XSTATE reserved byte: %s\n", err(r));
  buf[575] = 0; buf[519] = 0x80; /* XSTATE_BV bit 63 */
  r = regset(PTRACE_SETREGSET, pid, NT_X86_XSTATE, buf, xsize, &len);
  printf("SETREGSET NT_X86_XSTATE bit 63: %s\n", err(r));
  buf[519] = 0;
  r = regset(PTRACE_SETREGSET, pid, NT_X86_XSTATE, buf, xsize, &len);
  printf("SETREGSET NT_X86_XSTATE as read: %s iov_len is the size %s\n", err(r), len == xsize ? "yes" : "no");
  r = regset(PTRACE_SETREGSET, pid, NT_386_IOPERM, buf, 8, &len);
  printf("SETREGSET NT_386_IOPERM: %s\n", err(r));
}

static void siginfo_stop(pid_t pid) {
  siginfo_t si;
  long r = sys_ptrace(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
  printf("GETSIGINFO: %s signo %s code %d pid is child %s\n", err(r), sigabbrev_np(si.si_signo), si.si_code,
         si.si_pid == pid ? "yes" : "no");
  printf("GETSIGINFO bad buffer: %s\n", err(sys_ptrace(PTRACE_GETSIGINFO, pid, 0, 16)));
  printf("SETSIGINFO as read: %s\n", err(sys_ptrace(PTRACE_SETSIGINFO, pid, 0, (unsigned long)&si)));
}

static void syscall_stops(pid_t pid) {
  struct user_regs_struct r;
  int st, stops = 0;
  /* Entry and exit stops alternate; the child's own getppid is the one to look at (raise's last syscalls come first). */
  for (;;) {
    ptrace(PTRACE_SYSCALL, pid, 0, 0);
    waitpid(pid, &st, 0);
    stops++;
    ptrace(PTRACE_GETREGS, pid, 0, &r);
    if (r.orig_rax == SYS_getppid && (long long)r.rax == -ENOSYS) break;
    if (stops > 20) { printf("no getppid entry stop\n"); return; }
  }
  printf("syscall-entry stop: sig %s orig_rax %lld rax %lld\n", sigabbrev_np(WSTOPSIG(st)), (long long)r.orig_rax,
         (long long)r.rax);
  siginfo_t si;
  sys_ptrace(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
  printf("  siginfo: signo %s code %d\n", sigabbrev_np(si.si_signo), si.si_code);
  ptrace(PTRACE_SYSCALL, pid, 0, 0);
  waitpid(pid, &st, 0);
  ptrace(PTRACE_GETREGS, pid, 0, &r);
  printf("syscall-exit stop: sig %s orig_rax %lld rax is the parent %s\n", sigabbrev_np(WSTOPSIG(st)),
         (long long)r.orig_rax, (pid_t)r.rax == getpid() ? "yes" : "no");
}

static void step_and_cont(pid_t pid) {
  struct user_regs_struct a, b;
  int st;
  long r;
  ptrace(PTRACE_GETREGS, pid, 0, &a);
  ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
  waitpid(pid, &st, 0);
  ptrace(PTRACE_GETREGS, pid, 0, &b);
  siginfo_t si;
  sys_ptrace(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
  printf("SINGLESTEP: stopped %d sig %s code %d rip moved %s TF shown %d\n", WIFSTOPPED(st), sigabbrev_np(WSTOPSIG(st)),
         si.si_code, a.rip != b.rip ? "yes" : "no", (int)((b.eflags >> 8) & 1));
  printf("  DR6 %#lx\n", peekuser(pid, DR(6), &r));
  ptrace(PTRACE_CONT, pid, 0, 0);
  waitpid(pid, &st, 0);
  printf("CONT: exited %d status %d\n", WIFEXITED(st), WEXITSTATUS(st));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t pid = stopped_child();
  data_and_user(pid);
  regs(pid);
  fpregs(pid);
  regsets(pid);
  siginfo_stop(pid);
  syscall_stops(pid);
  step_and_cont(pid);

  pid_t second = stopped_child();
  printf("KILL: %s", err(sys_ptrace(PTRACE_KILL, second, 0, 0)));
  int st;
  waitpid(second, &st, 0);
  printf(" -> signaled %d sig %s\n", WIFSIGNALED(st), sigabbrev_np(WTERMSIG(st)));
  printf("requests on a reaped child: %s\n", err(sys_ptrace(PTRACE_PEEKUSER, second, 0, (unsigned long)&st)));
  return 0;
}
