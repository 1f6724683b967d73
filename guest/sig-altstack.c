/*
 * sigaltstack and frame placement (reference §4.5). Prints properties only, never
 * offsets that depend on the XSAVE size (the host's and the model's differ).
 *
 *  - do_sigaltstack(): ENOMEM below MINSIGSTKSZ (2048), EINVAL for unknown flags,
 *    EPERM while running on the alternate stack (on_sig_stack()), the old stack read
 *    back with SS_ONSTACK / SS_DISABLE / SS_AUTODISARM from sas_ss_flags();
 *  - get_sigframe(): with SA_ONSTACK the frame goes at the top of the alternate stack
 *    (fpstate just below the top, 64-byte aligned; rt_sigframe just below the fpstate,
 *    RSP % 16 == 8); a nested signal while on it goes below the interrupted RSP minus
 *    the 128-byte red zone; without SA_ONSTACK the alternate stack is not used;
 *  - __save_altstack() fills uc_stack; restore_altstack() in rt_sigreturn() puts it back,
 *    which is what re-arms an SS_AUTODISARM stack (sas_ss_reset() on delivery);
 *  - argv[1] == "overflow": a frame bigger than a MINSIGSTKSZ alternate stack makes
 *    get_sigframe() return -1, and signal_setup_done() -> force_sigsegv() kills: 139.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31) /* include/uapi/linux/signal.h; glibc does not define it */
#endif

#define ALT_SIZE 65536
static unsigned char altstack[ALT_SIZE] __attribute__((aligned(4096)));
#define ALT_LO ((uintptr_t)altstack)
#define ALT_HI ((uintptr_t)altstack + ALT_SIZE)

static int in_alt(uintptr_t p) { return p >= ALT_LO && p < ALT_HI; }

/* What one handler invocation saw. */
struct seen {
  uintptr_t frame, fp, interrupted_sp;
  uint32_t ext;
  int frame_in_alt, local_in_alt, fp_aligned, fp_below_top, frame_below_fp;
  int ss_flags_now, ss_flags_frame, eperm, old_sp_ok, old_size_ok;
} s1, s2;
static int nested_wanted, try_change = 1;

static void record(struct seen *s, ucontext_t *uc) {
  volatile int local = 0;
  s->frame = (uintptr_t)uc - 8;
  s->fp = (uintptr_t)uc->uc_mcontext.fpregs;
  s->interrupted_sp = uc->uc_mcontext.gregs[REG_RSP];
  memcpy(&s->ext, (const unsigned char *)s->fp + 468, 4); /* sw_reserved.extended_size */
  s->frame_in_alt = in_alt(s->frame);
  s->local_in_alt = in_alt((uintptr_t)&local);
  s->fp_aligned = (s->fp & 63) == 0;
  s->frame_below_fp = s->frame + 440 <= s->fp && s->fp - (s->frame + 440) < 16 + 64;
  s->ss_flags_frame = uc->uc_stack.ss_flags;
  stack_t old;
  sigaltstack(NULL, &old);
  s->ss_flags_now = old.ss_flags;
  s->old_sp_ok = old.ss_sp == altstack;
  s->old_size_ok = old.ss_size == ALT_SIZE;
  stack_t again = {.ss_sp = altstack, .ss_size = ALT_SIZE, .ss_flags = 0};
  s->eperm = try_change && sigaltstack(&again, NULL) == -1 && errno == EPERM;
}

static void on_usr2(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)si;
  record(&s2, ctx);
}

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  (void)sig, (void)si;
  record(&s1, ctx);
  if (nested_wanted) raise(SIGUSR2);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigaction(sig, &sa, NULL);
}

static void print_seen(const char *what, const struct seen *s) {
  printf("%s: frame on altstack %d handler locals on altstack %d frame rsp%%16 %d\n", what, s->frame_in_alt,
         s->local_in_alt, (int)(s->frame % 16));
  printf("%s: fpstate 64-aligned %d, rt_sigframe just below fpstate %d\n", what, s->fp_aligned, s->frame_below_fp);
  printf("%s: sigaltstack() reads flags %#x sp ok %d size ok %d; uc_stack.ss_flags %#x; changing it: EPERM %d\n", what,
         s->ss_flags_now, s->old_sp_ok, s->old_size_ok, s->ss_flags_frame, s->eperm);
}

static int set_alt(void *sp, size_t size, int flags) {
  stack_t ss = {.ss_sp = sp, .ss_size = size, .ss_flags = flags};
  return sigaltstack(&ss, NULL) == 0 ? 0 : errno;
}

/* Sets, then reads back: "<error> flags <hex>" (two statements: argument order is unspecified). */
static void set_and_show(const char *what, void *sp, size_t size, int flags) {
  int err = set_alt(sp, size, flags);
  stack_t old;
  sigaltstack(NULL, &old);
  printf("%s: %s, then flags %#x\n", what, strerror(err), old.ss_flags);
}

static int read_flags(void) {
  stack_t old;
  sigaltstack(NULL, &old);
  return old.ss_flags;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "overflow")) {
    static unsigned char tiny[2048];
    printf("set a %d-byte altstack: %d\n", (int)sizeof tiny, set_alt(tiny, sizeof tiny, 0));
    install(SIGUSR1, on_usr1, SA_ONSTACK);
    printf("raising SIGUSR1 onto it\n");
    raise(SIGUSR1);
    printf("not reached\n");
    return 0;
  }

  /* do_sigaltstack() argument checks. */
  printf("no altstack yet: flags %#x\n", read_flags());
  printf("size MINSIGSTKSZ-1: %s\n", strerror(set_alt(altstack, 2047, 0)));
  printf("size MINSIGSTKSZ: %s\n", strerror(set_alt(altstack, 2048, 0)));
  printf("bad flags: %s\n", strerror(set_alt(altstack, ALT_SIZE, 0x1234)));
  set_and_show("SS_DISABLE", NULL, 0, SS_DISABLE);
  set_and_show("SS_ONSTACK as a flag", altstack, ALT_SIZE, SS_ONSTACK);
  set_and_show("plain set", altstack, ALT_SIZE, 0);

  /* Without SA_ONSTACK the altstack is not used. */
  install(SIGUSR1, on_usr1, 0);
  raise(SIGUSR1);
  printf("no SA_ONSTACK: frame on altstack %d\n", s1.frame_in_alt);

  /* SA_ONSTACK, and a nested SA_ONSTACK signal raised from the handler. */
  install(SIGUSR1, on_usr1, SA_ONSTACK);
  install(SIGUSR2, on_usr2, SA_ONSTACK);
  nested_wanted = 1;
  raise(SIGUSR1);
  print_seen("first", &s1);
  printf("first: fpstate ends within 64 bytes of the altstack top %d\n",
         s1.fp + s1.ext <= ALT_HI && ALT_HI - (s1.fp + s1.ext) < 64);
  print_seen("nested", &s2);
  printf("nested: interrupted rsp on altstack %d, whole frame below interrupted rsp - 128 %d, below first frame %d\n",
         in_alt(s2.interrupted_sp), s2.fp + s2.ext <= s2.interrupted_sp - 128, s2.fp + s2.ext <= s1.frame);
  printf("after return: flags %#x\n", read_flags());

  /* SS_AUTODISARM: disarmed inside the handler, re-armed by rt_sigreturn. */
  memset(&s1, 0, sizeof s1);
  memset(&s2, 0, sizeof s2);
  try_change = 0; /* allowed when disarmed, but it would replace the stack under the handler */
  set_and_show("SS_AUTODISARM set", altstack, ALT_SIZE, SS_AUTODISARM);
  raise(SIGUSR1);
  print_seen("autodisarm first", &s1);
  print_seen("autodisarm nested", &s2);
  printf("autodisarm nested: frame below first frame %d\n", s2.fp + s2.ext <= s1.frame);
  printf("after return: flags %#x\n", read_flags());
  return 0;
}
