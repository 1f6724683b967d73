/*
 * Dumps one signal frame word by word, for comparing designs (issue 5 item 7: no leak
 * into signals). The frame is what x64_setup_rt_frame() writes: the 440-byte
 * rt_sigframe (pretcode, ucontext, siginfo) at the handler's RSP, and the fpstate that
 * copy_fpstate_to_sigframe() puts above it, xstate_size bytes plus FP_XSTATE_MAGIC2.
 * The gap between the two (alignment padding, never written) is not dumped.
 *
 * SIGUSR1 is sent by a raw tgkill from asm that first loads known values into
 * rbx, rbp, r8-r10, r12-r15 and xmm0-xmm15. Every 8-byte word within 1 MiB of the frame
 * base is a stack address and is printed as STACKADDR; everything else is printed as
 * it is (code and data addresses are fixed in a static non-PIE executable).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

void fire(void);
uint64_t xmm_patterns[32];

__asm__(".text\n"
        ".globl fire\n"
        "fire:\n"
        "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
        "  .set xi, 0\n"
        "  .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
        "  movdqu xmm_patterns+xi(%rip), %xmm\\r\n"
        "  .set xi, xi + 16\n"
        "  .endr\n"
        "  mov $39, %eax\n" /* getpid */
        "  syscall\n"
        "  mov %eax, %edi\n"
        "  mov $186, %eax\n" /* gettid */
        "  syscall\n"
        "  mov %eax, %esi\n"
        "  mov $10, %edx\n" /* SIGUSR1 */
        "  movabs $0x1111111111111111, %rbx\n"
        "  movabs $0x2222222222222222, %rbp\n"
        "  movabs $0x3333333333333333, %r12\n"
        "  movabs $0x4444444444444444, %r13\n"
        "  movabs $0x5555555555555555, %r14\n"
        "  movabs $0x6666666666666666, %r15\n"
        "  movabs $0x7777777777777777, %r8\n"
        "  movabs $0x8888888888888888, %r9\n"
        "  movabs $0x9999999999999999, %r10\n"
        "  mov $234, %eax\n" /* tgkill: the handler runs on the way out */
        "  syscall\n"
        "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "  ret\n");

#define FRAME 440
#define FP_MAX 16384
static unsigned char frame_copy[FRAME], fp_copy[FP_MAX + 4];
static uintptr_t base;
static uint32_t xstate_size;

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  (void)sig, (void)si;
  base = (uintptr_t)uc - 8; /* &frame->pretcode, the handler's RSP at entry */
  memcpy(frame_copy, (void *)base, FRAME);
  const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
  memcpy(&xstate_size, fp + 480, 4); /* sw_reserved.xstate_size */
  if (xstate_size > FP_MAX) xstate_size = FP_MAX;
  memcpy(fp_copy, fp, xstate_size + 4);
}

static void dump(const char *label, const unsigned char *p, size_t n) {
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    uint64_t d = w > base ? w - base : base - w;
    if (d < (1u << 20)) printf("%s+%04zx STACKADDR\n", label, i);
    else printf("%s+%04zx %016llx\n", label, i, (unsigned long long)w);
  }
  for (; i + 4 <= n; i += 4) {
    uint32_t w;
    memcpy(&w, p + i, 4);
    printf("%s+%04zx %08x\n", label, i, w);
  }
}

int main(void) {
  for (int i = 0; i < 32; i++) xmm_patterns[i] = 0xa0a0a0a000000000ULL | (uint64_t)(i + 1) * 0x01010101ULL;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  fire();
  printf("rt_sigframe %d bytes, fpstate xstate_size %u + MAGIC2\n", FRAME, xstate_size);
  dump("frame", frame_copy, FRAME);
  dump("fp", fp_copy, xstate_size + 4);
  return 0;
}
