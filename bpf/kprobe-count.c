// Counts calls per tgid in a hash map and prints a line per call: lookup,
// null check, update with BPF_ANY, bpf_get_current_pid_tgid,
// bpf_ktime_get_ns, bpf_probe_read_kernel of the saved stack pointer's
// target, and bpf_trace_printk with a format built on the stack.
#include "bpf-helpers.h"

struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(unsigned int),
	.value_size = sizeof(unsigned long),
	.max_entries = 64,
};

struct bpf_map_def SEC("maps") last_ns = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(unsigned int),
	.value_size = sizeof(unsigned long),
	.max_entries = 1,
};

SEC("kprobe/ksys_write")
int count_calls(struct pt_regs *ctx)
{
	unsigned int tgid = bpf_get_current_pid_tgid() >> 32;
	unsigned long one = 1, *n;
	unsigned long ret_addr = 0;
	unsigned int zero = 0;
	unsigned long now = bpf_ktime_get_ns();
	char fmt[] = "tgid %u count %lu ret %lx\n";

	n = bpf_map_lookup_elem(&counts, &tgid);
	if (n)
		*n += 1;
	else
		bpf_map_update_elem(&counts, &tgid, &one, BPF_ANY);
	bpf_map_update_elem(&last_ns, &zero, &now, BPF_ANY);
	bpf_probe_read_kernel(&ret_addr, sizeof(ret_addr), (void *)ctx->sp);
	bpf_trace_printk(fmt, sizeof(fmt), tgid, n ? *n : 1, ret_addr);
	return 0;
}

char _license[] SEC("license") = "GPL";
