/* Signal dispositions, masks and kill without handlers, one case per argv[1]. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "none";
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("case %s\n", what);
  if (!strcmp(what, "term")) kill(getpid(), SIGTERM);
  if (!strcmp(what, "ignored")) {
    signal(SIGTERM, SIG_IGN);
    kill(getpid(), SIGTERM);
    printf("still here after an ignored SIGTERM\n");
  }
  if (!strcmp(what, "blocked")) {
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    sigpending(&pending);
    printf("SIGUSR1 pending while blocked: %d\n", sigismember(&pending, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("not reached\n");
  }
  if (!strcmp(what, "chld")) {
    raise(SIGCHLD); /* ignored by default */
    printf("SIGCHLD ignored\n");
  }
  if (!strcmp(what, "abort")) abort();
  if (!strcmp(what, "badsig")) printf("kill(-1 signal): %d\n", kill(getpid(), 99) == -1);
  if (!strcmp(what, "esrch")) printf("kill(no such pid): %d\n", kill(999999, 0) == -1);
  return 0;
}
