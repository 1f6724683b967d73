/*
 * SIGALRM from alarm() and setitimer(ITIMER_REAL) delivered to a handler.
 *  - alarm() returns the seconds left on the previous alarm, rounded
 *    (alarm_setitimer(): a remainder of less than a second still counts as 1);
 *  - it_real_fn() sends SIGALRM with SEND_SIG_PRIV: si_code SI_KERNEL, si_pid 0;
 *  - an interval timer keeps firing: pause() until three deliveries, then
 *    setitimer() with zero cancels it and getitimer() reads zero;
 *  - getitimer() while armed reads a value in (0, interval].
 * Timer periods are short (20 ms), and only counts and yes/no are printed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int alarms;
static int code, pid, signo;

static void on_alrm(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  alarms++;
  signo = sig;
  code = si->si_code;
  pid = si->si_pid;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_alrm;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGALRM, &sa, NULL);

  printf("alarm(5) -> %u\n", alarm(5));
  printf("alarm(0) -> %u (5 s were left)\n", alarm(0));
  printf("alarm(0) -> %u (none left)\n", alarm(0));

  /* One alarm() delivery, ending pause(). Use a 20 ms ITIMER_REAL for speed; alarm()
   * shares the same timer, so alarm(0) reads what is left of it. */
  struct itimerval it = {{0, 0}, {0, 20000}}, cur;
  setitimer(ITIMER_REAL, &it, NULL);
  printf("alarm(0) with 20 ms left -> %u\n", alarm(0));
  setitimer(ITIMER_REAL, &it, NULL);
  int r = pause();
  printf("one-shot: pause %d errno %s, deliveries %d, signo %d si_code %d si_pid %d\n", r, strerror(errno), alarms,
         signo, code, pid);
  getitimer(ITIMER_REAL, &cur);
  printf("one-shot: disarmed after firing %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

  /* An interval timer: count to three, then cancel. */
  alarms = 0;
  struct itimerval every = {{0, 20000}, {0, 20000}};
  setitimer(ITIMER_REAL, &every, NULL);
  getitimer(ITIMER_REAL, &cur);
  printf("interval: armed value in (0, 20 ms] %d, interval 20 ms %d\n",
         cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 20000,
         cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 20000);
  while (alarms < 3) pause();
  struct itimerval zero = {{0, 0}, {0, 0}}, old;
  setitimer(ITIMER_REAL, &zero, &old);
  printf("interval: %d deliveries; old interval still 20 ms %d\n", alarms,
         old.it_interval.tv_usec == 20000);
  getitimer(ITIMER_REAL, &cur);
  printf("cancelled: value zero %d interval zero %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0,
         cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);
  r = setitimer(99, &zero, NULL);
  printf("bad which: setitimer(99) %d %s\n", r, strerror(errno));
  return 0;
}
