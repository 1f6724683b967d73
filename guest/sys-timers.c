/* setitimer/getitimer (ITIMER_REAL shared with alarm, interval reload, CPU-time timers), clock_nanosleep errors and futex. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void err(const char *what, long r) {
  printf("%-40s %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "");
}

#define SYS(what, ...) (errno = 0, err(what, syscall(__VA_ARGS__)))

static long ms(struct timeval tv) { return tv.tv_sec * 1000 + tv.tv_usec / 1000; }

static void itimers(void) {
  struct itimerval v, o;
  getitimer(ITIMER_REAL, &v);
  printf("real at start: %ld %ld\n", ms(v.it_value), ms(v.it_interval));
  struct itimerval set = {{1, 0}, {5, 0}};
  SYS("setitimer REAL 5 s every 1 s", SYS_setitimer, ITIMER_REAL, &set, &o);
  printf("old: %ld %ld\n", ms(o.it_value), ms(o.it_interval));
  getitimer(ITIMER_REAL, &v);
  printf("real: value in (4.9 s, 5 s] %d, interval %ld ms\n", ms(v.it_value) > 4900 && ms(v.it_value) <= 5000, ms(v.it_interval));
  printf("alarm(10) returns %u (the old value rounded)\n", alarm(10));
  getitimer(ITIMER_REAL, &v);
  printf("after alarm: value in (9.9 s, 10 s] %d, interval %ld (alarm is one-shot)\n", ms(v.it_value) > 9900 && ms(v.it_value) <= 10000, ms(v.it_interval));
  printf("alarm(0) returns %u\n", alarm(0));
  getitimer(ITIMER_REAL, &v);
  printf("disarmed: %ld %ld\n", ms(v.it_value), ms(v.it_interval));
  struct itimerval half = {{0, 0}, {0, 400000}};
  setitimer(ITIMER_REAL, &half, NULL);
  printf("alarm(0) after 0.4 s left returns %u (never 0 while pending)\n", alarm(0));

  struct itimerval cpu = {{0, 250000}, {1, 0}};
  for (int which = ITIMER_VIRTUAL; which <= ITIMER_PROF; which++) {
    SYS(which == ITIMER_VIRTUAL ? "setitimer VIRTUAL 1 s" : "setitimer PROF 1 s", SYS_setitimer, which, &cpu, NULL);
    getitimer(which, &v);
    printf("  value in (0.9 s, 1.1 s] %d, interval %ld ms\n", ms(v.it_value) > 900 && ms(v.it_value) <= 1100, ms(v.it_interval));
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(which, &off, &o);
    printf("  old value in (0.9 s, 1.1 s] %d, interval %ld ms\n", ms(o.it_value) > 900 && ms(o.it_value) <= 1100, ms(o.it_interval));
    getitimer(which, &v);
    printf("  disarmed: %ld %ld\n", ms(v.it_value), ms(v.it_interval));
  }

  struct itimerval bad = {{0, 0}, {0, 1000000}};
  SYS("setitimer bad which", SYS_setitimer, 3, &set, NULL);
  SYS("setitimer tv_usec 1000000", SYS_setitimer, ITIMER_REAL, &bad, NULL);
  SYS("setitimer value faults", SYS_setitimer, ITIMER_REAL, (void *)16, NULL);
  SYS("setitimer bad which, value faults", SYS_setitimer, 7, (void *)16, NULL);
  SYS("setitimer old value faults", SYS_setitimer, ITIMER_REAL, &set, (void *)16);
  SYS("getitimer bad which", SYS_getitimer, -1, &v);
  SYS("getitimer faults", SYS_getitimer, ITIMER_PROF, (void *)16);
  setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, NULL);
}

/* ITIMER_REAL with SIGALRM ignored: the expiry sends nothing, and the timer is not re-armed (that happens when SIGALRM is dequeued). */
static void ignored(void) {
  signal(SIGALRM, SIG_IGN);
  struct itimerval set = {{0, 10000}, {0, 10000}};
  setitimer(ITIMER_REAL, &set, NULL);
  struct timespec t = {0, 35000000};
  printf("nanosleep through ignored expiries: %d\n", nanosleep(&t, NULL));
  struct itimerval v;
  getitimer(ITIMER_REAL, &v);
  printf("after: value %ld, interval %ld ms\n", ms(v.it_value), ms(v.it_interval));
}

/* A blocked SIGALRM stays pending and holds the periodic timer until it is dequeued; unblocking it ends the program. */
static void blocked(void) {
  sigset_t s, p;
  sigemptyset(&s);
  sigaddset(&s, SIGALRM);
  sigprocmask(SIG_BLOCK, &s, NULL);
  struct itimerval set = {{0, 10000}, {0, 10000}};
  setitimer(ITIMER_REAL, &set, NULL);
  struct timespec t = {0, 35000000};
  printf("nanosleep with SIGALRM blocked: %d\n", nanosleep(&t, NULL));
  sigpending(&p);
  printf("SIGALRM pending: %d\n", sigismember(&p, SIGALRM));
  struct itimerval v;
  getitimer(ITIMER_REAL, &v);
  printf("while pending: value %ld, interval %ld ms\n", ms(v.it_value), ms(v.it_interval));
  sigprocmask(SIG_UNBLOCK, &s, NULL);
  printf("not reached\n");
}

static void clocks(void) {
  struct timespec t = {0, 1000}, past = {0, 0};
  printf("clock_nanosleep MONOTONIC_RAW: %s\n", strerrorname_np(clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &t, NULL)));
  printf("clock_nanosleep REALTIME_COARSE: %s\n", strerrorname_np(clock_nanosleep(CLOCK_REALTIME_COARSE, 0, &t, NULL)));
  printf("clock_nanosleep THREAD_CPUTIME: %s\n", strerrorname_np(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &t, NULL)));
  printf("clock_nanosleep clock 99: %s\n", strerrorname_np(clock_nanosleep(99, 0, &t, NULL)));
  printf("clock_nanosleep absolute, past: %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
  struct timespec bad = {-1, 0};
  printf("clock_nanosleep negative: %s\n", strerrorname_np(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL)));
  printf("clock_nanosleep req faults: %s\n", strerrorname_np(clock_nanosleep(CLOCK_MONOTONIC, 0, (void *)16, NULL)));
  printf("clock_nanosleep BOOTTIME: %d\n", clock_nanosleep(CLOCK_BOOTTIME, 0, &t, NULL));
}

static uint32_t word = 7;

static void futexes(void) {
  struct timespec ten = {0, 10000000}, badts = {0, 1000000000}, now;
  SYS("WAIT value differs", SYS_futex, &word, FUTEX_WAIT, 8, NULL, NULL, 0);
  SYS("WAIT_PRIVATE value differs", SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, NULL, NULL, 0);
  SYS("WAIT misaligned", SYS_futex, (char *)&word + 1, FUTEX_WAIT_PRIVATE, 7, NULL, NULL, 0);
  SYS("WAIT unmapped", SYS_futex, (void *)16, FUTEX_WAIT_PRIVATE, 7, NULL, NULL, 0);
  SYS("WAIT kernel address", SYS_futex, (void *)0xffff800000000000, FUTEX_WAIT_PRIVATE, 7, NULL, NULL, 0);
  SYS("WAIT 10 ms timeout", SYS_futex, &word, FUTEX_WAIT_PRIVATE, 7, &ten, NULL, 0);
  SYS("WAIT shared 10 ms timeout", SYS_futex, &word, FUTEX_WAIT, 7, &ten, NULL, 0);
  SYS("WAIT bad timeout", SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, &badts, NULL, 0);
  SYS("WAIT timeout faults", SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, (void *)16, NULL, 0);
  clock_gettime(CLOCK_MONOTONIC, &now);
  SYS("WAIT_BITSET absolute, past", SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 7, &now, NULL, FUTEX_BITSET_MATCH_ANY);
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 5000000;
  if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
  SYS("WAIT_BITSET absolute, in 5 ms", SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 7, &now, NULL, 1);
  SYS("WAIT_BITSET bitset 0", SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 7, &now, NULL, 0);
  SYS("WAIT_BITSET value differs", SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 8, &now, NULL, 1);
  SYS("WAIT|CLOCK_REALTIME", SYS_futex, &word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 8, NULL, NULL, 0);
  SYS("WAKE", SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0);
  SYS("WAKE_PRIVATE", SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  SYS("WAKE_PRIVATE unmapped", SYS_futex, (void *)16, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  SYS("WAKE shared unmapped", SYS_futex, (void *)16, FUTEX_WAKE, 1, NULL, NULL, 0);
  SYS("WAKE misaligned", SYS_futex, (char *)&word + 2, FUTEX_WAKE, 1, NULL, NULL, 0);
  SYS("WAKE_BITSET", SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 2);
  SYS("WAKE_BITSET bitset 0", SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0);
  SYS("FUTEX_FD", SYS_futex, &word, 2, 0, NULL, NULL, 0);
  SYS("op 99", SYS_futex, &word, 99, 0, NULL, NULL, 0);
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "itimers";
  setvbuf(stdout, NULL, _IONBF, 0);
  if (!strcmp(what, "itimers")) itimers();
  if (!strcmp(what, "ignored")) ignored();
  if (!strcmp(what, "blocked")) blocked();
  if (!strcmp(what, "clocks")) clocks();
  if (!strcmp(what, "futex")) futexes();
  if (!strcmp(what, "futex-alarm")) {
    alarm(1);
    printf("waiting\n");
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 7, NULL, NULL, 0);
    printf("not reached\n");
  }
  if (!strcmp(what, "virtual") || !strcmp(what, "prof")) {
    struct itimerval t = {{0, 0}, {0, 2000}};
    setitimer(what[0] == 'v' ? ITIMER_VIRTUAL : ITIMER_PROF, &t, NULL);
    printf("spinning\n");
    for (volatile unsigned long i = 0;; i++) {}
  }
  return 0;
}
