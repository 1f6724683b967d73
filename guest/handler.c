/* A plain signal() handler (glibc installs SA_RESTORER and its __restore_rt): runs the same natively and under kentry. */
#include <signal.h>
#include <stdio.h>

static void on_usr1(int sig) { printf("handler got %d\n", sig); }

int main(void) {
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  printf("back in main\n");
  return 0;
}
