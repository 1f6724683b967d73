/*
 * modify_ldt(2) as the kernel answers it: each call's raw RAX (the syscall
 * returns (unsigned int)ret, so an error comes back zero-extended), the
 * LDT read back with func 0, and what the CPU then makes of the new
 * selectors (LAR access rights, LSL limit, VERR/VERW, a GS load and a read
 * through it). Prints only values that do not depend on where the program
 * was loaded.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct desc {
	unsigned int entry_number, base_addr, limit;
	unsigned int seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1, seg_not_present : 1, useable : 1, lm : 1;
};

static unsigned long raw(long func, void *ptr, unsigned long count)
{
	unsigned long rax = 154;
	__asm__ volatile("syscall" : "+a"(rax) : "D"(func), "S"(ptr), "d"(count) : "rcx", "r11", "memory");
	return rax;
}

static void call(const char *what, long func, void *ptr, unsigned long count)
{
	printf("%-44s rax 0x%lx\n", what, raw(func, ptr, count));
}

static struct desc make(unsigned entry, unsigned base, unsigned limit, int seg32, int contents, int ro, int pages, int np, int useable)
{
	struct desc d;
	memset(&d, 0, sizeof(d));
	d.entry_number = entry;
	d.base_addr = base;
	d.limit = limit;
	d.seg_32bit = seg32;
	d.contents = contents;
	d.read_exec_only = ro;
	d.limit_in_pages = pages;
	d.seg_not_present = np;
	d.useable = useable;
	return d;
}

static unsigned char table[65536 + 64];
static uint32_t target = 0x5eed1234;

static void probe(unsigned short sel)
{
	uint32_t ar = 0, lim = 0;
	uint8_t zl, zs, zr, zw;
	__asm__ volatile("lar %[s], %[ar]\n\tsetz %[z]" : [ar] "+r"(ar), [z] "=q"(zl) : [s] "r"((uint32_t)sel) : "cc");
	__asm__ volatile("lsl %[s], %[l]\n\tsetz %[z]" : [l] "+r"(lim), [z] "=q"(zs) : [s] "r"((uint32_t)sel) : "cc");
	__asm__ volatile("verr %[s]\n\tsetz %[z]" : [z] "=q"(zr) : [s] "r"(sel) : "cc");
	__asm__ volatile("verw %[s]\n\tsetz %[z]" : [z] "=q"(zw) : [s] "r"(sel) : "cc");
	ar &= ~0xf0000u; /* bits 19:16 are undefined (SDM "LAR": 00FxFF00H); AMD copies limit 19:16 there */
	printf("sel 0x%02x: lar %d 0x%08x lsl %d 0x%x verr %d verw %d\n", sel, zl, zl ? ar : 0, zs, zs ? lim : 0, zr, zw);
}

int main(int argc, char **argv)
{
	struct desc d;
	unsigned char small[200];

	memset(small, 0xaa, sizeof(small));
	call("read_ldt, no LDT yet", 0, table, sizeof(table));
	unsigned long n = raw(2, small, 200);
	printf("read_default_ldt 200:                        rax 0x%lx zero %d\n", n,
	       small[0] == 0 && small[127] == 0 && small[128] == 0xaa);
	call("read_default_ldt 16", 2, small, 16);
	call("read_default_ldt, bad pointer", 2, (void *)8, 16);
	call("func 3", 3, &d, sizeof(d));
	call("func 0x12", 0x12, &d, sizeof(d));
	call("func -1", -1, &d, sizeof(d));

	d = make(0, 0, 0xffff, 1, 0, 0, 0, 0, 0);
	call("write_ldt bytecount 15", 1, &d, 15);
	call("write_ldt bytecount 17", 0x11, &d, 17);
	call("write_ldt bad pointer", 1, (void *)8, sizeof(d));
	d.entry_number = 8192;
	call("write_ldt entry 8192", 1, &d, sizeof(d));
	d.entry_number = 0xffffffff;
	call("write_ldt entry -1", 0x11, &d, sizeof(d));

	d = make(1, 0x1000, 0xfff, 1, 3, 0, 0, 0, 0);
	call("conforming code, legacy", 1, &d, sizeof(d));
	call("conforming code present, 0x11", 0x11, &d, sizeof(d));
	d.seg_not_present = 1;
	call("conforming code not present, 0x11", 0x11, &d, sizeof(d));

	d = make(2, (unsigned)(uintptr_t)&target, 0xfff, 1, 0, 0, 0, 0, 1);
	call("32-bit data, useable, legacy", 1, &d, sizeof(d));
	d = make(3, (unsigned)(uintptr_t)&target, 3, 0, 0, 0, 0, 0, 1);
	call("16-bit data, useable, 0x11", 0x11, &d, sizeof(d));
	d = make(4, 0x12345678, 0xabcde, 1, 2, 1, 1, 0, 0);
	d.lm = 1;
	call("execute-only 32-bit code, pages, lm set", 0x11, &d, sizeof(d));
	d = make(5, 0, 0xffff, 0, 1, 0, 0, 0, 0);
	call("16-bit expand-down data", 0x11, &d, sizeof(d));
	d = make(7, 0, 0xffff, 0, 2, 0, 0, 0, 0);
	call("16-bit code", 0x11, &d, sizeof(d));

	memset(table, 0xaa, sizeof(table));
	n = raw(0, table, sizeof(table));
	printf("read_ldt 65600:                              rax 0x%lx tail zero %d\n", n,
	       table[8 * 8] == 0 && table[65535] == 0 && table[65536] == 0xaa);
	for (int i = 0; i < 8; i++) {
		uint64_t e;
		memcpy(&e, table + 8 * i, 8);
		if (i == 2 || i == 3)
			e &= ~0xffffff0000ull; /* base 23:0 depends on where target is */
		printf("  entry %d: 0x%016llx\n", i, (unsigned long long)e);
	}
	call("read_ldt 12", 0, table, 12);
	call("read_ldt, bad pointer", 0, (void *)8, 64);

	/* Clearing: legacy base = limit = 0, and LDT_empty in either mode. */
	d = make(4, 0, 0, 0, 0, 0, 0, 0, 0);
	call("legacy zero desc clears 4", 1, &d, sizeof(d));
	d = make(5, 0, 0, 0, 0, 0, 0, 0, 0);
	call("0x11 zero desc (not LDT_empty) on 5", 0x11, &d, sizeof(d));
	d = make(7, 0, 0, 0, 0, 1, 0, 1, 0);
	call("0x11 LDT_empty clears 7", 0x11, &d, sizeof(d));
	d = make(20, 0, 0, 0, 0, 1, 0, 1, 0);
	call("LDT_empty at 20 grows the table", 0x11, &d, sizeof(d));
	n = raw(0, table, sizeof(table));
	printf("read_ldt after clears:                       rax 0x%lx\n", n);
	for (int i = 4; i < 8; i++) {
		uint64_t e;
		memcpy(&e, table + 8 * i, 8);
		printf("  entry %d: 0x%016llx\n", i, (unsigned long long)e);
	}

	if (argc > 1 && strcmp(argv[1], "probe") == 0) {
		for (unsigned short sel = 0x07; sel <= 0x47; sel += 8)
			probe(sel);
		probe(0x17 & ~3); /* RPL 0 */
		probe(0xa7);     /* entry 20: cleared */
		probe(0xaf);     /* entry 21: beyond the limit */
		probe(0x33);
		probe(0x2b);
		unsigned short gs = 0x17;
		uint32_t v;
		__asm__ volatile("mov %[s], %%gs\n\tmov %%gs:0, %[v]\n\tmov %[z], %%gs" : [v] "=r"(v) : [s] "r"(gs), [z] "r"(0));
		printf("read through gs 0x17: 0x%x\n", v);
	}
	return 0;
}
