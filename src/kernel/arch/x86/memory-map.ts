/**
 * The modelled kernel's virtual address space (x86-64, 4-level paging), after
 * Documentation/arch/x86/x86_64/mm.rst, with sizes from reference §1.4.
 * Addresses are the CPU's sign-extended numbers.
 *
 *   0x0000000000400000  user text             (user, RX)
 *   0x0000000000600000  user data             (user, RW, NX)
 *   0x00007ffffffde000  user stack, 128 KiB below 0x00007ffffffff000
 *   0xffff888000000000  direct map: per-CPU area, kernel data, PKS key pages
 *   0xffffc90000000000  vmalloc: task stacks, THREAD_SIZE 16 KiB each, an
 *                       unmapped guard page below each
 *   0xfffffe0000000000  cpu_entry_area: GDT, IDT, TSS, then the IST stacks
 *                       (EXCEPTION_STKSZ 8 KiB each, guard page below each)
 *   0xffffffff81000000  kernel text: the entry stubs, assembled at boot
 *   0xffffffff82000000  native text: kernel "C" functions (host-call range)
 */

const TWO_64 = 2n ** 64n;

/** A canonical address written as its unsigned hex value, as kernel docs write them. */
function kaddr(unsigned: bigint): number {
  return Number(unsigned - TWO_64);
}

export const PAGE_SIZE = 0x1000;

/** TASK_SIZE_MAX with 4-level paging: (1 << 47) - PAGE_SIZE (arch/x86/include/asm/page_64_types.h). */
export const TASK_SIZE_MAX = 2 ** 47 - 0x1000;

export const USER_TEXT = 0x40_0000;
export const USER_DATA = 0x60_0000;
export const USER_STACK_TOP = 0x7fff_ffff_f000;
export const USER_STACK_SIZE = 0x2_0000;

export const DIRECT_MAP = kaddr(0xffff_8880_0000_0000n);
/** The per-CPU area (GS base in kernel mode). */
export const PER_CPU_BASE = DIRECT_MAP + 0x10_0000;
/** Kernel data pages, PKS-keyed pages among them. */
export const KERNEL_DATA = DIRECT_MAP + 0x20_0000;

export const VMALLOC_BASE = kaddr(0xffff_c900_0000_0000n);
/** THREAD_SIZE = PAGE_SIZE << 2 (reference §1.4, no KASAN). */
export const THREAD_SIZE = 0x4000;
/** Each task stack gets a slot: a guard page, then THREAD_SIZE of stack. */
export const TASK_STACK_SLOT = 0x1_0000;

export const CPU_ENTRY_AREA = kaddr(0xffff_fe00_0000_0000n);
export const GDT_ADDRESS = CPU_ENTRY_AREA;
export const IDT_ADDRESS = CPU_ENTRY_AREA + 0x1000;
export const TSS_ADDRESS = CPU_ENTRY_AREA + 0x2000;
/** EXCEPTION_STKSZ = PAGE_SIZE << 1 (reference §1.4). */
export const EXCEPTION_STKSZ = 0x2000;
export const IST_AREA = CPU_ENTRY_AREA + 0x1_0000;

/**
 * IST stacks in Linux's order (enum exception_stack_ordering; reference
 * §1.4): the IDT's IST field is the index + 1.
 */
export const IST_STACKS = [
  { name: 'DF', vector: 8, istIndex: 0 },
  { name: 'NMI', vector: 2, istIndex: 1 },
  { name: 'DB', vector: 1, istIndex: 2 },
  { name: 'MCE', vector: 18, istIndex: 3 },
] as const;

/** Bottom (lowest address) of IST stack `i`: a guard page, then EXCEPTION_STKSZ of stack. */
export function istStackBottom(i: number): number {
  return IST_AREA + i * (PAGE_SIZE + EXCEPTION_STKSZ) + PAGE_SIZE;
}

export function istStackTop(i: number): number {
  return istStackBottom(i) + EXCEPTION_STKSZ;
}

/** Bottom of task stack `n` (its guard page is just below). */
export function taskStackBottom(n: number): number {
  return VMALLOC_BASE + n * TASK_STACK_SLOT + PAGE_SIZE;
}

export function taskStackTop(n: number): number {
  return taskStackBottom(n) + THREAD_SIZE;
}

export const KERNEL_TEXT = kaddr(0xffff_ffff_8100_0000n);
export const KERNEL_TEXT_SIZE = 0x1_0000;
export const NATIVE_TEXT = kaddr(0xffff_ffff_8200_0000n);
export const NATIVE_TEXT_SIZE = 0x1_0000;

/** Selectors (reference §1.5, arch/x86/include/asm/segment.h). */
export const KERNEL_CS = 0x10;
export const KERNEL_DS = 0x18;
export const USER32_CS = 0x23;
export const USER_DS = 0x2b;
export const USER_CS = 0x33;
