/*
 * SIGSEGV's si_code, si_addr and the frame's trapno/err for each kind of bad
 * user access (arch/x86/mm/fault.c do_user_addr_fault, set_signal_archinfo;
 * arch/x86/kernel/traps.c exc_general_protection): no VMA → SEGV_MAPERR; a
 * VMA that forbids the access (text written, PROT_NONE read) → SEGV_ACCERR;
 * a kernel address → SEGV_MAPERR with X86_PF_PROT in err; a non-canonical
 * address → #GP, SI_KERNEL. The handler skips the faulting instruction.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

static volatile uintptr_t fault_addr;
static volatile int fault_code, fault_trapno, fault_err;
static volatile int skip;

static void on_segv(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  (void)sig;
  fault_addr = (uintptr_t)si->si_addr;
  fault_code = si->si_code;
  fault_trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
  fault_err = (int)uc->uc_mcontext.gregs[REG_ERR];
  uc->uc_mcontext.gregs[REG_RIP] += skip;
}

/* Each access is one instruction of known length: the handler adds it to RIP. */
static void read_at(const char *what, uintptr_t a) {
  skip = 3; /* mov (%rax), %al: 8a 00 + nop */
  fault_code = fault_trapno = fault_err = -1;
  __asm__ volatile("mov (%0), %%al\n\tnop" ::"r"(a) : "rax", "memory");
  printf("%-22s code %d addr %s trapno %d err %#x\n", what, fault_code, fault_addr == a ? "=" : (fault_addr == 0 ? "0" : "other"),
         fault_trapno, fault_err);
}

static void write_at(const char *what, uintptr_t a) {
  skip = 3; /* mov %al, (%rax): 88 00 + nop */
  fault_code = fault_trapno = fault_err = -1;
  __asm__ volatile("mov %%al, (%0)\n\tnop" ::"r"(a) : "rax", "memory");
  printf("%-22s code %d addr %s trapno %d err %#x\n", what, fault_code, fault_addr == a ? "=" : (fault_addr == 0 ? "0" : "other"),
         fault_trapno, fault_err);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *gone = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(gone, 4096);
  /* Linux maps anonymous pages on first touch (kentry maps them up front): read it once so both see it present. */
  (void)*(volatile char *)ro;
  read_at("read NULL+16", 16);
  write_at("write own text", (uintptr_t)&main);
  read_at("read PROT_NONE", (uintptr_t)none);
  write_at("write PROT_NONE", (uintptr_t)none);
  read_at("read unmapped", (uintptr_t)gone);
  write_at("write PROT_READ", (uintptr_t)ro);
  read_at("read kernel address", 0xffffffff81000000ul);
  read_at("read non-canonical", 0x8000000000000000ul);
  return 0;
}
