/*
 * `npm run bench`'s compute-heavy program: integer work of the kind compiled
 * code does (a sieve, a table-driven CRC-32, qsort with a comparison call,
 * an xorshift PRNG), a few hundred million instructions and almost no system
 * calls, so the wall time is the CPU model's speed. Deterministic: the
 * printed checksums are the same natively, under qemu and under kentry.
 * argv[1] scales the work (default 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t xs = 0x9e3779b97f4a7c15ull;

static uint64_t next(void) {
  xs ^= xs << 13;
  xs ^= xs >> 7;
  xs ^= xs << 17;
  return xs;
}

static unsigned sieve(unsigned n) {
  static unsigned char composite[1 << 21];
  unsigned count = 0;
  memset(composite, 0, n + 1);
  for (unsigned i = 2; i <= n; i++) {
    if (composite[i]) continue;
    count++;
    for (unsigned long j = (unsigned long)i * i; j <= n; j += i) composite[j] = 1;
  }
  return count;
}

static uint32_t crc_table[256];

static uint32_t crc32(const unsigned char *p, size_t n, uint32_t crc) {
  crc = ~crc;
  while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  if (scale < 1) scale = 1;
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    crc_table[i] = c;
  }
  enum { N = 1 << 16 };
  static uint32_t a[N];
  static unsigned char buf[1 << 16];
  uint32_t crc = 0;
  unsigned primes = 0;
  uint64_t sorted = 0;
  for (int round = 0; round < 4 * scale; round++) {
    primes += sieve(2000000);
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)next();
    for (int k = 0; k < 8; k++) crc = crc32(buf, sizeof buf, crc);
    for (int i = 0; i < N; i++) a[i] = (uint32_t)next();
    qsort(a, N, sizeof a[0], cmp_u32);
    for (int i = 0; i < N; i += 997) sorted = sorted * 31 + a[i];
  }
  printf("primes %u\ncrc32 %08x\nsorted %016llx\n", primes, crc, (unsigned long long)sorted);
  return 0;
}
