/**
 * The ptrace ABI kentry declares against the host's headers, compiled with
 * gcc: the request numbers, the arch_prctl codes, the regset note types, and
 * struct user (the USER area PEEKUSR/POKEUSR address) — every member glibc's
 * <sys/user.h> has, at the same offset. glibc's struct stops after
 * u_debugreg (912 bytes); the kernel's goes on with error_code and
 * fault_address, so its size is the reference §5-style fact 928 = 912 + 16.
 */
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../../src/abi/layout.js';
import * as P from '../../../src/abi/ptrace.js';
import { NT_386_IOPERM, NT_PRFPREG, NT_PRSTATUS, NT_X86_SHSTK, NT_X86_XSTATE } from '../../../src/abi/structs/elfcore.js';
import { userStruct } from '../../../src/abi/structs/user.js';
import { USER_SIZE, U_DEBUGREG_0 } from '../../../src/kernel/arch/x86/ptrace-arch.js';
import { keyValues, runC, SKIP_HOST_ORACLE } from '../../host/cc.js';

/** glibc's spellings where they differ from the kernel's. */
const GLIBC_NAMES: Record<string, string> = {
  'i387.twd': 'i387.ftw', 'i387.mxcsr_mask': 'i387.mxcr_mask',
  'regs.orig_ax': 'regs.orig_rax', 'regs.ip': 'regs.rip', 'regs.flags': 'regs.eflags', 'regs.sp': 'regs.rsp',
  'regs.bp': 'regs.rbp', 'regs.bx': 'regs.rbx', 'regs.ax': 'regs.rax', 'regs.cx': 'regs.rcx', 'regs.dx': 'regs.rdx',
  'regs.si': 'regs.rsi', 'regs.di': 'regs.rdi',
};
/** Members only the kernel's struct has (glibc leaves the padding unnamed and stops at u_debugreg). */
const KERNEL_ONLY = new Set(['pad0', 'pad1', 'error_code', 'fault_address']);

describe.skipIf(SKIP_HOST_ORACLE)('ptrace ABI vs the host headers (gcc)', () => {
  it('request numbers and arch_prctl codes', () => {
    const names = Object.keys(P).filter((n) => n.startsWith('PTRACE_') || n.startsWith('ARCH_'));
    const src = `#include <stdio.h>\n#include <linux/ptrace.h>\n#include <asm/ptrace-abi.h>\n#include <asm/prctl.h>\n` +
      `int main(void) {\n${names.map((n) => `printf("${n} %ld\\n", (long)(${n}));`).join('\n')}\nreturn 0; }\n`;
    const got = keyValues(runC(src));
    expect(names.length).toBeGreaterThan(30);
    for (const n of names) expect(Number(got.get(n)), n).toBe((P as Record<string, number>)[n]);
  });

  it('regset note types', () => {
    const notes = { NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE, NT_386_IOPERM, NT_X86_SHSTK };
    const src = `#include <stdio.h>\n#include <elf.h>\n#ifndef NT_X86_SHSTK\n#define NT_X86_SHSTK 0x204\n#endif\nint main(void) {\n` +
      `${Object.keys(notes).map((n) => `printf("${n} %ld\\n", (long)(${n}));`).join('\n')}\nreturn 0; }\n`;
    const got = keyValues(runC(src));
    for (const [n, v] of Object.entries(notes)) expect(Number(got.get(n)), n).toBe(v);
  });

  it('struct user: every glibc member at the kernel offset; u_debugreg where arch_ptrace looks', () => {
    const l = layoutOf(userStruct);
    const paths = [...l.members.map((m) => ({ path: m.name, offset: m.offset })), ...l.flat]
      .filter((p) => p.path !== null && !KERNEL_ONLY.has(p.path.split('.')[0]!)) as { path: string; offset: number }[];
    const unique = [...new Map(paths.map((p) => [p.path, p])).values()];
    const src = `#include <stdio.h>\n#include <stddef.h>\n#include <sys/user.h>\nint main(void) {\n` +
      `printf("sizeof %zu\\n", sizeof(struct user));\n` +
      unique.map((p) => `printf("${p.path} %zu\\n", offsetof(struct user, ${GLIBC_NAMES[p.path] ?? p.path}));`).join('\n') +
      `\nreturn 0; }\n`;
    const got = keyValues(runC(src));
    for (const p of unique) expect(Number(got.get(p.path)), p.path).toBe(p.offset);
    expect(unique.length).toBeGreaterThan(40);
    expect(Number(got.get('u_debugreg'))).toBe(U_DEBUGREG_0);
    // glibc's struct ends with u_debugreg; the kernel's adds error_code and fault_address.
    expect(Number(got.get('sizeof'))).toBe(U_DEBUGREG_0 + 64);
    expect(USER_SIZE).toBe(Number(got.get('sizeof')) + 16);
  });
});
