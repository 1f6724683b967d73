/* readv, getrlimit/prlimit64, sched_yield, getppid and terminal ioctls: results and errno of each call's paths. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

static void show(const char *what, long r) {
  printf("%-34s %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "");
}

#define SYS(what, ...) (errno = 0, show(what, syscall(__VA_ARGS__)))

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  /* readv on a file: the ELF magic split over three segments, one empty. */
  int fd = open("/proc/self/exe", O_RDONLY);
  char a[2], b[3], c[8];
  struct iovec iov[3] = {{a, 2}, {c, 0}, {b, 3}};
  long n = readv(fd, iov, 3);
  printf("readv exe: %ld %02x %c%c%c%c\n", n, (unsigned char)a[0], a[1], b[0], b[1], b[2]);
  struct iovec one = {c, 3};
  n = readv(fd, &one, 1);
  printf("readv continues at 5: %ld %02x %02x %02x\n", n, (unsigned char)c[0], (unsigned char)c[1], (unsigned char)c[2]);
  SYS("readv bad fd", SYS_readv, 99, iov, 3);
  SYS("readv iovcnt -1", SYS_readv, fd, iov, -1L);
  SYS("readv iovcnt 1025", SYS_readv, fd, iov, 1025);
  SYS("readv iovcnt 0", SYS_readv, fd, iov, 0);
  SYS("readv iov NULL", SYS_readv, fd, NULL, 1);
  struct iovec neg = {c, (size_t)-1};
  SYS("readv negative iov_len", SYS_readv, fd, &neg, 1);
  struct iovec badbuf = {(void *)16, 4};
  SYS("readv buffer fault", SYS_readv, fd, &badbuf, 1);
  struct iovec half[2] = {{c, 2}, {(void *)16, 4}};
  SYS("readv fault after 2 bytes", SYS_readv, fd, half, 2);
  lseek(fd, 0, SEEK_END);
  SYS("readv at end of file", SYS_readv, fd, iov, 3);
  SYS("readv stdin (empty pipe)", SYS_readv, 0, iov, 3);

  /* getrlimit and prlimit64 agree, before and after a change of the soft limit. */
  struct rlimit g, p;
  for (int res = 0; res < 16; res++) {
    syscall(SYS_getrlimit, res, &g);
    syscall(SYS_prlimit64, 0, res, NULL, &p);
    if (g.rlim_cur != p.rlim_cur || g.rlim_max != p.rlim_max) printf("resource %d differs\n", res);
  }
  struct rlimit lower = {64, 64};
  syscall(SYS_getrlimit, RLIMIT_NOFILE, &g);
  lower.rlim_max = g.rlim_max;
  SYS("prlimit64 NOFILE soft 64", SYS_prlimit64, 0, RLIMIT_NOFILE, &lower, NULL);
  syscall(SYS_getrlimit, RLIMIT_NOFILE, &g);
  printf("getrlimit NOFILE soft %lu, hard kept %d\n", (unsigned long)g.rlim_cur, g.rlim_max == lower.rlim_max);
  struct rlimit inverted = {10, 5};
  SYS("prlimit64 soft > hard", SYS_prlimit64, 0, RLIMIT_CORE, &inverted, NULL);
  SYS("prlimit64 new faults", SYS_prlimit64, 0, RLIMIT_CORE, (void *)16, NULL);
  SYS("prlimit64 resource 16", SYS_prlimit64, 0, 16, NULL, &p);
  SYS("prlimit64 other pid", SYS_prlimit64, 999999, RLIMIT_CORE, NULL, &p);
  SYS("getrlimit resource 16", SYS_getrlimit, 16, &g);
  SYS("getrlimit resource -1", SYS_getrlimit, -1, &g);
  SYS("getrlimit fault", SYS_getrlimit, RLIMIT_STACK, (void *)16);

  SYS("sched_yield", SYS_sched_yield);
  getppid(); /* kentry has no parent process to report: not compared */

  /* Terminal ioctls on streams that are not terminals (the tests run with pipes). */
  struct winsize ws;
  struct termios t;
  SYS("TIOCGWINSZ stdout (pipe)", SYS_ioctl, 1, TIOCGWINSZ, &ws);
  SYS("TCGETS stdin (pipe)", SYS_ioctl, 0, TCGETS, &t);
  SYS("TIOCGWINSZ file", SYS_ioctl, fd, TIOCGWINSZ, &ws);
  SYS("TIOCGWINSZ bad fd", SYS_ioctl, 99, TIOCGWINSZ, &ws);
  errno = 0;
  int tty = isatty(1);
  printf("isatty(1) %d %s\n", tty, strerrorname_np(errno));
  return 0;
}
