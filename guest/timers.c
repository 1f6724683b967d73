/* Virtual time: sleeps move the clock, alarm() ends a pause() with SIGALRM. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "sleep";
  setvbuf(stdout, NULL, _IONBF, 0);
  if (!strcmp(what, "sleep")) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec req = {0, 250000000};
    int r = nanosleep(&req, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("nanosleep %d, slept at least 250 ms: %d, less than 2 s: %d\n", r, ms >= 250, ms < 2000);
    struct timespec bad = {0, 1000000000};
    printf("bad timespec: %d\n", nanosleep(&bad, NULL));
  }
  if (!strcmp(what, "alarm")) {
    printf("previous alarm: %u\n", alarm(5));
    printf("previous alarm: %u\n", alarm(1));
    pause();
    printf("not reached\n");
  }
  return 0;
}
