/* A signal handler: runs natively; kentry says plainly that handlers are not modelled yet. */
#include <signal.h>
#include <stdio.h>

static void on_usr1(int sig) { printf("handler got %d\n", sig); }

int main(void) {
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  printf("back in main\n");
  return 0;
}
