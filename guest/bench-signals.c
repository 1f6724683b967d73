/*
 * `npm run bench`'s signal-heavy program: argv[1] thousand (default 20)
 * deliveries of SIGUSR1 to an SA_SIGINFO handler, alternating raise()
 * (tgkill, si_code SI_TKILL) and kill() (si_code SI_USER), each one a
 * kernel entry, a signal frame with its XSAVE area, the handler and
 * rt_sigreturn. The checksum folds in what the handler sees that does not
 * depend on the host (signal number, si_code, the delivery count), so it is
 * the same natively, under qemu and under kentry.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile uint64_t sum;
static volatile unsigned delivered;

static void handler(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  delivered++;
  sum = sum * 1099511628211ull + (uint64_t)(sig * 1000 + si->si_signo * 10 + (si->si_code + 10)) + delivered;
}

int main(int argc, char **argv) {
  long n = (argc > 1 ? atol(argv[1]) : 20) * 1000;
  struct sigaction sa = {0};
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) != 0) return perror("sigaction"), 1;
  pid_t self = getpid();
  for (long i = 0; i < n; i++) {
    if (i & 1) kill(self, SIGUSR1);
    else raise(SIGUSR1);
  }
  printf("delivered %u of %ld\nchecksum %016llx\n", delivered, n, (unsigned long long)sum);
  return delivered == n ? 0 : 1;
}
