/*
 * ptrace around execve: the legacy SIGTRAP after a traced exec, the
 * PTRACE_EVENT_EXEC stop with PTRACE_O_TRACEEXEC (GETEVENTMSG = the pid),
 * TRACESYSGOOD's SIGTRAP|0x80 at syscall stops, and a tracer's resume
 * signal delivered to the tracee. Deterministic output only.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int sig) {
  (void)sig;
  static const char m[] = "tracee: got SIGUSR1 from the tracer's resume\n";
  write(1, m, sizeof m - 1);
}

static pid_t traced_child(char *self, const char *mode) {
  pid_t pid = fork();
  if (pid == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    char *args[] = {self, (char *)mode, NULL};
    execve("/proc/self/exe", args, NULL);
    _exit(99);
  }
  return pid;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "exec-target") == 0) {
    signal(SIGUSR1, on_usr1);
    getppid();
    return 4;
  }
  int status;
  /* 1. Legacy: a SIGTRAP stop after exec. */
  pid_t pid = traced_child(argv[0], "exec-target");
  waitpid(pid, &status, 0);
  printf("legacy: first stop sig=%d\n", WSTOPSIG(status));
  ptrace(PTRACE_CONT, pid, 0, 0);
  waitpid(pid, &status, 0);
  printf("legacy: after exec stopped=%d sig=%d event=%d\n", WIFSTOPPED(status), WSTOPSIG(status), status >> 16);
  ptrace(PTRACE_CONT, pid, 0, 0);
  waitpid(pid, &status, 0);
  printf("legacy: exited=%d code=%d\n", WIFEXITED(status), WEXITSTATUS(status));

  /* 2. PTRACE_O_TRACEEXEC | TRACESYSGOOD: the event stop, then a syscall stop, then a signal injected on resume. */
  pid = traced_child(argv[0], "exec-target");
  waitpid(pid, &status, 0);
  long r = ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD);
  printf("options: r=%ld\n", r);
  ptrace(PTRACE_CONT, pid, 0, 0);
  waitpid(pid, &status, 0);
  unsigned long msg = 0;
  ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
  printf("event: stopped=%d sig=%d event=%d msg_is_pid=%d\n", WIFSTOPPED(status), WSTOPSIG(status), status >> 16, msg == (unsigned long)pid);
  /* Run to the getppid syscall entry: rt_sigaction comes first. */
  for (int i = 0; i < 400; i++) {
    ptrace(PTRACE_SYSCALL, pid, 0, 0);
    waitpid(pid, &status, 0);
    long nr = ptrace(PTRACE_PEEKUSER, pid, 8 * 15 /* orig_rax */, 0);
    if (nr == 110) break;
  }
  printf("syscall stop: sig=0x%x (SIGTRAP|0x80)\n", WSTOPSIG(status));
  siginfo_t si;
  ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
  printf("syscall stop siginfo: signo=%d code=0x%x\n", si.si_signo, si.si_code);
  ptrace(PTRACE_SYSCALL, pid, 0, 0); /* to the exit stop */
  waitpid(pid, &status, 0);
  ptrace(PTRACE_CONT, pid, 0, SIGUSR1); /* a signal sent on resume from a syscall stop */
  waitpid(pid, &status, 0);
  printf("SIGUSR1 stop: sig=%d\n", WSTOPSIG(status));
  ptrace(PTRACE_CONT, pid, 0, SIGUSR1); /* delivered: the handler runs */
  pid_t w = waitpid(pid, &status, 0);
  printf("after the handler: same=%d raw=0x%x\n", w == pid, status);
  while (!WIFEXITED(status) && !WIFSIGNALED(status)) {
    ptrace(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0);
  }
  printf("traced exec: exited=%d code=%d\n", WIFEXITED(status), WEXITSTATUS(status));
  return 0;
}
