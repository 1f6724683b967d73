/*
 * fork, vfork, copy-on-write, wait4/waitid status words, SIGCHLD and
 * execve, printing only what is the same on every Linux run (no pids).
 * Run with an argument "exec-child N" it is the program execve starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int chld_count;
static volatile int chld_code, chld_status, chld_pid_ok;
static pid_t last_child;

static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  chld_count++;
  chld_code = si->si_code;
  chld_status = si->si_status;
  chld_pid_ok = si->si_pid == last_child;
}

static int global = 1;

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "exec-child") == 0) {
    printf("exec-child: argv[2]=%s global=%d\n", argv[2], global);
    fflush(stdout);
    return atoi(argv[2]);
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);

  /* 1. fork + copy-on-write: the child's writes stay its own. */
  int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int *private_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *shared = 10;
  *private_page = 20;
  global = 30;
  pid_t pid = fork();
  if (pid == 0) {
    global = 31;
    *private_page = 21;
    *shared = 11;
    printf("child: getppid matches=%d global=%d private=%d shared=%d\n", getppid() == getpid() ? -1 : 1, global, *private_page, *shared);
    _exit(7);
  }
  last_child = pid;
  int status = 0;
  pid_t w = waitpid(pid, &status, 0);
  printf("parent: waitpid same=%d exited=%d code=%d global=%d private=%d shared=%d\n",
         w == pid, WIFEXITED(status), WEXITSTATUS(status), global, *private_page, *shared);
  while (chld_count < 1) pause();
  printf("SIGCHLD: count=%d code=%d status=%d\n", chld_count, chld_code, chld_status);

  /* 2. a child killed by a signal. */
  pid = fork();
  if (pid == 0) {
    raise(SIGTERM);
    _exit(0);
  }
  last_child = pid;
  w = waitpid(pid, &status, 0);
  printf("killed: signaled=%d sig=%d core=%d\n", WIFSIGNALED(status), WTERMSIG(status), WCOREDUMP(status) ? 1 : 0);

  /* 3. waitid, WNOHANG, ECHILD. */
  pid = fork();
  if (pid == 0) _exit(3);
  last_child = pid;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
  printf("waitid nowait: r=%d signo=%d code=%d status=%d pid_ok=%d\n", r, si.si_signo, si.si_code, si.si_status, si.si_pid == pid);
  memset(&si, 0, sizeof si);
  r = waitid(P_ALL, 0, &si, WEXITED);
  printf("waitid: r=%d code=%d status=%d pid_ok=%d\n", r, si.si_code, si.si_status, si.si_pid == pid);
  errno = 0;
  r = waitpid(-1, &status, WNOHANG);
  printf("no children: r=%d errno=%s\n", r, errno == ECHILD ? "ECHILD" : strerror(errno));

  /* 4. vfork + execve of this program. */
  pid = vfork();
  if (pid == 0) {
    char *args[] = {argv[0], "exec-child", "42", NULL};
    execve("/proc/self/exe", args, NULL);
    _exit(127);
  }
  last_child = pid;
  w = waitpid(pid, &status, 0);
  printf("vfork+exec: exited=%d code=%d\n", WIFEXITED(status), WEXITSTATUS(status));

  /* 5. several children at once, reaped in any order. */
  int sum = 0;
  for (int i = 1; i <= 4; i++) {
    pid = fork();
    if (pid == 0) {
      volatile unsigned long spin = 0;
      for (unsigned long j = 0; j < 200000UL * (unsigned long)(5 - i); j++) spin += j;
      _exit(i);
    }
  }
  for (int i = 0; i < 4; i++) {
    w = wait(&status);
    sum += WEXITSTATUS(status);
  }
  printf("four children: sum=%d\n", sum);
  return 0;
}
