/* printf-heavy output: integers, floats, strings, width and precision; argv and a bit of the environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  double x = 0;
  for (int i = 1; i < 2000; i++) x += 1.0 / ((double)i * i);
  printf("zeta(2) partial sum %.15f\n", x);
  for (int i = -3; i <= 3; i++) printf("[%5d|%-5x|%+.3e|%08.3f]\n", i * 977, i * 977 & 0xffff, i / 7.0, i * 3.25);
  for (int i = 0; i < argc; i++) printf("argv[%d] = \"%s\" (%zu bytes)\n", i, argv[i], strlen(argv[i]));
  printf("KENTRY_TEST=%s\n", getenv("KENTRY_TEST") ? getenv("KENTRY_TEST") : "(unset)");
  char *big = malloc(1 << 20); /* above the mmap threshold: an anonymous mmap */
  memset(big, 0x5a, 1 << 20);
  long sum = 0;
  for (int i = 0; i < (1 << 20); i += 4096) sum += big[i];
  free(big);
  printf("sum %ld\n", sum);
  fprintf(stderr, "a line on stderr\n");
  return argc == 1 ? 0 : 7;
}
