/*
 * guest/core-regs.c: the core-dump oracle's program. With an argument it
 * first raises RLIMIT_CORE (soft and hard to RLIM_INFINITY), so the kernel
 * — the host's or kentry's — writes a core. Then it loads a known value
 * into every general register but RSP, pushes four known words, sets RFLAGS
 * to 0x247 (CF PF ZF and IF) and XMM0 to a known pattern, and stores to
 * address 0x10: SIGSEGV (SEGV_MAPERR at 0x10) with all of it in the core.
 *
 *   rax 0x1111111111111111  rbx 0x2222222222222222  rcx 0x3333333333333333
 *   rdx 0x4444444444444444  rsi 0x5555555555555555  rdi 0x6666666666666666
 *   rbp 0x7777777777777777  r8  0x8888888888888888  r9  0x9999999999999999
 *   r10 0xaaaaaaaaaaaaaaaa  r11 0xbbbbbbbbbbbbbbbb  r12 0xcccccccccccccccc
 *   r13 0xdddddddddddddddd  r14 0xeeeeeeeeeeeeeeee  r15 0x0f0f0f0f0f0f0f0f
 *   [rsp] 0xfeedface00000001 0xfeedface00000002 0xfeedface00000003 0xfeedface00000004
 */
#include <stdio.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_CORE, &r) != 0) perror("setrlimit");
  }
  fflush(stdout);
  __asm__ volatile(
      "movabs $0xfeedface00000004, %%rax\n\t"
      "push %%rax\n\t"
      "movabs $0xfeedface00000003, %%rax\n\t"
      "push %%rax\n\t"
      "movabs $0xfeedface00000002, %%rax\n\t"
      "push %%rax\n\t"
      "movabs $0xfeedface00000001, %%rax\n\t"
      "push %%rax\n\t"
      "movabs $0x0123456789abcdef, %%rax\n\t"
      "movq %%rax, %%xmm0\n\t"
      "movabs $0x1111111111111111, %%rax\n\t"
      "movabs $0x2222222222222222, %%rbx\n\t"
      "movabs $0x3333333333333333, %%rcx\n\t"
      "movabs $0x4444444444444444, %%rdx\n\t"
      "movabs $0x5555555555555555, %%rsi\n\t"
      "movabs $0x6666666666666666, %%rdi\n\t"
      "movabs $0x7777777777777777, %%rbp\n\t"
      "movabs $0x8888888888888888, %%r8\n\t"
      "movabs $0x9999999999999999, %%r9\n\t"
      "movabs $0xaaaaaaaaaaaaaaaa, %%r10\n\t"
      "movabs $0xbbbbbbbbbbbbbbbb, %%r11\n\t"
      "movabs $0xcccccccccccccccc, %%r12\n\t"
      "movabs $0xdddddddddddddddd, %%r13\n\t"
      "movabs $0xeeeeeeeeeeeeeeee, %%r14\n\t"
      "movabs $0x0f0f0f0f0f0f0f0f, %%r15\n\t"
      "push $0x247\n\t"
      "popfq\n\t"
      ".globl core_regs_fault\n"
      "core_regs_fault:\n\t"
      "movq %%rax, 0x10\n\t"
      ::: "memory");
  return 0;
}
