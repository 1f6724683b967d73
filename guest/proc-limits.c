/*
 * kentry's own limits, reached by a guest: "fork-bomb" forks until fork
 * fails (EAGAIN once every task slot is taken, as RLIMIT_NPROC would);
 * "cow-oom" maps and touches 600 MiB, forks, and the child writes every
 * page — the copies do not fit kentry's 1 GiB, and the child is killed
 * (SIGKILL, as the OOM killer would), never the host process.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "fork-bomb") == 0) {
    for (int i = 0; i < 1000; i++) {
      pid_t p = fork();
      if (p == 0) {
        pause();
        _exit(0);
      }
      if (p < 0) {
        printf("fork %d failed: %s\n", i, strerror(errno));
        kill(0, SIGKILL);
        return 1;
      }
    }
    printf("no fork failed\n");
    return 0;
  }
  size_t n = (size_t)600 << 20;
  char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 2;
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  pid_t c = fork();
  if (c == 0) {
    for (size_t i = 0; i < n; i += 4096) p[i] = 2;
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child: exited=%d signaled=%d sig=%d\n", WIFEXITED(st), WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return 0;
}
