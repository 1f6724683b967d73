/**
 * Every offset and size of kentry's ABI structs against the host's own
 * headers, compiled on the spot (DESIGN.md §5, oracle 1/4). The C program is
 * generated from kentry's declarations, but the numbers it prints are gcc's.
 */
import { describe, expect, it } from 'vitest';
import { layoutOf, type RecordLayout } from '../../src/abi/layout.js';
import {
  fpstate64, fpxSwBytes, ptRegs, rtSigframe, sigcontext, siginfo, stack_t, ucontext, userRegsStruct, xstateHeader,
} from '../../src/abi/structs/index.js';
import { keyValues, runC, SKIP_HOST_ORACLE } from './cc.js';

/** The user-space (uapi) spelling of register names in struct pt_regs and sigcontext. */
const USER_VIEW: Record<string, string> = {
  bp: 'rbp', bx: 'rbx', ax: 'rax', cx: 'rcx', dx: 'rdx', si: 'rsi', di: 'rdi',
  orig_ax: 'orig_rax', ip: 'rip', flags: 'eflags', sp: 'rsp',
};

interface Check {
  readonly id: string;
  readonly ctype: string;
  readonly layout: RecordLayout;
  readonly rename?: Record<string, string>;
  /** Paths to check; default: every leaf, every top-level member and every alias. */
  readonly paths?: readonly string[];
}

const UAPI_PRELUDE = `
#include <stddef.h>
#include <stdio.h>
#include <asm/signal.h>
#include <asm/ptrace.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <asm/siginfo.h>
/* arch/x86/include/asm/sigframe.h, composed from the uapi types above */
struct rt_sigframe { char *pretcode; struct ucontext uc; siginfo_t info; };
`;

const GLIBC_PRELUDE = `
#include <stddef.h>
#include <stdio.h>
#include <sys/user.h>
`;

function allPaths(l: RecordLayout): string[] {
  return [...new Set([...l.members.map((m) => m.name), ...l.flat.map((f) => f.path), ...l.aliases.map((a) => a.path)])];
}

function cPath(path: string, rename: Record<string, string> | undefined): string {
  return path.split('.').map((seg) => rename?.[seg] ?? seg).join('.');
}

function program(prelude: string, checks: readonly Check[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`printf("${c.id}:sizeof %zu\\n", sizeof(${c.ctype}));`);
    for (const p of c.paths ?? allPaths(c.layout)) {
      lines.push(`printf("${c.id}:${p} %zu\\n", offsetof(${c.ctype}, ${cPath(p, c.rename)}));`);
    }
  }
  return `${prelude}\nint main(void) {\n${lines.join('\n')}\nreturn 0;\n}\n`;
}

function compare(prelude: string, checks: readonly Check[]): void {
  const got = keyValues(runC(program(prelude, checks)));
  let compared = 0;
  for (const c of checks) {
    expect(Number(got.get(`${c.id}:sizeof`)), `sizeof(${c.ctype})`).toBe(c.layout.size);
    for (const p of c.paths ?? allPaths(c.layout)) {
      const mine = [...c.layout.members.map((m) => ({ path: m.name, offset: m.offset })), ...c.layout.flat, ...c.layout.aliases]
        .find((f) => f.path === p);
      expect(Number(got.get(`${c.id}:${p}`)), `offsetof(${c.ctype}, ${cPath(p, c.rename)})`).toBe(mine?.offset);
      compared++;
    }
  }
  expect(compared).toBeGreaterThan(checks.length);
}

describe.skipIf(SKIP_HOST_ORACLE)('ABI structs vs the host headers (gcc)', () => {
  it('uapi: pt_regs, sigcontext, ucontext, rt_sigframe, siginfo, stack_t, FPU areas', () => {
    compare(UAPI_PRELUDE, [
      { id: 'pt_regs', ctype: 'struct pt_regs', layout: layoutOf(ptRegs), rename: USER_VIEW },
      { id: 'sigcontext', ctype: 'struct sigcontext_64', layout: layoutOf(sigcontext), rename: { __pad0: 'ss' } },
      { id: 'ucontext', ctype: 'struct ucontext', layout: layoutOf(ucontext), rename: USER_VIEW },
      { id: 'rt_sigframe', ctype: 'struct rt_sigframe', layout: layoutOf(rtSigframe), rename: USER_VIEW },
      { id: 'siginfo', ctype: 'siginfo_t', layout: layoutOf(siginfo) },
      { id: 'stack_t', ctype: 'stack_t', layout: layoutOf(stack_t) },
      { id: 'fpstate', ctype: 'struct _fpstate_64', layout: layoutOf(fpstate64) },
      { id: 'fpx_sw', ctype: 'struct _fpx_sw_bytes', layout: layoutOf(fpxSwBytes) },
      // uapi names the XSAVE header's reserved words differently; size and xfeatures agree.
      { id: 'xheader', ctype: 'struct _header', layout: layoutOf(xstateHeader), paths: ['xfeatures'] },
    ]);
  });

  it('glibc: user_regs_struct', () => {
    compare(GLIBC_PRELUDE, [
      { id: 'user_regs', ctype: 'struct user_regs_struct', layout: layoutOf(userRegsStruct), rename: USER_VIEW },
    ]);
  });
});
