/**
 * ESPFIX64: IRET to a 16-bit stack segment loads only SP[15:0]; RSP[63:16]
 * keep whatever the kernel had in RSP at the IRET. So that user space gets
 * its own RSP[31:16] back (and no kernel stack address leaks), the return
 * path (entry_64.S native_irq_return_ldt, taken when the saved SS is an LDT
 * selector: `testb $4, SS-RIP(%rsp)`) copies the IRET frame to a per-CPU
 * "ministack" and IRETs from an alias of it whose address bits 31:16 are
 * the user RSP's bits 31:16. The ministack page is mapped read-only 65536
 * times, 64 KiB apart, so every value of bits 31:16 reaches it; the kernel
 * writes it through espfix_waddr, its direct-map address.
 *
 * Because the aliases are read-only, an IRET that faults there cannot push
 * its exception frame: the #GP/#NP/#SS becomes a #PF, whose delivery faults
 * again, and the CPU raises #DF on its IST stack. exc_double_fault
 * recognises that case and turns it into a #GP(0) "from user mode" at the
 * top of the task stack (the original error code is lost, as on Linux).
 *
 * What kentry models, exactly:
 * - the page tables of init_espfix_ap: one stack page; PTEs at a stride of
 *   16 (bits 20:16), all 512 PMD entries of one PMD page, and 4 PUD
 *   entries (bits 31:30) point at the same lower tables, so
 *   ESPFIX_BASE_ADDR | (X & 0xffff0000) | slot maps the page for every X;
 * - espfix_base_addr() with page_random = slot_random = 0 (Linux draws both
 *   at boot; kentry is deterministic), so CPU 0's stack is ESPFIX_BASE_ADDR;
 * - the per-CPU variables espfix_stack and espfix_waddr, and the return path
 *   in the entry text (entry/idtentry.ts);
 * - exc_double_fault's espfix branch; any other #DF is a kernel oops (die).
 * Not modelled: more than one CPU, FRED (which needs no espfix), PTI's CR3
 * switches around the copy.
 *
 * @kernel arch/x86/kernel/espfix_64.c init_espfix_bsp, init_espfix_ap, espfix_base_addr
 * @kernel arch/x86/entry/entry_64.S .Lnative_iret, native_irq_return_ldt
 * @kernel arch/x86/kernel/traps.c exc_double_fault (CONFIG_X86_ESPFIX64 branch)
 */
import type { Cpu } from '../../../cpu/exec.js';
import { linearStore } from '../../../cpu/linear-store.js';
import { MODE_SUPERVISOR } from '../../../cpu/mmu.js';
import type { Design } from '../../../design/build.js';
import { writeLE } from '../../../lib/bytes.js';
import type { AddressSpace } from './address-space.js';
import { DIRECT_MAP, KERNEL_CS, PAGE_SIZE } from './memory-map.js';
import { KernelOops, type NativeBody } from './native.js';

/** P4D_SHIFT with 4-level paging (= PGDIR_SHIFT). */
const P4D_SHIFT = 39;
/** ESPFIX_PGD_ENTRY (arch/x86/include/asm/pgtable_64_types.h). */
export const ESPFIX_PGD_ENTRY = -2;
/** ESPFIX_BASE_ADDR = ESPFIX_PGD_ENTRY << P4D_SHIFT = 0xffffff0000000000. */
export const ESPFIX_BASE_ADDR = ESPFIX_PGD_ENTRY * 2 ** P4D_SHIFT;
/** ESPFIX_STACK_SIZE: 6 words needed, a cache line used. */
export const ESPFIX_STACK_SIZE = 64;
const ESPFIX_STACKS_PER_PAGE = PAGE_SIZE / ESPFIX_STACK_SIZE;
/** PTE_STRIDE, ESPFIX_PTE_CLONES, ESPFIX_PMD_CLONES, ESPFIX_PUD_CLONES. */
const PTE_STRIDE = 65536 / PAGE_SIZE;
const ESPFIX_PTE_CLONES = 512 / PTE_STRIDE;
const ESPFIX_PMD_CLONES = 512;
const ESPFIX_PUD_CLONES = 65536 / (ESPFIX_PTE_CLONES * ESPFIX_PMD_CLONES);

/** espfix_base_addr(cpu) with page_random = slot_random = 0. */
export function espfixBaseAddr(cpu: number): number {
  const page = Math.floor(cpu / ESPFIX_STACKS_PER_PAGE);
  const slot = cpu % ESPFIX_STACKS_PER_PAGE;
  const addr = page * PAGE_SIZE + slot * ESPFIX_STACK_SIZE;
  return ESPFIX_BASE_ADDR + (addr % 0x1_0000) + Math.floor(addr / 0x1_0000) * 2 ** 32;
}

/** Where init_espfix_bsp left CPU 0's ministack. */
export interface Espfix {
  /** espfix_stack: the bottom of the ministack in the RO aliases, bits 31:16 zero. */
  readonly stack: number;
  /** espfix_waddr: the same bytes, writable (the page's direct-map address plus the slot). */
  readonly waddr: number;
}

/** Linear addresses of the per-CPU variables espfix_stack and espfix_waddr. */
export interface EspfixPerCpu {
  readonly stack: number;
  readonly waddr: number;
}

/**
 * init_espfix_bsp + init_espfix_ap(0): the stack page, its direct-map
 * alias (page_address: DIRECT_MAP + physical address), the 65536 read-only
 * aliases, and the two per-CPU variables.
 */
export function initEspfixBsp(space: AddressSpace, cpu: Cpu, perCpu: EspfixPerCpu): Espfix {
  const addr = espfixBaseAddr(0);
  const page = space.allocFrame();
  const waddr = DIRECT_MAP + page + (addr % PAGE_SIZE);
  space.pt.map4k(DIRECT_MAP + page, page, { writable: true, noExec: true, global: true });
  // __PAGE_KERNEL_RO: present, global, NX, not writable, not user.
  const pageBase = addr - (addr % PAGE_SIZE);
  space.pt.map4k(pageBase, page, { noExec: true, global: true });
  const pt = space.pt;
  const phys = space.phys;
  const pteAddr = pt.entryAddress(pageBase, 1);
  const pmdAddr = pt.entryAddress(pageBase, 2);
  const pudAddr = pt.entryAddress(pageBase, 3);
  const copy = (from: number, to: number): void => {
    phys.write32(to, phys.read32(from));
    phys.write32(to + 4, phys.read32(from + 4));
  };
  for (let n = 1; n < ESPFIX_PTE_CLONES; n++) copy(pteAddr, pteAddr + n * PTE_STRIDE * 8);
  const pmdTable = pmdAddr - (pmdAddr % PAGE_SIZE);
  for (let n = 0; n < ESPFIX_PMD_CLONES; n++) copy(pmdAddr, pmdTable + n * 8);
  // (Linux's upper levels are PGTABLE_PROT, read-only and NX; the builder's are RW: the RO leaf decides.)
  const pudTable = pudAddr - (pudAddr % PAGE_SIZE);
  for (let n = 0; n < ESPFIX_PUD_CLONES; n++) copy(pudAddr, pudTable + n * 8);
  const memory = linearStore(cpu.mmu, MODE_SUPERVISOR);
  memory.writeBytes(perCpu.stack, writeLE(BigInt(addr), 8));
  memory.writeBytes(perCpu.waddr, writeLE(BigInt(waddr), 8));
  return { stack: addr, waddr };
}

/** Entry-text addresses exc_double_fault's espfix branch needs. */
export interface DoubleFaultSymbols {
  readonly nativeIrqReturnIret: number;
  readonly asmExcGeneralProtection: number;
}

/**
 * exc_double_fault(regs, error_code), the ESPFIX64 branch: when the #DF
 * interrupted native_irq_return_iret in kernel mode on the espfix stack
 * (regs->sp >> P4D_SHIFT == ESPFIX_PGD_ENTRY), the IRET faulted there:
 * 1. gpregs = (struct pt_regs *)TSS.sp0 - 1;
 * 2. gpregs->ip, cs, flags, sp, ss = the failed IRET frame at regs->sp;
 *    gpregs->orig_ax = 0 (the #GP error code, lost);
 * 3. regs->ip = asm_exc_general_protection, regs->sp = &gpregs->orig_ax:
 *    the #DF's IRET lands on the #GP stub with its frame in place, and
 *    error_entry sees a user CS.
 * Any other double fault: die("double fault") — a kernel oops.
 */
export function excDoubleFault(design: Design, sym: DoubleFaultSymbols): NativeBody {
  const off = (name: string): number => {
    const m = design.ptRegs.members.find((x) => x.name === name);
    if (!m) throw new KernelOops(`pt_regs has no ${name}`);
    return m.offset;
  };
  return (rt, call) => {
    const regs = call.address(0);
    const sp = Number(BigInt.asIntN(64, rt.read64(regs + off('sp'))));
    const ip = Number(BigInt.asIntN(64, rt.read64(regs + off('ip'))));
    const cs = Number(rt.read64(regs + off('cs')) & 0xffffn);
    if (Math.floor(sp / 2 ** P4D_SHIFT) === ESPFIX_PGD_ENTRY && cs === KERNEL_CS && ip === sym.nativeIrqReturnIret) {
      const sp0 = Number(BigInt.asIntN(64, rt.read64(rt.cpu.tssBase + 4)));
      const gpregs = sp0 - design.ptRegs.size;
      ['ip', 'cs', 'flags', 'sp', 'ss'].forEach((name, i) => rt.write64(gpregs + off(name), rt.read64(sp + 8 * i)));
      rt.write64(gpregs + off('orig_ax'), 0n);
      rt.write64(regs + off('ip'), BigInt(sym.asmExcGeneralProtection));
      rt.write64(regs + off('sp'), BigInt(gpregs + off('orig_ax')));
      return;
    }
    const code = call.arg(1);
    throw new KernelOops(`double fault: error_code 0x${code.toString(16)} ip 0x${BigInt.asUintN(64, BigInt(ip)).toString(16)} ` +
      `sp 0x${BigInt.asUintN(64, BigInt(sp)).toString(16)} (die)`);
  };
}
