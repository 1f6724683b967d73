/*
 * Syscall restart when a handler runs (reference §4.7): handle_signal() looks at the
 * syscall's return value in RAX before it builds the frame:
 *   -ERESTART_RESTARTBLOCK (nanosleep, clock_nanosleep) and -ERESTARTNOHAND (pause,
 *   rt_sigsuspend) become -EINTR even with SA_RESTART;
 *   -ERESTARTSYS (futex FUTEX_WAIT without a timeout) becomes -EINTR without SA_RESTART,
 *   and with SA_RESTART the syscall is restarted: RAX = orig_ax, RIP -= 2.
 * The handler prints what the frame holds (RAX and RIP relative to the end of the
 * SYSCALL instruction), so the restart decision is visible before sigreturn. Times are
 * printed in whole seconds only. An ITIMER_REAL one-shot (200 ms) sends SIGALRM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

extern char after_sc[];
long raw_syscall4(long nr, long a1, long a2, long a3, long a4);

/* A raw syscall whose SYSCALL instruction ends at after_sc; returns -errno. */
__asm__(".text\n"
        ".globl raw_syscall4\n"
        "raw_syscall4:\n"
        "  mov %rdi, %rax\n"
        "  mov %rsi, %rdi\n"
        "  mov %rdx, %rsi\n"
        "  mov %rcx, %rdx\n"
        "  mov %r8, %r10\n"
        "  syscall\n"
        ".globl after_sc\n"
        "after_sc:\n"
        "  ret\n");

static volatile int futex_word;
static long frame_rax, frame_rip_off;
static int alarms;

static void on_alrm(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  (void)sig, (void)si;
  alarms++;
  frame_rax = uc->uc_mcontext.gregs[REG_RAX];
  frame_rip_off = uc->uc_mcontext.gregs[REG_RIP] - (long)(uintptr_t)after_sc;
  futex_word = 1; /* a restarted FUTEX_WAIT then fails with EAGAIN at once */
}

static void arm(int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_alrm;
  sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 200000}};
  setitimer(ITIMER_REAL, &it, NULL);
  alarms = 0;
  frame_rax = frame_rip_off = 12345;
  futex_word = 0;
}

static long whole_seconds(const struct timespec *t) { return t->tv_sec + (t->tv_nsec >= 500000000); }

static void report(const char *what, long r) {
  printf("%s: returns %ld (%s), handler ran %d, frame rax %ld rip %+ld\n", what, r, r < 0 ? strerror((int)-r) : "ok",
         alarms, frame_rax, frame_rip_off);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("constants: EINTR %d EAGAIN %d; __NR_futex %d __NR_nanosleep %d\n", EINTR, EAGAIN, SYS_futex,
         SYS_nanosleep);
  for (int restart = 0; restart <= 1; restart++) {
    const char *sa = restart ? "SA_RESTART" : "no SA_RESTART";
    char what[64];
    struct timespec req = {2, 0}, rem = {0, 0};

    arm(restart);
    long r = raw_syscall4(SYS_nanosleep, (long)&req, (long)&rem, 0, 0);
    snprintf(what, sizeof what, "nanosleep 2 s, %s", sa);
    report(what, r);
    printf("  rem %ld s\n", whole_seconds(&rem));

    arm(restart);
    rem.tv_sec = rem.tv_nsec = 0;
    int cr = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    printf("clock_nanosleep 2 s, %s: returns %d (%s), handler ran %d, rem %ld s\n", sa, cr, strerror(cr), alarms,
           whole_seconds(&rem));

    arm(restart);
    r = raw_syscall4(SYS_futex, (long)&futex_word, FUTEX_WAIT_PRIVATE, 0, 0);
    snprintf(what, sizeof what, "futex wait, %s", sa);
    report(what, r);

    arm(restart);
    r = raw_syscall4(SYS_pause, 0, 0, 0, 0);
    snprintf(what, sizeof what, "pause, %s", sa);
    report(what, r);

    arm(restart);
    uint64_t none = 0;
    r = raw_syscall4(SYS_rt_sigsuspend, (long)&none, 8, 0, 0);
    snprintf(what, sizeof what, "rt_sigsuspend, %s", sa);
    report(what, r);
  }
  return 0;
}
