/*
 * FPU and SSE state through the signal frame (reference §4.5, §4.6, §4.8).
 *  - copy_fpstate_to_sigframe() saves the interrupted XMM registers, MXCSR, the x87
 *    control word into the frame's fpstate (uc_mcontext.fpregs);
 *  - handle_signal() -> fpu__clear_user_states(): the handler starts from the init
 *    FPU state (XMM 0, MXCSR 0x1f80, FCW 0x37f);
 *  - rt_sigreturn() -> fpu__restore_sig(): the values the handler wrote into the
 *    frame are what the interrupted code sees afterwards;
 *  - argv[1] == "badmxcsr": a reserved MXCSR bit in the frame makes the XRSTOR fail,
 *    rt_sigreturn() goes to badframe and force_sig(SIGSEGV) kills (exit 139).
 * The signal is sent with a raw tgkill inside one asm block, so no compiled code runs
 * between loading the registers and the signal, or between sigreturn and reading them.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

uint64_t fpu_xmm_in[6] = {0x1111111111111111ULL, 0x2222222222222222ULL, 0x3333333333333333ULL,
                          0x4444444444444444ULL, 0x5555555555555555ULL, 0x6666666666666666ULL};
uint64_t fpu_xmm_out[6], h_xmm[4];
uint32_t fpu_mxcsr_in = 0x3f80, fpu_mxcsr_out, h_mxcsr, fpu_mxcsr_default = 0x1f80;
uint16_t fpu_fcw_in = 0x027f, fpu_fcw_out, h_fcw, fpu_fcw_default = 0x037f;

void fpu_trip(void);
__asm__(".text\n"
        ".globl fpu_trip\n"
        "fpu_trip:\n"
        "  ldmxcsr fpu_mxcsr_in(%rip)\n"
        "  fldcw fpu_fcw_in(%rip)\n"
        "  movdqu fpu_xmm_in(%rip), %xmm0\n"
        "  movdqu fpu_xmm_in+16(%rip), %xmm1\n"
        "  movdqu fpu_xmm_in+32(%rip), %xmm2\n"
        "  mov $39, %eax\n" /* getpid */
        "  syscall\n"
        "  mov %eax, %edi\n"
        "  mov $186, %eax\n" /* gettid */
        "  syscall\n"
        "  mov %eax, %esi\n"
        "  mov $10, %edx\n" /* SIGUSR1 */
        "  mov $234, %eax\n" /* tgkill: the handler runs on the way out */
        "  syscall\n"
        "  movdqu %xmm0, fpu_xmm_out(%rip)\n"
        "  movdqu %xmm1, fpu_xmm_out+16(%rip)\n"
        "  movdqu %xmm2, fpu_xmm_out+32(%rip)\n"
        "  stmxcsr fpu_mxcsr_out(%rip)\n"
        "  fnstcw fpu_fcw_out(%rip)\n"
        "  ldmxcsr fpu_mxcsr_default(%rip)\n"
        "  fldcw fpu_fcw_default(%rip)\n"
        "  ret\n"
        /* The handler's own state before any compiled code touches it. */
        ".globl fpu_probe\n"
        "fpu_probe:\n"
        "  movdqu %xmm0, h_xmm(%rip)\n"
        "  movdqu %xmm1, h_xmm+16(%rip)\n"
        "  stmxcsr h_mxcsr(%rip)\n"
        "  fnstcw h_fcw(%rip)\n"
        "  jmp on_usr1\n");

static int bad_mxcsr;
static int frame_xmm_ok, frame_mxcsr_ok, frame_fcw_ok;

__attribute__((used)) void on_usr1(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
  (void)sig, (void)si;
  uint64_t x[6];
  memcpy(x, fp->_xmm, sizeof x);
  frame_xmm_ok = !memcmp(x, fpu_xmm_in, sizeof x);
  frame_mxcsr_ok = fp->mxcsr == fpu_mxcsr_in;
  frame_fcw_ok = fp->cwd == fpu_fcw_in;

  fp->_xmm[0].element[0] = 0xaaaaaaaa;
  fp->_xmm[0].element[3] = 0xbbbbbbbb;
  fp->_xmm[1].element[1] ^= 0xffffffff;
  fp->mxcsr = bad_mxcsr ? 0x80001f80u : 0x5f80; /* round up; bit 31 is reserved */
  fp->cwd = 0x0f7f;                             /* round toward zero */
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  void fpu_probe(void);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))fpu_probe;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  bad_mxcsr = argc > 1 && !strcmp(argv[1], "badmxcsr");
  if (bad_mxcsr) printf("the handler writes MXCSR 0x80001f80 into the frame\n");
  fpu_trip();
  printf("handler entry: xmm0 %016llx%016llx xmm1 %016llx%016llx mxcsr %#x fcw %#x\n", (unsigned long long)h_xmm[1],
         (unsigned long long)h_xmm[0], (unsigned long long)h_xmm[3], (unsigned long long)h_xmm[2], h_mxcsr, h_fcw);
  printf("frame: xmm0-2 as loaded %d mxcsr as loaded %d fcw as loaded %d\n", frame_xmm_ok, frame_mxcsr_ok,
         frame_fcw_ok);
  for (int i = 0; i < 3; i++)
    printf("after sigreturn: xmm%d %016llx%016llx\n", i, (unsigned long long)fpu_xmm_out[2 * i + 1],
           (unsigned long long)fpu_xmm_out[2 * i]);
  printf("after sigreturn: mxcsr %#x fcw %#x\n", fpu_mxcsr_out, fpu_fcw_out);
  return 0;
}
