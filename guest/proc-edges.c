/*
 * The edges of the process system calls, printing only what is the same on
 * every Linux run (errno names, status words, counts; never pids or
 * addresses): clone and clone3 argument checks, wait4/waitid options and
 * what waitid writes, reaping (SIGKILL, SIGSEGV, SIG_IGN, SA_NOCLDWAIT,
 * exit signals other than SIGCHLD), copy-on-write, MAP_SHARED, mprotect and
 * munmap after fork, pipes between processes, kill on zombies and reaped
 * pids, execve errors and argument passing, fork inside a handler.
 * Threads (CLONE_VM without CLONE_VFORK, CLONE_THREAD) are not exercised:
 * kentry refuses them with ENOSYS on purpose.
 * Run by execve with KENTRY_EDGE=args in its environment it prints its
 * arguments and environment and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sched.h>
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static const char *en(int e) {
  switch (e) {
  case 0: return "0";
  case EINVAL: return "EINVAL";
  case ECHILD: return "ECHILD";
  case ESRCH: return "ESRCH";
  case EFAULT: return "EFAULT";
  case ENOENT: return "ENOENT";
  case E2BIG: return "E2BIG";
  case EPIPE: return "EPIPE";
  case ENOSYS: return "ENOSYS";
  case EPERM: return "EPERM";
  case EBADF: return "EBADF";
  case EACCES: return "EACCES";
  case ENOEXEC: return "ENOEXEC";
  case ENOTDIR: return "ENOTDIR";
  default: return "other";
  }
}

/* The result of a call that returns -1/errno: "ok" or the errno's name. */
static const char *res(long r) { return r < 0 ? en(errno) : "ok"; }

/* A clone whose child, if one is made, leaves at once with `code`; the parent gets the pid or -1. */
static long raw_clone(unsigned long flags, void *ptid, int code) {
  long r = syscall(SYS_clone, flags, 0, ptid, 0, 0);
  if (r == 0) _exit(code);
  return r;
}

static long raw_clone3(void *args, size_t size, int code) {
  long r = syscall(SYS_clone3, args, size);
  if (r == 0) _exit(code);
  return r;
}

static volatile int usr1_count, chld_count;
static void on_usr1(int sig) { (void)sig; usr1_count++; }
static void on_chld(int sig) { (void)sig; chld_count++; }

static void set_handler(int sig, void (*fn)(int), int flags) {
  struct sigaction sa = {0};
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigaction(sig, &sa, NULL);
}

/* "exit N" / "signal N[ core]" for a status word. */
static void show_status(const char *what, int st) {
  if (WIFEXITED(st)) printf("%s: exit %d (word %#x)\n", what, WEXITSTATUS(st), st);
  else if (WIFSIGNALED(st)) printf("%s: signal %d core %d (word %#x)\n", what, WTERMSIG(st), WCOREDUMP(st) ? 1 : 0, st);
  else printf("%s: other %#x\n", what, st);
}

static int reap(pid_t pid, int options) {
  int st = -1;
  pid_t w = waitpid(pid, &st, options);
  if (w != pid) return -1000 - errno;
  return st;
}

static void clone_checks(void) {
  errno = 0;
  printf("clone CLONE_SIGHAND: %s\n", res(raw_clone(CLONE_SIGHAND | SIGCHLD, NULL, 100)));
  printf("clone CLONE_THREAD: %s\n", res(raw_clone(CLONE_THREAD | SIGCHLD, NULL, 100)));
  printf("clone CLONE_THREAD|CLONE_SIGHAND: %s\n", res(raw_clone(CLONE_THREAD | CLONE_SIGHAND, NULL, 100)));

  /* Legacy clone takes any CSIGNAL byte: an invalid one is simply never sent (do_notify_parent's valid_signal). */
  chld_count = 0;
  long r = raw_clone(65, NULL, 4);
  printf("clone exit signal 65: %s\n", res(r));
  if (r > 0) {
    printf("  wait4 without __WALL: %s\n", en(-1000 - reap(r, 0)));
    show_status("  wait4 __WALL", reap(r, __WALL));
  }

  /* Only the low 32 bits of clone's flags count (kernel_clone_args.flags = lower_32_bits). */
  r = raw_clone((1UL << 32) | SIGCHLD, NULL, 5);
  printf("clone flag bit 32: %s\n", res(r));
  if (r > 0) show_status("  reaped", reap(r, 0));

  /* CLONE_PARENT_SETTID to a bad address: the child exists all the same (put_user's result is ignored). */
  r = raw_clone(CLONE_PARENT_SETTID | SIGCHLD, (void *)8, 6);
  printf("clone PARENT_SETTID bad address: %s\n", res(r));
  if (r > 0) show_status("  reaped", reap(r, 0));

  /* CLONE_CHILD_SETTID writes the child's tid into the child's memory only. */
  static volatile int tid_slot;
  r = syscall(SYS_clone, CLONE_CHILD_SETTID | SIGCHLD, 0, 0, &tid_slot, 0);
  if (r == 0) _exit(tid_slot == getpid() ? 1 : 2);
  show_status("clone CHILD_SETTID: child sees its tid (1)", reap(r, 0));
  printf("  parent's copy untouched: %d\n", tid_slot == 0);

  /* An exit signal of SIGUSR1: sent to the parent; wait4 sees the child only with __WCLONE or __WALL. */
  set_handler(SIGUSR1, on_usr1, SA_RESTART);
  usr1_count = 0;
  r = raw_clone(SIGUSR1, NULL, 7);
  if (r > 0) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int wr = waitid(P_PID, r, &si, WEXITED | WNOWAIT | __WCLONE);
    printf("clone SIGUSR1: waitid __WCLONE nowait r=%d signo=%d code=%d status=%d\n", wr, si.si_signo, si.si_code, si.si_status);
    printf("  wait4 plain: %s\n", en(-1000 - reap(r, WNOHANG)));
    show_status("  wait4 __WCLONE", reap(r, __WCLONE));
    printf("  SIGUSR1 count=%d\n", usr1_count);
  }
  /* Exit signal 0: no signal at all, still a __WCLONE child. */
  chld_count = 0;
  r = raw_clone(0, NULL, 8);
  if (r > 0) {
    show_status("clone exit signal 0: wait4 __WALL", reap(r, __WALL));
    printf("  SIGCHLD count=%d\n", chld_count);
  }
}

static void clone3_checks(void) {
  struct { struct clone_args_v2 a; uint64_t extra[2]; } big;
  struct clone_args_v2 a;
  memset(&a, 0, sizeof a);
  a.exit_signal = SIGCHLD;
  printf("clone3 size 0: %s\n", res(raw_clone3(&a, 0, 100)));
  printf("clone3 size 63: %s\n", res(raw_clone3(&a, 63, 100)));
  printf("clone3 size 4097: %s\n", res(raw_clone3(&a, 4097, 100)));
  printf("clone3 bad address: %s\n", res(raw_clone3((void *)8, 64, 100)));
  a.flags = SIGCHLD;
  printf("clone3 CSIGNAL in flags: %s\n", res(raw_clone3(&a, 64, 100)));
  a.flags = CLONE_DETACHED;
  printf("clone3 CLONE_DETACHED: %s\n", res(raw_clone3(&a, 64, 100)));
  a.flags = CLONE_PARENT;
  printf("clone3 CLONE_PARENT with exit_signal: %s\n", res(raw_clone3(&a, 64, 100)));
  a.flags = CLONE_SIGHAND | CLONE_CLEAR_SIGHAND | CLONE_VM;
  printf("clone3 SIGHAND|CLEAR_SIGHAND: %s\n", res(raw_clone3(&a, 64, 100)));
  a.flags = 0;
  a.exit_signal = 65;
  printf("clone3 exit_signal 65: %s\n", res(raw_clone3(&a, 64, 100)));
  a.exit_signal = (1ULL << 32) | SIGCHLD;
  printf("clone3 exit_signal high bits: %s\n", res(raw_clone3(&a, 64, 100)));
  a.exit_signal = SIGCHLD;
  static char stack[4096];
  a.stack = (uint64_t)(uintptr_t)stack;
  printf("clone3 stack without size: %s\n", res(raw_clone3(&a, 64, 100)));
  a.stack = 0;
  a.stack_size = 4096;
  printf("clone3 size without stack: %s\n", res(raw_clone3(&a, 64, 100)));
  a.stack_size = 0;
  a.set_tid_size = 1;
  printf("clone3 set_tid_size without set_tid: %s\n", res(raw_clone3(&a, 88, 100)));
  a.set_tid_size = 0;

  /* A larger struct than the kernel knows: its tail must be zero (copy_struct_from_user), else E2BIG. */
  memset(&big, 0, sizeof big);
  big.a.exit_signal = SIGCHLD;
  big.extra[1] = 1;
  printf("clone3 size 104 nonzero tail: %s\n", res(raw_clone3(&big, sizeof big, 100)));
  big.extra[1] = 0;
  long r = raw_clone3(&big, sizeof big, 9);
  printf("clone3 size 104 zero tail: %s\n", res(r));
  if (r > 0) show_status("  reaped", reap(r, 0));

  /* CLONE_CLEAR_SIGHAND: the child's handlers are SIG_DFL (ignored signals stay ignored). */
  set_handler(SIGUSR2, on_usr1, 0);
  signal(SIGWINCH, SIG_IGN);
  a.flags = CLONE_CLEAR_SIGHAND;
  r = syscall(SYS_clone3, &a, 64);
  if (r == 0) {
    struct sigaction o1, o2;
    sigaction(SIGUSR2, NULL, &o1);
    sigaction(SIGWINCH, NULL, &o2);
    _exit((o1.sa_handler == SIG_DFL ? 1 : 0) | (o2.sa_handler == SIG_IGN ? 2 : 0));
  }
  printf("clone3 CLONE_CLEAR_SIGHAND: %s\n", res(r));
  if (r > 0) show_status("  child saw (1: USR2 default, 2: WINCH ignored)", reap(r, 0));
  signal(SIGUSR2, SIG_DFL);
  signal(SIGWINCH, SIG_DFL);
}

static void wait_checks(void) {
  int st;
  siginfo_t si;
  printf("wait4 option 0x10: %s\n", res(wait4(-1, &st, 0x10, NULL)));
  printf("waitid option 0x10: %s\n", res(waitid(P_ALL, 0, &si, WEXITED | 0x10)));
  printf("waitid no WEXITED|WSTOPPED|WCONTINUED: %s\n", res(waitid(P_ALL, 0, &si, WNOHANG)));
  printf("waitid P_PID 0: %s\n", res(waitid(P_PID, 0, &si, WEXITED)));
  printf("waitid P_PGID -1: %s\n", res(waitid(P_PGID, -1, &si, WEXITED)));
  printf("waitid idtype 9: %s\n", res(waitid(9, 0, &si, WEXITED)));
  printf("waitid P_PIDFD bad fd: %s\n", res(waitid(P_PIDFD, 1000, &si, WEXITED)));
  printf("wait4 INT_MIN: %s\n", res(wait4(-0x7fffffff - 1, &st, 0, NULL)));
  /* waitid writes its siginfo fields even after an error, so an unwritable infop turns EINVAL into EFAULT. */
  printf("waitid bad option, bad infop: %s\n", res(waitid(P_ALL, 0, (siginfo_t *)8, WEXITED | 0x10)));
  /* A bad status pointer: EFAULT, but the child was reaped all the same. */
  pid_t z = fork();
  if (z == 0) _exit(1);
  printf("wait4 bad status pointer: %s", res(wait4(z, (int *)8, 0, NULL)));
  printf(", then %s\n", res(wait4(z, &st, 0, NULL)));

  /* No children: ECHILD; waitid still writes the siginfo fields (zeros) it always writes. */
  printf("wait4 no children: %s\n", res(wait4(-1, &st, WNOHANG, NULL)));
  memset(&si, 0xff, sizeof si);
  int r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
  printf("waitid no children: %s signo=%d code=%d pid=%d status=%d\n", res(r), si.si_signo, si.si_code, si.si_pid, si.si_status);

  /* A live child and WNOHANG: 0, status untouched; waitid's siginfo zeroed where it writes. */
  int gate[2];
  pipe(gate);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(gate[1]);
    read(gate[0], &c, 1);
    _exit(12);
  }
  close(gate[0]);
  st = 0x5a5a;
  r = wait4(pid, &st, WNOHANG, NULL);
  printf("wait4 WNOHANG live child: r=%d status untouched=%d\n", r, st == 0x5a5a);
  memset(&si, 0xff, sizeof si);
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  r = syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOHANG, &ru);
  unsigned char *b = (unsigned char *)&si;
  printf("waitid WNOHANG live child: r=%d signo=%d errno=%d code=%d pid=%d uid=%d status=%d byte12=%#x byte28=%#x rusage untouched=%d\n",
         r, si.si_signo, si.si_errno, si.si_code, si.si_pid, (int)si.si_uid, si.si_status, b[12], b[28],
         ru.ru_utime.tv_sec == -1);
  printf("kill(child, 0) alive: %s\n", res(kill(pid, 0)));
  close(gate[1]);
  /* The zombie: signal 0 and SIGKILL both find it; waitid WNOWAIT leaves it. */
  memset(&si, 0, sizeof si);
  waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
  printf("kill(zombie, 0): %s\n", res(kill(pid, 0)));
  printf("kill(zombie, SIGKILL): %s\n", res(kill(pid, SIGKILL)));
  memset(&si, 0xff, sizeof si);
  memset(&ru, 0xff, sizeof ru);
  r = syscall(SYS_waitid, P_PID, pid, &si, WEXITED, &ru);
  printf("waitid zombie: r=%d signo=%d code=%d status=%d uid_ok=%d byte28=%#x rusage written=%d\n",
         r, si.si_signo, si.si_code, si.si_status, si.si_uid == getuid(), b[28], ru.ru_utime.tv_sec != -1);
  printf("kill(reaped, 0): %s\n", res(kill(pid, 0)));
  printf("tgkill(reaped): %s\n", res(syscall(SYS_tgkill, pid, pid, 0)));
  printf("wait4 reaped pid: %s\n", res(wait4(pid, &st, 0, NULL)));

  /* wait4(-1) reaps in any order. */
  int sum = 0, n = 0;
  for (int i = 1; i <= 5; i++) {
    if (fork() == 0) {
      volatile unsigned long spin = 0;
      for (unsigned long j = 0; j < 30000UL * (unsigned long)((i * 7) % 5); j++) spin += j;
      _exit(i * 10);
    }
  }
  while (wait4(-1, &st, 0, NULL) > 0) {
    sum += WEXITSTATUS(st);
    n++;
  }
  printf("wait4(-1) x%d: sum=%d then %s\n", n, sum, en(errno));

  /* Killed by the parent with SIGKILL, and by its own SIGSEGV (RLIMIT_CORE 0: no core). */
  pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  kill(pid, SIGKILL);
  show_status("SIGKILL from parent", reap(pid, 0));
  pid = fork();
  if (pid == 0) {
    *(volatile int *)16 = 1;
    _exit(0);
  }
  show_status("SIGSEGV", reap(pid, 0));
  pid = fork();
  if (pid == 0) {
    signal(SIGTERM, SIG_IGN);
    kill(getpid(), SIGTERM);
    _exit(256);
  }
  show_status("exit(256), SIGTERM ignored", reap(pid, 0));
  pid = fork();
  if (pid == 0) _exit(0x1ff);
  show_status("exit(0x1ff)", reap(pid, 0));

  /* getppid in the child is the parent's getpid. */
  pid_t me = getpid();
  pid = fork();
  if (pid == 0) _exit(getppid() == me ? 1 : 2);
  show_status("getppid == parent's getpid (1)", reap(pid, 0));
}

static void autoreap_checks(void) {
  int st;
  /* SIGCHLD ignored: the child reaps itself; wait4 sleeps until it is gone, then ECHILD. */
  signal(SIGCHLD, SIG_IGN);
  pid_t pid = fork();
  if (pid == 0) _exit(3);
  errno = 0;
  const char *waited = res(wait4(pid, &st, 0, NULL));
  printf("SIG_IGN: wait4 %s, kill after %s\n", waited, res(kill(pid, 0)));
  signal(SIGCHLD, SIG_DFL);

  /* SA_NOCLDWAIT with a handler: the handler still runs, and the child reaps itself. */
  chld_count = 0;
  set_handler(SIGCHLD, on_chld, SA_NOCLDWAIT);
  pid = fork();
  if (pid == 0) _exit(4);
  errno = 0;
  long r = wait4(-1, &st, 0, NULL);
  printf("SA_NOCLDWAIT: wait4 %s, handler count=%d\n", res(r), chld_count);
  signal(SIGCHLD, SIG_DFL);

  /* SIG_DFL SIGCHLD: a zombie stays until waited for. */
  pid = fork();
  if (pid == 0) _exit(5);
  siginfo_t si;
  waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
  printf("SIG_DFL: zombie kill %s\n", res(kill(pid, 0)));
  show_status("  reaped", reap(pid, 0));
}

static void memory_checks(void) {
  enum { PAGES = 64, PG = 4096 };
  int st;
  unsigned char *priv = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  volatile int *shared = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < PAGES; i++) memset(priv + i * PG, i, PG);

  /* The child writes every page; its writes stay its own, and it sees them. */
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < PAGES; i++) memset(priv + i * PG, 0x80 + i, PG);
    int bad = 0;
    for (int i = 0; i < PAGES; i++)
      for (int j = 0; j < PG; j += 512) bad += priv[i * PG + j] != (unsigned char)(0x80 + i);
    _exit(bad == 0 ? 0 : 1);
  }
  show_status("cow child writes 64 pages", reap(pid, 0));
  int bad = 0;
  for (int i = 0; i < PAGES; i++)
    for (int j = 0; j < PG; j += 512) bad += priv[i * PG + j] != (unsigned char)i;
  printf("cow parent pages intact: bad=%d\n", bad);

  /* The parent writes after fork while the child still holds the old pages; three generations share one page. */
  int gate[2], back[2];
  pipe(gate);
  pipe(back);
  pid = fork();
  if (pid == 0) {
    char c;
    pid_t g = fork();
    if (g == 0) {
      priv[0] = 0x33;
      _exit(priv[0] == 0x33 && priv[PG] == 1 ? 0 : 1);
    }
    int gs = reap(g, 0);
    read(gate[0], &c, 1);
    int ok = priv[0] == 0 && priv[5 * PG] == 5;
    priv[0] = 0x22;
    ok = ok && priv[0] == 0x22;
    write(back[1], &ok, sizeof ok);
    write(back[1], &gs, sizeof gs);
    _exit(0);
  }
  priv[0] = 0x11;
  mprotect(priv + 5 * PG, PG, PROT_READ);
  mprotect(priv + 5 * PG, PG, PROT_READ | PROT_WRITE);
  priv[5 * PG] = 0x55;
  write(gate[1], "g", 1);
  int ok = 0, gs = 0;
  read(back[0], &ok, sizeof ok);
  read(back[0], &gs, sizeof gs);
  reap(pid, 0);
  printf("cow after parent writes: child saw old=%d grandchild status=%#x parent keeps=%d\n", ok, gs, priv[0] == 0x11 && priv[5 * PG] == 0x55);

  /* MAP_SHARED both ways. */
  *shared = 1;
  pid = fork();
  if (pid == 0) {
    char c;
    read(gate[0], &c, 1);
    int seen = *shared;
    *shared = 3;
    _exit(seen);
  }
  *shared = 2;
  write(gate[1], "g", 1);
  st = reap(pid, 0);
  printf("MAP_SHARED: child saw %d, parent sees %d\n", WEXITSTATUS(st), *shared);

  /* mprotect and munmap in the child leave the parent's mapping alone; the child faults on its own. */
  pid = fork();
  if (pid == 0) {
    mprotect(priv, PG, PROT_READ);
    munmap(priv + PG, PG);
    mprotect((void *)shared, PG, PROT_READ);
    priv[0] = 1;
    _exit(0);
  }
  show_status("child writes after its mprotect", reap(pid, 0));
  priv[0] = 0x12;
  *shared = 4;
  printf("parent after child's mprotect/munmap: writable=%d page1=%d shared=%d\n", priv[0] == 0x12, priv[PG + 7], *shared);
  pid = fork();
  if (pid == 0) {
    munmap(priv, PAGES * PG);
    (void)*(volatile unsigned char *)(priv + 3 * PG);
    _exit(0);
  }
  show_status("child reads after its munmap", reap(pid, 0));
  printf("parent still reads page 3: %d\n", priv[3 * PG]);
  munmap(priv, PAGES * PG);
  munmap((void *)shared, PG);
  close(gate[0]); close(gate[1]); close(back[0]); close(back[1]);
}

static void pipe_checks(void) {
  int p2c[2], c2p[2];
  pipe(p2c);
  pipe(c2p);
  pid_t pid = fork();
  if (pid == 0) {
    char buf[64];
    close(p2c[1]);
    close(c2p[0]);
    ssize_t n = read(p2c[0], buf, sizeof buf);
    for (ssize_t i = 0; i < n; i++) buf[i] ^= 0x20;
    write(c2p[1], buf, n);
    /* A lot more than a pipe holds: the writer sleeps until the reader drains it. */
    static char big[200000];
    memset(big, 'x', sizeof big);
    ssize_t done = 0;
    while (done < (ssize_t)sizeof big) {
      ssize_t w = write(c2p[1], big + done, sizeof big - done);
      if (w <= 0) break;
      done += w;
    }
    /* Then the reader's EOF: our only read end's writer is the parent, which closed it. */
    n = read(p2c[0], buf, sizeof buf);
    _exit(n == 0 ? 0 : 1);
  }
  close(p2c[0]);
  close(c2p[1]);
  write(p2c[1], "hello", 5);
  close(p2c[1]);
  char buf[4096];
  ssize_t n = read(c2p[0], buf, 5);
  printf("pipe: parent -> child -> parent: %.*s\n", (int)n, buf);
  long total = 0;
  while ((n = read(c2p[0], buf, sizeof buf)) > 0) total += n;
  printf("pipe: %ld bytes then EOF (%zd) once the child exited\n", total, n);
  show_status("  child saw EOF too (0)", reap(pid, 0));
  close(c2p[0]);

  /* The reader goes away: EPIPE (SIGPIPE ignored). */
  int p[2];
  pipe(p);
  pid = fork();
  if (pid == 0) _exit(0);
  close(p[0]);
  reap(pid, 0);
  signal(SIGPIPE, SIG_IGN);
  printf("pipe write without a reader: %s\n", res(write(p[1], "x", 1)));
  signal(SIGPIPE, SIG_DFL);
  close(p[1]);
  /* Default SIGPIPE in a child that writes to a pipe nobody reads. */
  pipe(p);
  close(p[0]);
  pid = fork();
  if (pid == 0) {
    write(p[1], "x", 1);
    _exit(0);
  }
  close(p[1]);
  show_status("child writes to a readerless pipe", reap(pid, 0));
}

static void exec_checks(char **argv) {
  char *args[] = {argv[0], "one", "two words", "", "three", NULL};
  char *env[] = {"KENTRY_EDGE=args", "EMPTY=", "X=y", NULL};
  errno = 0;
  printf("execve missing path: %s\n", res(execve("/nonexistent/kentry-edge", args, env)));
  printf("execve bad path pointer: %s\n", res(execve((char *)8, args, env)));
  printf("execve bad argv pointer: %s\n", res(execve("/proc/self/exe", (char **)8, env)));
  char *badarg[] = {argv[0], (char *)8, NULL};
  printf("execve bad argv string: %s\n", res(execve("/proc/self/exe", badarg, env)));
  printf("execve bad envp pointer: %s\n", res(execve("/proc/self/exe", args, (char **)8)));
  pid_t pid = fork();
  if (pid == 0) {
    execve("/proc/self/exe", args, env);
    _exit(127);
  }
  show_status("execve argv/envp", reap(pid, 0));
  /* An empty argv: the kernel gives the new program argv[0] = "" (do_execveat_common, since 5.18). */
  pid = fork();
  if (pid == 0) {
    char *none[] = {NULL};
    execve("/proc/self/exe", none, env);
    _exit(127);
  }
  show_status("execve empty argv", reap(pid, 0));
  pid = vfork();
  if (pid == 0) {
    execve("/nonexistent/kentry-edge", args, env);
    _exit(errno == ENOENT ? 20 : 21);
  }
  show_status("vfork, failed execve, _exit", reap(pid, 0));
}

static volatile int handler_fork_status = -1;
static void on_usr1_fork(int sig) {
  (void)sig;
  pid_t pid = fork();
  if (pid == 0) _exit(33);
  int st;
  if (waitpid(pid, &st, 0) == pid) handler_fork_status = st;
}

int main(int argc, char **argv) {
  const char *mode = getenv("KENTRY_EDGE");
  if (mode && strcmp(mode, "args") == 0) {
    printf("exec'd: argc=%d", argc);
    for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
    if (argc >= 1) printf(" argv0-empty=%d", argv[0][0] == 0);
    for (char **e = environ; *e; e++) printf(" {%s}", *e);
    printf("\n");
    return argc;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);

  clone_checks();
  clone3_checks();
  wait_checks();
  autoreap_checks();
  memory_checks();
  pipe_checks();
  exec_checks(argv);

  set_handler(SIGUSR1, on_usr1_fork, 0);
  raise(SIGUSR1);
  show_status("fork in a handler", handler_fork_status);
  printf("done\n");
  return 0;
}
