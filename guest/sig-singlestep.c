/*
 * TF single-step counting (reference §8): a popf sets TF over a straight-line block,
 * each following instruction ends in #DB -> exc_debug_user() -> SIGTRAP with
 * si_code TRAP_TRACE, si_addr = RIP of the next instruction, trapno 1, err 0.
 *  - no trap follows the popf that sets TF; the popf that clears it traps;
 *  - SYSCALL (getpid here) produces no extra trap: the kernel masks TF on entry
 *    (MSR_SYSCALL_MASK) and the next trap comes after the instruction after it;
 *  - handle_signal() clears TF for the handler; rt_sigreturn() restores it from the
 *    frame (TF is in FIX_EFLAGS), and a handler that clears TF in REG_EFL ends stepping.
 * Trap addresses are printed as offsets from the block start (same binary both ways).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

extern char step_start[], step_end[];
void step_block(void);
int step_pid;

__asm__(".text\n"
        ".globl step_block\n"
        "step_block:\n"
        "  push %rbx\n"
        "  pushfq\n"
        "  orq $0x100, (%rsp)\n"
        "  popfq\n"
        ".globl step_start\n"
        "step_start:\n"
        "  nop\n"
        "  mov $1, %ebx\n"
        "  add %ebx, %ebx\n"
        "  lea 3(%rbx), %ebx\n"
        "  mov $39, %eax\n" /* getpid */
        "  syscall\n"
        "  mov %eax, step_pid(%rip)\n"
        "  nop\n"
        "  pushfq\n"
        "  andq $~0x100, (%rsp)\n"
        "  popfq\n"
        ".globl step_end\n"
        "step_end:\n"
        "  pop %rbx\n"
        "  ret\n");

#define MAX 32
static int ntraps, stop_after;
static long off[MAX];
static int code[MAX], addr_is_rip[MAX], tf_in_frame[MAX], tf_in_handler[MAX];
static long trapno[MAX], err[MAX];

static void on_trap(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  uint64_t fl;
  (void)sig;
  __asm__ volatile("pushfq; popq %0" : "=r"(fl));
  if (ntraps < MAX) {
    off[ntraps] = g[REG_RIP] - (long)(uintptr_t)step_start;
    code[ntraps] = si->si_code;
    addr_is_rip[ntraps] = (uintptr_t)si->si_addr == (uintptr_t)g[REG_RIP];
    tf_in_frame[ntraps] = (g[REG_EFL] >> 8) & 1;
    tf_in_handler[ntraps] = (fl >> 8) & 1;
    trapno[ntraps] = g[REG_TRAPNO];
    err[ntraps] = g[REG_ERR];
  }
  ntraps++;
  if (stop_after && ntraps == stop_after) g[REG_EFL] &= ~0x100;
}

static void run(const char *what) {
  ntraps = 0;
  step_block();
  printf("%s: %d traps, getpid in the block %s\n", what, ntraps, step_pid == getpid() ? "ok" : "BAD");
  for (int i = 0; i < ntraps && i < MAX; i++)
    printf("  trap %d: rip block+%ld (end %s) si_code %d si_addr==rip %d trapno %ld err %ld TF frame %d handler %d\n", i,
           off[i], step_start + off[i] == step_end ? "yes" : "no", code[i], addr_is_rip[i], trapno[i], err[i],
           tf_in_frame[i], tf_in_handler[i]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_trap;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGTRAP, &sa, NULL);
  printf("TRAP_TRACE is %d\n", TRAP_TRACE);
  run("whole block");
  stop_after = 3;
  run("handler clears TF at the third trap");
  return 0;
}
