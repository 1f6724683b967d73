/*
 * Job control: a child stopped by SIGSTOP (twice), reported by
 * waitpid(WUNTRACED) and waitid(WSTOPPED), continued by SIGCONT and
 * reported by WCONTINUED; SIGCHLD's si_code for each (and none with
 * SA_NOCLDSTOP); a stopped child killed by SIGKILL. Prints only facts
 * that are the same on every run.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int codes[16];
static volatile int ncodes;

static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  if (ncodes < 16) codes[ncodes++] = si->si_code * 100 + si->si_status;
}

static void print_codes(const char *what) {
  printf("%s SIGCHLD codes:", what);
  for (int i = 0; i < ncodes; i++) printf(" %d", codes[i]);
  printf("\n");
  ncodes = 0;
}

/* SIGCHLD is blocked except here: wait for the n-th notification, so none can merge with the next (deterministic). */
static void wait_codes(int n) {
  sigset_t none;
  sigemptyset(&none);
  while (ncodes < n) sigsuspend(&none);
}

static void run(int nocldstop) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | (nocldstop ? SA_NOCLDSTOP : 0);
  sigaction(SIGCHLD, &sa, NULL);
  int go[2];
  pipe(go);
  char b = 0;
  int status;
  pid_t pid = fork();
  if (pid == 0) {
    raise(SIGSTOP);
    read(go[0], &b, 1);
    raise(SIGSTOP); /* not SIGTSTP: in an orphaned process group (a test runner's) the kernel discards it */
    read(go[0], &b, 1);
    _exit(5);
  }
  int n = 0;
  pid_t w = waitpid(pid, &status, WUNTRACED);
  printf("stop 1: same=%d stopped=%d sig=%d\n", w == pid, WIFSTOPPED(status), WSTOPSIG(status));
  if (!nocldstop) wait_codes(++n);
  kill(pid, SIGCONT);
  w = waitpid(pid, &status, WCONTINUED);
  printf("cont 1: same=%d continued=%d raw=0x%x\n", w == pid, WIFCONTINUED(status), status);
  if (!nocldstop) wait_codes(++n);
  write(go[1], &b, 1);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  waitid(P_PID, pid, &si, WSTOPPED);
  printf("stop 2 (waitid): code=%d status=%d\n", si.si_code, si.si_status);
  if (!nocldstop) wait_codes(++n);
  kill(pid, SIGCONT);
  if (!nocldstop) wait_codes(++n);
  write(go[1], &b, 1);
  w = waitpid(pid, &status, 0);
  printf("exit: exited=%d code=%d\n", WIFEXITED(status), WEXITSTATUS(status));
  wait_codes(++n);
  print_codes(nocldstop ? "SA_NOCLDSTOP:" : "default:");
  close(go[0]);
  close(go[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  run(0);
  run(1);
  /* A stopped child killed by SIGKILL. */
  pid_t pid = fork();
  if (pid == 0) {
    raise(SIGSTOP);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, WUNTRACED);
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  printf("killed while stopped: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));
  return 0;
}
