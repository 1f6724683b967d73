/* One fault per run, chosen by argv[1]; stdout is flushed first so the run is comparable. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "none";
  printf("about to: %s\n", what);
  fflush(stdout);
  if (!strcmp(what, "ud2")) __asm__ volatile("ud2");
  if (!strcmp(what, "hlt")) __asm__ volatile("hlt");
  if (!strcmp(what, "int3")) __asm__ volatile("int3");
  if (!strcmp(what, "int2d")) __asm__ volatile("int $0x2d");
  if (!strcmp(what, "div0")) { volatile int z = 0; volatile int r = 1 / z; (void)r; }
  if (!strcmp(what, "null")) *(volatile int *)0 = 1;
  if (!strcmp(what, "text")) *(volatile char *)main = 0;
  if (!strcmp(what, "exit")) { fflush(stdout); __asm__ volatile("mov $231, %eax\n mov $9, %edi\n syscall"); }
  return 0;
}
