/*
 * The few definitions the test programs need, written out so they build
 * with nothing but clang (no libbpf headers): SEC(), the legacy map
 * definition, and helper declarations by id (include/uapi/linux/bpf.h).
 */
#ifndef KENTRY_BPF_HELPERS_H
#define KENTRY_BPF_HELPERS_H

#define SEC(name) __attribute__((section(name), used))

/* tools/lib/bpf/libbpf_legacy.h: struct bpf_map_def, read from the "maps" section. */
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_ANY 0

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
				   unsigned long long flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static unsigned long long (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_trace_printk)(const char *fmt, unsigned int fmt_size, ...) = (void *)6;
static unsigned long long (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_probe_read_kernel)(void *dst, unsigned int size, const void *unsafe_ptr) = (void *)113;

/*
 * struct pt_regs as upstream x86-64 lays it out (arch/x86/include/asm/ptrace.h),
 * and libbpf's PT_REGS_PARM macros over it: offsets fixed at compile time.
 */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di;
	unsigned long orig_ax, ip, cs, flags, sp, ss;
};
#define PT_REGS_PARM1(x) ((x)->di)
#define PT_REGS_PARM2(x) ((x)->si)
#define PT_REGS_PARM3(x) ((x)->dx)
#define PT_REGS_PARM4(x) ((x)->cx)
#define PT_REGS_PARM5(x) ((x)->r8)

#endif
