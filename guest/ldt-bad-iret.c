/*
 * Failed returns to user mode. A SIGUSR1 handler edits CS, SS (and for one
 * case RIP) in its frame; rt_sigreturn accepts them, and the IRET back to
 * user mode faults in the kernel. The kernel must turn that into a fault
 * "from user mode" at the IRET's target (fixup_bad_iret; for LDT stack
 * segments the ESPFIX64 path and its double fault): the SA_ONSTACK handler
 * prints the signal, si_code, trapno, error code and what the frame holds,
 * then puts the registers from before the edit back, so raise() returns.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

struct desc {
	unsigned int entry_number, base_addr, limit;
	unsigned int seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1, seg_not_present : 1, useable : 1, lm : 1;
};

static gregset_t before;
static volatile unsigned short want_cs, want_ss;
static volatile unsigned long want_ip;
static volatile int got;

static unsigned short *selectors(ucontext_t *uc)
{
	return (unsigned short *)&uc->uc_mcontext.gregs[REG_CSGSFS]; /* cs, gs, fs, ss */
}

static void edit(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	memcpy(before, uc->uc_mcontext.gregs, sizeof(before));
	selectors(uc)[0] = want_cs;
	selectors(uc)[3] = want_ss;
	if (want_ip)
		uc->uc_mcontext.gregs[REG_RIP] = want_ip;
}

static void caught(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	greg_t *g = uc->uc_mcontext.gregs;
	unsigned long ip = g[REG_RIP];
	printf("  %s si_code %d trapno %lld err 0x%llx | frame cs 0x%x ss 0x%x rip %s rsp %s uc_flags&7 %lu\n",
	       sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : "other", si->si_code, (long long)g[REG_TRAPNO],
	       (long long)g[REG_ERR], selectors(uc)[0], selectors(uc)[3],
	       ip == (want_ip ? want_ip : (unsigned long)before[REG_RIP]) ? "=target" : "?",
	       g[REG_RSP] == before[REG_RSP] ? "=target" : "?", uc->uc_flags & 7);
	memcpy(g, before, sizeof(before));
	got = sig;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, 0);
}

static void try(const char *what, unsigned short cs, unsigned short ss, unsigned long ip)
{
	want_cs = cs;
	want_ss = ss;
	want_ip = ip;
	got = 0;
	printf("%s (cs 0x%x ss 0x%x%s)\n", what, cs, ss, ip ? " rip non-canonical" : "");
	raise(SIGUSR1);
	if (!got)
		printf("  no signal\n");
}

static void add(unsigned entry, int seg32, int contents, int np)
{
	struct desc d;
	memset(&d, 0, sizeof(d));
	d.entry_number = entry;
	d.limit = 0xfff;
	d.seg_32bit = seg32;
	d.contents = contents;
	d.seg_not_present = np;
	if (syscall(SYS_modify_ldt, 0x11, &d, sizeof(d)) != 0)
		printf("modify_ldt %u failed\n", entry);
}

int main(void)
{
	stack_t st = { .ss_sp = malloc(65536), .ss_size = 65536 };
	sigaltstack(&st, 0);
	add(0, 1, 2, 1); /* 0x07: 32-bit code, not present */
	add(1, 1, 0, 1); /* 0x0f: 32-bit data, not present */
	add(2, 0, 0, 0); /* 0x17: 16-bit data */
	handle(SIGUSR1, edit, 0);
	handle(SIGSEGV, caught, SA_ONSTACK);
	handle(SIGBUS, caught, SA_ONSTACK);

	try("control: nothing wrong", 0x33, 0x2b, 0);
	try("code segment as SS", 0x33, 0x33, 0);
	try("data segment as CS", 0x2b, 0x2b, 0);
	try("kernel CS with RPL 3", 0x13, 0x2b, 0);
	try("null SS at CPL 3", 0x33, 0x0, 0);
	try("non-canonical RIP", 0x33, 0x2b, 0x8000000000000000ul);
	try("not-present LDT code as CS", 0x07, 0x2b, 0);
	try("LDT SS beyond the LDT limit (espfix)", 0x33, 0x47, 0);
	try("not-present LDT data as SS (espfix)", 0x23, 0x0f, 0);
	try("16-bit LDT data as SS, 64-bit CS (espfix, valid)", 0x33, 0x17, 0);
	return 0;
}
