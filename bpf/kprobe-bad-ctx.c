// Reads 8 bytes at offset 168 of the context: one past the end of the
// upstream struct pt_regs, so kprobe_prog_is_valid_access() refuses it.
#include "bpf-helpers.h"

SEC("kprobe/do_nanosleep")
int past_the_end(struct pt_regs *ctx)
{
	return *(volatile unsigned long *)((char *)ctx + 168) != 0;
}

char _license[] SEC("license") = "GPL";
