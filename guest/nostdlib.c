/* Freestanding: write(1, msg) and exit_group(5) by hand; built with -nostdlib -static. */
static const char msg[] = "freestanding hello\n";

void _start(void) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(1), "D"(1), "S"(msg), "d"(sizeof msg - 1) : "rcx", "r11", "memory");
  __asm__ volatile("syscall" : : "a"(231), "D"(5) : "rcx", "r11", "memory");
  for (;;) {}
}
