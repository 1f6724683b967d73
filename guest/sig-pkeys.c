/*
 * A protection-key violation seen from a signal handler (reference §4.9, §7):
 * SIGSEGV with si_code SEGV_PKUERR, si_addr and si_pkey; the frame's XSAVE
 * area holds the PKRU of the interrupted code (update_pkru_in_sigframe, with
 * the PKRU bit set in XSTATE_BV); the handler itself runs with init_pkru_value
 * (fpu__clear_user_states → pkru_write_default); a PKRU edited in the frame is
 * what sigreturn restores (XRSTOR). The PKRU offset comes from CPUID leaf 0xD
 * sub-leaf 9, so the program runs the same on Intel and AMD layouts.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static unsigned rdpkru(void) {
  unsigned eax, edx;
  __asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}

static void wrpkru(unsigned v) { __asm__ volatile("wrpkru" ::"a"(v), "c"(0), "d"(0)); }

static unsigned pkru_offset;
static volatile char *page;
static volatile int seen_code, seen_pkey, seen_addr_ok;
static volatile unsigned frame_pkru, frame_bv, handler_pkru;

static void on_segv(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  unsigned char *fx = (unsigned char *)uc->uc_mcontext.fpregs;
  (void)sig;
  seen_code = si->si_code;
  seen_pkey = si->si_pkey;
  seen_addr_ok = si->si_addr == (void *)page;
  handler_pkru = rdpkru();
  frame_bv = *(uint32_t *)(fx + 512);
  frame_pkru = *(uint32_t *)(fx + pkru_offset);
  *(uint32_t *)(fx + pkru_offset) = 0; /* every key open after sigreturn: the access is retried and succeeds */
}

int main(void) {
  unsigned a, b, c, d;
  __cpuid_count(0xd, 9, a, b, c, d);
  pkru_offset = b;
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("PKRU at start %#x\n", rdpkru());
  int key = syscall(SYS_pkey_alloc, 0, 0);
  printf("pkey_alloc %d, PKRU %#x\n", key, rdpkru());
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("pkey_mprotect %ld\n", syscall(SYS_pkey_mprotect, page, 4096, PROT_READ | PROT_WRITE, key));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  unsigned denied = rdpkru() | (3u << (2 * key));
  wrpkru(denied);
  page[0] = 42;
  printf("si_code %d si_pkey %d si_addr is the page %d\n", seen_code, seen_pkey, seen_addr_ok);
  printf("frame PKRU %#x (the code's: %d), XSTATE_BV has PKRU %d\n", frame_pkru, frame_pkru == denied, (frame_bv >> 9) & 1);
  printf("handler PKRU %#x\n", handler_pkru);
  printf("after sigreturn PKRU %#x, the write landed %d\n", rdpkru(), page[0] == 42);
  return 0;
}
