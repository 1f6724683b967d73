/*
 * /dev/null, the hugetlb pool sysctl and pipes (pipe2, read/write, vmsplice):
 * results and errno of each call's paths, printed without addresses so the
 * host kernel's output is the expected one. Writes to nr_hugepages are
 * only ones the kernel refuses, so the host's pool is never changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

static void show(const char *what, long r) {
  printf("%-40s %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "");
}

#define SYS(what, ...) (errno = 0, show(what, syscall(__VA_ARGS__)))

static void dev_null(void) {
  int fd = open("/dev/null", O_RDWR);
  printf("open /dev/null O_RDWR: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  char buf[8] = "abcdefg";
  SYS("read /dev/null 8", SYS_read, fd, buf, 8);
  SYS("read /dev/null NULL 0", SYS_read, fd, NULL, 0);
  SYS("write /dev/null 5", SYS_write, fd, buf, 5);
  SYS("write /dev/null NULL 0", SYS_write, fd, NULL, 0);
  SYS("write /dev/null unmapped 100", SYS_write, fd, (void *)4096, 100);
  SYS("write /dev/null kernel address", SYS_write, fd, (void *)0xffff888000000000UL, 1);
  SYS("readv /dev/null NULL 0", SYS_readv, fd, NULL, 0);
  SYS("writev /dev/null NULL 0", SYS_writev, fd, NULL, 0);
  struct iovec iov[2] = {{buf, 3}, {buf, 4}};
  SYS("writev /dev/null 3+4", SYS_writev, fd, iov, 2);
  SYS("readv /dev/null 3+4", SYS_readv, fd, iov, 2);
  SYS("lseek /dev/null 100", SYS_lseek, fd, 100, SEEK_SET);
  SYS("ioctl /dev/null TCGETS", SYS_ioctl, fd, 0x5401, buf);
  struct stat st;
  fstat(fd, &st);
  printf("fstat /dev/null: chr %d mode %o rdev %u:%u\n", S_ISCHR(st.st_mode), st.st_mode & 07777, major(st.st_rdev), minor(st.st_rdev));
  int ro = open("/dev/null", O_RDONLY);
  SYS("write /dev/null opened O_RDONLY", SYS_write, ro, buf, 1);
  int wo = open("/dev/null", O_WRONLY);
  SYS("read /dev/null opened O_WRONLY", SYS_read, wo, buf, 1);
  close(ro);
  close(wo);
  close(fd);
}

static void hugepages(void) {
  int fd = open("/proc/sys/vm/nr_hugepages", O_RDWR);
  printf("open nr_hugepages O_RDWR: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
  SYS("write nr_hugepages \"abc\"", SYS_write, fd, "abc", 3);
  close(fd);
  fd = open("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", O_RDONLY);
  char buf[32];
  long n = read(fd, buf, sizeof buf);
  printf("read sysfs nr_hugepages: a number and a newline %d\n", n > 1 && buf[n - 1] == '\n' && buf[0] >= '0' && buf[0] <= '9');
  close(fd);
}

static void pipes(void) {
  int fds[2];
  SYS("pipe2 O_EXCL", SYS_pipe2, fds, O_EXCL);
  SYS("pipe2 O_TRUNC", SYS_pipe2, fds, O_TRUNC);
  SYS("pipe2 NULL", SYS_pipe2, NULL, 0);
  SYS("pipe2 O_NONBLOCK", SYS_pipe2, fds, O_NONBLOCK);
  printf("fds consecutive: %d\n", fds[1] == fds[0] + 1);
  char buf[16];
  SYS("read empty nonblocking pipe", SYS_read, fds[0], buf, 16);
  SYS("read from the write end", SYS_read, fds[1], buf, 16);
  SYS("write to the read end", SYS_write, fds[0], "x", 1);
  SYS("write pipe 5", SYS_write, fds[1], "hello", 5);
  SYS("lseek pipe", SYS_lseek, fds[0], 0, SEEK_SET);
  memset(buf, 0, sizeof buf);
  SYS("read pipe 3", SYS_read, fds[0], buf, 3);
  SYS("read pipe 16", SYS_read, fds[0], buf + 3, 16);
  printf("read back: %s\n", buf);
  SYS("read pipe into unmapped", SYS_read, fds[0], (void *)4096, 1); /* empty: EAGAIN before the buffer matters */
  SYS("write pipe 2", SYS_write, fds[1], "ab", 2);
  SYS("read pipe into unmapped, data queued", SYS_read, fds[0], (void *)4096, 1);
  struct stat st;
  fstat(fds[0], &st);
  printf("fstat pipe: fifo %d\n", S_ISFIFO(st.st_mode));
  char big[70000];
  memset(big, 'z', sizeof big);
  SYS("write 70000 to a nonblocking pipe", SYS_write, fds[1], big, sizeof big);
  SYS("write 1 to the full pipe", SYS_write, fds[1], "q", 1);

  /* vmsplice in both directions, and its argument checks. */
  int p2[2];
  pipe(p2);
  char msg[] = "spliced";
  struct iovec iov = {msg, 7};
  SYS("vmsplice to the write end", SYS_vmsplice, p2[1], &iov, 1, 0);
  char out[8] = {0};
  struct iovec back = {out, 4};
  SYS("vmsplice from the read end", SYS_vmsplice, p2[0], &back, 1, 0);
  printf("vmsplice'd back: %s\n", out);
  SYS("vmsplice bad flags", SYS_vmsplice, p2[1], &iov, 1, 0x10);
  int null = open("/dev/null", O_RDWR);
  SYS("vmsplice to /dev/null", SYS_vmsplice, null, &iov, 1, 0);
  SYS("vmsplice nr_segs 0", SYS_vmsplice, p2[1], &iov, 0, 0);
  SYS("vmsplice iov NULL", SYS_vmsplice, p2[1], NULL, 1, 0);
  SYS("vmsplice nr_segs 1025", SYS_vmsplice, p2[1], &iov, 1025, 0);
  struct iovec bad = {(void *)4096, 8};
  SYS("vmsplice unmapped buffer", SYS_vmsplice, p2[1], &bad, 1, 0);

  /* The other end closed: a reader sees end of file, a writer EPIPE (SIGPIPE ignored). */
  close(p2[1]);
  SYS("read drains what is left", SYS_read, p2[0], out, 8);
  SYS("read with no writer left", SYS_read, p2[0], out, 8);
  pipe(p2);
  close(p2[0]);
  signal(SIGPIPE, SIG_IGN);
  SYS("write with no reader left", SYS_write, p2[1], "x", 1);
}

/* Memory whose key denies access (PKRU AD): the kernel's own accesses to it fault as the program's would. */
static void pkey_denied(void) {
  char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(page, "secret", 7);
  int key = syscall(SYS_pkey_alloc, 0, 0);
  syscall(SYS_pkey_mprotect, page, 4096, PROT_READ | PROT_WRITE, key);
  int fds[2];
  pipe(fds);
  write(fds[1], "data", 4);
  int null = open("/dev/null", O_RDWR);
  unsigned pkru = __builtin_ia32_rdpkru();
  __builtin_ia32_wrpkru(pkru | (1u << (2 * key)));
  struct iovec iov = {page, 7};
  long r[4];
  int e[4];
  errno = 0, r[0] = syscall(SYS_vmsplice, fds[1], &iov, 1, 0), e[0] = errno;
  errno = 0, r[1] = syscall(SYS_read, fds[0], page, 4), e[1] = errno;
  errno = 0, r[2] = syscall(SYS_read, null, page, 4), e[2] = errno;
  errno = 0, r[3] = syscall(SYS_write, null, page, 4), e[3] = errno;
  __builtin_ia32_wrpkru(pkru);
  const char *what[4] = {"vmsplice from it", "read a pipe into it", "read /dev/null into it", "write /dev/null from it"};
  for (int i = 0; i < 4; i++) printf("access-disabled page: %-24s %ld %s\n", what[i], r[i], r[i] < 0 ? strerrorname_np(e[i]) : "");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "null") == 0) dev_null();
  if (argc > 1 && strcmp(argv[1], "hugepages") == 0) hugepages();
  if (argc > 1 && strcmp(argv[1], "pipes") == 0) pipes();
  if (argc > 1 && strcmp(argv[1], "pkey") == 0) pkey_denied();
  return 0;
}
