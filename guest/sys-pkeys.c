/*
 * User protection keys: pkey_alloc/pkey_free/pkey_mprotect results and
 * errno, PKRU as the kernel leaves it, the execute-only key, and PKU
 * faults (which end the program with SIGSEGV: no handler here).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define P 4096L

static unsigned rdpkru(void) {
  unsigned eax, edx;
  __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}

static void wrpkru(unsigned v) {
  __asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}

/* A key's two PKRU bits: 1 = access disabled, 2 = write disabled. */
static unsigned bits(int key) { return (rdpkru() >> (2 * key)) & 3; }

static void show(const char *what, long r) {
  printf("%-44s %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "");
}

#define SYS(what, ...) (errno = 0, show(what, syscall(__VA_ARGS__)))

static char *page(int n) {
  return mmap(NULL, n * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void api(void) {
  int k1 = syscall(SYS_pkey_alloc, 0, 0);
  int k2 = syscall(SYS_pkey_alloc, 0, PKEY_DISABLE_WRITE);
  int k3 = syscall(SYS_pkey_alloc, 0, PKEY_DISABLE_ACCESS);
  printf("keys %d %d %d, PKRU bits %u %u %u, key 0 bits %u\n", k1, k2, k3, bits(k1), bits(k2), bits(k3), bits(0));
  SYS("pkey_alloc flags 1", SYS_pkey_alloc, 1, 0);
  SYS("pkey_alloc init_val 4", SYS_pkey_alloc, 0, 4);
  SYS("pkey_alloc init_val 1<<32", SYS_pkey_alloc, 0, 1L << 32);
  char *a = page(4);
  munmap(a + 3 * P, P);
  SYS("pkey_mprotect key 1", SYS_pkey_mprotect, a, P, PROT_READ | PROT_WRITE, k1);
  a[0] = 'w';
  printf("write under key 1: %c\n", a[0]);
  SYS("pkey_mprotect key 9 (not allocated)", SYS_pkey_mprotect, a, P, PROT_READ, 9);
  SYS("pkey_mprotect key 16", SYS_pkey_mprotect, a, P, PROT_READ, 16);
  SYS("pkey_mprotect key -2", SYS_pkey_mprotect, a, P, PROT_READ, -2);
  SYS("pkey_mprotect key 0", SYS_pkey_mprotect, a + P, P, PROT_READ | PROT_WRITE, 0);
  SYS("pkey_mprotect -1 (mprotect)", SYS_pkey_mprotect, a + P, P, PROT_READ | PROT_WRITE, -1);
  SYS("pkey_mprotect unaligned", SYS_pkey_mprotect, a + 1, P, PROT_READ, k1);
  SYS("pkey_mprotect bad prot", SYS_pkey_mprotect, a, P, 0x10, k1);
  SYS("pkey_mprotect len 0, bad key", SYS_pkey_mprotect, a, 0, PROT_READ, 9);
  SYS("pkey_mprotect unmapped", SYS_pkey_mprotect, a + 3 * P, P, PROT_READ, k1);
  /* The kernel's own copies respect PKRU: write() from an access-disabled page faults. */
  SYS("pkey_mprotect key 3 (access disabled)", SYS_pkey_mprotect, a + 2 * P, P, PROT_READ | PROT_WRITE, k3);
  SYS("write() from the access-disabled page", SYS_write, 1, a + 2 * P, 1);
  SYS("pkey_free key 3", SYS_pkey_free, k3);
  SYS("pkey_free key 3 again", SYS_pkey_free, k3);
  SYS("pkey_free key 0", SYS_pkey_free, 0);
  SYS("pkey_free key 16", SYS_pkey_free, 16);
  SYS("pkey_free key -1", SYS_pkey_free, -1);
  printf("PKRU bits of the freed key stay: %u\n", bits(k3));
  int first = -1, n = 0;
  for (;;) {
    errno = 0;
    int k = syscall(SYS_pkey_alloc, 0, 0);
    if (k < 0) break;
    if (first < 0) first = k;
    n++;
  }
  printf("allocated %d more from key %d, then %s\n", n, first, strerrorname_np(errno));
  SYS("pkey_free key 15", SYS_pkey_free, 15);
  SYS("pkey_alloc reuses it", SYS_pkey_alloc, 0, PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE);
  printf("key 15 bits %u\n", bits(15));
}

/* mprotect(PROT_EXEC) alone takes the execute-only key: code runs, data reads fault. */
static void exec_only(void) {
  char *a = page(1);
  a[0] = 0xc3; /* ret */
  show("mprotect PROT_EXEC", mprotect(a, P, PROT_EXEC));
  int k = syscall(SYS_pkey_alloc, 0, 0);
  printf("next pkey_alloc: %d (the execute-only key is taken)\n", k);
  ((void (*)(void))a)();
  printf("called the execute-only page; reading it\n");
  printf("read %d\n", *(volatile char *)a);
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "api";
  setvbuf(stdout, NULL, _IONBF, 0);
  if (!strcmp(what, "api")) api();
  if (!strcmp(what, "exec-only")) exec_only();
  if (!strcmp(what, "write-disabled")) {
    char *a = page(1);
    int k = syscall(SYS_pkey_alloc, 0, PKEY_DISABLE_WRITE);
    syscall(SYS_pkey_mprotect, a, P, PROT_READ | PROT_WRITE, k);
    printf("read under a write-disabled key: %d; writing\n", a[0]);
    *(volatile char *)a = 1;
    printf("not reached\n");
  }
  if (!strcmp(what, "access-disabled") || !strcmp(what, "mprotect-keeps")) {
    char *a = page(1);
    int k = syscall(SYS_pkey_alloc, 0, 0);
    syscall(SYS_pkey_mprotect, a, P, PROT_READ | PROT_WRITE, k);
    a[0] = 5;
    if (what[0] == 'm') show("mprotect keeps the key", mprotect(a, P, PROT_READ | PROT_WRITE));
    wrpkru(rdpkru() | 1u << (2 * k));
    printf("key %d access-disabled by WRPKRU; reading\n", k);
    printf("read %d\n", *(volatile char *)a);
  }
  return 0;
}
