/*
 * Register round trips through the signal frame's ucontext (reference §4.3-§4.8).
 *
 * Checks, one line each, printed by main after the handlers ran:
 *  - handler entry state set by x64_setup_rt_frame(): RDI = signo, RSI = &frame->info,
 *    RDX = &frame->uc, RAX = 0, RSP = &pretcode with RSP % 16 == 8; handle_signal()
 *    clears DF (and TF, RF) for the handler but the frame keeps the interrupted DF;
 *  - the sigcontext written by __unsafe_setup_sigcontext(): every GPR, RIP just after
 *    int3, trapno/err 3/0 from do_int3_user(), CS 0x33 / SS 0x2b with gs and fs 0 in
 *    REG_CSGSFS, cr2 0, oldmask = the blocked set before the handler;
 *  - uc_flags from frame_uc_flags(): UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
 *    uc_link 0 and uc_stack = SS_DISABLE (no sigaltstack) from __save_altstack();
 *  - the fpstate from copy_fpstate_to_sigframe(): 64-byte aligned, above the 440-byte
 *    rt_sigframe, FP_XSTATE_MAGIC1 and extended_size = xstate_size + 4 in sw_reserved,
 *    FP_XSTATE_MAGIC2 at fpstate + xstate_size;
 *  - restore_sigcontext(): edited GPRs, RSP and RIP are taken as they are; the 128-byte
 *    red zone below the interrupted RSP is untouched (get_sigframe()); flags pass only
 *    through FIX_EFLAGS (0x50DD5); rt_sigreturn() installs the edited uc_sigmask;
 *  - siginfo: int3 SI_KERNEL, kill() SI_USER with si_pid/si_uid, tgkill() SI_TKILL.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* Written by the asm below and by the handlers; printed by main. */
uint64_t entry_rsp, entry_rax, entry_rdi, entry_rsi, entry_rdx, entry_flags;
uint64_t rt_in[16], rt_out[16], rt_rsp, rt_red[16];
uint64_t fl_before, fl_after, fl_toggle;

extern char rt_after_int3[], fl_after_int3[], plain_after_int3[];
void roundtrip(void);
void flags_trip(void);
void plain_trip(void);

/* Records the registers the kernel set for the handler, then tail-jumps to it. */
__asm__(".text\n"
        ".globl probe_entry\n"
        "probe_entry:\n"
        "  mov %rsp, entry_rsp(%rip)\n"
        "  mov %rax, entry_rax(%rip)\n"
        "  mov %rdi, entry_rdi(%rip)\n"
        "  mov %rsi, entry_rsi(%rip)\n"
        "  mov %rdx, entry_rdx(%rip)\n"
        "  pushfq\n"
        "  popq entry_flags(%rip)\n"
        "  jmp on_trap\n");

/* Loads rt_in into rax, rbx, rcx, rdx, rsi, rdi, rbp, r8-r15; int3; the handler skips the
 * ud2 and edits everything; the registers that come back are stored to rt_out, RSP last. */
__asm__(".text\n"
        ".globl roundtrip\n"
        "roundtrip:\n"
        "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
        "  movabs $0x5a5a5a5a5a5a5a5a, %rax\n"
        "  .set rz_off, 8\n"
        "  .rept 16\n"
        "  mov %rax, -rz_off(%rsp)\n"
        "  .set rz_off, rz_off + 8\n"
        "  .endr\n"
        "  mov %rsp, rt_rsp(%rip)\n"
        "  mov rt_in+0(%rip), %rax\n"
        "  mov rt_in+8(%rip), %rbx\n"
        "  mov rt_in+16(%rip), %rcx\n"
        "  mov rt_in+24(%rip), %rdx\n"
        "  mov rt_in+32(%rip), %rsi\n"
        "  mov rt_in+40(%rip), %rdi\n"
        "  mov rt_in+48(%rip), %rbp\n"
        "  mov rt_in+56(%rip), %r8\n"
        "  mov rt_in+64(%rip), %r9\n"
        "  mov rt_in+72(%rip), %r10\n"
        "  mov rt_in+80(%rip), %r11\n"
        "  mov rt_in+88(%rip), %r12\n"
        "  mov rt_in+96(%rip), %r13\n"
        "  mov rt_in+104(%rip), %r14\n"
        "  mov rt_in+112(%rip), %r15\n"
        "  int3\n"
        ".globl rt_after_int3\n"
        "rt_after_int3:\n"
        "  ud2\n"
        "  mov %rax, rt_out+0(%rip)\n"
        "  mov %rbx, rt_out+8(%rip)\n"
        "  mov %rcx, rt_out+16(%rip)\n"
        "  mov %rdx, rt_out+24(%rip)\n"
        "  mov %rsi, rt_out+32(%rip)\n"
        "  mov %rdi, rt_out+40(%rip)\n"
        "  mov %rbp, rt_out+48(%rip)\n"
        "  mov %r8, rt_out+56(%rip)\n"
        "  mov %r9, rt_out+64(%rip)\n"
        "  mov %r10, rt_out+72(%rip)\n"
        "  mov %r11, rt_out+80(%rip)\n"
        "  mov %r12, rt_out+88(%rip)\n"
        "  mov %r13, rt_out+96(%rip)\n"
        "  mov %r14, rt_out+104(%rip)\n"
        "  mov %r15, rt_out+112(%rip)\n"
        "  mov %rsp, rt_out+120(%rip)\n"
        "  mov rt_rsp(%rip), %rsp\n"
        "  .set rz_i, 0\n"
        "  .rept 16\n"
        "  mov -8-rz_i(%rsp), %rax\n"
        "  mov %rax, rt_red+rz_i(%rip)\n"
        "  .set rz_i, rz_i + 8\n"
        "  .endr\n"
        "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "  ret\n");

/* int3 with the flags captured just before and just after; the handler XORs fl_toggle
 * into the saved flags. The original flags are put back before returning to C. */
__asm__(".text\n"
        ".globl flags_trip\n"
        "flags_trip:\n"
        "  pushfq\n"
        "  popq fl_before(%rip)\n"
        "  int3\n"
        ".globl fl_after_int3\n"
        "fl_after_int3:\n"
        "  pushfq\n"
        "  popq fl_after(%rip)\n"
        "  pushq fl_before(%rip)\n"
        "  popfq\n"
        "  ret\n");

/* int3 with DF set: the handler must run with DF clear, the frame must keep DF. */
__asm__(".text\n"
        ".globl plain_trip\n"
        "plain_trip:\n"
        "  std\n"
        "  pushfq\n"
        "  popq fl_before(%rip)\n"
        "  int3\n"
        ".globl plain_after_int3\n"
        "plain_after_int3:\n"
        "  cld\n"
        "  ret\n");

enum { MODE_PLAIN, MODE_ROUNDTRIP, MODE_FLAGS } mode;

/* rt_in/rt_out order -> glibc gregs index. */
static const int GREG[15] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP, REG_R8,
                             REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
static const char *const GNAME[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
                                      "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rsp"};
#define EDIT 0x0f0f0f0f0f0f0f0fULL

/* What the handlers saw, for main to print. */
struct seen {
  int signo, code, errno_, pid_ok, uid_ok;
  uint64_t trapno, err, cr2, csgsfs, flags, rip, rsp, oldmask, ucflags;
  int fp_aligned, fp_above, magic1, magic2, ext_ok, fx_low;
  int info_at, uc_at, link0, stack_flags;
  uint64_t stack_sp, stack_size;
  int gregs_in_ok[16];
} plain, rt, usr[2];
int nusr;

static void record(struct seen *s, siginfo_t *si, ucontext_t *uc) {
  greg_t *g = uc->uc_mcontext.gregs;
  s->signo = si->si_signo;
  s->code = si->si_code;
  s->errno_ = si->si_errno;
  s->pid_ok = si->si_pid == getpid();
  s->uid_ok = si->si_uid == getuid();
  s->trapno = g[REG_TRAPNO];
  s->err = g[REG_ERR];
  s->cr2 = g[REG_CR2];
  s->csgsfs = g[REG_CSGSFS];
  s->flags = g[REG_EFL];
  s->rip = g[REG_RIP];
  s->rsp = g[REG_RSP];
  s->oldmask = g[REG_OLDMASK];
  s->ucflags = uc->uc_flags;
  s->link0 = uc->uc_link == NULL;
  s->stack_flags = uc->uc_stack.ss_flags;
  s->stack_sp = (uintptr_t)uc->uc_stack.ss_sp;
  s->stack_size = uc->uc_stack.ss_size;
  uintptr_t frame = (uintptr_t)uc - 8;
  s->info_at = (uintptr_t)si - frame;
  s->uc_at = (uintptr_t)uc - frame;
  const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
  s->fp_aligned = ((uintptr_t)fp & 63) == 0;
  s->fp_above = (uintptr_t)fp >= frame + 440;
  uint32_t magic1, ext, xsize, magic2;
  uint64_t xfeatures;
  memcpy(&magic1, fp + 464, 4);
  memcpy(&ext, fp + 468, 4);
  memcpy(&xfeatures, fp + 472, 8);
  memcpy(&xsize, fp + 480, 4);
  memcpy(&magic2, fp + xsize, 4);
  s->magic1 = magic1 == 0x46505853;
  s->magic2 = magic2 == 0x46505845;
  s->ext_ok = ext == xsize + 4;
  s->fx_low = (int)(xfeatures & 3);
}

__attribute__((used)) void on_trap(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  (void)sig;
  if (mode == MODE_PLAIN) {
    record(&plain, si, uc);
  } else if (mode == MODE_ROUNDTRIP) {
    record(&rt, si, uc);
    for (int i = 0; i < 15; i++) rt.gregs_in_ok[i] = (uint64_t)g[GREG[i]] == rt_in[i];
    rt.gregs_in_ok[15] = (uint64_t)g[REG_RSP] == rt_rsp;
    for (int i = 0; i < 15; i++) g[GREG[i]] = rt_in[i] ^ EDIT;
    g[REG_RSP] -= 256;
    g[REG_RIP] += 2; /* skip the ud2 */
    sigaddset(&uc->uc_sigmask, SIGUSR2);
  } else {
    g[REG_EFL] ^= fl_toggle;
  }
}

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  if (nusr < 2) record(&usr[nusr++], si, ctx);
}

static void print_seen(const char *what, const struct seen *s) {
  printf("%s: signo %d code %d errno %d trapno %llu err %llu cr2 %llu\n", what, s->signo, s->code, s->errno_,
         (unsigned long long)s->trapno, (unsigned long long)s->err, (unsigned long long)s->cr2);
  printf("%s: cs %#llx gs %llu fs %llu ss %#llx uc_flags&7 %llu\n", what, (unsigned long long)(s->csgsfs & 0xffff),
         (unsigned long long)((s->csgsfs >> 16) & 0xffff), (unsigned long long)((s->csgsfs >> 32) & 0xffff),
         (unsigned long long)(s->csgsfs >> 48), (unsigned long long)(s->ucflags & 7));
  printf("%s: uc at +%d info at +%d uc_link null %d uc_stack sp %llu flags %d size %llu\n", what, s->uc_at, s->info_at,
         s->link0, (unsigned long long)s->stack_sp, s->stack_flags, (unsigned long long)s->stack_size);
  printf("%s: fpstate 64-aligned %d above frame %d magic1 %d magic2 %d extended_size ok %d xfeatures&3 %d\n", what,
         s->fp_aligned, s->fp_above, s->magic1, s->magic2, s->ext_ok, s->fx_low);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO;
  sigaction(sig, &sa, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  void probe_entry(void);
  install(SIGTRAP, (void (*)(int, siginfo_t *, void *))probe_entry);
  install(SIGUSR1, on_usr1);

  /* 1. Plain int3 with DF set and SIGUSR2 blocked: what the handler is given. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  mode = MODE_PLAIN;
  plain_trip();
  print_seen("int3", &plain);
  printf("int3: rip after int3 %d, saved flags == flags before %d\n", plain.rip == (uintptr_t)plain_after_int3,
         plain.flags == fl_before);
  printf("int3: oldmask has SIGUSR2 %d SIGTRAP %d\n", (int)((plain.oldmask >> (SIGUSR2 - 1)) & 1),
         (int)((plain.oldmask >> (SIGTRAP - 1)) & 1));
  printf("entry: rdi %llu rax %llu rsp%%16 %llu rsp == frame %d rsi == info %d rdx == uc %d\n",
         (unsigned long long)entry_rdi, (unsigned long long)entry_rax, (unsigned long long)(entry_rsp % 16),
         entry_rsp + 8 == entry_rdx, entry_rsi == entry_rsp + 312, entry_rdx == entry_rsp + 8);
  printf("entry: handler DF %d TF %d, frame DF %d, handler flags == frame flags without DF/TF/RF %d\n",
         (int)((entry_flags >> 10) & 1), (int)((entry_flags >> 8) & 1), (int)((plain.flags >> 10) & 1),
         entry_flags == (plain.flags & ~0x10500ULL));
  sigprocmask(SIG_UNBLOCK, &set, NULL);

  /* 2. Every GPR in, every GPR edited, RSP moved, RIP past a ud2, a signal added to the mask. */
  for (int i = 0; i < 15; i++) rt_in[i] = 0x1000000000000001ULL * (uint64_t)(i + 1) + 0x0101010101010100ULL;
  mode = MODE_ROUNDTRIP;
  roundtrip();
  printf("roundtrip: rip after int3 %d\n", rt.rip == (uintptr_t)rt_after_int3);
  printf("roundtrip: saved in frame:");
  for (int i = 0; i < 16; i++) printf(" %s=%s", GNAME[i], rt.gregs_in_ok[i] ? "ok" : "BAD");
  printf("\nroundtrip: after sigreturn:");
  for (int i = 0; i < 15; i++) printf(" %s=%s", GNAME[i], rt_out[i] == (rt_in[i] ^ EDIT) ? "edited" : "BAD");
  printf(" rsp=%s\n", rt_out[15] == rt_rsp - 256 ? "edited" : "BAD");
  int red_ok = 1;
  for (int i = 0; i < 16; i++) red_ok &= rt_red[i] == 0x5a5a5a5a5a5a5a5aULL;
  printf("roundtrip: red zone intact %d\n", red_ok);
  sigprocmask(SIG_BLOCK, NULL, &old);
  printf("roundtrip: SIGUSR2 blocked after sigreturn (edited uc_sigmask) %d\n", sigismember(&old, SIGUSR2));
  sigprocmask(SIG_UNBLOCK, &set, NULL);

  /* 3. Each flag toggled in REG_EFL: which ones survive rt_sigreturn (FIX_EFLAGS). */
  static const struct { const char *name; uint64_t bit; } FL[] = {
      {"CF", 1 << 0},  {"PF", 1 << 2},   {"AF", 1 << 4},    {"ZF", 1 << 6},  {"SF", 1 << 7},
      {"IF", 1 << 9},  {"DF", 1 << 10},  {"OF", 1 << 11},   {"IOPL", 3 << 12}, {"NT", 1 << 14},
      {"VM", 1 << 17}, {"AC", 1 << 18},  {"VIF", 1 << 19},  {"VIP", 1 << 20}, {"ID", 1 << 21},
  };
  mode = MODE_FLAGS;
  printf("flags toggled through REG_EFL:");
  for (unsigned i = 0; i < sizeof FL / sizeof FL[0]; i++) {
    fl_toggle = FL[i].bit;
    flags_trip();
    uint64_t changed = (fl_before ^ fl_after) & ~0x10000ULL;
    printf(" %s=%s", FL[i].name, changed == FL[i].bit ? "kept" : changed == 0 ? "dropped" : "OTHER");
  }
  fl_toggle = 0x50DD5 & ~0x10100ULL; /* all arithmetic flags, DF, AC at once */
  flags_trip();
  printf("\nflags: all FIX_EFLAGS bits but TF/RF toggled at once kept %d\n",
         ((fl_before ^ fl_after) & ~0x10000ULL) == fl_toggle);

  /* 4. siginfo for kill() and tgkill(). */
  kill(getpid(), SIGUSR1);
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  print_seen("kill", &usr[0]);
  printf("kill: si_pid is getpid %d si_uid is getuid %d\n", usr[0].pid_ok, usr[0].uid_ok);
  print_seen("tgkill", &usr[1]);
  printf("tgkill: si_pid is getpid %d si_uid is getuid %d\n", usr[1].pid_ok, usr[1].uid_ok);
  return 0;
}
