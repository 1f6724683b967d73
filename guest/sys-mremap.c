/* mremap: shrink, grow in place, move (contents go along), MREMAP_FIXED, MREMAP_DONTUNMAP and the errno rules of mm/mremap.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define P 4096L
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

static long rm(void *a, long o, long n, long f, void *na) {
  errno = 0;
  return syscall(SYS_mremap, a, o, n, f, na);
}

/* Whether the page at a is mapped: mremap looks the VMA up before anything else (EFAULT when there is none). */
static int mapped(char *a) {
  return rm(a, P, P, 0, 0) == (long)a;
}

static void err(const char *what, long r) {
  printf("%-36s %s\n", what, r < 0 ? strerrorname_np(errno) : "ok");
}

static char *anon(long len) {
  return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "order")) {
    /*
     * Where Linux versions differ: 6.12 (which kentry models) looks the VMA
     * up before checking a FIXED target or the size of new_len; since 6.17
     * check_mremap_params rejects those first (EINVAL).
     */
    char *y = anon(P);
    char *x = anon(P);
    munmap(x, P);
    err("unmapped source, unaligned target", rm(x, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, y + 7));
    err("new_len above TASK_SIZE", rm(y, P, -P, MREMAP_MAYMOVE, 0));
    return 0;
  }
  /* A 4-page area with a guard page after it, so growth in place needs that page free. */
  char *a = anon(6 * P);
  munmap(a + 4 * P, 2 * P);
  for (int i = 0; i < 4; i++) memset(a + i * P, 'a' + i, P);
  long r = rm(a, 4 * P, 2 * P, 0, 0);
  printf("shrink: same address %d, pages 0-1 %d %d, 2-3 %d %d, data %c%c\n", r == (long)a, mapped(a), mapped(a + P),
         mapped(a + 2 * P), mapped(a + 3 * P), a[0], a[P]);
  r = rm(a, 2 * P, 5 * P, 0, 0);
  printf("grow in place: same address %d, page 4 mapped %d, new page zero %d, data %c%c\n", r == (long)a,
         mapped(a + 4 * P), a[4 * P] == 0, a[0], a[P]);
  r = rm(a, 5 * P, 5 * P, 0, 0);
  printf("same size: same address %d\n", r == (long)a);

  /* Growth blocked by a neighbour: ENOMEM without MAYMOVE; with it the mapping moves and takes its contents. */
  char *b = anon(3 * P);
  memset(b, 'x', 3 * P);
  mprotect(b + 2 * P, P, PROT_READ); /* a different VMA right after [b, b+2P) */
  err("grow blocked, no MAYMOVE", rm(b, 2 * P, 4 * P, 0, 0));
  err("grow past the VMA (old range)", rm(b, 4 * P, 8 * P, 0, 0));
  char *m = (char *)rm(b, 2 * P, 4 * P, MREMAP_MAYMOVE, 0);
  printf("moved: new address %d, old pages %d %d, third page %d, data %c%c, new pages zero %d, writable %d\n",
         m != b, mapped(b), mapped(b + P), mapped(b + 2 * P), m[0], m[2 * P - 1], m[2 * P] == 0 && m[4 * P - 1] == 0,
         (m[3 * P] = 'w') == 'w');

  /* MREMAP_FIXED onto a chosen place: whatever was there is replaced. */
  char *dst = anon(2 * P);
  memset(dst, 'd', 2 * P);
  char *f = (char *)rm(m, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, dst + P);
  printf("fixed: at target %d, data %c, target's first page kept %c, source page %d\n", f == dst + P, f[0], dst[0],
         mapped(m));
  char *src = anon(3 * P);
  err("fixed overlapping", rm(src, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, src + P));
  err("fixed unaligned target", rm(src, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 7));
  err("fixed target past TASK_SIZE", rm(src, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x7ffffffff000));

  /* MREMAP_DONTUNMAP: the pages move, the old range stays mapped and reads as fresh zero memory. */
  char *d = anon(P);
  d[0] = 'k';
  char *n = (char *)rm(d, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
  printf("dontunmap: moved %d, data %c, old still mapped %d and zero %d\n", n != d, n[0], mapped(d), d[0] == 0);
  err("dontunmap with a new size", rm(d, P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0));
  err("dontunmap without MAYMOVE", rm(d, P, P, MREMAP_DONTUNMAP, 0));

  /* The errno rules. */
  char *gone = anon(P);
  munmap(gone, P);
  err("bad flags", rm(a, P, P, 8, 0));
  err("FIXED without MAYMOVE", rm(a, P, P, MREMAP_FIXED, dst));
  err("unaligned address", rm(a + 1, P, P, 0, 0));
  err("zero new_len", rm(a, P, 0, 0, 0));
  err("zero old_len (private)", rm(a, 0, P, MREMAP_MAYMOVE, 0));
  err("not mapped", rm(gone, P, P, 0, 0));
  err("not mapped (grow)", rm(gone, P, 2 * P, MREMAP_MAYMOVE, 0));
  err("shrink within one page", rm(a, 5 * P, 5 * P - 100, 0, 0));

  /* A moved read-only mapping stays read-only, and PROT_NONE memory moves too. */
  char *ro = anon(P);
  ro[5] = 'r';
  mprotect(ro, P, PROT_READ);
  char *ro2 = (char *)rm(ro, P, 2 * P, MREMAP_MAYMOVE, 0);
  printf("read-only moved: data %c, old %d\n", ro2[5], mapped(ro));
  return 0;
}
