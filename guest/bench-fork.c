/*
 * Process creation: N rounds of fork, the child touching one page of its
 * copy-on-write stack and exiting, the parent reaping it with waitpid.
 * Prints the sum of the children's exit codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 500;
  long sum = 0;
  for (int i = 0; i < rounds; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      volatile char page[64];
      page[0] = (char)i;
      _exit(page[0] & 7);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 1;
    sum += WEXITSTATUS(status);
  }
  printf("%d forks, exit codes sum %ld\n", rounds, sum);
  return 0;
}
