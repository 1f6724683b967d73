/*
 * rt_sigreturn with a random frame (argv[1] seeds it): the frame is random
 * bytes; odd seeds get a valid CS/SS pair, a small uc_flags and a NULL or
 * zero-filled fpstate so restore_sigcontext and fpu__restore_sig are
 * reached; seeds ≡ 3 (mod 4) also get a good RIP and RSP, so a frame that
 * passes every check ends in exit(7) — or in what its random flags cause. Offsets are the x86-64 ABI's (reference §4.1-§4.3): uc_flags at
 * frame+8, the cs/gs/fs/ss word at frame+192, fpstate at frame+232.
 * Whatever the frame holds, Linux ends this process with a signal or lets
 * it run wherever the frame points; it never hurts the kernel.
 */
#include <stdint.h>
#include <stdlib.h>

static uint64_t frame[80] __attribute__((aligned(64)));
static uint8_t fpbuf[4096] __attribute__((aligned(64)));
static uint64_t stack[2048] __attribute__((aligned(64)));

/* Where a frame with a good RIP and RSP lands: a clean exit, whatever the other registers hold. */
static void landing(void) {
  __asm__ volatile("mov $60, %eax\n\tmov $7, %edi\n\tsyscall");
}

static uint64_t next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (int i = 0; i < 80; i++) frame[i] = next(&s);
  if (seed & 1) {
    frame[192 / 8] = 0x33 | (0x2bull << 48);
    frame[8 / 8] = next(&s) & 7;
    frame[232 / 8] = (next(&s) & 1) ? 0 : (uint64_t)(uintptr_t)fpbuf;
  }
  if ((seed & 3) == 3) {
    /* sigcontext sp at frame+168, ip at frame+176, flags at frame+184 (reference §4.3). AC is cleared:
       kentry does not model #AC (alignment checking with CR0.AM). */
    frame[168 / 8] = (uint64_t)(uintptr_t)&stack[1024];
    frame[176 / 8] = (uint64_t)(uintptr_t)&landing;
    frame[184 / 8] &= ~(1ull << 18);
  }
  /* RSP = frame + 8: the handler's RET would have popped pretcode. */
  __asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall\n\tud2" ::"r"(&frame[1]) : "memory");
  return 0;
}
