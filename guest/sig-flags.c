/*
 * sigaction flags, masks and the order of delivery (reference §4.6-§4.8).
 * Each handler appends to a log ("USR1>" on entry, "USR1<" on return); main prints it.
 *
 *  - SA_NODEFER: signal_delivered() adds the signal itself to the blocked set unless
 *    SA_NODEFER, so a re-raise inside the handler nests or waits for rt_sigreturn();
 *  - sa_mask is blocked while the handler runs; rt_sigreturn() restores uc_sigmask and
 *    the signal left pending is delivered then; sigpending() reports it meanwhile;
 *  - pending order: dequeue_signal() takes the lowest number first, and
 *    exit_to_user_mode_loop() keeps delivering while signals are pending, so with empty
 *    sa_masks the later (higher) signal's frame is on top and its handler runs first;
 *    with full sa_masks the handlers run in dequeue order; a standard signal raised twice
 *    while blocked is delivered once;
 *  - synchronous first: dequeue_synchronous_signal() takes a fault signal before a lower
 *    pending one; here the fault is rt_sigreturn()'s badframe (force_sig(SIGSEGV)) after
 *    set_current_blocked() already unblocked SIGUSR1;
 *  - SA_RESETHAND: get_signal() resets the action to SIG_DFL on delivery; the signal is
 *    still blocked during the handler (no implied SA_NODEFER); argv[1] == "resethand":
 *    the second SIGUSR2 takes the default action (exit 140);
 *  - argv[1] == "norestorer": rt_sigaction() accepts an action without SA_RESTORER, but
 *    x64_setup_rt_frame() refuses to build the frame (-EFAULT) and force_sigsegv() kills
 *    (exit 139);
 *  - rt_sigsuspend() and pause() return EINTR after the handler (-ERESTARTNOHAND), and
 *    sigsuspend puts the old mask back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

static char log_[512];
static int depth, reraise, segv_code, usr1_blocked_inside, usr2_pending_inside;

static void note(const char *s) {
  strcat(log_, log_[0] ? " " : "");
  strcat(log_, s);
}

static void show(const char *what) {
  printf("%s: %s\n", what, log_);
  log_[0] = 0;
}

static int is_blocked(int sig) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, sig);
}

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  (void)si, (void)ctx;
  note("USR1>");
  usr1_blocked_inside = is_blocked(SIGUSR1);
  if (reraise && depth++ == 0) raise(sig);
  note("USR1<");
}

static int usr2_blocked_inside;

static void on_usr2(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)si, (void)ctx;
  note("USR2>");
  usr2_blocked_inside = is_blocked(SIGUSR2);
  note("USR2<");
}

/* Raises SIGUSR2 (blocked by sa_mask) and reports what is pending meanwhile. */
static void on_usr1_raising_usr2(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)si, (void)ctx;
  note("USR1>");
  raise(SIGUSR2);
  sigset_t p;
  sigpending(&p);
  usr2_pending_inside = sigismember(&p, SIGUSR2);
  note("USR1<");
}

/* Leaves SIGUSR1 pending and returns through a frame whose fpstate cannot be read. */
static void on_usr2_badframe(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  (void)sig, (void)si;
  note("USR2>");
  raise(SIGUSR1); /* pending: sa_mask blocks it */
  sigdelset(&uc->uc_sigmask, SIGUSR1);
  uc->uc_mcontext.fpregs = (fpregset_t)(uintptr_t)0x1000; /* below mmap_min_addr */
  note("USR2<");
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)ctx;
  note("SEGV>");
  segv_code = si->si_code;
  note("SEGV<");
}

static void on_alrm(int sig) {
  (void)sig;
  note("ALRM");
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const int *mask) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  if (mask == NULL) sigfillset(&sa.sa_mask);
  else
    for (; *mask; mask++) sigaddset(&sa.sa_mask, *mask);
  sigaction(sig, &sa, NULL);
}

static const int NONE[] = {0}, ONLY_USR2[] = {SIGUSR2, 0}, ONLY_USR1[] = {SIGUSR1, 0};

static void block2(int how) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGUSR2);
  sigprocmask(how, &s, NULL);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "norestorer")) {
    struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); uint64_t mask; } ksa = {on_alrm, 0, 0, 0};
    long r = syscall(SYS_rt_sigaction, SIGUSR1, &ksa, NULL, 8);
    printf("rt_sigaction without SA_RESTORER: %ld\n", r);
    raise(SIGUSR1);
    printf("not reached\n");
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "resethand")) {
    install(SIGUSR2, on_usr2, SA_RESETHAND, NONE);
    raise(SIGUSR2);
    printf("(SIGUSR2 blocked in its SA_RESETHAND handler %d) ", usr2_blocked_inside);
    show("first SIGUSR2");
    raise(SIGUSR2);
    printf("not reached\n");
    return 0;
  }

  /* SA_NODEFER or not: a re-raise from inside the handler. */
  install(SIGUSR1, on_usr1, 0, NONE);
  reraise = 1, depth = 0;
  raise(SIGUSR1);
  printf("(SIGUSR1 blocked in its handler %d) ", usr1_blocked_inside);
  show("re-raise without SA_NODEFER");
  install(SIGUSR1, on_usr1, SA_NODEFER, NONE);
  depth = 0;
  raise(SIGUSR1);
  printf("(SIGUSR1 blocked in its handler %d) ", usr1_blocked_inside);
  show("re-raise with SA_NODEFER");
  reraise = 0;

  /* sa_mask: SIGUSR2 waits until the SIGUSR1 handler returns. */
  install(SIGUSR1, on_usr1_raising_usr2, 0, ONLY_USR2);
  install(SIGUSR2, on_usr2, 0, NONE);
  raise(SIGUSR1);
  printf("(SIGUSR2 pending inside %d) ", usr2_pending_inside);
  show("sa_mask {SIGUSR2}");

  /* Both pending while blocked, then unblocked together. */
  install(SIGUSR1, on_usr1, 0, NONE);
  install(SIGUSR2, on_usr2, 0, NONE);
  block2(SIG_BLOCK);
  raise(SIGUSR2);
  raise(SIGUSR1);
  raise(SIGUSR1);
  sigset_t p;
  sigpending(&p);
  printf("pending: SIGUSR1 %d SIGUSR2 %d SIGTERM %d\n", sigismember(&p, SIGUSR1), sigismember(&p, SIGUSR2),
         sigismember(&p, SIGTERM));
  block2(SIG_UNBLOCK);
  show("unblocked, empty sa_masks");
  install(SIGUSR1, on_usr1, 0, NULL);
  install(SIGUSR2, on_usr2, 0, NULL);
  block2(SIG_BLOCK);
  raise(SIGUSR2);
  raise(SIGUSR1);
  block2(SIG_UNBLOCK);
  show("unblocked, full sa_masks");

  /* A fault signal (sigreturn's badframe) before a lower pending SIGUSR1. */
  install(SIGUSR2, on_usr2_badframe, 0, ONLY_USR1);
  install(SIGUSR1, on_usr1, 0, NULL);
  install(SIGSEGV, on_segv, 0, NULL);
  raise(SIGUSR2);
  printf("(SIGSEGV si_code %d) ", segv_code);
  show("bad frame with SIGUSR1 pending");

  /* SA_RESETHAND on SIGCHLD (default action: ignore). */
  struct sigaction old;
  install(SIGCHLD, on_usr2, SA_RESETHAND, NONE);
  raise(SIGCHLD);
  sigaction(SIGCHLD, NULL, &old);
  printf("SA_RESETHAND: handler now SIG_DFL %d, SA_SIGINFO kept %d\n", old.sa_handler == SIG_DFL,
         (old.sa_flags & SA_SIGINFO) != 0);
  raise(SIGCHLD);
  show("SA_RESETHAND SIGCHLD twice");

  /* rt_sigsuspend with SIGUSR1 pending. */
  install(SIGUSR1, on_usr1, 0, NONE);
  sigset_t one, empty;
  sigemptyset(&one);
  sigemptyset(&empty);
  sigaddset(&one, SIGUSR1);
  sigprocmask(SIG_BLOCK, &one, NULL);
  raise(SIGUSR1);
  int r = sigsuspend(&empty);
  int e = errno;
  printf("sigsuspend: %d %s, SIGUSR1 blocked again %d\n", r, strerror(e), is_blocked(SIGUSR1));
  show("sigsuspend");
  sigprocmask(SIG_UNBLOCK, &one, NULL);

  /* pause() ended by an interval timer's SIGALRM. */
  signal(SIGALRM, on_alrm);
  struct itimerval it = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &it, NULL);
  r = pause();
  e = errno;
  printf("pause: %d %s\n", r, strerror(e));
  show("pause");
  return 0;
}
