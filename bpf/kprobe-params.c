// PT_REGS_PARM1..5 into an array map (key i-1), offsets fixed at compile
// time: the ELF twin of src/bpf/programs/kprobe-params.ts fixedParamsProgram.
#include "bpf-helpers.h"

struct bpf_map_def SEC("maps") params = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(unsigned int),
	.value_size = sizeof(unsigned long),
	.max_entries = 5,
};

static __attribute__((always_inline)) void put(unsigned int key, unsigned long value)
{
	bpf_map_update_elem(&params, &key, &value, BPF_ANY);
}

SEC("kprobe/do_sys_openat2")
int params_fixed(struct pt_regs *ctx)
{
	put(0, PT_REGS_PARM1(ctx));
	put(1, PT_REGS_PARM2(ctx));
	put(2, PT_REGS_PARM3(ctx));
	put(3, PT_REGS_PARM4(ctx));
	put(4, PT_REGS_PARM5(ctx));
	return 0;
}

char _license[] SEC("license") = "GPL";
